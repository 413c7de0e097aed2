import Analysis
import ColumnFit
import Foundation
import Structure
import TrajectoryStore
import StemCore

/// Settings of `stemtrack watch`, from a configuration file (documented keys, `key = value`,
/// `#` comments) overridden by command-line flags. Every key is listed in
/// `deploy/stemtrack.conf.example`.
public struct WatchConfiguration: Sendable, Equatable {
    /// Acquisition directory (`directory`).
    public var directory: String = ""
    /// The store (`database`): a SQLite file, default `<directory>/stemtrack.sqlite`, or a
    /// `postgres://` URL of a facility database shared by many microscopes.
    public var database: String? = nil
    /// In a shared (PostgreSQL) store: the microscope (`instrument`, default this computer's host
    /// name) and the run's name (`run`, default the acquisition directory's name). A run is
    /// resumed when its instrument and name are found.
    public var instrument: String? = nil
    public var run: String? = nil
    /// Descend into subdirectories (`recursive`).
    public var recursive = false
    /// File-name patterns (`patterns`, comma separated), default TIFF extensions.
    public var patterns: [String] = []
    /// Poll instead of inotify, for network shares (`poll`), with this interval in seconds (`poll_interval`).
    public var poll = false
    public var pollInterval = 1.0
    /// Seconds a truncated file must stay unchanged before it is failed (`quiet_period`).
    public var quietPeriod = 5.0
    /// Pixel size in Å when the files do not carry it (`pixel_size`).
    public var pixelSize: Double? = nil
    /// Background held fixed (`background`); fitted when absent.
    public var background: Double? = nil
    /// Detector gain and offset (`gain`, `offset`) for counts-calibrated frames and the CRLB.
    public var gain: Double? = nil
    public var offset = 0.0
    /// Frames pooled for the counting model (`count_window`).
    public var countWindow = 20
    /// Temperature log (`temperature_log`): CSV of timestamp, °C.
    public var temperatureLog: String? = nil
    /// Measure particles and facets per frame (`structure`, default on).
    public var structure = true
    /// Crystal lattice, lattice constant (Å) and zone axis (`crystal`, `lattice_constant`,
    /// `zone_axis`, given together); nil: the best match among common zone axes per frame.
    public var crystal: Crystal? = nil
    /// Frames with more pixels are refused before reading (`max_pixels`); bounds the memory of one frame.
    public var maxPixels = 4096 * 4096
    /// In recursive mode, follow symbolically linked directories (`follow_symlinks`; loops are detected).
    public var followSymlinks = false
    /// Seconds one frame may take before the daemon counts as hung (`frame_timeout`): /healthz turns
    /// unhealthy and the systemd watchdog is no longer fed, so systemd restarts it and the frame is
    /// recorded as failed at the next start.
    public var frameTimeout = 600.0
    /// Log level (`log_level`): trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"
    /// Velox EMD files: the signal to analyse, by detector or title (`emd_signal`; default the
    /// HAADF one, or the only one).
    public var emdSignal: String? = nil
    /// Seconds added to the holder log's times to put them on the microscope's clock
    /// (`holder_clock_offset`; the holder PC's clock minus the microscope PC's, negated).
    public var holderClockOffset = 0.0
    /// Generic CSV holder logs: the time column (`holder_time_column`) and, when it holds seconds
    /// elapsed, the start (`holder_elapsed_start`: ISO 8601 or Unix s).
    public var holderTimeColumn: String? = nil
    public var holderElapsedStart: Double? = nil
    /// Any analysis setting by its dotted name (`smoothing.lag = 5`, `fit.maxIterations = 50`,
    /// `linking.maxGap = 3`; ``AnalysisSettings/flattened`` lists them), applied after the keys above.
    public var settings: [SettingOverride] = []

    /// One analysis setting given by name.
    public struct SettingOverride: Sendable, Equatable {
        public var key: String
        public var value: String
        public init(key: String, value: String) { self.key = key; self.value = value }
    }

    public init() {}

    /// The analysis settings: defaults, then the keys above (pixel size, background, detector,
    /// count window, structure, crystal), then ``settings`` in order.
    public func analysisSettings() throws(AnalysisError) -> AnalysisSettings {
        var a = AnalysisSettings()
        a.fit.pixelSize = pixelSize
        if let background { a.fit.fitBackground = false; a.fit.fixedBackground = background }
        if let gain { a.fit.detector = .calibrated(gain: gain, offset: offset) }
        a.counting.window = countWindow
        a.structure = structure ? StructureSettings(crystal: crystal, pixelSize: pixelSize) : nil
        for o in settings { try a.set(o.key, to: o.value) }
        try a.validate()
        return a
    }

    /// `key = value` lines for every setting, for the run record and for SIGHUP's change log.
    public var keyValues: [(String, String)] {
        func o<T>(_ v: T?) -> String { v.map { "\($0)" } ?? "" }
        var out: [(String, String)] = [
            ("directory", directory), ("database", o(database)), ("instrument", o(instrument)), ("run", o(run)),
            ("recursive", "\(recursive)"),
            ("patterns", patterns.joined(separator: ",")), ("poll", "\(poll)"), ("poll_interval", "\(pollInterval)"),
            ("quiet_period", "\(quietPeriod)"), ("pixel_size", o(pixelSize)), ("background", o(background)),
            ("gain", o(gain)), ("offset", "\(offset)"), ("count_window", "\(countWindow)"),
            ("temperature_log", o(temperatureLog)), ("structure", "\(structure)"),
            ("max_pixels", "\(maxPixels)"), ("follow_symlinks", "\(followSymlinks)"),
            ("frame_timeout", "\(frameTimeout)"), ("log_level", logLevel), ("emd_signal", o(emdSignal)), ("holder_clock_offset", "\(holderClockOffset)"),
            ("holder_time_column", o(holderTimeColumn)), ("holder_elapsed_start", o(holderElapsedStart)),
        ]
        if let crystal {
            out += [("crystal", crystal.lattice.rawValue), ("lattice_constant", "\(crystal.latticeConstant)"),
                    ("zone_axis", "\(crystal.zoneAxis)")]
        }
        out += settings.map { ($0.key, $0.value) }
        return out
    }

    /// The run's settings as stored in `runs.settings`: `{"software_version": …, "analysis": {every
    /// analysis setting}, "service": {the key = value settings of the daemon, as text}}`.
    public var json: String {
        func quoted(_ s: String) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: s, options: [.fragmentsAllowed])) ?? Data("\"\"".utf8)
            return String(decoding: data, as: UTF8.self)
        }
        let service = keyValues.map { k, v in quoted(k) + ":" + quoted(v) }.joined(separator: ",")
        let analysis = (try? analysisSettings())?.json ?? "null"
        return "{\"analysis\":\(analysis),\"service\":{\(service)},\"software_version\":" + quoted(StemTrackVersion.string) + "}"
    }

    /// The run this configuration writes in a shared store: (`instrument` or the host name,
    /// `run` or the acquisition directory's name).
    public var runKey: RunKey {
        let dir = (directory as NSString).standardizingPath
        let name = (dir as NSString).lastPathComponent
        return RunKey(instrument: instrument ?? ProcessInfo.processInfo.hostName,
                      name: run ?? (name.isEmpty || name == "/" ? "run" : name))
    }

    /// Keys whose values differ between `self` and `other`, as "key: old → new".
    public func changes(to other: WatchConfiguration) -> [String] {
        let a = Dictionary(keyValues, uniquingKeysWith: { $1 }), b = Dictionary(other.keyValues, uniquingKeysWith: { $1 })
        return Set(a.keys).union(b.keys).sorted().compactMap { k in
            a[k] == b[k] ? nil : "\(k): '\(a[k] ?? "")' → '\(b[k] ?? "")'"
        }
    }

    public enum ConfigError: Error, CustomStringConvertible, Equatable {
        case unreadable(String)
        case badLine(file: String, line: Int, text: String)
        case unknownKey(file: String, line: Int, key: String)
        case badValue(file: String, line: Int, key: String, value: String)
        case incompleteCrystal(file: String)
        case badSetting(file: String, line: Int, reason: String)
        public var description: String {
            switch self {
            case .unreadable(let f): return "\(f): cannot read the configuration file"
            case .badLine(let f, let l, let t): return "\(f) line \(l): expected 'key = value', got '\(t)'"
            case .unknownKey(let f, let l, let k): return "\(f) line \(l): unknown key '\(k)' (see deploy/stemtrack.conf.example)"
            case .badValue(let f, let l, let k, let v): return "\(f) line \(l): '\(v)' is not a valid value for \(k)"
            case .badSetting(let f, let l, let r): return "\(f) line \(l): \(r)"
            case .incompleteCrystal(let f):
                return "\(f): crystal, lattice_constant and zone_axis go together (e.g. fcc, 3.92, 110); leave all three out to match the lattice automatically"
            }
        }
    }

    /// Reads a configuration file over the defaults.
    public static func read(path: String) throws(ConfigError) -> WatchConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw .unreadable(path) }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String = "configuration") throws(ConfigError) -> WatchConfiguration {
        var c = WatchConfiguration()
        var lattice: CrystalLattice? = nil, latticeConstant: Double? = nil, zoneAxis: Direction? = nil
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            var line = String(raw)
            if let hash = line.firstIndex(of: "#") { line = String(line[..<hash]) }
            line = line.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else { throw .badLine(file: file, line: i + 1, text: line) }
            let (key, value) = (parts[0], parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
            func number() throws(ConfigError) -> Double {
                guard let v = Double(value), v.isFinite else { throw .badValue(file: file, line: i + 1, key: key, value: value) }
                return v
            }
            func flag() throws(ConfigError) -> Bool {
                switch value.lowercased() {
                case "true", "yes", "on", "1": return true
                case "false", "no", "off", "0": return false
                default: throw .badValue(file: file, line: i + 1, key: key, value: value)
                }
            }
            switch key {
            case "directory": c.directory = value
            case "database": c.database = value
            case "instrument": c.instrument = value.isEmpty ? nil : value
            case "run": c.run = value.isEmpty ? nil : value
            case "recursive": c.recursive = try flag()
            case "patterns": c.patterns = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            case "poll": c.poll = try flag()
            case "poll_interval": c.pollInterval = try number()
            case "quiet_period": c.quietPeriod = try number()
            case "pixel_size": c.pixelSize = try number()
            case "background": c.background = try number()
            case "gain": c.gain = try number()
            case "offset": c.offset = try number()
            case "count_window": c.countWindow = max(1, Int(try number()))
            case "temperature_log": c.temperatureLog = value
            case "structure": c.structure = try flag()
            case "max_pixels":
                let n = try number()
                guard n >= 64 else { throw .badValue(file: file, line: i + 1, key: key, value: value) }
                c.maxPixels = Int(min(n, Double(Int32.max)))
            case "follow_symlinks": c.followSymlinks = try flag()
            case "emd_signal": c.emdSignal = value.isEmpty ? nil : value
            case "holder_clock_offset": c.holderClockOffset = try number()
            case "holder_time_column": c.holderTimeColumn = value.isEmpty ? nil : value
            case "holder_elapsed_start":
                guard let t = TemperatureLog.timestamp(value) else { throw .badValue(file: file, line: i + 1, key: key, value: value) }
                c.holderElapsedStart = t
            case "frame_timeout":
                let t = try number()
                guard t > 0 else { throw .badValue(file: file, line: i + 1, key: key, value: value) }
                c.frameTimeout = t
            case "log_level":
                guard ["trace", "debug", "info", "notice", "warning", "warn", "error", "critical"].contains(value.lowercased()) else {
                    throw .badValue(file: file, line: i + 1, key: key, value: value)
                }
                c.logLevel = value.lowercased()
            case "crystal":
                guard let l = CrystalLattice(rawValue: value.lowercased()) else {
                    throw .badValue(file: file, line: i + 1, key: key, value: value)
                }
                lattice = l
            case "lattice_constant":
                let a = try number()
                guard a > 0 else { throw .badValue(file: file, line: i + 1, key: key, value: value) }
                latticeConstant = a
            case "zone_axis":
                guard let z = Direction(value) else { throw .badValue(file: file, line: i + 1, key: key, value: value) }
                zoneAxis = z
            default:
                guard key.contains(".") else { throw .unknownKey(file: file, line: i + 1, key: key) }
                var probe = AnalysisSettings()
                do { try probe.set(key, to: value) } catch {
                    throw .badSetting(file: file, line: i + 1, reason: error.description)
                }
                c.settings.append(SettingOverride(key: key, value: value))
            }
        }
        let given = [lattice != nil, latticeConstant != nil, zoneAxis != nil]
        if given.contains(true) {
            guard let lattice, let latticeConstant, let zoneAxis else { throw .incompleteCrystal(file: file) }
            c.crystal = Crystal(lattice: lattice, latticeConstant: latticeConstant, zoneAxis: zoneAxis)
        }
        return c
    }
}

import Foundation
import HolderLogs

/// A heating holder's log followed while the holder software appends to it: the file is read
/// again whenever its size, modification time or inode changed (appended, rewritten or rotated),
/// and a read that fails keeps the last good samples (a line half-written at the end is simply
/// not there yet). Times are put on the microscope's clock with a fixed offset.
public struct LiveTemperatureLog: Sendable {
    public let path: String
    /// Seconds added to the log's times (holder PC clock → microscope PC clock).
    public let clockOffset: Double
    /// Generic CSV logs: the time column and, for elapsed seconds, the start (Unix s).
    public let timeColumn: String?
    public let elapsedStart: Double?
    /// The temperature samples (from the holder's format, or a two-column "time, °C" log).
    public private(set) var log: TemperatureLog?
    /// The whole log with every channel, when it is a Protochips, DENSsolutions or headed CSV log.
    public private(set) var holder: HolderLog?
    /// Why the last read failed (nil: it did not).
    public private(set) var lastError: String?
    private var key: FileKey?

    struct FileKey: Equatable, Sendable { var size: Int64; var mtime: Double; var inode: UInt64 }

    /// Reads the log once; a missing or unreadable log is an error at start (the configuration
    /// names a file that is not there).
    public init(path: String, clockOffset: Double = 0, timeColumn: String? = nil, elapsedStart: Double? = nil) throws(TemperatureLog.LogError) {
        self.path = path
        self.clockOffset = clockOffset
        self.timeColumn = timeColumn
        self.elapsedStart = elapsedStart
        key = Self.key(path)
        (log, holder) = try Self.read(path, options: options)
    }

    var options: HolderLogReader.Options {
        HolderLogReader.Options(clockOffset: clockOffset, timeColumn: timeColumn,
                                timeKind: elapsedStart.map { .elapsedSeconds(start: $0) })
    }

    /// A holder's own format (Protochips, DENSsolutions DigiHeater or Impulse) through the
    /// `HolderLogs` readers, every channel kept; anything else as a "time, °C" log.
    static func read(_ path: String, options: HolderLogReader.Options) throws(TemperatureLog.LogError) -> (TemperatureLog, HolderLog?) {
        // Generic CSV goes through the library too when its time column or start is given.
        let generic = options.timeColumn != nil || options.timeKind != nil
        if let format = try? HolderLogReader.format(path: path), format != .generic || generic {
            let h: HolderLog
            do { h = try HolderLogReader.read(path: path, options: options) } catch {
                throw .holderFormat(path: path, reason: error.description)
            }
            // The temperature channel, or the only channel of a two-column log.
            guard h.start != nil, let t = h.temperature ?? (h.channels.count == 1 ? h.channels.first : nil) else {
                throw .holderFormat(path: path, reason: h.start == nil ? "the log gives no start date and time"
                    : "no temperature channel among \(h.channels.map(\.title).joined(separator: ", "))")
            }
            var samples: [(time: Double, celsius: Double)] = [], lines: [Int] = []
            for (k, (time, v)) in zip(h.times, t.values).enumerated() where v.isFinite {
                samples.append((time, v)); lines.append(k + 1)
            }
            guard !samples.isEmpty else { throw .empty(path: path) }
            return (TemperatureLog(samples: samples, lines: lines), h)
        }
        return (try TemperatureLog.read(path: path).shifted(by: options.clockOffset), nil)
    }

    /// Every channel of the holder log at `time` ("title": value), when the log has channels.
    public func channels(at time: Double) -> [String: Double] {
        guard let holder else { return [:] }
        var out: [String: Double] = [:]
        for c in holder.channels { if let v = holder.value(of: c.name, at: time) { out[c.title] = v } }
        return out
    }

    /// ``channels(at:)`` as the JSON stored in `frames.holder` (sorted keys); nil without channels.
    public func channelsJSON(at time: Double) -> String? {
        let channels = channels(at: time)
        guard !channels.isEmpty else { return nil }
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return (try? e.encode(channels)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Where a reading comes from, as stored in `frames.temperature_source`: the file and line of a
    /// "time, °C" log, the file and sample number of a holder's own format.
    public func source(line: Int) -> String { holder == nil ? "\(path):\(line)" : "\(path) sample \(line)" }

    static func key(_ path: String) -> FileKey? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileKey(size: Int64(st.st_size), mtime: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) * 1e-9,
                       inode: UInt64(st.st_ino))
    }

    /// Reads the file again if it changed since the last read; returns whether new samples came.
    @discardableResult
    public mutating func refresh() -> Bool {
        let k = Self.key(path)
        guard k != key else { return false }
        key = k
        do {
            let (fresh, h) = try Self.read(path, options: options)
            let changed = fresh != log
            log = fresh
            holder = h
            lastError = nil
            return changed
        } catch {
            lastError = error.description
            return false
        }
    }

    /// The temperature at `time` and the log line it comes from, reading the file again first when
    /// `time` lies after the last sample known.
    public mutating func reading(at time: Double) -> (celsius: Double, line: Int)? {
        if let span = log?.span, time <= span.upperBound, time >= span.lowerBound { return log?.reading(at: time) }
        refresh()
        return log?.reading(at: time)
    }
}

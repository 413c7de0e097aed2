import Foundation

/// A heating holder's temperature log: "timestamp, temperature" lines (CSV, tab or semicolon; with
/// a semicolon or tab a decimal comma is read as a decimal separator),
/// timestamps as ISO 8601 ("2026-11-25T12:00:01Z", "2026-11-25 12:00:01.250", local time
/// if no zone) or seconds since 1970; temperatures in °C. Frames get the linearly interpolated
/// temperature at their acquisition time; outside the log's span, nil (never extrapolated).
public struct TemperatureLog: Sendable, Equatable {
    /// (time in seconds since 1970, temperature °C), ascending in time.
    public private(set) var samples: [(time: Double, celsius: Double)]
    /// The file line of each sample (1-based; 0 when built from values).
    public private(set) var lines: [Int] = []

    public static func == (a: TemperatureLog, b: TemperatureLog) -> Bool {
        a.samples.map(\.time) == b.samples.map(\.time) && a.samples.map(\.celsius) == b.samples.map(\.celsius)
    }

    public enum LogError: Error, CustomStringConvertible, Equatable {
        case unreadable(path: String)
        case malformed(path: String, line: Int, text: String)
        case empty(path: String)
        /// A Protochips or DENSsolutions log that its reader refused.
        case holderFormat(path: String, reason: String)
        public var description: String {
            switch self {
            case .unreadable(let p): return "\(p): cannot read the temperature log"
            case .malformed(let p, let l, let t): return "\(p) line \(l): expected 'timestamp, temperature', got '\(t)'"
            case .empty(let p): return "\(p): the temperature log has no samples"
            case .holderFormat(let p, let r): return "\(p): cannot read the holder log (\(r))"
            }
        }
    }

    public init(samples: [(time: Double, celsius: Double)], lines: [Int]? = nil) {
        let order = samples.indices.sorted { samples[$0].time < samples[$1].time }
        self.samples = order.map { samples[$0] }
        self.lines = lines.map { l in order.map { l[$0] } } ?? [Int](repeating: 0, count: samples.count)
    }

    /// The same log with every time shifted by `offset` seconds (the holder PC's clock put on the
    /// microscope's).
    public func shifted(by offset: Double) -> TemperatureLog {
        guard offset != 0 else { return self }
        return TemperatureLog(samples: samples.map { (time: $0.time + offset, celsius: $0.celsius) }, lines: lines)
    }

    /// Time span of the samples, s.
    public var span: ClosedRange<Double>? {
        guard let a = samples.first?.time, let b = samples.last?.time else { return nil }
        return a...b
    }

    public static func read(path: String) throws(LogError) -> TemperatureLog {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw .unreadable(path: path) }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String = "temperature log") throws(LogError) -> TemperatureLog {
        var samples: [(Double, Double)] = []
        var lines: [Int] = []
        let all = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        // One delimiter per file: ';' or tab when the lines have one (then a decimal comma is a
        // decimal separator: "23,5" is 23.5 °C), else ','.
        let sample = all.prefix(50).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("#") }
        let delimiter: Character = sample.contains { $0.contains(";") } ? ";" : sample.contains { $0.contains("\t") } ? "\t" : ","
        func number(_ s: String) -> Double? {
            if let v = Double(s) { return v }
            return delimiter != "," ? Double(s.replacingOccurrences(of: ",", with: ".")) : nil
        }
        for (i, raw) in all.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: delimiter, omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 2, let t = timestamp(fields[0]), let c = number(fields[1]) else {
                if samples.isEmpty && i == 0 { continue }   // header line
                throw .malformed(path: path, line: i + 1, text: line)
            }
            samples.append((t, c))
            lines.append(i + 1)
        }
        guard !samples.isEmpty else { throw .empty(path: path) }
        return TemperatureLog(samples: samples.map { (time: $0.0, celsius: $0.1) }, lines: lines)
    }

    /// Seconds since 1970 from ISO 8601 (with or without zone, "T" or space, fractional seconds)
    /// or a plain number.
    static func timestamp(_ s: String) -> Double? {
        if let v = Double(s) { return v }
        var text = s.replacingOccurrences(of: " ", with: "T")
        var zone = TimeZone.current
        if text.hasSuffix("Z") { text.removeLast(); zone = TimeZone(identifier: "UTC")! }
        else if let r = text.range(of: "[+-][0-9]{2}:?[0-9]{2}$", options: .regularExpression) {
            let z = text[r].replacingOccurrences(of: ":", with: "")
            let sign = z.hasPrefix("-") ? -1 : 1
            let hours = Int(z.dropFirst().prefix(2)) ?? 0, minutes = Int(z.suffix(2)) ?? 0
            zone = TimeZone(secondsFromGMT: sign * (hours * 3600 + minutes * 60)) ?? zone
            text = String(text[..<r.lowerBound])
        }
        var fraction = 0.0
        if let dot = text.firstIndex(of: ".") {
            fraction = Double("0" + text[dot...]) ?? 0
            text = String(text[..<dot])
        }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        guard let d = f.date(from: text) else { return nil }
        return d.timeIntervalSince1970 + fraction
    }

    /// Temperature (°C) at `time` (seconds since 1970), linearly interpolated; nil outside the log.
    public func temperature(at time: Double) -> Double? { reading(at: time)?.celsius }

    /// The interpolated temperature at `time` and the file line of the later of the two samples
    /// it comes from; nil outside the log.
    public func reading(at time: Double) -> (celsius: Double, line: Int)? {
        guard let first = samples.first, let last = samples.last, time >= first.time, time <= last.time else { return nil }
        var lo = 0, hi = samples.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if samples[mid].time <= time { lo = mid } else { hi = mid }
        }
        let a = samples[lo], b = samples[hi]
        let line = lines.isEmpty ? 0 : lines[hi]
        if b.time == a.time { return (a.celsius, line) }
        return (a.celsius + (b.celsius - a.celsius) * (time - a.time) / (b.time - a.time), line)
    }
}

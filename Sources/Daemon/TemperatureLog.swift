import Foundation

/// A heating holder's temperature log: "timestamp, temperature" lines (CSV, tab or semicolon),
/// timestamps as ISO 8601 ("2026-11-25T12:00:01Z", "2026-11-25 12:00:01.250", local time
/// if no zone) or seconds since 1970; temperatures in °C. Frames get the linearly interpolated
/// temperature at their acquisition time; outside the log's span, nil (never extrapolated).
public struct TemperatureLog: Sendable, Equatable {
    /// (time in seconds since 1970, temperature °C), ascending in time.
    public private(set) var samples: [(time: Double, celsius: Double)]

    public static func == (a: TemperatureLog, b: TemperatureLog) -> Bool {
        a.samples.map(\.time) == b.samples.map(\.time) && a.samples.map(\.celsius) == b.samples.map(\.celsius)
    }

    public enum LogError: Error, CustomStringConvertible, Equatable {
        case unreadable(path: String)
        case malformed(path: String, line: Int, text: String)
        case empty(path: String)
        public var description: String {
            switch self {
            case .unreadable(let p): return "\(p): cannot read the temperature log"
            case .malformed(let p, let l, let t): return "\(p) line \(l): expected 'timestamp, temperature', got '\(t)'"
            case .empty(let p): return "\(p): the temperature log has no samples"
            }
        }
    }

    public init(samples: [(time: Double, celsius: Double)]) {
        self.samples = samples.sorted { $0.time < $1.time }
    }

    public static func read(path: String) throws(LogError) -> TemperatureLog {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw .unreadable(path: path) }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String = "temperature log") throws(LogError) -> TemperatureLog {
        var samples: [(Double, Double)] = []
        for (i, raw) in text.split(whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == "," || $0 == "\t" || $0 == ";" })
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 2, let t = timestamp(fields[0]), let c = Double(fields[1]) else {
                if samples.isEmpty && i == 0 { continue }   // header line
                throw .malformed(path: path, line: i + 1, text: line)
            }
            samples.append((t, c))
        }
        guard !samples.isEmpty else { throw .empty(path: path) }
        return TemperatureLog(samples: samples.map { (time: $0.0, celsius: $0.1) })
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
    public func temperature(at time: Double) -> Double? {
        guard let first = samples.first, let last = samples.last, time >= first.time, time <= last.time else { return nil }
        var lo = 0, hi = samples.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if samples[mid].time <= time { lo = mid } else { hi = mid }
        }
        let a = samples[lo], b = samples[hi]
        if b.time == a.time { return a.celsius }
        return a.celsius + (b.celsius - a.celsius) * (time - a.time) / (b.time - a.time)
    }
}

import Foundation

/// Protochips Fusion/Atmosphere/AXON CSV logs.
///
/// Line 1 is `Time, Notes, <channel>…`. The rows right after it carry `key = value` header lines
/// in the Notes column (`Date (yyyy.mm.dd) = 2014.11.05`, `Time (hh:mm:ss.ms) = 14:42:51.369`,
/// `Time units = Milliseconds`, `Temperature units = Degrees C`, …, `User agreeing to terms = …`);
/// these header rows are not samples (RosettaSciIO skips them too). Every later row is a sample:
/// elapsed time in `Time units` since the header's date and time, then the channels.
enum ProtochipsLog {
    static func read(_ text: LogText, path: String, options: HolderLogReader.Options) throws(HolderLogError) -> HolderLog {
        let lines = text.lines
        guard let headerIndex = lines.firstIndex(where: { !$0.text.allSatisfy(\.isWhitespace) }) else { throw .empty(path: path) }
        let names = Fields.split(lines[headerIndex].text, by: ",")
        guard names.count >= 3 else {
            throw .malformed(path: path, format: .protochips, line: lines[headerIndex].number,
                             reason: "the header names no channel after `Time, Notes`")
        }
        // Header rows: consecutive rows whose Notes field is `key = value`.
        var settings: [String: String] = [:]
        var i = headerIndex + 1
        while i < lines.count {
            let f = Fields.split(lines[i].text, by: ",")
            guard f.count >= 2, let eq = f[1].range(of: " = ") else { break }
            settings[String(f[1][..<eq.lowerBound]).trimmingSpaces] = String(f[1][eq.upperBound...]).trimmingSpaces
            i += 1
        }
        let headerEnd = lines[max(headerIndex, i - 1)].number
        func need(_ key: String, _ what: String) throws(HolderLogError) -> String {
            guard let v = settings[key] else {
                let found = settings.keys.sorted().map { "`\($0)`" }.joined(separator: ", ")
                throw .malformed(path: path, format: .protochips, line: headerEnd,
                                 reason: "the header has no `\(key) = …` line (\(what)); it has \(found.isEmpty ? "no header lines" : found)")
            }
            return v
        }
        let dateText = try need("Date (yyyy.mm.dd)", "the start date")
        let timeText = try need("Time (hh:mm:ss.ms)", "the start time")
        let unitText = try need("Time units", "milliseconds or seconds")
        let timeScale: Double
        switch unitText.lowercased() {
        case "milliseconds", "ms": timeScale = 0.001
        case "seconds", "s": timeScale = 1
        default:
            throw .malformed(path: path, format: .protochips, line: headerEnd,
                             reason: "unknown time unit `\(unitText)` (expected Milliseconds or Seconds)")
        }
        let d = dateText.split(separator: ".")
        guard d.count == 3, let y = Int(d[0]), let m = Int(d[1]), let day = Int(d[2]),
              let midnight = CivilTime.midnight(year: y, month: m, day: day),
              let clock = CivilTime.clock(Substring(timeText))
        else {
            throw .malformed(path: path, format: .protochips, line: headerEnd,
                             reason: "cannot read the start `\(dateText) \(timeText)` (expected yyyy.mm.dd and hh:mm:ss.ms)")
        }
        let headerStart = midnight + clock
        // Channel units come from `<Quantity> units = …`, the quantity being the name's last word.
        var columns: [SampleTable.Column] = []
        for (k, name) in names.enumerated() where k >= 2 {
            let quantity = name.split(separator: " ").last.map(String.init) ?? String(name)
            let unit = settings.first { $0.key.lowercased() == quantity.lowercased() + " units" }?.value
            columns.append(.init(index: k, part: nil, name: String(name), unit: unit))
        }
        let table = SampleTable(path: path, format: .protochips, delimiter: ",", decimalComma: false,
                                fieldCounts: names.count...names.count, headerCount: names.count,
                                columns: columns, options: options)
        let result = try table.read(rows: lines[i...]) { (fields, line) throws(HolderLogError) -> Double in
            guard let t = Double(fields[0]) else {
                throw .badTime(path: path, line: line, text: String(fields[0]), expected: "elapsed \(unitText.lowercased())")
            }
            return headerStart + t * timeScale
        }
        return HolderLog(format: .protochips, start: result.times.first, headerStart: headerStart,
                         times: result.times, channels: result.channels, skippedRows: result.skipped)
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String { String(Fields.trim(Substring(self))) }
}

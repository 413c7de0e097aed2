import Foundation

/// DENSsolutions Impulse CSV logs (`… _Synchronized data.csv`, `… _Heat raw.csv`).
///
/// Line 1 is `TimeStamp,Experiment time,<channel>…`; rows hold the holder PC's wall-clock stamp
/// `hh:mm:ss.fff`, the elapsed experiment time in s, then the channels (`Temperature Measured
/// (degC)`, `MixValve` as three `;`-separated valve states, pressures, gas fractions, mass
/// spectrometer channels). The date is in `<experiment>_Metadata.log` next to the file
/// (`Experiment date, dd-mm-yyyy`, `Experiment time, hh:mm:ss`). With it, sample times are that
/// date plus each wall-clock stamp (millisecond resolution; a day added when the clock wraps);
/// without it, times are the elapsed experiment times and `start` is nil.
enum ImpulseLog {
    static func read(_ text: LogText, path: String, options: HolderLogReader.Options) throws(HolderLogError) -> HolderLog {
        let lines = text.lines
        guard let h = lines.firstIndex(where: { !$0.text.allSatisfy(\.isWhitespace) }) else { throw .empty(path: path) }
        let names = Fields.split(lines[h].text, by: ",")
        guard names.count >= 3 else {
            throw .malformed(path: path, format: .densImpulse, line: lines[h].number,
                             reason: "the header names no channel after `TimeStamp,Experiment time`")
        }
        let dataStart = h + 1
        let firstRow = lines[dataStart...].first { !$0.text.allSatisfy(\.isWhitespace) }
        let firstFields = firstRow.map { Fields.split($0.text, by: ",") } ?? []
        var columns: [SampleTable.Column] = []
        for (k, name) in names.enumerated() where k >= 2 {
            let (n, u) = Fields.nameAndUnit(name)
            let parts = k < firstFields.count ? firstFields[k].split(separator: ";").count : 1
            if parts > 1 {
                for p in 0..<parts { columns.append(.init(index: k, part: p, name: "\(n) \(p + 1)", unit: u)) }
            } else {
                columns.append(.init(index: k, part: nil, name: n, unit: u))
            }
        }
        let (date, headerStart) = metadata(for: path)
        let table = SampleTable(path: path, format: .densImpulse, delimiter: ",", decimalComma: false,
                                fieldCounts: names.count...names.count, headerCount: names.count,
                                columns: columns, options: options)
        var day = 0.0
        var previousClock: Double?
        let result = try table.read(rows: lines[dataStart...]) { (fields, line) throws(HolderLogError) -> Double in
            guard let date else {
                guard let elapsed = Double(fields[1]) else {
                    throw .badTime(path: path, line: line, text: String(fields[1]), expected: "elapsed seconds")
                }
                return elapsed
            }
            guard let clock = CivilTime.clock(fields[0]) else {
                throw .badTime(path: path, line: line, text: String(fields[0]), expected: "a clock time hh:mm:ss.fff")
            }
            if let p = previousClock, clock < p - 43_200 { day += 86_400 }
            else if previousClock == nil, let hs = headerStart, clock < hs - date - 60 { day += 86_400 }
            previousClock = clock
            return date + day + clock
        }
        return HolderLog(format: .densImpulse, start: date == nil ? nil : result.times.first, headerStart: headerStart,
                         times: result.times, channels: result.channels, skippedRows: result.skipped)
    }

    /// The experiment's date (Unix s of midnight) and start (Unix s) from the `_Metadata.log`
    /// next to `path`; nil when there is no such file or it holds no readable date.
    /// The date is read day first (`06-08-2021` is 6 August), as Impulse writes it.
    static func metadata(for path: String) -> (date: Double?, start: Double?) {
        let url = URL(fileURLWithPath: path)
        let base = url.deletingPathExtension().lastPathComponent
        guard let cut = base.lastIndex(of: "_") else { return (nil, nil) }
        let metaPath = url.deletingLastPathComponent().appendingPathComponent(String(base[..<cut]) + "_Metadata.log").path
        guard let meta = try? LogText.load(path: metaPath, maxBytes: 1 << 20) else { return (nil, nil) }
        var date: Double?, clock: Double?
        for line in meta.lines {
            guard let comma = line.text.firstIndex(of: ",") else { continue }
            let key = Fields.trim(line.text[..<comma]), value = Fields.trim(line.text[line.text.index(after: comma)...])
            if key == "Experiment date" {
                let p = value.split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." })
                if p.count == 3, let a = Int(p[0]), let b = Int(p[1]), let y = Int(p[2]) {
                    // Day first unless that is impossible (then month first).
                    date = CivilTime.midnight(year: y, month: b, day: a) ?? CivilTime.midnight(year: y, month: a, day: b)
                }
            } else if key == "Experiment time" {
                clock = CivilTime.clock(value)
            }
        }
        guard let date else { return (nil, nil) }
        return (date, clock.map { date + $0 })
    }
}

import Foundation

/// DENSsolutions DigiHeater `.dens` logs (tab separated).
///
/// Layout: an optional blank line; `dd/mm/'yy hh:mm<TAB>Digiheater x.y` (the minute the log was
/// opened); calibration and sample-time lines; the header `sample time Tset[C] Tmeas[C]
/// Rheat[ohm] Vheat[V] Iheat[mA] Pheat [mW] c`; then rows of sample number, clock time
/// `hh:mm:ss.ff`, the values, and one unnamed status word (`norm`, `fine`). Sample times are the
/// header's date plus each clock time (a day added each time the clock wraps past midnight).
enum DigiHeaterLog {
    static func read(_ text: LogText, path: String, options: HolderLogReader.Options) throws(HolderLogError) -> HolderLog {
        let lines = text.lines
        guard let h = FormatDetection.digiHeaterHeader(text) else {
            throw .malformed(path: path, format: .densDigiHeater, line: nil, reason: "no `sample<TAB>time<TAB>…` column header")
        }
        // The date line: `16/04/'15 13:53`.
        var headerStart: Double?
        for line in lines[..<h] {
            let first = Fields.split(line.text, by: "\t")[0]
            let parts = first.split(separator: " ")
            guard parts.count == 2 else { continue }
            let dmy = parts[0].replacingOccurrences(of: "'", with: "").split(separator: "/")
            guard dmy.count == 3, let d = Int(dmy[0]), let m = Int(dmy[1]), var y = Int(dmy[2]),
                  let clock = CivilTime.clock(parts[1]) else { continue }
            if y < 100 { y += 2000 }
            if let midnight = CivilTime.midnight(year: y, month: m, day: d) { headerStart = midnight + clock; break }
        }
        guard let headerStart else {
            throw .malformed(path: path, format: .densDigiHeater, line: lines[h].number,
                             reason: "no start date line (`dd/mm/'yy hh:mm`) before the column header")
        }
        var names = Fields.split(lines[h].text, by: "\t")
        while names.last?.isEmpty == true { names.removeLast() }
        guard names.count >= 3, !names.contains(where: \.isEmpty) else {
            throw .malformed(path: path, format: .densDigiHeater, line: lines[h].number, reason: "the column header has empty names")
        }
        var columns: [SampleTable.Column] = []
        for (k, name) in names.enumerated() where k >= 2 {
            let (n, u) = Fields.nameAndUnit(name)
            columns.append(.init(index: k, part: nil, name: n, unit: u))
        }
        guard columns.contains(where: { $0.name == "Tmeas" }) else {
            throw .malformed(path: path, format: .densDigiHeater, line: lines[h].number,
                             reason: "the column header has no `Tmeas[C]` (measured temperature) column")
        }
        let table = SampleTable(path: path, format: .densDigiHeater, delimiter: "\t", decimalComma: false,
                                fieldCounts: names.count...(names.count + 1), headerCount: names.count,
                                columns: columns, options: options)
        let midnight = (headerStart / 86_400).rounded(.down) * 86_400
        var day = 0.0
        var previousClock: Double?
        let result = try table.read(rows: lines[(h + 1)...]) { (fields, line) throws(HolderLogError) -> Double in
            guard let clock = CivilTime.clock(fields[1]) else {
                throw .badTime(path: path, line: line, text: String(fields[1]), expected: "a clock time hh:mm:ss.ff")
            }
            if let p = previousClock {
                if clock < p - 43_200 { day += 86_400 }
            } else if clock < headerStart - midnight - 60 {
                day += 86_400 // the first sample is already past midnight
            }
            previousClock = clock
            return midnight + day + clock
        }
        return HolderLog(format: .densDigiHeater, start: result.times.first, headerStart: headerStart,
                         times: result.times, channels: result.channels, skippedRows: result.skipped)
    }
}

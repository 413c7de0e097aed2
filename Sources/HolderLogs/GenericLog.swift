import Foundation

/// Generic delimited holder logs: a header line naming the columns, then one row per sample.
///
/// The delimiter (`,` `;` or tab) is the most frequent of the three in the header line unless
/// `Options.delimiter` is set. Numbers use a decimal comma when `Options.decimalComma` says so,
/// or, by default, when the delimiter is `;` or tab and numeric fields hold a `,` (European
/// locale: `2026-12-01T10:00:00;23,5` is 23.5 °C). The time column and its kind come from the
/// options or are detected (see `HolderLogReader.Options`); every other column whose fields are
/// numbers becomes a channel, text columns (notes) are left out. Units are read from
/// `Name (unit)` or `Name [unit]` headers.
enum GenericLog {
    /// Rows inspected to tell numeric from text columns and to detect a decimal comma.
    static let sniffRows = 50

    /// The most frequent of `,` `;` tab in a header line (ties: tab, then `;`), nil if none.
    static func delimiter(of header: Substring) -> Character? {
        var counts: [(Character, Int)] = [("\t", 0), (";", 0), (",", 0)]
        for c in header {
            if let k = counts.firstIndex(where: { $0.0 == c }) { counts[k].1 += 1 }
        }
        let best = counts.max { $0.1 < $1.1 }!
        return best.1 > 0 ? best.0 : nil
    }

    static func read(_ text: LogText, path: String, options: HolderLogReader.Options) throws(HolderLogError) -> HolderLog {
        let lines = text.lines
        guard let h = lines.firstIndex(where: { !$0.text.allSatisfy(\.isWhitespace) }) else { throw .empty(path: path) }
        guard let delimiter = options.delimiter ?? delimiter(of: lines[h].text) else { throw .unknownFormat(path: path) }
        let names = Fields.split(lines[h].text, by: delimiter)
        guard names.count >= 2 else {
            throw .malformed(path: path, format: .generic, line: lines[h].number,
                             reason: "the header line names \(names.count) column with the delimiter `\(delimiter)`; a log needs a time column and a channel")
        }
        if names.count > options.maxColumns { throw .tooManyValues(path: path, what: "columns", limit: options.maxColumns) }
        let sample = Array(lines[(h + 1)...].lazy.filter { !$0.text.allSatisfy(\.isWhitespace) }.prefix(sniffRows)
            .map { Fields.split($0.text, by: delimiter) }.filter { $0.count == names.count })
        guard let firstRow = sample.first else { throw .noSamples(path: path) }

        let timeIndex: Int
        if let wanted = options.timeColumn {
            guard let k = names.firstIndex(where: { $0.lowercased() == wanted.lowercased() || Fields.nameAndUnit($0).name.lowercased() == wanted.lowercased() })
            else { throw .columnNotFound(path: path, name: wanted, available: names.map(String.init)) }
            timeIndex = k
        } else {
            timeIndex = names.firstIndex { $0.lowercased().contains("time") || $0.lowercased().contains("date") } ?? 0
        }
        let decimalComma = options.decimalComma ?? (delimiter != "," && sample.contains { row in
            row.enumerated().contains { k, f in k != timeIndex && f.contains(",") && Fields.number(f, decimalComma: true) != nil }
        })
        let kind: HolderLogReader.TimeKind
        if let k = options.timeKind { kind = k }
        else if CivilTime.iso8601(firstRow[timeIndex]) != nil { kind = .iso8601 }
        else if let v = Fields.number(firstRow[timeIndex], decimalComma: decimalComma), !v.isNaN {
            kind = v > 1e8 ? .epochSeconds : .elapsedSeconds(start: nil)
        } else {
            throw .badTime(path: path, line: lines[h].number + 1, text: String(firstRow[timeIndex]),
                           expected: "an ISO 8601 date-time, Unix seconds or elapsed seconds in column \"\(names[timeIndex])\"")
        }
        var columns: [SampleTable.Column] = []
        for (k, name) in names.enumerated() where k != timeIndex {
            let numeric = sample.allSatisfy { Fields.number($0[k], decimalComma: decimalComma) != nil }
            guard numeric else { continue }
            let (n, u) = Fields.nameAndUnit(name)
            columns.append(.init(index: k, part: nil, name: n.isEmpty ? "Column \(k + 1)" : n, unit: u))
        }
        guard !columns.isEmpty else {
            throw .malformed(path: path, format: .generic, line: lines[h].number, reason: "no column besides the time holds numbers")
        }
        let table = SampleTable(path: path, format: .generic, delimiter: delimiter, decimalComma: decimalComma,
                                fieldCounts: names.count...names.count, headerCount: names.count,
                                columns: columns, options: options)
        let timeName = String(names[timeIndex])
        let result = try table.read(rows: lines[(h + 1)...]) { (fields, line) throws(HolderLogError) -> Double in
            let f = fields[timeIndex]
            switch kind {
            case .iso8601:
                guard let t = CivilTime.iso8601(f) else {
                    throw .badTime(path: path, line: line, text: String(f), expected: "an ISO 8601 date-time in \"\(timeName)\"")
                }
                return t
            case .epochSeconds, .elapsedSeconds:
                guard let v = Fields.number(f, decimalComma: decimalComma), !v.isNaN else {
                    throw .badTime(path: path, line: line, text: String(f), expected: "seconds in \"\(timeName)\"")
                }
                if case .elapsedSeconds(let start?) = kind { return start + v }
                return v
            }
        }
        let known: Bool
        if case .elapsedSeconds(nil) = kind { known = false } else { known = true }
        return HolderLog(format: .generic, start: known ? result.times.first : nil,
                         headerStart: { if case .elapsedSeconds(let s?) = kind { return s } else { return nil } }(),
                         times: result.times, channels: result.channels, skippedRows: result.skipped)
    }
}

import Foundation

/// The data rows of a log turned into sample times and channels, with the checks every format
/// shares: field counts (within a tolerance), numbers, time order, size limits and the clock
/// offset.
struct SampleTable {
    /// A channel's source: field `index` of each row, or part `part` of a `;`-separated field
    /// (Impulse's `MixValve` holds three valve states as `0; 0; 0`).
    struct Column {
        var index: Int
        var part: Int?
        var name: String
        var unit: String?
    }

    var path: String
    var format: HolderLog.Format
    var delimiter: Character
    var decimalComma: Bool
    /// Field counts a good row may have (DigiHeater rows carry one unnamed status field).
    var fieldCounts: ClosedRange<Int>
    /// The count quoted in an error message (the header's column count).
    var headerCount: Int
    var columns: [Column]
    var options: HolderLogReader.Options

    /// Reads `rows` (blank lines skipped). `time` returns a row's time in seconds on the log's
    /// own axis (Unix s or elapsed s, before the clock offset).
    func read(rows: ArraySlice<LogText.Line>,
              time: ([Substring], Int) throws(HolderLogError) -> Double) throws(HolderLogError)
        -> (times: [Double], channels: [HolderLog.Channel], skipped: Int)
    {
        if headerCount > options.maxColumns {
            throw .tooManyValues(path: path, what: "columns", limit: options.maxColumns)
        }
        let dataRows = rows.filter { !$0.text.allSatisfy(\.isWhitespace) }
        if dataRows.isEmpty { throw .noSamples(path: path) }
        if dataRows.count > options.maxRows { throw .tooManyValues(path: path, what: "rows", limit: options.maxRows) }
        let allowedBad = Int(options.maxBadRowFraction * Double(dataRows.count))
        var times: [Double] = []
        times.reserveCapacity(dataRows.count)
        var values = [[Double]](repeating: [], count: columns.count)
        for k in values.indices { values[k].reserveCapacity(dataRows.count) }
        var bad = 0
        var firstBad: (line: Int, found: Int)?
        for (r, row) in dataRows.enumerated() {
            let fields = Fields.split(row.text, by: delimiter)
            guard fieldCounts.contains(fields.count) else {
                bad += 1
                if firstBad == nil { firstBad = (row.number, fields.count) }
                let isLastOnly = bad == 1 && r == dataRows.count - 1
                if bad > allowedBad && !isLastOnly {
                    let later = dataRows[(r + 1)...].count(where: { !fieldCounts.contains(Fields.split($0.text, by: delimiter).count) })
                    throw .wrongFieldCount(path: path, line: firstBad!.line, found: firstBad!.found,
                                           expected: headerCount, badRows: bad + later, rows: dataRows.count)
                }
                continue
            }
            let t = try time(fields, row.number)
            guard t.isFinite else { throw .badTime(path: path, line: row.number, text: String(fields.first ?? ""), expected: "a finite time") }
            if let previous = times.last, t < previous {
                throw .timeNotMonotonic(path: path, line: row.number, previous: previous, current: t)
            }
            times.append(t)
            for (k, column) in columns.enumerated() {
                var field = fields[column.index]
                if let part = column.part {
                    let parts = field.split(separator: ";", omittingEmptySubsequences: false)
                    guard part < parts.count else {
                        throw .notANumber(path: path, line: row.number, column: column.name, text: String(field))
                    }
                    field = Fields.trim(parts[part])
                }
                guard let v = Fields.number(field, decimalComma: decimalComma) else {
                    throw .notANumber(path: path, line: row.number, column: column.name, text: String(field))
                }
                values[k].append(v)
            }
        }
        if times.isEmpty { throw .noSamples(path: path) }
        let channels = zip(columns, values).map { HolderLog.Channel(name: $0.name, unit: $0.unit, values: $1) }
        return (times, channels, bad)
    }
}

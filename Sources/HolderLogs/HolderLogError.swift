/// Why a holder log could not be read; `description` is a sentence a microscopist can act on.
public enum HolderLogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or read (missing, permissions, a directory).
    case cannotOpen(path: String, reason: String)
    /// The file holds no bytes, or only blank lines.
    case empty(path: String)
    /// The file is larger than `Options.maxBytes`.
    case tooLarge(path: String, bytes: Int, limit: Int)
    /// The file holds binary data (NUL or other control bytes), not a text log.
    case notText(path: String)
    /// The content matches none of the known holder formats and has no usable header line.
    case unknownFormat(path: String)
    /// The file looks like the given format but breaks its rules; `reason` says where and how.
    case malformed(path: String, format: HolderLog.Format, line: Int?, reason: String)
    /// Too many rows had the wrong number of fields (more than `Options.maxBadRowFraction`).
    case wrongFieldCount(path: String, line: Int, found: Int, expected: Int, badRows: Int, rows: Int)
    /// A field that must be a number is not.
    case notANumber(path: String, line: Int, column: String, text: String)
    /// The time column goes backwards: the log was appended to, merged or edited.
    case timeNotMonotonic(path: String, line: Int, previous: Double, current: Double)
    /// A header was found but no data row follows it.
    case noSamples(path: String)
    /// More rows or columns than `Options.maxRows` / `Options.maxColumns`.
    case tooManyValues(path: String, what: String, limit: Int)
    /// A column asked for in the options is not in the header.
    case columnNotFound(path: String, name: String, available: [String])
    /// A time stamp could not be read.
    case badTime(path: String, line: Int, text: String, expected: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "Cannot open the holder log \(path): \(reason)."
        case let .empty(path):
            return "The holder log \(path) is empty: the holder software wrote nothing (yet)."
        case let .tooLarge(path, bytes, limit):
            return "The holder log \(path) is \(bytes) bytes, more than the \(limit)-byte limit; is it really a holder log?"
        case let .notText(path):
            return "\(path) holds binary data, not a text holder log (Protochips .csv, DENSsolutions .dens / Impulse .csv, or a CSV with a header)."
        case let .unknownFormat(path):
            return "\(path) is not a heating-holder log this reader knows: no Protochips `Time, Notes, …` header, no DENSsolutions DigiHeater or Impulse header, and no generic header line with a time column."
        case let .malformed(path, format, line, reason):
            let at = line.map { " (line \($0))" } ?? ""
            return "\(path) is not a valid \(format.displayName) log\(at): \(reason)."
        case let .wrongFieldCount(path, line, found, expected, badRows, rows):
            return "\(path) line \(line) has \(found) fields where the header names \(expected); \(badRows) of \(rows) data rows are like that, too many to skip: wrong delimiter, or a damaged log."
        case let .notANumber(path, line, column, text):
            return "\(path) line \(line): column \"\(column)\" holds \"\(text)\", not a number."
        case let .timeNotMonotonic(path, line, previous, current):
            return "\(path) line \(line): time goes backwards (\(current) s after \(previous) s); the log was appended to or edited, split it before reading."
        case let .noSamples(path):
            return "The holder log \(path) has a header but no data rows."
        case let .tooManyValues(path, what, limit):
            return "The holder log \(path) has more than \(limit) \(what); refusing to read it."
        case let .columnNotFound(path, name, available):
            return "\(path) has no column \"\(name)\"; its columns are: \(available.joined(separator: ", "))."
        case let .badTime(path, line, text, expected):
            return "\(path) line \(line): cannot read the time \"\(text)\" (expected \(expected))."
        }
    }
}

extension HolderLog.Format {
    /// The holder software's name as a microscopist knows it.
    public var displayName: String {
        switch self {
        case .protochips: return "Protochips (Fusion/Atmosphere/AXON)"
        case .densDigiHeater: return "DENSsolutions DigiHeater (.dens)"
        case .densImpulse: return "DENSsolutions Impulse"
        case .generic: return "generic CSV"
        }
    }
}

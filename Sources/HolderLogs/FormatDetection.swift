/// Telling a holder log's format from its first lines.
enum FormatDetection {
    /// Lines inspected for a DigiHeater header (it follows a blank line, the date line, the
    /// calibration line and the sample-time line).
    static let digiHeaterHeaderSearch = 12

    /// The format of `text`; `delimiter` (the caller's override) also marks a generic log.
    static func detect(_ text: LogText, path: String, delimiter: Character? = nil) throws(HolderLogError) -> HolderLog.Format {
        guard let first = text.lines.first(where: { !$0.text.allSatisfy(\.isWhitespace) }) else {
            throw .empty(path: path)
        }
        let commaFields = Fields.split(first.text, by: ",")
        if commaFields.count >= 2, commaFields[0] == "Time", commaFields[1] == "Notes" { return .protochips }
        if commaFields.count >= 2, commaFields[0] == "TimeStamp", commaFields[1] == "Experiment time" { return .densImpulse }
        if digiHeaterHeader(text) != nil { return .densDigiHeater }
        if let d = delimiter, first.text.contains(d) { return .generic }
        if GenericLog.delimiter(of: first.text) != nil { return .generic }
        throw .unknownFormat(path: path)
    }

    /// Index in `text.lines` of the DigiHeater column header (`sample<TAB>time<TAB>…`).
    static func digiHeaterHeader(_ text: LogText) -> Int? {
        for (i, line) in text.lines.prefix(digiHeaterHeaderSearch).enumerated() {
            let f = Fields.split(line.text, by: "\t")
            if f.count >= 3, f[0].lowercased() == "sample", f[1].lowercased() == "time" { return i }
        }
        return nil
    }
}

import Foundation

/// Splitting a delimited line into fields and reading numbers from them.
enum Fields {
    /// The fields of `line`, each trimmed of surrounding spaces; a field wrapped in double quotes
    /// may hold the delimiter (`""` inside it is one quote).
    static func split(_ line: Substring, by delimiter: Character) -> [Substring] {
        if !line.contains("\"") {
            return line.split(separator: delimiter, omittingEmptySubsequences: false).map(trim)
        }
        var fields: [Substring] = []
        var i = line.startIndex, fieldStart = i, inQuotes = false
        while i < line.endIndex {
            let c = line[i]
            if c == "\"" { inQuotes.toggle() }
            else if c == delimiter && !inQuotes {
                fields.append(unquote(trim(line[fieldStart..<i])))
                fieldStart = line.index(after: i)
            }
            i = line.index(after: i)
        }
        fields.append(unquote(trim(line[fieldStart..<line.endIndex])))
        return fields
    }

    /// `s` without leading and trailing spaces, tabs and CR.
    static func trim(_ s: Substring) -> Substring {
        var lo = s.startIndex, hi = s.endIndex
        while lo < hi, s[lo] == " " || s[lo] == "\t" || s[lo] == "\r" { lo = s.index(after: lo) }
        while hi > lo {
            let before = s.index(before: hi)
            guard s[before] == " " || s[before] == "\t" || s[before] == "\r" else { break }
            hi = before
        }
        return s[lo..<hi]
    }

    static func unquote(_ s: Substring) -> Substring {
        guard s.count >= 2, s.first == "\"", s.last == "\"" else { return s }
        let inner = s.dropFirst().dropLast()
        return inner.contains("\"\"") ? Substring(inner.replacingOccurrences(of: "\"\"", with: "\"")) : inner
    }

    /// The number in a field: decimal point (or decimal comma when `decimalComma`), exponent,
    /// `NaN`/`inf` as the holder software writes them; an empty field is NaN (no reading).
    /// Nil when the field is not a number.
    static func number(_ field: Substring, decimalComma: Bool) -> Double? {
        if field.isEmpty { return .nan }
        if decimalComma, field.contains(",") {
            if field.contains(".") { return nil }
            return Double(field.replacingOccurrences(of: ",", with: "."))
        }
        if let v = Double(field) { return v }
        switch field.lowercased() {
        case "nan", "-nan", "n/a", "na", "-1.#ind", "1.#qnan": return .nan
        default: return nil
        }
    }

    /// `Name [unit]` or `Name (unit)` (trailing bracket) split into name and unit.
    static func nameAndUnit(_ header: Substring) -> (name: String, unit: String?) {
        let h = trim(header)
        for (open, close) in [("[", "]"), ("(", ")")] as [(Character, Character)] {
            if h.last == close, let o = h.lastIndex(of: open) {
                let unit = h[h.index(after: o)..<h.index(before: h.endIndex)]
                let name = trim(h[h.startIndex..<o])
                if !name.isEmpty && !unit.isEmpty { return (String(name), String(unit)) }
            }
        }
        return (String(h), nil)
    }
}


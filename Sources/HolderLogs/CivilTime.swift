import Foundation

/// Calendar dates and clock times to Unix seconds, without Foundation's locale-dependent
/// formatters. Dates and times carry no zone in holder logs and are taken as UTC.
enum CivilTime {
    /// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Unix seconds of midnight (UTC) of a date, nil for an impossible date.
    static func midnight(year: Int, month: Int, day: Int) -> Double? {
        guard (1900...2200).contains(year), (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        return Double(days(year: year, month: month, day: day)) * 86_400
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Seconds since midnight of a clock time `hh:mm[:ss[.fff]]` (also `,` before the fraction);
    /// nil when it is not one.
    static func clock(_ text: Substring) -> Double? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3,
              let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h), (0...59).contains(m)
        else { return nil }
        var s = 0.0
        if parts.count == 3 {
            let sec = parts[2].replacingOccurrences(of: ",", with: ".")
            guard let v = Double(sec), v >= 0, v < 61, sec.first?.isNumber == true else { return nil }
            s = v
        }
        return Double(h * 3600 + m * 60) + s
    }

    /// Unix seconds of an ISO 8601 date-time: `YYYY-MM-DD`, then `T` or a space and a clock time,
    /// then optionally `Z` or `±hh[:mm]`. Without a zone the time is taken as UTC.
    static func iso8601(_ text: Substring) -> Double? {
        let chars = Array(text.utf8)
        guard chars.count >= 10, chars[4] == UInt8(ascii: "-"), chars[7] == UInt8(ascii: "-"),
              let y = Int(text.prefix(4)), let mo = Int(text.dropFirst(5).prefix(2)),
              let d = Int(text.dropFirst(8).prefix(2)), let day = midnight(year: y, month: mo, day: d)
        else { return nil }
        if chars.count == 10 { return day }
        guard chars[10] == UInt8(ascii: "T") || chars[10] == UInt8(ascii: " ") else { return nil }
        var rest = text.dropFirst(11)
        var zone = 0.0
        if rest.last == "Z" || rest.last == "z" { rest = rest.dropLast() }
        else if let signIndex = rest.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let z = rest[rest.index(after: signIndex)...]
            let sign: Double = rest[signIndex] == "-" ? -1 : 1
            let digits = z.filter(\.isNumber)
            guard digits.count == 2 || digits.count == 4, let hh = Int(digits.prefix(2)), let mm = Int(digits.dropFirst(2).isEmpty ? "0" : String(digits.dropFirst(2))),
                  hh <= 14, mm < 60 else { return nil }
            zone = sign * Double(hh * 3600 + mm * 60)
            rest = rest[rest.startIndex..<signIndex]
        }
        guard let c = clock(rest) else { return nil }
        return day + c - zone
    }
}

import Foundation
import TrajectoryStore

/// Output formats of query results and exports.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// Columns aligned with spaces, for reading in a terminal.
    case table
    case csv
    /// An array of objects (one per row); a single record is an object.
    case json
}

/// One value of a result row.
public enum Cell: Sendable, Equatable {
    case null
    case int(Int)
    /// A real value printed with at most `digits` significant digits (shortest form that rounds to it).
    case real(Double, digits: Int)
    /// A real value rounded to `places` decimal places, trailing zeros dropped ("12.5", "3").
    case decimal(Double, places: Int)
    case text(String)

    public static func number(_ v: Double?, digits: Int = 7) -> Cell {
        guard let v, v.isFinite else { return .null }
        return .real(v, digits: digits)
    }
    public static func fixed(_ v: Double?, places: Int) -> Cell {
        guard let v, v.isFinite else { return .null }
        return .decimal(v, places: places)
    }
    public static func integer(_ v: Int?) -> Cell { v.map { .int($0) } ?? .null }
    public static func string(_ v: String?) -> Cell { v.map { .text($0) } ?? .null }
    /// A Unix time as an ISO 8601 UTC instant with milliseconds.
    public static func time(_ v: Double?) -> Cell {
        guard let v, v.isFinite else { return .null }
        return .text(ResultTable.isoTime(v))
    }

    var isNumeric: Bool {
        switch self {
        case .int, .real, .decimal: true
        case .null, .text: false
        }
    }

    /// Plain text of the value (empty for null).
    public var plain: String {
        switch self {
        case .null: ""
        case .int(let v): String(v)
        case .real(let v, let digits): ResultTable.format(v, digits: digits)
        case .decimal(let v, let places): ResultTable.format(v, places: places)
        case .text(let s): s
        }
    }

    var json: String {
        switch self {
        case .null: "null"
        case .int(let v): String(v)
        case .real(let v, let digits): ResultTable.format(v, digits: digits)
        case .decimal(let v, let places): ResultTable.format(v, places: places)
        case .text(let s): ResultTable.jsonString(s)
        }
    }
}

/// A result: named columns and rows of cells, rendered as an aligned table, CSV or JSON.
public struct ResultTable: Sendable, Equatable {
    public var headers: [String]
    public var rows: [[Cell]]
    /// A single record (a summary): rendered as "field value" lines in a table, an object in JSON.
    public var isRecord: Bool

    public init(headers: [String], rows: [[Cell]] = [], isRecord: Bool = false) {
        self.headers = headers; self.rows = rows; self.isRecord = isRecord
    }

    public func render(_ format: OutputFormat) -> String {
        switch format {
        case .csv:
            var out = ResultTable.csvLine(headers.map(Cell.text)) + "\n"
            for r in rows { out += ResultTable.csvLine(r) + "\n" }
            return out
        case .json:
            if isRecord, let r = rows.first { return ResultTable.jsonObject(headers, r, indent: "") + "\n" }
            if rows.isEmpty { return "[]\n" }
            return "[\n" + rows.map { "  " + ResultTable.jsonObject(headers, $0, indent: "  ") }.joined(separator: ",\n") + "\n]\n"
        case .table:
            if isRecord, let r = rows.first {
                let w = headers.map(\.count).max() ?? 0
                return zip(headers, r).map { h, c in h.padding(toLength: w, withPad: " ", startingAt: 0) + "  " + c.plain }
                    .joined(separator: "\n") + "\n"
            }
            var widths = headers.map(\.count)
            let texts = rows.map { $0.map(\.plain) }
            for r in texts { for (i, t) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], t.count) } }
            let numeric = headers.indices.map { i in rows.contains { i < $0.count && $0[i].isNumeric } }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { i, t in
                    let pad = String(repeating: " ", count: max(0, widths[i] - t.count))
                    return numeric[i] ? pad + t : t + pad
                }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
            }
            var out = line(headers) + "\n" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
            for r in texts { out += line(r) + "\n" }
            return out
        }
    }

    // MARK: Formatting

    /// Shortest decimal text of `v` rounded to `digits` significant digits ("1.5", "0.1177368", "2.5e-07").
    public static func format(_ v: Double, digits: Int) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        if v == 0 { return "0" }
        let exponent = Int((abs(v)).log10Floor)
        let shift = digits - 1 - exponent
        var r = v
        if shift >= 0 && shift <= 22 {
            let p = pow10(shift); r = (v * p).rounded() / p
        } else if shift < 0 && shift >= -22 {
            let p = pow10(-shift); r = (v / p).rounded() * p
        }
        if r == r.rounded(), abs(r) < 1e15 { return String(Int64(r)) }
        return "\(r)"
    }

    /// `v` rounded to `places` decimal places (at most 15), trailing zeros dropped.
    public static func format(_ v: Double, places: Int) -> String {
        let p = pow10(min(max(places, 0), 15))
        let n = (v * p).rounded()
        guard v.isFinite, abs(n) < 9.0e18 else { return format(v, digits: 15) }
        let i = Int64(n)
        if i == 0 { return "0" }
        let scale = Int64(p)
        let magnitude = i.magnitude
        var out = i < 0 ? "-" : ""
        out += String(magnitude / UInt64(scale))
        var frac = magnitude % UInt64(scale)
        if frac != 0 {
            var width = places
            while frac % 10 == 0 { frac /= 10; width -= 1 }
            let digits = String(frac)
            out += "." + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return out
    }

    private static func pow10(_ n: Int) -> Double {
        var p = 1.0
        for _ in 0..<n { p *= 10 }
        return p
    }

    static func csvLine(_ cells: [Cell]) -> String {
        var line = ""
        line.reserveCapacity(16 * cells.count)
        for (i, c) in cells.enumerated() {
            if i > 0 { line += "," }
            let t = c.plain
            // Byte scan: Character iteration (grapheme breaking) is far slower.
            if case .text = c, t.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
                line += "\"" + t.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            } else {
                line += t
            }
        }
        return line
    }

    static func jsonObject(_ keys: [String], _ cells: [Cell], indent: String) -> String {
        "{" + zip(keys, cells).map { jsonString($0) + ": " + $1.json }.joined(separator: ", ") + "}"
    }

    /// `s` as a JSON string literal (quotes included).
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    static func isoTime(_ t: Double) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: t))
    }
}

private extension Double {
    /// ⌊log₁₀|v|⌋ for finite non-zero v.
    var log10Floor: Double {
        var e = Foundation.log10(self).rounded(.down)
        // Guard against log10 rounding near powers of ten.
        if Foundation.pow(10, e) > self { e -= 1 } else if Foundation.pow(10, e + 1) <= self { e += 1 }
        return e
    }
}

/// Writes rows one at a time as CSV or JSON (exports of millions of rows), buffered.
public final class RowWriter {
    public let headers: [String]
    public let format: OutputFormat
    private let sink: (String) throws -> Void
    private var buffer = ""
    private var rows = 0

    /// `format` must be csv or json; `sink` receives chunks of text.
    public init(headers: [String], format: OutputFormat, sink: @escaping (String) throws -> Void) throws {
        precondition(format != .table, "RowWriter writes csv or json")
        self.headers = headers; self.format = format; self.sink = sink
        buffer.reserveCapacity(1 << 17)
        buffer += format == .csv ? ResultTable.csvLine(headers.map(Cell.text)) + "\n" : "["
    }

    public func write(_ cells: [Cell]) throws {
        if format == .csv {
            buffer += ResultTable.csvLine(cells)
            buffer += "\n"
        } else {
            buffer += rows == 0 ? "\n  " : ",\n  "
            buffer += ResultTable.jsonObject(headers, cells, indent: "  ")
        }
        rows += 1
        if buffer.utf8.count >= 1 << 16 { try sink(buffer); buffer.removeAll(keepingCapacity: true) }
    }

    /// Number of rows written.
    public var count: Int { rows }

    public func finish() throws {
        if format == .json { buffer += rows == 0 ? "]\n" : "\n]\n" }
        try sink(buffer)
        buffer = ""
    }
}

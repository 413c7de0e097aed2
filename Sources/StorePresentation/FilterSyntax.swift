import Foundation
import TrajectoryStore

/// The textual forms of query filters (as typed on the command line).
///
/// Ranges: `A:B` (inclusive), `A:` or `:B` (open), or a single value `A`. Times: seconds since
/// the first acquired frame, or strict ISO 8601 instants (`2025-06-15T22:10:00Z`,
/// `…T22:10:00.5+02:00`, `…T22:10Z`); an instant contains ':' itself, so every ':' is tried as
/// the separator. Regions: `x0,y0,x1,y1` in pixels. Lists: comma separated, repeatable.
public enum FilterSyntax {
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public var description: String
        init(_ d: String) { description = d }
    }

    /// Frame numbers; open ends are 0 and the largest frame number.
    public static func frames(_ text: String, name: String = "--frames") throws(Invalid) -> ClosedRange<Int> {
        // Frame numbers are never negative, so "100-400" is a range too.
        var text = text
        if !text.contains(":"), let dash = text.firstIndex(of: "-"), dash != text.startIndex {
            text.replaceSubrange(dash...dash, with: ":")
        }
        let (a, b) = try split(text, name: name)
        func value(_ s: String?, _ open: Int) throws(Invalid) -> Int {
            guard let s else { return open }
            guard let v = Int(s) else { throw Invalid("\(name): '\(s)' is not an integer") }
            return v
        }
        let lo = try value(a, 0), hi = try value(b, 1 << 48)
        guard lo <= hi else { throw Invalid("\(name): \(lo) is after \(hi)") }
        return lo...hi
    }

    /// Real values (e.g. temperatures, °C).
    public static func values(_ text: String, name: String) throws(Invalid) -> ClosedRange<Double> {
        let (a, b) = try split(text, name: name)
        func value(_ s: String?, _ open: Double) throws(Invalid) -> Double {
            guard let s else { return open }
            guard let v = Double(s), v.isFinite else { throw Invalid("\(name): '\(s)' is not a number") }
            return v
        }
        let lo = try value(a, -.greatestFiniteMagnitude), hi = try value(b, .greatestFiniteMagnitude)
        guard lo <= hi else { throw Invalid("\(name): \(lo) is after \(hi)") }
        return lo...hi
    }

    /// Acquisition times as Unix s: relative seconds are added to `seriesStart`.
    public static func times(_ text: String, seriesStart: Double?, name: String = "--time") throws(Invalid) -> ClosedRange<Double> {
        func value(_ s: String, _ open: Double) throws(Invalid) -> Double {
            let s = s.trimmingCharacters(in: .whitespaces)
            if s.isEmpty { return open }
            if let t = instant(s) { return t }
            guard let v = Double(s), v.isFinite else {
                throw Invalid("\(name): '\(s)' is neither seconds nor an ISO 8601 instant")
            }
            guard let seriesStart else { throw Invalid("\(name): the store has no acquisition times") }
            return seriesStart + v
        }
        var candidates: [(String, String)] = []
        if !text.contains(":") || instant(text) != nil { candidates.append((text, text)) }
        for i in text.indices where text[i] == ":" {
            candidates.append((String(text[..<i]), String(text[text.index(after: i)...])))
        }
        var firstError: Invalid?
        for (a, b) in candidates {
            do throws(Invalid) {
                let lo = try value(a, -.greatestFiniteMagnitude), hi = try value(b, .greatestFiniteMagnitude)
                guard lo <= hi else { throw Invalid("\(name): the range ends before it starts") }
                return lo...hi
            } catch {
                if firstError == nil || error.description.hasSuffix("before it starts") { firstError = error }
            }
        }
        throw firstError ?? Invalid("\(name): cannot read '\(text)'")
    }

    /// A strict ISO 8601 instant as Unix s, or nil.
    public static func instant(_ s: String) -> Double? {
        let pattern = #"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$"#
        guard let re = try? NSRegularExpression(pattern: pattern),
              let m = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) else { return nil }
        func group(_ i: Int) -> String? { Range(m.range(at: i), in: s).map { String(s[$0]) } }
        guard let head = group(1), let zone = group(4) else { return nil }
        guard let date = ISO8601DateFormatter().date(from: head + (group(2) ?? ":00") + zone) else { return nil }
        return date.timeIntervalSince1970 + (group(3).flatMap { Double("0" + $0) } ?? 0)
    }

    public static func region(_ text: String, name: String = "--region") throws(Invalid) -> Region {
        let v = text.split(separator: ",", omittingEmptySubsequences: false).map {
            Double($0.trimmingCharacters(in: .whitespaces))
        }
        guard v.count == 4, let x0 = v[0], let y0 = v[1], let x1 = v[2], let y1 = v[3],
              [x0, y0, x1, y1].allSatisfy(\.isFinite) else {
            throw Invalid("\(name): give x0,y0,x1,y1 in pixels")
        }
        return Region(x0: x0, y0: y0, x1: x1, y1: y1)
    }

    /// Comma-separated (and repeated) values; nil when there are none.
    public static func list(_ values: [String]) -> [String]? {
        let items = values.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return items.isEmpty ? nil : items
    }

    static func split(_ text: String, name: String) throws(Invalid) -> (String?, String?) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        if parts.count == 1 {
            guard !parts[0].isEmpty else { throw Invalid("\(name): give A:B, A:, :B or a single value") }
            return (parts[0], parts[0])
        }
        let a = parts[0].isEmpty ? nil : parts[0], b = parts[1].isEmpty ? nil : parts[1]
        guard a != nil || b != nil else { throw Invalid("\(name): give A:B, A:, :B or a single value") }
        return (a, b)
    }
}

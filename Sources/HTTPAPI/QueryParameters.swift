import Foundation

/// Validated query parameters of one request. Unknown or repeated keys, non-numeric numbers,
/// values outside their allowed range and over-long or unexpected strings are rejected with
/// ``APIError/badRequest(_:)`` before any database access; values are only ever passed on as
/// typed values (bound as SQL parameters by the store).
public struct QueryParameters: Sendable {
    private var values: [String: String]

    /// Largest frame number or track id accepted (the store's row ids hold frame << 14 in 63 bits).
    public static let maxID = 1 << 40
    /// Longest string value accepted.
    public static let maxStringLength = 64

    /// Parses `pairs` (already percent-decoded values), accepting only the `allowed` keys.
    public init(_ pairs: [(key: String, value: String)], allowed: Set<String>) throws(APIError) {
        values = [:]
        for (key, value) in pairs {
            guard allowed.contains(key) else {
                let list = allowed.sorted().joined(separator: ", ")
                throw .badRequest("unknown parameter '\(Self.clip(key))'" + (list.isEmpty ? " (this endpoint takes none)" : " (allowed: \(list))"))
            }
            guard values[key] == nil else { throw .badRequest("parameter '\(key)' given more than once") }
            values[key] = value
        }
    }

    /// Whether the key was given.
    public func has(_ key: String) -> Bool { values[key] != nil }

    /// An integer within `range`, or nil when absent.
    public func int(_ key: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let raw = values[key] else { return nil }
        guard !raw.isEmpty, raw.count <= 20, raw.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }), let v = Int(raw) else {
            throw .badRequest("parameter '\(key)' must be an integer, got '\(Self.clip(raw))'")
        }
        guard range.contains(v) else {
            throw .badRequest("parameter '\(key)' must be between \(range.lowerBound) and \(range.upperBound), got \(v)")
        }
        return v
    }

    /// A finite number within `range`, or nil when absent.
    public func double(_ key: String, in range: ClosedRange<Double>) throws(APIError) -> Double? {
        guard let raw = values[key] else { return nil }
        guard !raw.isEmpty, raw.count <= 32,
              raw.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }), let v = Double(raw), v.isFinite else {
            throw .badRequest("parameter '\(key)' must be a number, got '\(Self.clip(raw))'")
        }
        guard range.contains(v) else {
            throw .badRequest("parameter '\(key)' must be between \(range.lowerBound) and \(range.upperBound), got \(raw)")
        }
        return v
    }

    /// A comma-separated list of names made of `allowedCharacters` (each 1…32 characters, at most 16).
    public func names(_ key: String, allowedCharacters: Set<Character>) throws(APIError) -> [String]? {
        guard let raw = values[key] else { return nil }
        guard raw.count <= Self.maxStringLength else {
            throw .badRequest("parameter '\(key)' is longer than \(Self.maxStringLength) characters")
        }
        let items = raw.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !items.isEmpty, items.count <= 16 else { throw .badRequest("parameter '\(key)' must list 1 to 16 names") }
        for item in items {
            guard !item.isEmpty, item.count <= 32, item.allSatisfy({ allowedCharacters.contains($0) }) else {
                throw .badRequest("parameter '\(key)' has an invalid name '\(Self.clip(item))'")
            }
        }
        return items
    }

    /// A name such as a run's or an instrument's: 1…128 printable characters (no control characters).
    public func label(_ key: String) throws(APIError) -> String? {
        guard let raw = values[key] else { return nil }
        guard !raw.isEmpty, raw.count <= 128, raw.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw .badRequest("parameter '\(key)' must be 1 to 128 printable characters")
        }
        return raw
    }

    /// An inclusive range from two optional bounds (`lowKey`, `highKey`); nil when neither is given.
    public func range<T: Comparable>(_ low: T?, _ high: T?, lowKey: String, highKey: String,
                                     full: ClosedRange<T>) throws(APIError) -> ClosedRange<T>? {
        guard low != nil || high != nil else { return nil }
        let a = low ?? full.lowerBound, b = high ?? full.upperBound
        guard a <= b else { throw .badRequest("'\(lowKey)' must not exceed '\(highKey)'") }
        return a...b
    }

    /// A path component that must be a non-negative id.
    public static func id(_ raw: String?, name: String) throws(APIError) -> Int {
        guard let raw, !raw.isEmpty, raw.count <= 13, raw.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(raw),
              v <= maxID else {
            throw .badRequest("\(name) must be a non-negative integer up to \(maxID), got '\(clip(raw ?? ""))'")
        }
        return v
    }

    /// A value shortened for error messages.
    static func clip(_ s: String) -> String {
        let printable = String(s.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
        return printable.count > 40 ? String(printable.prefix(40)) + "…" : printable
    }
}

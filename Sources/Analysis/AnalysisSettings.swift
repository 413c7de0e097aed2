import AtomCount
import ColumnFit
import Foundation
import Structure
import Tracking

/// The software version written with every run (`runs.software_version`) and printed by `--version`.
public enum StemTrackVersion {
    public static let string = "0.2.0"
    public static var described: String { "stemtrack \(string)" }
}

/// Every setting of the analysis (fit, count, link, smooth, structure), in one value: the
/// configuration file, the command-line flags and `runs.settings` (JSON) all go through it.
///
/// The JSON form names every setting, with its value (`null` for "estimated from the data").
public struct AnalysisSettings: Sendable, Codable, Equatable {
    /// Column finding and model fitting.
    public var fit = FitSettings()
    /// Counting: frames pooled for the counting model, and the ICL margin that triggers a refit.
    public var counting = Counting()
    /// Linking columns between frames.
    public var linking = TrackerSettings()
    /// Hidden-Markov smoothing of the counts along each track.
    public var smoothing = Smoothing()
    /// Particles and facets; nil: switched off.
    public var structure: StructureSettings? = StructureSettings()

    public struct Counting: Sendable, Codable, Equatable {
        /// Count atoms (else columns have no counts, and nothing is smoothed).
        public var enabled = true
        /// Frames pooled for the counting model.
        public var window = 20
        /// Use exactly this many mixture components (nil: chosen by ICL).
        public var components: Int? = nil
        /// The model is refitted when its log-likelihood per value falls this many standard errors below the pool's.
        public var refitThreshold = 5.0
        /// Largest number of mixture components tried (nil: the counter's default).
        public var maxComponents: Int? = nil
        public init() {}
    }

    public struct Smoothing: Sendable, Codable, Equatable {
        /// Smooth counts along tracks (else every count is the counting model's, final at once).
        public var enabled = true
        /// Frames a count may still be revised (fixed-lag smoothing); default 5.
        public var lag = 5
        /// Probability that a column keeps its count from one frame to the next.
        public var stayProbability = 0.98
        /// Largest count change per frame.
        public var maxJump = 2
        public init() {}
    }

    public init() {}

    /// Throws ``AnalysisError/invalidSetting(_:)`` for a value out of range.
    public func validate() throws(AnalysisError) {
        if counting.window < 1 { throw .invalidSetting("count window must be ≥ 1 frame (got \(counting.window))") }
        if let k = counting.maxComponents, k < 1 { throw .invalidSetting("maximum components must be ≥ 1 (got \(k))") }
        if let k = counting.components, k < 1 { throw .invalidSetting("components must be ≥ 1 (got \(k))") }
        if smoothing.lag < 0 { throw .invalidSetting("smoothing lag must be ≥ 0 frames (got \(smoothing.lag))") }
        if !(smoothing.stayProbability > 0 && smoothing.stayProbability < 1) {
            throw .invalidSetting("stay probability must lie strictly between 0 and 1 (got \(smoothing.stayProbability))")
        }
        if smoothing.maxJump < 1 { throw .invalidSetting("largest count change per frame must be ≥ 1 (got \(smoothing.maxJump))") }
        if let p = fit.pixelSize, !(p > 0 && p.isFinite) { throw .invalidSetting("pixel size must be a positive number of Å (got \(p))") }
        do { try linking.validate() } catch { throw .invalidSetting(error.description) }
    }

    /// The settings as JSON (sorted keys; every setting named, `null` where it is estimated
    /// from the data). Enumerations are written as their raw values, as the configuration takes them.
    public var json: String { SettingsJSON.text(of: self) }

    /// Dotted names and JSON values of every setting, e.g. `smoothing.lag = 5`.
    public var flattened: [(key: String, value: String)] { SettingsJSON.flatten(json) }

    /// The settings that differ between two JSON forms, as "key: old → new" (keys present in only
    /// one of them included).
    public static func differences(from old: String, to new: String) -> [String] {
        let a = Dictionary(SettingsJSON.flatten(old).map { ($0.key, $0.value) }, uniquingKeysWith: { x, _ in x })
        let b = Dictionary(SettingsJSON.flatten(new).map { ($0.key, $0.value) }, uniquingKeysWith: { x, _ in x })
        return Set(a.keys).union(b.keys).sorted().compactMap { k in
            a[k] == b[k] ? nil : "\(k): \(a[k] ?? "absent") → \(b[k] ?? "absent")"
        }
    }

    /// Sets one setting by its dotted name (as in ``flattened``, e.g. `smoothing.lag`,
    /// `fit.maxIterations`, `linking.registration.maxShift`) from text: a JSON value (number,
    /// `true`/`false`, `null`, an object) or a bare word for text and enumerations (`ls`, `ml`).
    public mutating func set(_ key: String, to text: String) throws(AnalysisError) {
        let known = Set(flattened.map(\.key))
        guard known.contains(key) || known.contains(where: { $0.hasPrefix(key + ".") }) else {
            let near = known.filter { $0.split(separator: ".").last == key.split(separator: ".").last }.sorted()
            throw .invalidSetting("unknown setting '\(key)'" + (near.isEmpty ? "" : " (did you mean \(near.joined(separator: ", "))?)")
                + "; 'stemtrack watch --show-settings' lists them all")
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let value: Any
        if let data = trimmed.data(using: .utf8),
           let v = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) {
            value = v
        } else {
            value = trimmed
        }
        let encoder = JSONEncoder()
        guard let data = try? encoder.encode(self),
              var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidSetting("cannot set \(key)")
        }
        func assign(_ o: inout [String: Any], _ path: ArraySlice<Substring>) {
            let k = String(path.first!)
            if path.count == 1 {
                o[k] = value
            } else {
                var inner = (o[k] as? [String: Any]) ?? [:]
                assign(&inner, path.dropFirst())
                o[k] = inner
            }
        }
        assign(&object, key.split(separator: ".")[...])
        do {
            let patched = try JSONSerialization.data(withJSONObject: object)
            self = try JSONDecoder().decode(AnalysisSettings.self, from: patched)
        } catch {
            throw .invalidSetting("'\(text)' is not a valid value for \(key)")
        }
    }
}

/// JSON of a settings value by reflection, so that unset optional settings appear as `null`
/// (Codable leaves them out) and enumerations as their raw values.
enum SettingsJSON {
    static func text(of value: Any) -> String {
        let object = json(value)
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func json(_ value: Any) -> Any {
        let m = Mirror(reflecting: value)
        if m.displayStyle == .optional {
            guard let child = m.children.first else { return NSNull() }
            return json(child.value)
        }
        switch value {
        case let v as Bool: return v
        case let v as Int: return v
        case let v as Double: return v.isFinite ? v : "\(v)"
        case let v as String: return v
        default: break
        }
        if let r = value as? any RawRepresentable { return json(r.rawValue) }
        if let c = value as? CustomStringConvertible, m.children.isEmpty, m.displayStyle != .enum { return c.description }
        switch m.displayStyle {
        case .struct, .class:
            var out: [String: Any] = [:]
            for c in m.children { if let label = c.label { out[label] = json(c.value) } }
            return out
        case .enum:
            if let c = m.children.first, let label = c.label {
                let payload = Mirror(reflecting: c.value)
                var fields: [String: Any] = [:]
                for (i, p) in payload.children.enumerated() { fields[p.label ?? "_\(i)"] = json(p.value) }
                return [label: fields]
            }
            return ["\(value)": [String: Any]()]
        case .collection, .set:
            return m.children.map { json($0.value) }
        case .tuple:
            var fields: [String: Any] = [:]
            for (i, p) in m.children.enumerated() { fields[p.label ?? "_\(i)"] = json(p.value) }
            return fields
        default:
            return "\(value)"
        }
    }

    /// Dotted keys and JSON texts of the leaves of a JSON object.
    static func flatten(_ text: String) -> [(key: String, value: String)] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else {
            return [("(settings)", text)]
        }
        var out: [(String, String)] = []
        func walk(_ v: Any, _ prefix: String) {
            if let d = v as? [String: Any], !d.isEmpty {
                for k in d.keys.sorted() { walk(d[k]!, prefix.isEmpty ? k : prefix + "." + k) }
            } else if v is NSNull {
                out.append((prefix, "null"))
            } else if let data = try? JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed, .sortedKeys]) {
                out.append((prefix, String(decoding: data, as: UTF8.self)))
            }
        }
        walk(object, "")
        return out
    }
}

/// What can go wrong in the analysis, in words for the person running it.
public enum AnalysisError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidSetting(String)
    /// The saved state of an earlier run cannot be continued.
    case unusableState(String)

    public var description: String {
        switch self {
        case .invalidSetting(let s): "invalid setting: \(s)"
        case .unusableState(let s): s
        }
    }
}

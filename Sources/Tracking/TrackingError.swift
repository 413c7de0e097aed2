/// Errors of the tracking module.
public enum TrackingError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Frames must be linked in increasing frame order.
    case frameOutOfOrder(frame: Int, previous: Int)
    /// Per-detection arrays of different lengths.
    case lengthMismatch(what: String, expected: Int, got: Int)
    /// A position or setting is not a finite number.
    case invalidValue(String)

    public var description: String {
        switch self {
        case .frameOutOfOrder(let f, let p): return "frame \(f) arrived after frame \(p); frames must be linked in increasing order"
        case .lengthMismatch(let w, let e, let g): return "\(w): expected \(e) values (one per column), got \(g)"
        case .invalidValue(let s): return s
        }
    }
}

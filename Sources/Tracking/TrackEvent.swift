/// Something that changed in the series, attached to the tracks involved.
///
/// Primitive events concern one track: ``Kind/appear`` (a track starts after the first frame),
/// ``Kind/vanish`` (a track ends before the last frame; dated at the first frame it is missing),
/// ``Kind/countChange(_:)`` (its count changes between consecutive observations). Composite events
/// pair primitive ones of neighbouring tracks in the same frame (``EventPairing``): ``Kind/hop``
/// (one atom leaves one column for a neighbour: −1 and +1, where a 1-atom column vanishing counts
/// as −1 and a 1-atom column appearing as +1), ``Kind/merge`` (a column of n ≥ 2 atoms vanishes and
/// a neighbour gains about n) and ``Kind/split`` (a column of n ≥ 2 appears and a neighbour loses
/// about n). The primitive events of a composite stay in the list, so count-change statistics do
/// not depend on the pairing.
public struct TrackEvent: Sendable, Codable, Equatable {
    public enum Kind: Sendable, Codable, Equatable, Hashable {
        case appear
        case vanish
        /// Change of the (smoothed) count, atoms.
        case countChange(Int)
        case hop
        case merge
        case split

        /// Short name: appear, vanish, count_change, hop, merge, split.
        public var name: String {
            switch self {
            case .appear: "appear"
            case .vanish: "vanish"
            case .countChange: "count_change"
            case .hop: "hop"
            case .merge: "merge"
            case .split: "split"
            }
        }

        /// The count change of a count-change event (0 for other kinds).
        public var delta: Int { if case .countChange(let d) = self { d } else { 0 } }
    }

    public var kind: Kind
    /// Frame at which the new state is first seen.
    public var frame: Int
    /// Acquisition time of that frame, s (nil when unknown).
    public var time: Double?
    /// Position in that frame's image (with drift), px. For composites: the midpoint of the tracks.
    public var x: Double
    public var y: Double
    /// Tracks involved. Hop: [source, target]; merge: [vanishing, absorbing]; split: [source, new].
    public var tracks: [Int]
    /// Atoms before and after (primitive events; for appear `before` is 0, for vanish `after` is 0).
    public var before: Int?
    public var after: Int?
    /// Confidence in [0, 1] (see ``EventDetector`` for how each kind's value is computed).
    public var confidence: Double

    public init(kind: Kind, frame: Int, time: Double?, x: Double, y: Double, tracks: [Int],
                before: Int? = nil, after: Int? = nil, confidence: Double) {
        self.kind = kind; self.frame = frame; self.time = time; self.x = x; self.y = y
        self.tracks = tracks; self.before = before; self.after = after; self.confidence = confidence
    }

    /// Atoms gained by the track(s) of a primitive event (negative: lost); nil when unknown.
    public var atomChange: Int? {
        switch kind {
        case .countChange(let d): return d
        case .appear: return after
        case .vanish: return before.map { -$0 }
        default: return nil
        }
    }
}

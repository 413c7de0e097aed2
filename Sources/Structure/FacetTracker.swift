import Foundation

/// A change of a facet between two frames.
public struct FacetEvent: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A facet not seen in the previous frame.
        case appeared = "facet_appeared"
        /// A facet of the previous frame is gone.
        case vanished = "facet_vanished"
        /// The facet gained at least one column.
        case grew = "facet_grew"
        /// The facet lost at least one column.
        case shrank = "facet_shrank"
    }
    public var kind: Kind
    /// Frame in which the change is first seen.
    public var frame: Int
    /// Persistent facet id.
    public var facet: Int
    public var family: String
    /// Facet midpoint in this frame (the previous one for `vanished`), px.
    public var x: Double
    public var y: Double
    /// Columns before and after (nil for a facet that did not exist).
    public var before: Int?
    public var after: Int?
}

/// Follows facets from frame to frame and gives each a persistent id.
///
/// A facet of the new frame continues one of the previous frame when both have the same family,
/// outward normals within 20°, and drift-corrected midpoints within half the longer facet plus
/// two column spacings; pairs are taken greedily, closest first. The state is `Codable` so that a
/// restarted daemon continues with the same ids.
public struct FacetTracker: Sendable, Codable, Equatable {
    struct Active: Sendable, Codable, Equatable {
        var id: Int
        var family: String
        var normalAngle: Double
        var midX: Double, midY: Double
        var length: Double
        var spacing: Double
        var columns: Int
    }
    private var active: [Active] = []
    private var nextID = 0

    public init() {}

    /// Matches `facets` of `frame` (positions in px; `drift`: cumulative drift of the frame, px,
    /// corrected = position − drift) with the previous frame's. Returns each facet's id and the
    /// events. `lengthScale`: the facets' length unit per px (the pixel size, or 1).
    public mutating func update(frame: Int, facets: [Facet], driftX: Double = 0, driftY: Double = 0,
                                lengthScale: Double = 1) -> (ids: [Int], events: [FacetEvent]) {
        let current = facets.map { f in
            Active(id: -1, family: f.family, normalAngle: f.normalAngle, midX: f.midX - driftX, midY: f.midY - driftY,
                   length: f.length / lengthScale, spacing: f.spacing / lengthScale, columns: f.columns.count)
        }
        var candidates: [(cost: Double, new: Int, old: Int)] = []
        for (n, c) in current.enumerated() {
            for (o, p) in active.enumerated() where p.family == c.family {
                var dAngle = abs(c.normalAngle - p.normalAngle).truncatingRemainder(dividingBy: 360)
                if dAngle > 180 { dAngle = 360 - dAngle }
                guard dAngle <= 20 else { continue }
                let d = ((c.midX - p.midX) * (c.midX - p.midX) + (c.midY - p.midY) * (c.midY - p.midY)).squareRoot()
                if d <= max(c.length, p.length) / 2 + 2 * c.spacing { candidates.append((d, n, o)) }
            }
        }
        candidates.sort { ($0.cost, $0.new, $0.old) < ($1.cost, $1.new, $1.old) }
        var newTaken = [Int?](repeating: nil, count: current.count)
        var oldTaken = [Bool](repeating: false, count: active.count)
        for c in candidates where newTaken[c.new] == nil && !oldTaken[c.old] {
            newTaken[c.new] = c.old
            oldTaken[c.old] = true
        }
        var events: [FacetEvent] = []
        var ids: [Int] = []
        var next: [Active] = []
        for (n, var c) in current.enumerated() {
            let f = facets[n]
            if let o = newTaken[n] {
                let p = active[o]
                c.id = p.id
                if c.columns != p.columns {
                    events.append(FacetEvent(kind: c.columns > p.columns ? .grew : .shrank, frame: frame, facet: c.id,
                                             family: c.family, x: f.midX, y: f.midY, before: p.columns, after: c.columns))
                }
            } else {
                c.id = nextID
                nextID += 1
                events.append(FacetEvent(kind: .appeared, frame: frame, facet: c.id, family: c.family,
                                         x: f.midX, y: f.midY, before: nil, after: c.columns))
            }
            ids.append(c.id)
            next.append(c)
        }
        for (o, p) in active.enumerated() where !oldTaken[o] {
            events.append(FacetEvent(kind: .vanished, frame: frame, facet: p.id, family: p.family,
                                     x: p.midX + driftX, y: p.midY + driftY, before: p.columns, after: nil))
        }
        active = next
        return (ids, events)
    }
}

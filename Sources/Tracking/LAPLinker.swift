import StemCore
/// Offline linking of a whole series of point sets by two rounds of linear assignment (LAP), as in
/// Jaqaman et al., Nat. Methods 5 (2008) 695, with the cost conventions of TrackMate's LAP tracker
/// (Tinevez et al., Methods 115 (2017) 80) in the form laptrack reproduces it (Fukai & Kawaguchi,
/// Bioinformatics 39 (2023) btac799). Positions in px; every cost is a squared distance, px².
///
/// 1. **Frame to frame**: spots of frames t and t + 1 closer than `linkingMaxDistance` are
///    candidate links of cost d². With b = d = `alternativeCostFactor` × the largest candidate
///    cost of the frame pair (TrackMate's track-start and track-end costs) and the auxiliary
///    block at the smallest candidate cost m, Jaqaman's (M + N)² matrix is minimal exactly where
///    Σ over links of (d² − (b + d − m)) is: it is solved as that sparse assignment
///    (``GatedAssignment``, no-link cost b + d − m per spot of frame t).
/// 2. **Segments**: the chains of step 1 are joined by a second assignment whose rows are
///    segment ends and splitting sources and whose columns are segment starts and merging
///    targets, with costs d² of
///    - gap closing: the end of one segment to the start of another 1 … `maxFrameDifference`
///      frames later, closer than `gapClosingMaxDistance`;
///    - splitting: any spot of frame f − 1 to the start (frame f) of a segment, closer than
///      `splittingMaxDistance` (the spot gets a second successor);
///    - merging: the end (frame f) of a segment to any spot of frame f + 1, closer than
///      `mergingMaxDistance` (the spot gets a second predecessor).
///    All alternative costs (segment start and end, no splitting, no merging) and the auxiliary
///    block are A = `alternativeCostFactor` × the `alternativeCostPercentile`-th percentile
///    ("lower": the sorted cost at ⌊p/100 · (n − 1)⌋) of these costs, so the optimum minimises
///    Σ over joins of (d² − A): a join is taken only when it costs less than A.
///
/// Cutoffs are strict (d < max distance). Ties are broken by index order: the same input gives
/// the same links. Unlike the online ``Tracker`` there is no drift correction: register the
/// frames first if the stage drifts.
public struct LAPLinker: Sendable, Codable, Equatable {
    /// A spot: its frame (index into the series) and its index in that frame.
    public struct Spot: Sendable, Codable, Hashable, Comparable, CustomStringConvertible {
        public var frame: Int
        public var index: Int
        public init(frame: Int, index: Int) { self.frame = frame; self.index = index }
        public static func < (a: Spot, b: Spot) -> Bool { (a.frame, a.index) < (b.frame, b.index) }
        public var description: String { "(\(frame), \(index))" }
    }

    /// A link from an earlier to a later spot.
    public struct Link: Sendable, Codable, Hashable, Comparable, CustomStringConvertible {
        public var source: Spot
        public var target: Spot
        public init(source: Spot, target: Spot) { self.source = source; self.target = target }
        public static func < (a: Link, b: Link) -> Bool { (a.source, a.target) < (b.source, b.target) }
        public var description: String { "\(source) → \(target)" }
    }

    /// Largest frame-to-frame link distance, px (TrackMate's "linking max distance"; default 15).
    public var linkingMaxDistance: Double = 15
    /// Largest gap-closing distance, px; nil: no gap closing (default 15).
    public var gapClosingMaxDistance: Double? = 15
    /// Largest frame difference a gap-closing link may span (TrackMate's "max frame gap";
    /// default 2: one missed frame).
    public var maxFrameDifference: Int = 2
    /// Largest splitting distance, px; nil: no splitting (default).
    public var splittingMaxDistance: Double? = nil
    /// Largest merging distance, px; nil: no merging (default).
    public var mergingMaxDistance: Double? = nil
    /// Alternative costs as a multiple of the largest (step 1) or the percentile (step 2) cost
    /// (TrackMate's default 1.05).
    public var alternativeCostFactor: Double = 1.05
    /// Percentile of the step-2 costs the alternative cost is based on, in [0, 100] (default 90).
    public var alternativeCostPercentile: Double = 90

    public init(linkingMaxDistance: Double = 15, gapClosingMaxDistance: Double? = 15, maxFrameDifference: Int = 2,
                splittingMaxDistance: Double? = nil, mergingMaxDistance: Double? = nil) {
        self.linkingMaxDistance = linkingMaxDistance
        self.gapClosingMaxDistance = gapClosingMaxDistance
        self.maxFrameDifference = maxFrameDifference
        self.splittingMaxDistance = splittingMaxDistance
        self.mergingMaxDistance = mergingMaxDistance
    }

    /// Throws ``TrackingError/invalidValue(_:)`` for out-of-range values.
    public func validate() throws(TrackingError) {
        func positive(_ v: Double?, _ name: String) throws(TrackingError) {
            if let v, !(v > 0 && v.isFinite) { throw .invalidValue("\(name) must be a positive number of px (got \(v))") }
        }
        try positive(linkingMaxDistance, "linking max distance")
        try positive(gapClosingMaxDistance, "gap-closing max distance")
        try positive(splittingMaxDistance, "splitting max distance")
        try positive(mergingMaxDistance, "merging max distance")
        if maxFrameDifference < 1 { throw .invalidValue("max frame difference must be ≥ 1 (got \(maxFrameDifference))") }
        if !(alternativeCostFactor > 0 && alternativeCostFactor.isFinite) {
            throw .invalidValue("alternative cost factor must be positive (got \(alternativeCostFactor))")
        }
        if !(alternativeCostPercentile >= 0 && alternativeCostPercentile <= 100) {
            throw .invalidValue("alternative cost percentile must be in [0, 100] (got \(alternativeCostPercentile))")
        }
    }

    /// TrackMate's replacement for a zero alternative cost.
    static let epsilon = 1e-6

    /// Links `frames` (positions per frame, px; frame numbers are the array indices). Returns every
    /// link, sorted.
    public func link(_ frames: [[Point]]) throws(TrackingError) -> [Link] {
        try validate()
        for (t, f) in frames.enumerated() where !f.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) {
            throw .invalidValue("frame \(t): spot positions must be finite numbers")
        }
        let grids = frames.map { SpatialGrid($0, cellSize: max(linkingMaxDistance, estimateCellSize($0))) }
        func within(_ maxDistance: Double, of p: Point, inFrame t: Int, _ body: (Int, Double) -> Void) {
            let r2 = maxDistance * maxDistance
            for j in grids[t].indices(within: maxDistance, of: p) {
                let d2 = frames[t][j].distanceSquared(p)
                if d2 < r2 { body(j, d2) }
            }
        }

        // 1. Frame to frame.
        var links: [Link] = []
        var successor: [Spot: Spot] = [:], predecessor: [Spot: Spot] = [:]
        for t in 0..<max(0, frames.count - 1) {
            var edges: [GatedAssignment.Edge] = []
            for (i, p) in frames[t].enumerated() {
                within(linkingMaxDistance, of: p, inFrame: t + 1) { j, d2 in edges.append(.init(row: i, column: j, cost: d2)) }
            }
            guard let largest = edges.map(\.cost).max(), let smallest = edges.map(\.cost).min() else { continue }
            let alternative = largest > 0 ? alternativeCostFactor * largest : Self.epsilon
            let noLink = 2 * alternative - min(smallest, alternative)
            let (columnForRow, _) = GatedAssignment.solve(rows: frames[t].count, columns: frames[t + 1].count, edges: edges,
                                                          noLinkCost: [Double](repeating: noLink, count: frames[t].count))
            for (i, j) in columnForRow.enumerated() {
                guard let j else { continue }
                let a = Spot(frame: t, index: i), b = Spot(frame: t + 1, index: j)
                links.append(Link(source: a, target: b))
                successor[a] = b; predecessor[b] = a
            }
        }
        guard gapClosingMaxDistance != nil || splittingMaxDistance != nil || mergingMaxDistance != nil else { return links.sorted() }

        // 2. Segments, in the order of their first spots.
        var segments: [(first: Spot, last: Spot)] = []
        for (t, f) in frames.enumerated() {
            for i in f.indices {
                let first = Spot(frame: t, index: i)
                guard predecessor[first] == nil else { continue }
                var last = first
                while let next = successor[last] { last = next }
                segments.append((first, last))
            }
        }
        func position(_ s: Spot) -> Point { frames[s.frame][s.index] }
        var startingIn: [Int: [Int]] = [:]
        for (k, s) in segments.enumerated() { startingIn[s.first.frame, default: []].append(k) }

        let m = segments.count
        var gapEdges: [(row: Int, column: Int, cost: Double)] = []
        if let g = gapClosingMaxDistance {
            let g2 = g * g
            for (i, s) in segments.enumerated() {
                let p = position(s.last)
                for df in 1...maxFrameDifference {
                    for j in startingIn[s.last.frame + df] ?? [] {
                        let d2 = position(segments[j].first).distanceSquared(p)
                        if d2 < g2 { gapEdges.append((i, j, d2)) }
                    }
                }
            }
        }
        var splits: [(middle: Spot, segment: Int, cost: Double)] = []
        if let s = splittingMaxDistance {
            for (j, seg) in segments.enumerated() where seg.first.frame > 0 {
                within(s, of: position(seg.first), inFrame: seg.first.frame - 1) { k, d2 in
                    splits.append((Spot(frame: seg.first.frame - 1, index: k), j, d2))
                }
            }
        }
        var merges: [(segment: Int, middle: Spot, cost: Double)] = []
        if let mg = mergingMaxDistance {
            for (i, seg) in segments.enumerated() where seg.last.frame + 1 < frames.count {
                within(mg, of: position(seg.last), inFrame: seg.last.frame + 1) { k, d2 in
                    merges.append((i, Spot(frame: seg.last.frame + 1, index: k), d2))
                }
            }
        }
        let costs = gapEdges.map(\.cost) + splits.map(\.cost) + merges.map(\.cost)
        guard !costs.isEmpty else { return links.sorted() }
        let sorted = costs.sorted()
        let rank = Int((alternativeCostPercentile / 100 * Double(sorted.count - 1)).rounded(.down))
        var alternative = alternativeCostFactor * sorted[min(max(rank, 0), sorted.count - 1)]
        if alternative == 0 { alternative = Self.epsilon }

        // Rows: segment ends, then splitting sources; columns: segment starts, then merging targets.
        let splitSources = Array(Set(splits.map(\.middle))).sorted()
        let mergeTargets = Array(Set(merges.map(\.middle))).sorted()
        let sourceRow = Dictionary(uniqueKeysWithValues: splitSources.enumerated().map { ($1, m + $0) })
        let targetColumn = Dictionary(uniqueKeysWithValues: mergeTargets.enumerated().map { ($1, m + $0) })
        var edges = gapEdges.map { GatedAssignment.Edge(row: $0.row, column: $0.column, cost: $0.cost) }
        edges += splits.map { GatedAssignment.Edge(row: sourceRow[$0.middle]!, column: $0.segment, cost: $0.cost) }
        edges += merges.map { GatedAssignment.Edge(row: $0.segment, column: targetColumn[$0.middle]!, cost: $0.cost) }
        let rows = m + splitSources.count
        let (columnForRow, _) = GatedAssignment.solve(rows: rows, columns: m + mergeTargets.count, edges: edges,
                                                      noLinkCost: [Double](repeating: alternative, count: rows))
        for (r, c) in columnForRow.enumerated() {
            guard let c else { continue }
            let source = r < m ? segments[r].last : splitSources[r - m]
            let target = c < m ? segments[c].first : mergeTargets[c - m]
            links.append(Link(source: source, target: target))
        }
        return links.sorted()
    }
}

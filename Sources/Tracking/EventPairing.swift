/// Pairs the primitive events of one frame into hops, merges and splits.
///
/// Losses (count decrease, or a column vanishing with its last count) and gains (count increase,
/// or a column appearing with its first count) of tracks within `neighbourDistance` of each other
/// (≈ 1.5 × the nearest-column spacing: the first shell of in-plane neighbours) are candidate
/// pairs. Allowed pairs: −1/+1 → hop (the atom left one column for a neighbour); a vanishing column
/// of n ≥ 2 atoms with a neighbour gaining n ± 1 → merge; an appearing column of n ≥ 2 with a
/// neighbour losing n ± 1 → split. The pairing with the fewest unpaired events and, among those,
/// the smallest total of distance / `neighbourDistance` + |gain − loss| is found exactly
/// (``GatedAssignment``). A composite's confidence is the product of its two events' confidences
/// times (1 − ½·(d / neighbourDistance)²).
public enum EventPairing {
    /// Composite events for `events` (primitive events of any frames; pairs only form within a frame).
    public static func composites(_ events: [TrackEvent], neighbourDistance: Double) -> [TrackEvent] {
        var byFrame: [Int: [TrackEvent]] = [:]
        for e in events where e.atomChange != nil { byFrame[e.frame, default: []].append(e) }
        var out: [TrackEvent] = []
        for frame in byFrame.keys.sorted() {
            let list = byFrame[frame]!
            let losses = list.filter { ($0.atomChange ?? 0) < 0 }, gains = list.filter { ($0.atomChange ?? 0) > 0 }
            guard !losses.isEmpty, !gains.isEmpty else { continue }
            var edges: [GatedAssignment.Edge] = []
            var kinds: [Int: TrackEvent.Kind] = [:]
            for (i, l) in losses.enumerated() {
                for (j, g) in gains.enumerated() {
                    guard l.tracks.first != g.tracks.first else { continue }
                    let d = ((l.x - g.x) * (l.x - g.x) + (l.y - g.y) * (l.y - g.y)).squareRoot()
                    guard d <= neighbourDistance, let kind = kind(loss: l, gain: g) else { continue }
                    let mismatch = Double(abs(l.atomChange! + g.atomChange!))
                    edges.append(.init(row: i, column: j, cost: d / neighbourDistance + mismatch))
                    kinds[i * gains.count + j] = kind
                }
            }
            // A pair is always worth more than two unpaired events (cost ≤ 1 + 1 < 10).
            let solution = GatedAssignment.solve(rows: losses.count, columns: gains.count, edges: edges,
                                                 noLinkCost: [Double](repeating: 10, count: losses.count)).columnForRow
            for (i, j) in solution.enumerated() {
                guard let j, let kind = kinds[i * gains.count + j] else { continue }
                let l = losses[i], g = gains[j]
                let d = ((l.x - g.x) * (l.x - g.x) + (l.y - g.y) * (l.y - g.y)).squareRoot()
                let tracks = [l.tracks[0], g.tracks[0]]
                let q = 1 - 0.5 * (d / neighbourDistance) * (d / neighbourDistance)
                out.append(TrackEvent(kind: kind, frame: frame, time: l.time ?? g.time, x: 0.5 * (l.x + g.x), y: 0.5 * (l.y + g.y),
                                      tracks: tracks, confidence: max(0, min(1, l.confidence * g.confidence * q))))
            }
        }
        return out
    }

    static func kind(loss l: TrackEvent, gain g: TrackEvent) -> TrackEvent.Kind? {
        let lost = -(l.atomChange ?? 0), gained = g.atomChange ?? 0
        if lost == 1 && gained == 1 { return .hop }
        if l.kind == .vanish && lost >= 2 && g.kind != .appear && abs(gained - lost) <= 1 { return .merge }
        if g.kind == .appear && gained >= 2 && l.kind != .vanish && abs(gained - lost) <= 1 { return .split }
        return nil
    }
}

import Foundation

/// Per-track sums as both stores keep them (`tracks` rows, and the same sums over pending frames):
/// positions in the stored fixed-point units, cross-sections in multiples of the quantum.
package struct TrackAggregate: Sendable {
    package var first: Int, last: Int, n: Int, sx: Int64, sy: Int64, counted: Int
    package var sc: Int64?, minC: Int64?, maxC: Int64?, scs: Double

    package init(first: Int, last: Int, n: Int, sx: Int64, sy: Int64, counted: Int, sc: Int64?, minC: Int64?,
                 maxC: Int64?, scs: Double) {
        self.first = first; self.last = last; self.n = n; self.sx = sx; self.sy = sy; self.counted = counted
        self.sc = sc; self.minC = minC; self.maxC = maxC; self.scs = scs
    }

    /// Adds the sums of other frames of the same track.
    package mutating func merge(_ b: TrackAggregate) {
        first = min(first, b.first); last = max(last, b.last); n += b.n; sx += b.sx; sy += b.sy
        counted += b.counted
        sc = sc.map { $0 + (b.sc ?? 0) } ?? b.sc
        minC = [minC, b.minC].compactMap { $0 }.min(); maxC = [maxC, b.maxC].compactMap { $0 }.max()
        scs += b.scs
    }
}

/// A page of ``TrackRecord``s from the indexed aggregates (fed in id order) merged with the
/// pending frames' aggregates, with ``StoreFilter``'s semantics: shared by the SQLite and
/// PostgreSQL readers so that both answer the same records with the same arithmetic.
package struct TrackPage {
    let filter: StoreFilter
    /// Frames the track must overlap (the filter's frame range, or the frames matching its time
    /// and temperature ranges).
    let span: ClosedRange<Int>?
    let crossSectionQuantum: Double
    var pending: [Int: TrackAggregate]
    var pendingIDs: ArraySlice<Int>
    package private(set) var records: [TrackRecord] = []
    /// False once the page is full: stop feeding rows.
    package private(set) var wantsMore = true

    package init(filter: StoreFilter, span: ClosedRange<Int>?, crossSectionQuantum: Double, pending: [Int: TrackAggregate]) {
        self.filter = filter; self.span = span; self.crossSectionQuantum = crossSectionQuantum
        self.pending = pending
        pendingIDs = pending.keys.sorted()[...]
    }

    /// An indexed track's aggregate; ids must come in increasing order.
    package mutating func add(_ id: Int, _ indexed: TrackAggregate) {
        guard wantsMore else { return }
        var a = indexed
        while wantsMore, let p = pendingIDs.first, p < id {
            wantsMore = emit(p, pending[p]!); pendingIDs.removeFirst()
        }
        if let p = pending[id] { a.merge(p); pendingIDs.removeAll { $0 == id } }
        if wantsMore { wantsMore = emit(id, a) }
    }

    /// The page, after the remaining pending-only tracks.
    package mutating func finish() -> [TrackRecord] {
        while wantsMore, let p = pendingIDs.first { wantsMore = emit(p, pending[p]!); pendingIDs.removeFirst() }
        return records
    }

    private mutating func emit(_ id: Int, _ a: TrackAggregate) -> Bool {
        if let t = filter.track, t != id { return true }
        if let after = filter.afterTrack, id <= after { return true }
        if let r = span, a.last < r.lowerBound || a.first > r.upperBound { return true }
        if let m = filter.minObservations, a.n < m { return true }
        let mx = Double(a.sx) / Double(a.n) / StoreSchema.positionScale
        let my = Double(a.sy) / Double(a.n) / StoreSchema.positionScale
        if let r = filter.region, !r.contains(x: mx, y: my) { return true }
        records.append(TrackRecord(id: id, firstFrame: a.first, lastFrame: a.last, observations: a.n, meanX: mx, meanY: my,
                                   countedObservations: a.counted,
                                   meanCount: a.counted > 0 ? a.sc.map { Double($0) / Double(a.counted) } : nil,
                                   minCount: a.minC.map(Int.init), maxCount: a.maxC.map(Int.init),
                                   meanCrossSection: a.scs / Double(a.n) * crossSectionQuantum))
        return records.count < (filter.limit ?? Int.max)
    }
}

/// The occupied columns at one moment of a series, with exact neighbour lookups. Records are kept
/// in ascending id order (never iterate the dictionary: its order differs between runs).
struct ColumnState: Sendable {
    let crystal: FCCCrystal
    private(set) var records: [ColumnRecord]
    private var slot: [LatticeIndex: Int]
    private(set) var nextID: Int

    init(crystal: FCCCrystal, records: [ColumnRecord]) {
        self.crystal = crystal
        self.records = records
        slot = Dictionary(uniqueKeysWithValues: records.enumerated().map { ($1.key, $0) })
        nextID = (records.map(\.id).max() ?? -1) + 1
    }

    var atomCount: Int { records.reduce(0) { $0 + $1.count } }

    func record(key: LatticeIndex) -> ColumnRecord? { slot[key].map { records[$0] } }

    func isOccupied(_ key: LatticeIndex) -> Bool { slot[key] != nil }

    /// Number of occupied in-plane neighbour columns of the site `key`.
    func occupiedNeighbours(of key: LatticeIndex) -> Int {
        crystal.neighbourOffsets.reduce(0) { $0 + (slot[key + $1.key] != nil ? 1 : 0) }
    }

    func isSurface(_ key: LatticeIndex) -> Bool {
        occupiedNeighbours(of: key) < crystal.bulkNeighbourCount
    }

    /// Surface flag per record, in record order.
    func surfaceFlags() -> [Bool] { records.map { isSurface($0.key) } }

    /// Projected position of a record relative to the particle centre, Å.
    func projected(_ r: ColumnRecord) -> (x: Double, y: Double) { crystal.projected(r.anchor) }

    /// The public description of a record, with its 3D atoms.
    func atomColumn(_ r: ColumnRecord, surface: Bool) -> AtomColumn {
        let p = projected(r)
        let atoms = (r.lo...r.hi).map { crystal.position(r.anchor + $0 * crystal.step) }
        return AtomColumn(id: r.id, x: p.x, y: p.y, count: r.count, isSurface: surface, atoms: atoms)
    }

    var atomColumns: [AtomColumn] {
        zip(records, surfaceFlags()).map { atomColumn($0, surface: $1) }
    }

    /// Moves one atom as `op` says; returns (from id, to id, target created, source vanished).
    @discardableResult
    mutating func apply(_ op: HopOperation) -> (from: Int, to: Int, created: Bool, vanished: Bool) {
        guard let s = slot[op.from] else { preconditionFailure("hop from an empty site") }
        let fromID = records[s].id
        if op.removeLow { records[s].lo += 1 } else { records[s].hi -= 1 }
        let vanished = records[s].count == 0
        if vanished { remove(at: s) }

        if let t = slot[op.to] {
            if op.k == records[t].lo - 1 { records[t].lo -= 1 }
            else if op.k == records[t].hi + 1 { records[t].hi += 1 }
            else { preconditionFailure("hop onto a non-adjacent site of a column") }
            return (fromID, records[t].id, false, vanished)
        }
        let id = nextID
        nextID += 1
        slot[op.to] = records.count
        records.append(ColumnRecord(id: id, key: op.to, anchor: op.anchor, lo: op.k, hi: op.k))
        return (fromID, id, true, vanished)
    }

    private mutating func remove(at index: Int) {
        slot[records[index].key] = nil
        records.remove(at: index)
        for i in index..<records.count { slot[records[i].key] = i }
    }
}

/// One atom moving between columns: removed from the low or high end of column `from`, added at
/// index `k` of column `to` (anchor `anchor`; `k` is `lo − 1` or `hi + 1` of an occupied target).
struct HopOperation: Sendable, Equatable {
    var from: LatticeIndex
    var removeLow: Bool
    var to: LatticeIndex
    var anchor: LatticeIndex
    var k: Int
}

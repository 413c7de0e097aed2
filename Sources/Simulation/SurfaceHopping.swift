/// Surface diffusion: atoms hopping between surface columns.
///
/// Before each frame t ≥ 1, every surface column holding at least `minimumSourceAtoms` atoms
/// (in ascending id order) sends, with probability `probability`, one atom from a randomly chosen
/// end (top or bottom along the beam) to a random in-plane neighbour site that is either an
/// occupied surface column (the atom is added at its nearer end) or an empty lattice site that
/// stays attached to the particle (it has an occupied neighbour besides a source that empties).
/// Hopping into an empty site creates a column with a new id; emptying a 1-atom column removes it.
public struct SurfaceHopModel: Sendable, Equatable, Codable {
    /// Probability per frame and surface column of a hop (default 0.02).
    public var probability: Double
    /// Fewest atoms a surface column must hold to give one away (default 1, so adatom columns
    /// can move and columns can vanish; 2 keeps every column).
    public var minimumSourceAtoms: Int

    public init(probability: Double = 0.02, minimumSourceAtoms: Int = 1) {
        self.probability = probability; self.minimumSourceAtoms = minimumSourceAtoms
    }

    enum CodingKeys: String, CodingKey {
        case probability = "hop_probability", minimumSourceAtoms = "minimum_source_atoms"
    }

    var problems: [String] {
        var p: [String] = []
        if !(probability >= 0 && probability <= 1) { p.append("hop probability must be in [0, 1] (got \(probability))") }
        if minimumSourceAtoms < 1 { p.append("minimum source atoms must be ≥ 1 (got \(minimumSourceAtoms))") }
        return p
    }

    /// Performs the hops before frame `frame`, returning the operations applied and their events
    /// (in order).
    func step(_ state: inout ColumnState, frame: Int, rng: inout RandomSource) -> [(HopOperation, HopEvent)] {
        guard probability > 0 else { return [] }
        let crystal = state.crystal
        let candidates = state.records.filter { $0.count >= minimumSourceAtoms && state.isSurface($0.key) }.map(\.key)
        var ops: [(HopOperation, HopEvent)] = []
        for key in candidates {
            guard rng.uniform() < probability else { continue }
            guard let source = state.record(key: key), source.count >= minimumSourceAtoms,
                  state.isSurface(key) else { continue }
            let empties = source.count == 1
            var targets: [(key: LatticeIndex, nn: LatticeIndex)] = []
            for o in crystal.neighbourOffsets {
                let t = key + o.key
                if state.isOccupied(t) {
                    if state.isSurface(t) { targets.append((t, o.nn)) }
                } else {
                    let attached = state.occupiedNeighbours(of: t) - (empties ? 1 : 0)
                    if attached >= 1 { targets.append((t, o.nn)) }
                }
            }
            guard !targets.isEmpty else { continue }
            let target = targets[rng.index(below: targets.count)]
            let removeLow = rng.uniform() < 0.5
            let removed = source.anchor + (removeLow ? source.lo : source.hi) * crystal.step
            let op: HopOperation
            if let t = state.record(key: target.key) {
                // Add at the end of the target column nearer (along the beam) to the removed atom.
                let depth = removed.dot(crystal.zoneAxis.index)
                let base = t.anchor.dot(crystal.zoneAxis.index)
                let low = base + (t.lo - 1) * crystal.stepDot, high = base + (t.hi + 1) * crystal.stepDot
                let k = abs(depth - low) < abs(high - depth) ? t.lo - 1 : t.hi + 1
                op = HopOperation(from: key, removeLow: removeLow, to: target.key, anchor: t.anchor, k: k)
            } else {
                // The new atom sits a 3D nearest-neighbour distance from where it left.
                let (anchor, k) = crystal.anchor(of: removed + target.nn)
                op = HopOperation(from: key, removeLow: removeLow, to: target.key, anchor: anchor, k: k)
            }
            let e = state.apply(op)
            ops.append((op, HopEvent(frame: frame, from: e.from, to: e.to, created: e.created, vanished: e.vanished)))
        }
        return ops
    }
}

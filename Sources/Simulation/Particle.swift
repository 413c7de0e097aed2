/// A nanoparticle (or slab) cut from an fcc crystal, projected along the zone axis.
public struct Particle: Sendable {
    /// Lattice and viewing direction.
    public let crystal: FCCCrystal
    /// The shape it was cut with.
    public let shape: ParticleShape
    /// Columns, ids 0..<n in row-major order of their projected positions (y, then x).
    public let columns: [AtomColumn]
    /// Total number of atoms.
    public let atomCount: Int
    /// Compact form for the series dynamics.
    let state: ColumnState

    /// Builds the 3D atoms, groups them into columns and marks the surface columns.
    public init(crystal: FCCCrystal = FCCCrystal(), shape: ParticleShape) {
        self.crystal = crystal
        self.shape = shape
        var groups: [LatticeIndex: (anchor: LatticeIndex, lo: Int, hi: Int, count: Int)] = [:]
        switch shape.kind {
        case .sphere:
            let half = crystal.latticeConstant / 2
            let n = Int((shape.radius / half).rounded(.up)) + 1
            for x in -n...n { for y in -n...n { for z in -n...n {
                let h = LatticeIndex(x, y, z)
                guard h.isFCC, shape.sphereContains(h.vector * half) else { continue }
                let (anchor, k) = crystal.anchor(of: h)
                let key = crystal.columnKey(h)
                if let g = groups[key] {
                    groups[key] = (anchor, min(g.lo, k), max(g.hi, k), g.count + 1)
                } else {
                    groups[key] = (anchor, k, k, 1)
                }
            } } }
        case .slab:
            let half = crystal.latticeConstant / 2
            let w = shape.slabWidth / 2, hgt = shape.slabHeight / 2
            let reach = (w * w + hgt * hgt + crystal.atomSpacingAlongColumn * crystal.atomSpacingAlongColumn).squareRoot()
            let n = Int((reach / half).rounded(.up)) + 1
            let tol = 1e-9
            for x in -n...n { for y in -n...n { for z in -n...n {
                let h = LatticeIndex(x, y, z)
                guard h.isFCC, crystal.anchor(of: h).k == 0 else { continue }
                let p = crystal.projected(h)
                guard abs(p.x) <= w + tol, abs(p.y) <= hgt + tol else { continue }
                let f = shape.slabWidth > 0 ? (p.x + w) / shape.slabWidth : 0
                let t = Int((Double(shape.thicknessLeft) + Double(shape.thicknessRight - shape.thicknessLeft) * f).rounded())
                guard t >= 1 else { continue }
                let lo = -((t - 1) / 2)
                groups[crystal.columnKey(h)] = (h, lo, lo + t - 1, t)
            } } }
        }
        let sorted = groups.map { (key: $0.key, g: $0.value) }.map { item -> (LatticeIndex, LatticeIndex, Int, Int, Int, Double) in
            precondition(item.g.count == item.g.hi - item.g.lo + 1, "column with a gap: shape not convex")
            let p = crystal.projected(item.g.anchor)
            return (item.key, item.g.anchor, item.g.lo, item.g.hi, Int((p.y * 1e6).rounded()), p.x)
        }.sorted { ($0.4, $0.5) < ($1.4, $1.5) }
        let records = sorted.enumerated().map { i, c in
            ColumnRecord(id: i, key: c.0, anchor: c.1, lo: c.2, hi: c.3)
        }
        state = ColumnState(crystal: crystal, records: records)
        columns = state.atomColumns
        atomCount = state.atomCount
    }
}

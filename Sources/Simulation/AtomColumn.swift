/// One atomic column of a simulated particle: a line of atoms along the beam.
public struct AtomColumn: Sendable, Equatable {
    /// Stable identity over a series; a newly occupied lattice site gets a new id.
    public var id: Int
    /// Projected position relative to the particle centre (beam frame, no drift), Å.
    public var x: Double
    public var y: Double
    /// Number of atoms.
    public var count: Int
    /// Fewer occupied in-plane neighbour columns than a bulk column
    /// (``FCCCrystal/bulkNeighbourCount``).
    public var isSurface: Bool
    /// 3D atom positions in the beam frame, Å: x, y as above, z along the beam (ordered by z).
    public var atoms: [SIMD3<Double>]
}

/// Internal, compact column record: atoms `anchor + k·step` for `k` in `lo...hi` (contiguous).
struct ColumnRecord: Sendable, Equatable {
    var id: Int
    var key: LatticeIndex
    var anchor: LatticeIndex
    var lo: Int
    var hi: Int
    var count: Int { hi - lo + 1 }
}

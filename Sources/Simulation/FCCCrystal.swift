/// A face-centred cubic crystal (default Pt, a = 3.92 Å) viewed along a zone axis.
///
/// Beam frame: unit vectors x̂ (image x, to the right), ŷ (image y, down the rows) and ẑ = x̂ × ŷ
/// along the beam, i.e. along the zone axis [uvw]. x̂ is the cubic [001] projected onto the image
/// plane ([010] when viewing along [001]); for [110] that makes x̂ = [001], ŷ = [1-10]/√2.
///
/// Atoms sharing a projected position form a column. Grouping is exact: two lattice points are in
/// the same column iff their difference is a multiple of [uvw], tested in integer arithmetic (for
/// lattice points this is the same as "projected positions within 0.1 Å": distinct columns are
/// ≥ a/2 apart for [110] and [100]).
public struct FCCCrystal: Sendable, Equatable, Codable {
    /// Cubic lattice constant, Å.
    public let latticeConstant: Double
    /// Viewing direction.
    public let zoneAxis: ZoneAxis

    /// Unit vectors of the beam frame in cubic coordinates.
    let ex: SIMD3<Double>, ey: SIMD3<Double>, ez: SIMD3<Double>
    /// Shortest lattice translation along the zone axis, half-lattice units.
    let step: LatticeIndex
    /// `step · [uvw]`: the increment of `h · [uvw]` from one atom of a column to the next.
    let stepDot: Int
    /// Column-key differences (`nn × [uvw]`) of the in-plane neighbour columns, one per column,
    /// with a nearest-neighbour vector `nn` that reaches it.
    let neighbourOffsets: [(key: LatticeIndex, nn: LatticeIndex)]

    /// `a` in Å (Pt: 3.92), viewing direction (default [110]).
    public init(latticeConstant: Double = 3.92, zoneAxis: ZoneAxis = .z110) {
        precondition(latticeConstant > 0, "lattice constant must be positive")
        self.latticeConstant = latticeConstant
        self.zoneAxis = zoneAxis
        let d = zoneAxis.index
        let dv = d.vector
        ez = dv / (dv * dv).sum().squareRoot()
        let reference: SIMD3<Double> = (d.x == 0 && d.y == 0) ? SIMD3(0, 1, 0) : SIMD3(0, 0, 1)
        let inPlane = reference - (reference * ez).sum() * ez
        ex = inPlane / (inPlane * inPlane).sum().squareRoot()
        ey = SIMD3(ez.y * ex.z - ez.z * ex.y, ez.z * ex.x - ez.x * ex.z, ez.x * ex.y - ez.y * ex.x)
        step = d.isFCC ? d : 2 * d
        stepDot = step.dot(d)
        var offsets: [(key: LatticeIndex, nn: LatticeIndex)] = []
        for nn in LatticeIndex.nearestNeighbours {
            let k = nn.cross(d)
            if k != .zero && !offsets.contains(where: { $0.key == k }) { offsets.append((k, nn)) }
        }
        neighbourOffsets = offsets
    }

    public static func == (l: FCCCrystal, r: FCCCrystal) -> Bool {
        l.latticeConstant == r.latticeConstant && l.zoneAxis == r.zoneAxis
    }

    enum CodingKeys: String, CodingKey {
        case latticeConstant = "lattice_constant_A", zoneAxis = "zone_axis"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(latticeConstant: try c.decode(Double.self, forKey: .latticeConstant),
                  zoneAxis: try c.decode(ZoneAxis.self, forKey: .zoneAxis))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(latticeConstant, forKey: .latticeConstant)
        try c.encode(zoneAxis, forKey: .zoneAxis)
    }

    // MARK: Derived geometry

    /// Distance between neighbouring atoms along a column, Å ([110]: a/√2, [100]: a).
    public var atomSpacingAlongColumn: Double {
        (step.vector * step.vector).sum().squareRoot() * latticeConstant / 2
    }

    /// Number of in-plane neighbour columns of a bulk column: columns holding a 3D nearest
    /// neighbour (distance a/√2) of its atoms. [110]: 6, [100]: 8, [111]: 6.
    public var bulkNeighbourCount: Int { neighbourOffsets.count }

    /// Shortest projected distance between two columns, Å ([110]: a·√6/4, [100]: a/2).
    public var nearestColumnDistance: Double {
        neighbourOffsets.map { o in
            let p = projected(o.nn)
            return (p.x * p.x + p.y * p.y).squareRoot()
        }.min() ?? 0
    }

    // MARK: Coordinates

    /// Position of a lattice point in the beam frame, Å (x, y image plane; z along the beam).
    func position(_ h: LatticeIndex) -> SIMD3<Double> {
        let c = h.vector * (latticeConstant / 2)
        return SIMD3((c * ex).sum(), (c * ey).sum(), (c * ez).sum())
    }

    /// Projected (x, y) of a lattice point, Å.
    func projected(_ h: LatticeIndex) -> (x: Double, y: Double) {
        let p = position(h)
        return (p.x, p.y)
    }

    /// Identifies the column through `h`: equal for all lattice points on one line along [uvw].
    func columnKey(_ h: LatticeIndex) -> LatticeIndex { h.cross(zoneAxis.index) }

    /// The column's canonical anchor (its lattice point with 0 ≤ h·[uvw] < stepDot) and the index
    /// of `h` along the column: `h = anchor + k·step`.
    func anchor(of h: LatticeIndex) -> (anchor: LatticeIndex, k: Int) {
        let k = floorDiv(h.dot(zoneAxis.index), stepDot)
        return (h - k * step, k)
    }
}

import Foundation
import StemCore

/// Integer coefficients (i, j) of a 2D lattice vector i·b₁ + j·b₂.
public struct LatticeOffset: Sendable, Hashable, Codable {
    public var i: Int
    public var j: Int
    public init(_ i: Int, _ j: Int) { self.i = i; self.j = j }
    public static func + (l: LatticeOffset, r: LatticeOffset) -> LatticeOffset { LatticeOffset(l.i + r.i, l.j + r.j) }
    public static func - (l: LatticeOffset, r: LatticeOffset) -> LatticeOffset { LatticeOffset(l.i - r.i, l.j - r.j) }
    public static func * (k: Int, v: LatticeOffset) -> LatticeOffset { LatticeOffset(k * v.i, k * v.j) }
}

/// The 2D lattice of atomic columns of a crystal seen along its zone axis: the reduced basis
/// (the two shortest non-collinear projected lattice vectors, b₁·b₂ ≥ 0), the 3D lattice
/// vectors behind them, the in-plane neighbour columns and the depth of each column's atoms.
///
/// A column is in-plane neighbour of another when it holds a 3D nearest neighbour of its atoms;
/// a bulk column has ``bulkNeighbourCount`` of them (fcc: 6 along [110], 4 along [100] and 6
/// along [111]). Cubic lattices only: projections of Bravais lattices are Bravais lattices.
public struct ProjectedLattice: Sendable {
    public let crystal: Crystal
    /// Reduced basis in the beam plane, Å (|b₁| ≤ |b₂|, angle 60°…90°).
    public let b1: SIMD2<Double>
    public let b2: SIMD2<Double>
    /// 3D lattice vectors projecting onto b₁ and b₂, half-lattice-constant units.
    let lattice1: Int3
    let lattice2: Int3
    /// Shortest lattice translation along the beam, half-lattice-constant units.
    let period: Int3
    /// Coefficients of the in-plane neighbour columns.
    public let neighbourOffsets: [LatticeOffset]
    /// Distance between atoms along a column, Å.
    public let periodLength: Double
    /// Depth along the beam (Å, modulo ``periodLength``) of the column through i·b₁ + j·b₂ is
    /// i·depth1 + j·depth2.
    public let depth1: Double
    public let depth2: Double

    public init(_ crystal: Crystal) {
        self.crystal = crystal
        let z = crystal.zoneAxis.vector
        let zz = Double(z.dot(z))
        let half = crystal.latticeConstant / 2
        // Beam frame: ez along the zone axis, ex = cubic [001] (or [010]) made perpendicular.
        let ez = z.double / zz.squareRoot()
        let ref: SIMD3<Double> = (z.x == 0 && z.y == 0) ? SIMD3(0, 1, 0) : SIMD3(0, 0, 1)
        var ex = ref - (ref * ez).sum() * ez
        ex /= (ex * ex).sum().squareRoot()
        let ey = SIMD3(ez.y * ex.z - ez.z * ex.y, ez.z * ex.x - ez.x * ex.z, ez.x * ex.y - ez.y * ex.x)
        func plane(_ h: Int3) -> SIMD2<Double> {
            let v = h.double * half
            return SIMD2((v * ex).sum(), (v * ey).sum())
        }
        func length(_ p: SIMD2<Double>) -> Double { (p * p).sum().squareRoot() }
        // Candidates: lattice points in a box, shortest projection first (deterministic ties).
        var points: [(h: Int3, p: SIMD2<Double>, l: Double)] = []
        let n = 6
        for a in -n...n { for b in -n...n { for c in -n...n {
            let h = Int3(a, b, c)
            guard crystal.isLatticePoint(h) else { continue }
            let p = plane(h)
            let l = length(p)
            if l > 1e-9 * half { points.append((h, p, l)) }
        } } }
        points.sort { ($0.l, $0.h.dot($0.h), $0.h.x, $0.h.y, $0.h.z) < ($1.l, $1.h.dot($1.h), $1.h.x, $1.h.y, $1.h.z) }
        let first = points[0]
        let second = points.first { abs(first.p.x * $0.p.y - first.p.y * $0.p.x) > 1e-6 * half * half }!
        var h2 = second.h, p2 = second.p
        if (first.p * p2).sum() < 0 { h2 = Int3(0, 0, 0) - h2; p2 = -p2 }
        lattice1 = first.h; lattice2 = h2
        b1 = first.p; b2 = p2
        // Shortest translation along the beam.
        period = crystal.isLatticePoint(z) ? z : 2 * z
        periodLength = Double(period.dot(period)).squareRoot() * half
        depth1 = Double(first.h.dot(z)) / zz.squareRoot() * half
        depth2 = Double(h2.dot(z)) / zz.squareRoot() * half
        // In-plane neighbours: projections of the 3D nearest neighbours that are not along the beam.
        let det = b1.x * b2.y - b1.y * b2.x
        var offsets: [LatticeOffset] = []
        for v in crystal.nearestNeighbours {
            let p = plane(v)
            guard length(p) > 1e-9 * half else { continue }
            let i = ((p.x * b2.y - p.y * b2.x) / det).rounded(), j = ((b1.x * p.y - b1.y * p.x) / det).rounded()
            let o = LatticeOffset(Int(i), Int(j))
            if !offsets.contains(o) { offsets.append(o) }
        }
        neighbourOffsets = offsets.sorted { ($0.i, $0.j) < ($1.i, $1.j) }
    }

    /// Number of in-plane neighbour columns of a bulk column.
    public var bulkNeighbourCount: Int { neighbourOffsets.count }

    /// The vector i·b₁ + j·b₂, Å.
    public func vector(_ o: LatticeOffset) -> SIMD2<Double> { Double(o.i) * b1 + Double(o.j) * b2 }

    /// Area of the primitive cell, Å² (one column per cell).
    public var cellArea: Double { abs(b1.x * b2.y - b1.y * b2.x) }

    /// Shape of the reduced cell: |b₂|/|b₁| and the angle between them, radians.
    var shape: (ratio: Double, angle: Double) { cellShape(b1, b2) }

    /// The 3D lattice vector (half units) behind a 2D lattice vector.
    func lattice3D(_ o: LatticeOffset) -> Int3 { o.i * lattice1 + o.j * lattice2 }

    /// Miller family of the plane seen edge-on along the row direction `o` ("{111}", …): its
    /// normal is the row's 3D direction × the zone axis.
    public func family(ofRow o: LatticeOffset) -> String {
        lattice3D(o).cross(crystal.zoneAxis.vector).family
    }

    /// Row directions considered for facets: primitive lattice vectors no longer than
    /// `maximumLength` × |b₁|, one of each ± pair, shortest first.
    public func rowDirections(maximumLength: Double) -> [LatticeOffset] {
        var list: [(LatticeOffset, Double)] = []
        let limit = maximumLength * length(b1)
        for i in -6...6 { for j in -6...6 {
            guard gcd(i, j) == 1 else { continue }
            guard i > 0 || (i == 0 && j > 0) else { continue }
            let o = LatticeOffset(i, j)
            let l = length(vector(o))
            if l <= limit * (1 + 1e-9) { list.append((o, l)) }
        } }
        return list.sorted { ($0.1, $0.0.i, $0.0.j) < ($1.1, $1.0.i, $1.0.j) }.map(\.0)
    }

    /// Offsets of the sites one lattice row further out than a site on a row along `row`, on
    /// side `side` (+1: to the left of the row direction, −1: right), whose position along the
    /// row is within half a row step of the site: the sites that must be empty for the site to
    /// be on a facet. (One site, or two at ±½ step on rectangular lattices.)
    public func outerSites(row: LatticeOffset, side: Int) -> [LatticeOffset] {
        let t = vector(row)
        let tl = length(t)
        let tHat = t / tl
        let nHat = SIMD2(-tHat.y, tHat.x) * Double(side)
        let spacing = cellArea / tl
        var list: [LatticeOffset] = []
        for i in -8...8 { for j in -8...8 {
            let o = LatticeOffset(i, j)
            let v = vector(o)
            if abs((v * nHat).sum() - spacing) < 1e-6 * spacing, abs((v * tHat).sum()) <= tl / 2 * (1 + 1e-9) {
                list.append(o)
            }
        } }
        return list
    }
}

func length(_ p: SIMD2<Double>) -> Double { (p * p).sum().squareRoot() }

/// |b|/|a| and the angle between a and b, radians.
func cellShape(_ a: SIMD2<Double>, _ b: SIMD2<Double>) -> (ratio: Double, angle: Double) {
    let la = length(a), lb = length(b)
    let c = max(-1, min(1, (a * b).sum() / (la * lb)))
    return (lb / la, acos(c))
}

import Foundation
import StemCore

/// The two shortest projected lattice vectors measured from fitted column positions.
///
/// Method: the vectors from every column to its neighbours within 1.6 × the median
/// nearest-neighbour distance are folded onto a half plane (v ≡ −v); the densest cluster gives the
/// first lattice vector, the densest cluster not parallel to it the second. The pair is reduced
/// (Lagrange–Gauss: |a₁| ≤ |a₂|, |a₁·a₂| ≤ |a₁|²/2, a₁·a₂ ≥ 0) and refined by least squares
/// over every neighbour vector that is close to an integer combination i·a₁ + j·a₂.
public struct MeasuredLattice: Sendable, Codable, Equatable {
    /// Reduced basis, px (x = column index, y = row index).
    public var a1: SIMD2<Double>
    public var a2: SIMD2<Double>
    /// RMS distance of the neighbour vectors from their lattice vectors, px.
    public var residual: Double
    /// Neighbour vectors used in the refinement.
    public var pairs: Int

    /// |a₁|, |a₂|, px.
    public var length1: Double { length(a1) }
    public var length2: Double { length(a2) }
    /// Angle between a₁ and a₂, degrees.
    public var angle: Double { cellShape(a1, a2).angle * 180 / .pi }
    /// Area of the primitive cell, px².
    public var cellArea: Double { abs(a1.x * a2.y - a1.y * a2.x) }

    /// The vector i·a₁ + j·a₂, px.
    public func vector(_ o: LatticeOffset) -> SIMD2<Double> { Double(o.i) * a1 + Double(o.j) * a2 }

    /// Nearest integer coefficients of `d` (px) and the distance from that lattice vector.
    public func coefficients(of d: SIMD2<Double>) -> (offset: LatticeOffset, residual: Double) {
        let det = a1.x * a2.y - a1.y * a2.x
        let i = ((d.x * a2.y - d.y * a2.x) / det).rounded(), j = ((a1.x * d.y - a1.y * d.x) / det).rounded()
        let o = LatticeOffset(Int(i), Int(j))
        return (o, length(d - vector(o)))
    }

    /// Measures the lattice of `points` (px). Throws when there are fewer than 4 columns or no
    /// two independent directions.
    public static func measure(_ points: [Point]) throws(StructureError) -> MeasuredLattice {
        guard points.count >= 4 else { throw .tooFewColumns(found: points.count, needed: 4) }
        let nn = medianNearestDistance(points)
        guard nn > 0, nn.isFinite else { throw .noLattice("columns coincide") }
        let grid = SpatialGrid(points, cellSize: nn)
        var vectors: [SIMD2<Double>] = []
        for (i, p) in points.enumerated() {
            grid.forEach(within: 1.6 * nn, of: p) { j in
                guard j != i else { return }
                var v = SIMD2(points[j].x - p.x, points[j].y - p.y)
                if v.y < 0 || (v.y == 0 && v.x < 0) { v = -v }
                vectors.append(v)
            }
        }
        guard vectors.count >= 4 else { throw .noLattice("columns are isolated") }
        // Density clustering on at most 3000 vectors (evenly strided, deterministic).
        let stride = max(1, vectors.count / 3000)
        let sample = Swift.stride(from: 0, to: vectors.count, by: stride).map { vectors[$0] }
        let tol = 0.15 * nn
        func clusterMean(_ c: SIMD2<Double>) -> (SIMD2<Double>, Int) {
            var s = SIMD2<Double>(0, 0), n = 0
            for v in sample where length(v - c) < tol { s += v; n += 1 }
            return (n > 0 ? s / Double(n) : c, n)
        }
        let density = neighbourCounts(sample, within: tol)
        let order = sample.indices.sorted { (density[$0], -length(sample[$0])) > (density[$1], -length(sample[$1])) }
        let first = clusterMean(sample[order[0]]).0
        guard let k = order.first(where: { i in
            let v = sample[i]
            return abs(first.x * v.y - first.y * v.x) > 0.25 * length(first) * length(v) && density[i] >= 2
        }) else { throw .noLattice("all neighbours lie along one direction") }
        var (a1, a2) = reduce(first, clusterMean(sample[k]).0)
        // Refinement: least squares over all vectors with integer coefficients.
        var residual = 0.0, pairs = 0
        for _ in 0..<3 {
            let m = MeasuredLattice(a1: a1, a2: a2, residual: 0, pairs: 0)
            var sii = 0.0, sij = 0.0, sjj = 0.0, sxi = SIMD2<Double>(0, 0), sxj = SIMD2<Double>(0, 0)
            var ss = 0.0, used = 0
            for v in vectors {
                let (o, r) = m.coefficients(of: v)
                guard r < 0.25 * m.length1, o != LatticeOffset(0, 0) else { continue }
                let fi = Double(o.i), fj = Double(o.j)
                sii += fi * fi; sij += fi * fj; sjj += fj * fj
                sxi += fi * v; sxj += fj * v
                ss += r * r; used += 1
            }
            let det = sii * sjj - sij * sij
            guard used >= 4, abs(det) > 1e-9 else { throw .noLattice("too few neighbour vectors fit a lattice") }
            a1 = (sjj * sxi - sij * sxj) / det
            a2 = (sii * sxj - sij * sxi) / det
            (a1, a2) = reduce(a1, a2)
            residual = (ss / Double(used)).squareRoot(); pairs = used
        }
        return MeasuredLattice(a1: a1, a2: a2, residual: residual, pairs: pairs)
    }

    /// For each vector, how many vectors of `vectors` (itself included) lie closer than `radius`:
    /// the same counts as comparing every pair (`length(u − v) < radius`), found on a grid of
    /// cells of side `radius`/2. Cells wholly inside or outside the circle (with a margin far
    /// above rounding) are counted or skipped whole; only the members of cells that cross the
    /// circle are compared one by one. Neighbour vectors of a lattice fall in a few tight clusters,
    /// so this is close to linear where the pairwise count was quadratic.
    static func neighbourCounts(_ vectors: [SIMD2<Double>], within radius: Double) -> [Int] {
        func direct() -> [Int] { vectors.map { c in vectors.reduce(0) { $0 + (length($1 - c) < radius ? 1 : 0) } } }
        guard vectors.count > 64, radius > 0, radius.isFinite,
              vectors.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else { return direct() }
        let h = radius / 2
        let lo = SIMD2(vectors.map(\.x).min()!, vectors.map(\.y).min()!)
        let hi = SIMD2(vectors.map(\.x).max()!, vectors.map(\.y).max()!)
        // Cells per axis, checked in floating point before any conversion (huge extents or a tiny
        // radius fall back to the direct count instead of overflowing).
        let fx = ((hi.x - lo.x) / h).rounded(.down) + 1, fy = ((hi.y - lo.y) / h).rounded(.down) + 1
        guard fx.isFinite, fy.isFinite, fx * fy <= Double(16 * vectors.count + 1024) else { return direct() }
        let nx = Int(fx), ny = Int(fy)
        func cell(_ v: SIMD2<Double>) -> (Int, Int) {
            (min(nx - 1, Int(((v.x - lo.x) / h).rounded(.down))), min(ny - 1, Int(((v.y - lo.y) / h).rounded(.down))))
        }
        // Members of each cell, contiguous (counting sort by cell).
        var start = [Int](repeating: 0, count: nx * ny + 1)
        let home = vectors.map { v -> Int in let (i, j) = cell(v); return j * nx + i }
        for k in home { start[k + 1] += 1 }
        for k in 0..<(nx * ny) { start[k + 1] += start[k] }
        var fill = start, members = [Int](repeating: 0, count: vectors.count)
        for (m, k) in home.enumerated() { members[fill[k]] = m; fill[k] += 1 }
        let margin = 1e-6 * h
        return vectors.map { c in
            var n = 0
            let (ci, cj) = cell(c)
            let reach = 3
            for j in max(0, cj - reach)...min(ny - 1, cj + reach) {
                let y0 = lo.y + Double(j) * h - margin, y1 = lo.y + Double(j + 1) * h + margin
                for i in max(0, ci - reach)...min(nx - 1, ci + reach) {
                    let a = start[j * nx + i], b = start[j * nx + i + 1]
                    guard b > a else { continue }
                    let x0 = lo.x + Double(i) * h - margin, x1 = lo.x + Double(i + 1) * h + margin
                    let dxNear = max(0, max(x0 - c.x, c.x - x1)), dyNear = max(0, max(y0 - c.y, c.y - y1))
                    if (dxNear * dxNear + dyNear * dyNear).squareRoot() >= radius + margin { continue }
                    let dxFar = max(abs(x0 - c.x), abs(x1 - c.x)), dyFar = max(abs(y0 - c.y), abs(y1 - c.y))
                    if (dxFar * dxFar + dyFar * dyFar).squareRoot() < radius - margin {
                        n += b - a
                    } else {
                        for m in members[a..<b] where length(vectors[m] - c) < radius { n += 1 }
                    }
                }
            }
            return n
        }
    }

    /// Median distance from each point to its nearest other point.
    static func medianNearestDistance(_ points: [Point]) -> Double {
        let xs = points.map(\.x), ys = points.map(\.y)
        let area = max((xs.max()! - xs.min()!) * (ys.max()! - ys.min()!), 1)
        let grid = SpatialGrid(points, cellSize: max((area / Double(points.count)).squareRoot(), 1e-3))
        var d: [Double] = []
        for (i, p) in points.enumerated() {
            if let j = grid.nearest(to: p, excluding: i) {
                d.append(((points[j].x - p.x) * (points[j].x - p.x) + (points[j].y - p.y) * (points[j].y - p.y)).squareRoot())
            }
        }
        d.sort()
        return d.isEmpty ? 0 : d[d.count / 2]
    }
}

/// Lagrange–Gauss reduction of a 2D basis: |a| ≤ |b|, |a·b| ≤ |a|²/2, then b's sign chosen so
/// that a·b ≥ 0 (angle 60°…90°).
func reduce(_ u: SIMD2<Double>, _ v: SIMD2<Double>) -> (SIMD2<Double>, SIMD2<Double>) {
    var a = u, b = v
    if (a * a).sum() > (b * b).sum() { swap(&a, &b) }
    for _ in 0..<64 {
        let mu = ((a * b).sum() / (a * a).sum()).rounded()
        b -= mu * a
        if (b * b).sum() < (a * a).sum() { swap(&a, &b) } else { break }
    }
    if (a * b).sum() < 0 { b = -b }
    return (a, b)
}

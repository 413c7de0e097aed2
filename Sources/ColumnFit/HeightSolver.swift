import CLapacke
import StemCore

/// Solves for all peak heights η and the background ζ jointly by (weighted) linear least squares,
/// positions and widths held fixed.
///
/// The normal matrix Gᵢⱼ = Σₚ wₚ eᵢ(p) eⱼ(p) of the unit Gaussians is sparse: only columns whose
/// supports overlap couple. Ordering columns by (y, x) makes it banded, and it is factorised with
/// LAPACK's banded Cholesky (`dpbsv`). The background, which couples to every column, is
/// eliminated by a Schur complement. Unweighted sums factorise over x and y.
struct HeightSolver {
    /// OpenBLAS limited to one thread before the first solve (see ``LinearAlgebraThreads``).
    static let blasConfigured: Bool = LinearAlgebraThreads.useOwnParallelism()

    struct Solution {
        var eta: [Double]
        var background: Double
        /// Weighted residual sum of squares at the solution.
        var rss: Double
    }

    let width: Int
    let height: Int
    /// `imageSums(image, nil, background)` for unweighted solves, computed once per fit.
    var cachedSums: (Double, Double, Double)? = nil

    /// Σw, Σw(I − ζ₀), Σw(I − ζ₀)² over all pixels.
    static func imageSums(_ image: [Double], weights: [Double]?, background bg0: Double) -> (Double, Double, Double) {
        var sumW = 0.0, sumWI = 0.0, sumWI2 = 0.0
        for p in 0..<image.count {
            let w = weights?[p] ?? 1
            let d = image[p] - bg0
            sumW += w; sumWI += w * d; sumWI2 += w * d * d
        }
        return (sumW, sumWI, sumWI2)
    }

    /// - Parameters:
    ///   - image: data.
    ///   - weights: per-pixel weights or nil (unit weights).
    ///   - fixedBackground: the background when it is not fitted.
    ///   - candidates: for each column, the higher-indexed columns that may overlap it (from
    ///     ``candidatePairs``); computed here when nil.
    func solve(image: [Double], weights: [Double]?, windows: [GaussianWindow],
               positions: [(x: Double, y: Double)], fixedBackground: Double?,
               candidates: [[Int]]? = nil) -> Solution? {
        let n = windows.count
        guard n > 0 else { return nil }
        // Band ordering.
        let order = (0..<n).sorted { positions[$0].y != positions[$1].y ? positions[$0].y < positions[$1].y
                                                                      : positions[$0].x < positions[$1].x }
        var rank = [Int](repeating: 0, count: n)
        for (r, i) in order.enumerated() { rank[i] = r }
        // Overlapping pairs.
        let maxExtent = windows.map { Double(max($0.ex.count, $0.ey.count)) }.max() ?? 1
        let near = candidates ?? Self.candidatePairs(positions, radius: maxExtent * 1.5)
        var pairs: [[Int]] = Array(repeating: [], count: n)
        var kd = 0
        for i in 0..<n {
            for j in near[i] {
                if overlap(windows[i], windows[j]) != nil {
                    pairs[i].append(j)
                    kd = max(kd, abs(rank[i] - rank[j]))
                }
            }
        }
        // Right-hand sides: h = Σ w e I (minus fixed background), c = Σ w e.
        let bg0 = fixedBackground ?? 0
        var h = [Double](repeating: 0, count: n), c = [Double](repeating: 0, count: n)
        var diag = [Double](repeating: 0, count: n)
        let hs = SharedSlots<(Double, Double, Double)>(repeating: (0, 0, 0), count: n)
        image.withUnsafeBufferPointer { img in
            let imgSlots = UnsafeSendable(img)
            parallelFor(n, minimumChunk: 16) { i in
                let win = windows[i]
                var sh = 0.0, sc = 0.0, sd = 0.0
                for (j, ey) in win.ey.enumerated() {
                    let row = (win.y0 + j) * width + win.x0
                    for (k, ex) in win.ex.enumerated() {
                        let e = ex * ey
                        let w = weights?[row + k] ?? 1
                        sh += w * e * (imgSlots.buffer[row + k] - bg0)
                        sc += w * e
                        sd += w * e * e
                    }
                }
                hs[i] = (sh, sc, sd)
            }
        }
        for (i, v) in hs.drain().enumerated() { h[i] = v.0; c[i] = v.1; diag[i] = v.2 }
        // Banded normal matrix, LAPACK upper band storage, column-major: AB[kd + r − s, s], r ≤ s.
        let ldab = kd + 1
        var ab = [Double](repeating: 0, count: ldab * n)
        for i in 0..<n { ab[kd + rank[i] * ldab] = diag[i] }
        for i in 0..<n {
            for j in pairs[i] {
                let g = cross(windows[i], windows[j], weights)
                let (r, s) = rank[i] < rank[j] ? (rank[i], rank[j]) : (rank[j], rank[i])
                ab[kd + r - s + s * ldab] = g
            }
        }
        var rhs = [Double](repeating: 0, count: 2 * n)
        for i in 0..<n { rhs[rank[i]] = h[i]; rhs[n + rank[i]] = c[i] }
        _ = HeightSolver.blasConfigured
        let info = LAPACKE_dpbsv(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "U")), Int32(n), Int32(kd), 2,
                                 &ab, Int32(ldab), &rhs, Int32(n))
        guard info == 0 else { return nil }
        var u = [Double](repeating: 0, count: n), v = [Double](repeating: 0, count: n)
        for i in 0..<n { u[i] = rhs[rank[i]]; v[i] = rhs[n + rank[i]] }
        // Background by Schur complement: ζ = (t − c·u) / (S − c·v).
        let (sumW, sumWI, sumWI2) = weights == nil && cachedSums != nil ? cachedSums!
            : Self.imageSums(image, weights: weights, background: bg0)
        var background = bg0
        var eta = u
        var rss = sumWI2
        for i in 0..<n { rss -= u[i] * h[i] }
        if fixedBackground == nil {
            var cu = 0.0, cv = 0.0
            for i in 0..<n { cu += c[i] * u[i]; cv += c[i] * v[i] }
            let denom = sumW - cv
            guard denom > 0 else { return nil }
            let zeta = (sumWI - cu) / denom
            background = zeta
            for i in 0..<n { eta[i] = u[i] - zeta * v[i] }
            rss = sumWI2 - zeta * sumWI
            for i in 0..<n { rss -= eta[i] * h[i] }
        }
        return Solution(eta: eta, background: background, rss: rss)
    }

    /// For each point, the higher-indexed points within `radius` (px).
    static func candidatePairs(_ positions: [(x: Double, y: Double)], radius: Double) -> [[Int]] {
        let grid = PointGrid(positions, cell: max(2, radius / 1.5))
        return positions.indices.map { i in
            grid.within(radius, of: positions[i].x, positions[i].y).filter { $0 > i }
        }
    }

    private func overlap(_ a: GaussianWindow, _ b: GaussianWindow) -> (Int, Int, Int, Int)? {
        let x0 = max(a.x0, b.x0), x1 = min(a.x1, b.x1), y0 = max(a.y0, b.y0), y1 = min(a.y1, b.y1)
        return x0 <= x1 && y0 <= y1 ? (x0, x1, y0, y1) : nil
    }

    /// Σ w eₐ e_b over the overlap; separable when unweighted.
    private func cross(_ a: GaussianWindow, _ b: GaussianWindow, _ weights: [Double]?) -> Double {
        guard let (x0, x1, y0, y1) = overlap(a, b) else { return 0 }
        if let weights {
            var s = 0.0
            for y in y0...y1 {
                let eya = a.ey[y - a.y0] * b.ey[y - b.y0]
                for x in x0...x1 { s += weights[y * width + x] * eya * a.ex[x - a.x0] * b.ex[x - b.x0] }
            }
            return s
        }
        var sx = 0.0, sy = 0.0
        for x in x0...x1 { sx += a.ex[x - a.x0] * b.ex[x - b.x0] }
        for y in y0...y1 { sy += a.ey[y - a.y0] * b.ey[y - b.y0] }
        return sx * sy
    }
}

/// Read-only views that parallel loops may share.
struct UnsafeSendable: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<Double>
    init(_ b: UnsafeBufferPointer<Double>) { buffer = b }
}

/// Dense symmetric positive-definite systems of a few unknowns (per-column normal equations),
/// solved by Cholesky in place; too small for a LAPACK call to pay off.
enum SmallSPD {
    /// Solves `A x = b` for n×n `A` (row-major, symmetric). Returns nil if `A` is not positive definite.
    static func solve(_ a: [Double], _ b: [Double], n: Int) -> [Double]? {
        guard let l = cholesky(a, n: n) else { return nil }
        var z = b
        for i in 0..<n {
            var s = z[i]
            for k in 0..<i { s -= l[i * n + k] * z[k] }
            z[i] = s / l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = z[i]
            for k in (i + 1)..<n { s -= l[k * n + i] * z[k] }
            z[i] = s / l[i * n + i]
        }
        return z
    }

    /// Inverse of a small SPD matrix (row-major), or nil.
    static func inverse(_ a: [Double], n: Int) -> [Double]? {
        var out = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var e = [Double](repeating: 0, count: n)
            e[j] = 1
            guard let col = solve(a, e, n: n) else { return nil }
            for i in 0..<n { out[i * n + j] = col[i] }
        }
        return out
    }

    static func cholesky(_ a: [Double], n: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard s > 0, s.isFinite else { return nil }
                    l[i * n + i] = s.squareRoot()
                } else {
                    l[i * n + j] = s / l[j * n + j]
                }
            }
        }
        return l
    }
}

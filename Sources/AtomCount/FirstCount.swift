import Foundation

/// The atom count of a mixture's first component, from the shape of its means.
///
/// Cross-sections grow with the number of atoms n nearly in proportion and slightly sub-linearly
/// (channelling), μ(n) ≈ b·n^γ with γ ≈ 0.8–1 for heavy atoms in HAADF (Van Aert et al., PRB 87
/// (2013) 064107; De Backer et al., Ultramicroscopy 134 (2013) 23). Only the right first count
/// n₀ makes consecutive components n₀, n₀ + 1, … follow such a law with γ in that range.
public enum FirstCount {
    /// The count of the first component from the shape of the means: for each n₀ = 1…30 the power
    /// law μⱼ = b·(n₀ + j)^γ is fitted to the means (weighted by the proportions, log–log least
    /// squares refined by Gauss–Newton), and the n₀ with the smallest weighted residual whose γ lies
    /// in `exponents` is taken (γ is the mean exponent of the cross-section–thickness curve, 0.8–1
    /// for heavy atoms in HAADF). Returns (n₀, γ); (1, γ at n₀ = 1) when no n₀ qualifies.
    public static func infer(means: [Double], proportions: [Double],
                                  exponents: ClosedRange<Double> = 0.7...1.05) -> (Int, Double) {
        let k = means.count
        guard k >= 2, means.allSatisfy({ $0 > 0 }) else { return (1, 1) }
        let w = proportions.map { max($0, 1e-6) }
        var best: (e: Double, n0: Int, g: Double)? = nil
        var atOne = 1.0
        for n0 in 1...30 {
            let n = (0..<k).map { Double(n0 + $0) }
            // Weighted log–log regression as the start.
            let lx = n.map(log), ly = means.map(log)
            let sw = w.reduce(0, +)
            let mx = zip(w, lx).reduce(0) { $0 + $1.0 * $1.1 } / sw, my = zip(w, ly).reduce(0) { $0 + $1.0 * $1.1 } / sw
            var sxy = 0.0, sxx = 0.0
            for j in 0..<k { sxy += w[j] * (lx[j] - mx) * (ly[j] - my); sxx += w[j] * (lx[j] - mx) * (lx[j] - mx) }
            var g = sxx > 0 ? sxy / sxx : 1
            var b = exp(my - g * mx)
            // Gauss–Newton on Σ wⱼ (b nⱼ^γ − μⱼ)².
            for _ in 0..<20 {
                var a11 = 0.0, a12 = 0.0, a22 = 0.0, r1 = 0.0, r2 = 0.0
                for j in 0..<k {
                    let p = pow(n[j], g), f = b * p, r = means[j] - f
                    let d1 = p, d2 = f * log(n[j])
                    a11 += w[j] * d1 * d1; a12 += w[j] * d1 * d2; a22 += w[j] * d2 * d2
                    r1 += w[j] * d1 * r; r2 += w[j] * d2 * r
                }
                let det = a11 * a22 - a12 * a12
                guard abs(det) > 1e-300 else { break }
                let db = (a22 * r1 - a12 * r2) / det, dg = (a11 * r2 - a12 * r1) / det
                b += db; g += dg
                if abs(dg) < 1e-10 { break }
            }
            var e = 0.0
            for j in 0..<k { let r = means[j] - b * pow(n[j], g); e += w[j] * r * r }
            if n0 == 1 { atOne = g }
            if exponents.contains(g), best == nil || e < best!.e { best = (e, n0, g) }
        }
        return best.map { ($0.n0, $0.g) } ?? (1, atOne)
    }
}

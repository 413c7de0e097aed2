import Foundation

/// What turns a cross-section into a number of atoms: one Gaussian per atom count, with means
/// (cross-section of each count), proportions and a width. Produced by a mixture fit
/// (``MixtureCounter``) or a scaled simulated library (``LibraryCounter``); stored with each
/// frame it counted so that a run can say which model counted which frame.
public struct CountingModel: Sendable, Codable, Equatable {
    public enum Source: String, Sendable, Codable { case mixture, library }

    /// Identifier, stable for the same parameters ("gmm-10-…" / "lib-…").
    public var id: String
    public var source: Source
    /// Atom count of each component, ascending.
    public var counts: [Int]
    /// Mean cross-section of each component (image units × Å², or whatever the input used).
    public var means: [Double]
    /// Component proportions (sum 1).
    public var proportions: [Double]
    /// Shared standard deviation of a component.
    public var sigma: Double
    /// Optional dose-dependent variance: component variance = σ² + μ·`poissonScale`
    /// (1/dose for cross-sections in fraction-of-beam × Å² and dose in e⁻/Å²).
    public var poissonScale: Double?

    public init(source: Source, counts: [Int], means: [Double], proportions: [Double], sigma: Double,
                poissonScale: Double? = nil) {
        self.source = source
        self.counts = counts
        self.means = means
        self.proportions = proportions
        self.sigma = sigma
        self.poissonScale = poissonScale
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in means + [sigma] + proportions {
            var bits = v.bitPattern
            for _ in 0..<8 { h = (h ^ (bits & 0xff)) &* 0x100_0000_01b3; bits >>= 8 }
        }
        let hex = String(h, radix: 16)
        id = "\(source == .mixture ? "gmm" : "lib")-\(means.count)-\(hex.prefix(10))"
    }

    func variance(_ j: Int) -> Double { sigma * sigma + max(0, means[j]) * (poissonScale ?? 0) }

    /// Component index with the highest posterior probability for cross-section `x`.
    public func component(of x: Double) -> Int {
        var best = 0, bestValue = -Double.infinity
        for j in means.indices {
            let value = logWeight(j, x)
            if value > bestValue { bestValue = value; best = j }
        }
        return best
    }

    /// Most probable component of `x` and its posterior probability.
    public func posterior(_ x: Double) -> (component: Int, probability: Double) {
        let values = means.indices.map { logWeight($0, x) }
        let best = values.indices.max { values[$0] < values[$1] } ?? 0
        let total = values.reduce(0) { $0 + exp($1 - values[best]) }
        return (best, 1 / total)
    }

    /// Number of atoms for cross-section `x`.
    public func count(_ x: Double) -> Int { counts[component(of: x)] }

    /// Log of the model density at x.
    public func logDensity(_ x: Double) -> Double {
        let terms = means.indices.map { logWeight($0, x) }
        let m = terms.max() ?? 0
        return m + log(terms.reduce(0) { $0 + exp($1 - m) }) - 0.5 * log(2 * Double.pi)
    }

    /// log πⱼ + log N(x; μⱼ, σⱼ²) without the constant −½ log 2π.
    private func logWeight(_ j: Int, _ x: Double) -> Double {
        let v2 = variance(j)
        let d = x - means[j]
        return log(max(proportions[j], 1e-300)) - 0.5 * log(v2) - 0.5 * d * d / v2
    }

    /// Probability that a column drawn from the model is assigned its true count, Σⱼ πⱼ·P(correct | j),
    /// with the maximum-a-posteriori decision rule (De Backer et al., Ultramicroscopy 151 (2015) 46).
    /// Integrated numerically over each component (±8 standard deviations).
    public var probabilityOfCorrectCounting: Double {
        var total = 0.0
        for j in means.indices {
            let s = variance(j).squareRoot()
            let steps = 4000
            let lo = means[j] - 8 * s, hi = means[j] + 8 * s
            let dx = (hi - lo) / Double(steps)
            var p = 0.0
            for k in 0..<steps {
                let x = lo + (Double(k) + 0.5) * dx
                if component(of: x) == j {
                    let z = (x - means[j]) / s
                    p += exp(-0.5 * z * z) / (s * (2 * Double.pi).squareRoot()) * dx
                }
            }
            total += proportions[j] * p
        }
        return total
    }
}

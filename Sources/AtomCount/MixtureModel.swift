import Foundation

/// A one-dimensional Gaussian mixture with one shared width, the model StatSTEM fits to
/// scattering cross-sections (Van Aert et al., Phys. Rev. B 87 (2013) 064107; De Backer et al.,
/// Ultramicroscopy 134 (2013) 23): component j has mean μⱼ (cross-section of one atom count),
/// proportion πⱼ and all share the standard deviation σ (same units as the cross-sections).
public struct MixtureModel: Sendable, Codable, Equatable {
    /// Component means, ascending.
    public var means: [Double]
    /// Shared standard deviation.
    public var sigma: Double
    /// Mixing proportions, summing to 1.
    public var proportions: [Double]

    public init(means: [Double], sigma: Double, proportions: [Double]) {
        precondition(means.count == proportions.count && !means.isEmpty)
        let order = means.indices.sorted { means[$0] < means[$1] }
        self.means = order.map { means[$0] }
        self.proportions = order.map { proportions[$0] }
        self.sigma = sigma
    }

    public var components: Int { means.count }

    /// log of the mixture density at x.
    public func logDensity(_ x: Double) -> Double {
        var terms = [Double](repeating: 0, count: components)
        return logDensity(x, scratch: &terms)
    }

    func logDensity(_ x: Double, scratch: inout [Double]) -> Double {
        let c = -0.5 * log(2 * Double.pi) - log(sigma)
        var best = -Double.infinity
        for j in 0..<components {
            let z = (x - means[j]) / sigma
            scratch[j] = log(max(proportions[j], 1e-300)) + c - 0.5 * z * z
            best = max(best, scratch[j])
        }
        var s = 0.0
        for j in 0..<components { s += exp(scratch[j] - best) }
        return best + log(s)
    }

    /// Total log-likelihood of the data.
    public func logLikelihood(_ xs: [Double]) -> Double {
        var scratch = [Double](repeating: 0, count: components)
        return xs.reduce(0) { $0 + logDensity($1, scratch: &scratch) }
    }

    /// The most probable component of x (0-based).
    public func component(of x: Double) -> Int {
        var best = 0, bestValue = -Double.infinity
        for j in 0..<components {
            let z = (x - means[j]) / sigma
            let v = log(max(proportions[j], 1e-300)) - 0.5 * z * z
            if v > bestValue { bestValue = v; best = j }
        }
        return best
    }
}

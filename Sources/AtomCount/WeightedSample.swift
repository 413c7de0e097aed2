import Foundation

/// Cross-sections prepared for mixture fitting: sorted values with weights.
///
/// Up to `exactLimit` values every value is kept (weight 1), so that likelihoods and criteria are
/// exactly StatSTEM's. Beyond that the values are reduced to a histogram of `bins` equal bins over
/// their range, each represented by the mean of its values with weight = their number. With bins of
/// width h ≪ σ the likelihood changes by O(h²/12σ²) (Sheppard's correction): at 2,048 bins over a
/// range of 50 components h/σ ≈ 0.06, so the fitted parameters move by far less than their standard
/// errors, and an EM iteration costs the same for 10⁴ or 10⁶ columns.
public struct WeightedSample: Sendable {
    /// Ascending.
    public let values: [Double]
    public let weights: [Double]
    /// Number of original values (Σ weights).
    public let count: Double

    public static let exactLimit = 4096

    /// Given values (ascending) and weights.
    init(values: [Double], weights: [Double]) {
        self.values = values; self.weights = weights
        count = weights.reduce(0, +)
    }

    public init(_ xs: [Double], bins: Int = 2048, exactLimit: Int = WeightedSample.exactLimit) {
        count = Double(xs.count)
        let sorted = xs.sorted()
        guard xs.count > exactLimit, let lo = sorted.first, let hi = sorted.last, hi > lo else {
            values = sorted
            weights = [Double](repeating: 1, count: sorted.count)
            return
        }
        var sums = [Double](repeating: 0, count: bins), ns = [Double](repeating: 0, count: bins)
        let scale = Double(bins) / (hi - lo)
        for x in sorted {
            let b = min(bins - 1, Int((x - lo) * scale))
            sums[b] += x; ns[b] += 1
        }
        let filled = (0..<bins).filter { ns[$0] > 0 }
        values = filled.map { sums[$0] / ns[$0] }
        weights = filled.map { ns[$0] }
    }

    public var minimum: Double { values.first ?? 0 }
    public var maximum: Double { values.last ?? 0 }
    public var mean: Double { zip(values, weights).reduce(0) { $0 + $1.0 * $1.1 } / count }
    public var standardDeviation: Double {
        let m = mean
        return (zip(values, weights).reduce(0) { $0 + $1.1 * ($1.0 - m) * ($1.0 - m) } / count).squareRoot()
    }
}

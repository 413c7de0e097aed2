import Dispatch
import Foundation

/// Per-index result slots written by parallel loops.
final class Slots<T>: @unchecked Sendable {
    private var storage: [T?]
    private let lock = NSLock()
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    subscript(i: Int) -> T? {
        get { lock.lock(); defer { lock.unlock() }; return storage[i] }
        set { lock.lock(); storage[i] = newValue; lock.unlock() }
    }
    var values: [T] { lock.lock(); defer { lock.unlock() }; return storage.map { $0! } }
}

/// Expectation–maximisation for ``MixtureModel`` (shared width), with the information criteria
/// used to choose the number of components.
///
/// The E step visits, for each value, only the components within 7 widths of it (the others'
/// memberships are below e⁻²⁴ of the largest), so an iteration costs O(values × overlap) rather
/// than O(values × components); with ``WeightedSample`` binning it is independent of the number of
/// columns as well.
public enum MixtureEM {
    /// A converged fit and its criteria. Parameters: k means, k − 1 free proportions and one width,
    /// so 2k in all.
    public struct Fit: Sendable, Codable, Equatable {
        public var model: MixtureModel
        public var logLikelihood: Double
        /// Integrated classification likelihood, −2 log L + p ln n + 2·EN(τ) with EN the entropy of the
        /// posterior memberships (Biernacki et al., IEEE TPAMI 22 (2000) 719; StatSTEM's definition).
        public var icl: Double
        /// −2 log L + p ln n.
        public var bic: Double
        /// −2 log L + 2p.
        public var aic: Double
        public var iterations: Int
        /// Number of free parameters p.
        public var parameters: Int
        /// Entropy of the posterior memberships EN(τ) (nats, summed over columns).
        public var entropy: Double

        public var components: Int { model.components }
    }

    /// Sufficient statistics of one E step.
    struct Statistics {
        var t: [Double], tx: [Double], txx: [Double]
        var logL = 0.0, entropy = 0.0
        init(_ k: Int) { t = .init(repeating: 0, count: k); tx = t; txx = t }
    }

    /// One E step over `sample` for sorted `means`: memberships accumulated into sums (nothing per value stored).
    static func expectation(_ sample: WeightedSample, means: [Double], sigma: Double, proportions: [Double],
                            entropy wantEntropy: Bool = false) -> Statistics {
        let k = means.count
        var st = Statistics(k)
        let logPi = proportions.map { log(max($0, 1e-300)) }
        let c = -0.5 * log(2 * Double.pi) - log(sigma)
        let cut = 7 * sigma, inv = 1 / sigma
        var scratch = [Double](repeating: 0, count: k)
        var j0 = 0, j1 = 0
        let xs = sample.values, ws = sample.weights
        for b in xs.indices {
            let x = xs[b], w = ws[b]
            while j0 < k && means[j0] < x - cut { j0 += 1 }
            if j1 < j0 { j1 = j0 }
            while j1 < k && means[j1] <= x + cut { j1 += 1 }
            var lo = j0, hi = j1
            if lo == hi {   // no component within reach: the nearest takes the value
                if lo == k || (lo > 0 && x - means[lo - 1] < means[lo] - x) { lo -= 1 }
                hi = lo + 1
            }
            var best = -Double.infinity
            for j in lo..<hi {
                let z = (x - means[j]) * inv
                scratch[j] = logPi[j] + c - 0.5 * z * z
                if scratch[j] > best { best = scratch[j] }
            }
            var s = 0.0
            for j in lo..<hi {
                let d = scratch[j] - best
                scratch[j] = d < -40 ? 0 : exp(d)
                s += scratch[j]
            }
            let norm = w / s
            var h = 0.0
            for j in lo..<hi where scratch[j] > 0 {
                let t = scratch[j] * norm
                st.t[j] += t; st.tx[j] += t * x; st.txx[j] += t * x * x
                if wantEntropy { let p = scratch[j] / s; h -= p * log(p) }
            }
            st.entropy += w * h
            st.logL += w * (best + log(s))
        }
        return st
    }

    /// Runs EM from `start` until the log-likelihood changes by less than `tolerance` (relative to
    /// n) or `maxIterations`. The width is kept above `minimumSigma` so that no component
    /// collapses onto a single value.
    public static func fit(_ sample: WeightedSample, start: MixtureModel,
                           maxIterations: Int = 1000, tolerance: Double = 1e-9, minimumSigma: Double) -> Fit {
        let n = sample.count, k = start.components
        var means = start.means, sigma = max(start.sigma, minimumSigma), props = start.proportions
        var previous = -Double.infinity
        var st = Statistics(k)
        var iterations = 0
        for it in 1...max(1, maxIterations) {
            iterations = it
            st = expectation(sample, means: means, sigma: sigma, proportions: props)
            if abs(st.logL - previous) <= tolerance * n || it == maxIterations { break }
            previous = st.logL
            // M step.
            for j in 0..<k where st.t[j] > 1e-12 { means[j] = st.tx[j] / st.t[j] }
            // Σᵢⱼ τᵢⱼ(xᵢ − μⱼ)² = Σⱼ (Σᵢτᵢⱼxᵢ² − 2μⱼ Σᵢτᵢⱼxᵢ + μⱼ² Σᵢτᵢⱼ).
            var ss = 0.0
            for j in 0..<k { ss += st.txx[j] - 2 * means[j] * st.tx[j] + means[j] * means[j] * st.t[j] }
            sigma = max(minimumSigma, (max(0, ss) / n).squareRoot())
            props = st.t.map { $0 / n }
            if zip(means, means.dropFirst()).contains(where: { $0 > $1 }) {
                let order = means.indices.sorted { means[$0] < means[$1] }
                means = order.map { means[$0] }; props = order.map { props[$0] }
            }
        }
        let final = expectation(sample, means: means, sigma: sigma, proportions: props, entropy: true)
        let model = MixtureModel(means: means, sigma: sigma, proportions: props)
        let p = 2 * k, lnN = log(n)
        return Fit(model: model, logLikelihood: final.logL, icl: -2 * final.logL + Double(p) * lnN + 2 * final.entropy,
                   bic: -2 * final.logL + Double(p) * lnN, aic: -2 * final.logL + 2 * Double(p), iterations: iterations,
                   parameters: p, entropy: final.entropy)
    }

    /// Every value kept (StatSTEM's exact likelihood); see ``fit(_:start:maxIterations:tolerance:minimumSigma:)-(WeightedSample,_,_,_,_)``.
    public static func fit(_ xs: [Double], start: MixtureModel, maxIterations: Int = 1000,
                           tolerance: Double = 1e-9, minimumSigma: Double) -> Fit {
        fit(WeightedSample(xs, exactLimit: .max), start: start, maxIterations: maxIterations, tolerance: tolerance,
            minimumSigma: minimumSigma)
    }

    /// Width floor for a sample: no component narrower than 10⁻⁴ of the range.
    static func minimumSigma(_ s: WeightedSample) -> Double { max(1e-12, 1e-4 * (s.maximum - s.minimum)) }

    /// Fits k = 1…maxComponents greedily: the k-component fit starts from the (k − 1) solution with
    /// one new component inserted in a gap between its means (or beyond an end), each candidate run
    /// briefly, and the candidate with the best likelihood run to convergence. Every gap is screened
    /// by default (as StatSTEM does); with `screened` beyond 24 components only that many gaps, those
    /// where the model misses most columns (faster, but on a real Au rod it misses the best 44-component
    /// fit). `continuing` extends an earlier sequence.
    public static func fitSequence(_ xs: [Double], maxComponents: Int, screened: Int = .max) -> [Fit] {
        precondition(xs.count >= 2, "mixture fitting needs at least two values")
        return fitSequence(WeightedSample(xs), maxComponents: maxComponents, screened: screened)
    }

    public static func fitSequence(_ sample: WeightedSample, maxComponents: Int, screened: Int = .max,
                                   continuing previous: [Fit] = []) -> [Fit] {
        let minimumSigma = minimumSigma(sample)
        var fits = previous
        if fits.isEmpty {
            fits = [fit(sample, start: MixtureModel(means: [sample.mean], sigma: max(sample.standardDeviation, minimumSigma),
                                                    proportions: [1]), minimumSigma: minimumSigma)]
        }
        guard maxComponents > fits.count else { return fits }
        for k in (fits.count + 1)...maxComponents {
            let prev = fits[k - 2].model
            let edges = ([sample.minimum] + prev.means + [sample.maximum]).sorted()
            var gaps = Array(0..<(edges.count - 1))
            if k > 24 && gaps.count > screened {
                // Where the model misses columns: (observed − expected)²/expected per gap.
                let cdf: (Double) -> Double = { x in
                    zip(prev.means, prev.proportions).reduce(0) { $0 + $1.1 * 0.5 * erfc(-(x - $1.0) / (prev.sigma * 2.0.squareRoot())) }
                }
                let score: [Double] = gaps.map { g in
                    let a = edges[g], b = edges[g + 1]
                    var observed = 0.0
                    for (x, w) in zip(sample.values, sample.weights) where x >= a && (x < b || g == gaps.count - 1) { observed += w }
                    let expected = max(1e-9, sample.count * (cdf(b) - cdf(a)))
                    return (observed - expected) * (observed - expected) / expected
                }
                gaps = Array(gaps.sorted { score[$0] > score[$1] }.prefix(screened))
            }
            let props = prev.proportions.map { $0 * Double(k - 1) / Double(k) } + [1 / Double(k)]
            let starts = gaps.map { g in
                MixtureModel(means: prev.means + [0.5 * (edges[g] + edges[g + 1])], sigma: prev.sigma, proportions: props)
            }
            // Screen the candidates briefly, in parallel (one slot each: the result does not depend on timing).
            let slots = Slots<Fit>(count: starts.count)
            DispatchQueue.concurrentPerform(iterations: starts.count) { c in
                slots[c] = fit(sample, start: starts[c], maxIterations: 25, minimumSigma: minimumSigma)
            }
            let screenedFits = slots.values
            let best = screenedFits.indices.max { screenedFits[$0].logLikelihood < screenedFits[$1].logLikelihood
                || (screenedFits[$0].logLikelihood == screenedFits[$1].logLikelihood && $0 > $1) }.map { screenedFits[$0] }!
            fits.append(fit(sample, start: best.model, tolerance: 1e-8, minimumSigma: minimumSigma))
        }
        return fits
    }
}

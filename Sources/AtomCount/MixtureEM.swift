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
public enum MixtureEM {
    /// A converged fit and its criteria. Parameters: k means, k − 1 free proportions, one width,
    /// so 2k in all.
    public struct Fit: Sendable, Codable, Equatable {
        public var model: MixtureModel
        public var logLikelihood: Double
        /// Integrated classification likelihood, −2 log L + 2k ln n + 2·EN(τ) with EN the entropy of the
        /// posterior memberships (Biernacki et al., IEEE TPAMI 22 (2000) 719; StatSTEM's definition).
        public var icl: Double
        /// −2 log L + 2k ln n.
        public var bic: Double
        /// −2 log L + 2·2k.
        public var aic: Double
        public var iterations: Int

        public var components: Int { model.components }
    }

    /// Runs EM from `start` until the log-likelihood changes by less than `tolerance` (relative to
    /// n) or `maxIterations`. The width is kept above `minimumSigma` so that no component
    /// collapses onto a single value.
    public static func fit(_ xs: [Double], start: MixtureModel, maxIterations: Int = 1000,
                           tolerance: Double = 1e-9, minimumSigma: Double) -> Fit {
        let n = xs.count, k = start.components
        var model = start
        var tau = [Double](repeating: 0, count: n * k)
        var previous = -Double.infinity
        var logL = -Double.infinity
        var iterations = 0
        var scratch = [Double](repeating: 0, count: k)
        for it in 1...maxIterations {
            iterations = it
            // E step.
            logL = 0
            let c = -0.5 * log(2 * Double.pi) - log(model.sigma)
            let logPi = model.proportions.map { log(max($0, 1e-300)) }
            for i in 0..<n {
                var best = -Double.infinity
                for j in 0..<k {
                    let z = (xs[i] - model.means[j]) / model.sigma
                    scratch[j] = logPi[j] + c - 0.5 * z * z
                    best = max(best, scratch[j])
                }
                var s = 0.0
                for j in 0..<k {
                    // Terms e⁻⁴⁰ below the largest change nothing at double precision.
                    let d = scratch[j] - best
                    scratch[j] = d < -40 ? 0 : exp(d)
                    s += scratch[j]
                }
                let inv = 1 / s
                for j in 0..<k { tau[i * k + j] = scratch[j] * inv }
                logL += best + log(s)
            }
            if abs(logL - previous) <= tolerance * Double(n) { break }
            previous = logL
            // M step.
            var sumT = [Double](repeating: 0, count: k), sumTX = [Double](repeating: 0, count: k)
            var sumX2 = 0.0
            for i in 0..<n {
                let x = xs[i]
                sumX2 += x * x
                for j in 0..<k { let t = tau[i * k + j]; sumT[j] += t; sumTX[j] += t * x }
            }
            for j in 0..<k where sumT[j] > 1e-12 { model.means[j] = sumTX[j] / sumT[j] }
            // Σᵢⱼ τᵢⱼ(xᵢ − μⱼ)² = Σx² − 2Σⱼ μⱼ Σᵢτᵢⱼxᵢ + Σⱼ μⱼ² Σᵢτᵢⱼ (memberships sum to 1).
            var ss = sumX2
            for j in 0..<k { ss += model.means[j] * (model.means[j] * sumT[j] - 2 * sumTX[j]) }
            model.sigma = max(minimumSigma, (max(0, ss) / Double(n)).squareRoot())
            model.proportions = sumT.map { $0 / Double(n) }
        }
        var entropy = 0.0
        for t in tau where t > 0 { entropy -= t * log(t) }
        let sorted = MixtureModel(means: model.means, sigma: model.sigma, proportions: model.proportions)
        let p = Double(2 * k), lnN = log(Double(n))
        return Fit(model: sorted, logLikelihood: logL, icl: -2 * logL + p * lnN + 2 * entropy,
                   bic: -2 * logL + p * lnN, aic: -2 * logL + 2 * p, iterations: iterations)
    }

    /// Fits k = 1…maxComponents greedily: the k-component fit starts from the (k − 1) solution with
    /// one new component inserted in each gap between its means (and beyond each end), each run
    /// briefly, and the candidate with the best likelihood is run to convergence.
    public static func fitSequence(_ xs: [Double], maxComponents: Int) -> [Fit] {
        precondition(xs.count >= 2, "mixture fitting needs at least two values")
        let n = Double(xs.count)
        let mean = xs.reduce(0, +) / n
        let sd = (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        let lo = xs.min()!, hi = xs.max()!
        let minimumSigma = max(1e-12, 1e-4 * (hi - lo))
        var fits = [fit(xs, start: MixtureModel(means: [mean], sigma: max(sd, minimumSigma), proportions: [1]),
                        minimumSigma: minimumSigma)]
        guard maxComponents > 1 else { return fits }
        for k in 2...maxComponents {
            let prev = fits[k - 2].model
            var edges = [lo] + prev.means + [hi]
            edges.sort()
            var candidates: [MixtureModel] = []
            for g in 0..<(edges.count - 1) {
                let newMean = 0.5 * (edges[g] + edges[g + 1])
                let props = prev.proportions.map { $0 * Double(k - 1) / Double(k) } + [1 / Double(k)]
                candidates.append(MixtureModel(means: prev.means + [newMean], sigma: prev.sigma, proportions: props))
            }
            // Screen the candidates briefly, in parallel (one slot each: the result does not depend on timing).
            let starts = candidates
            let slots = Slots<Fit>(count: starts.count)
            DispatchQueue.concurrentPerform(iterations: starts.count) { c in
                slots[c] = fit(xs, start: starts[c], maxIterations: 25, minimumSigma: minimumSigma)
            }
            let screened = slots.values
            let best = screened.indices.max { screened[$0].logLikelihood < screened[$1].logLikelihood
                || (screened[$0].logLikelihood == screened[$1].logLikelihood && $0 > $1) }.map { screened[$0] }!
            fits.append(fit(xs, start: best.model, minimumSigma: minimumSigma))
        }
        return fits
    }
}

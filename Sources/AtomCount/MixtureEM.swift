import Dispatch
import Foundation
import StemCore

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

    /// Sufficient statistics of one E step.
    struct Statistics {
        var t: [Double], tx: [Double], txx: [Double]
        var logL = 0.0, entropy = 0.0
        init(_ k: Int) { t = .init(repeating: 0, count: k); tx = t; txx = t }
    }

    /// One E step over `sample` for sorted `means`: memberships accumulated into sums (nothing per value stored).
    static func expectation(_ sample: WeightedSample, means: [Double], sigma: Double, proportions: [Double],
                            entropy wantEntropy: Bool = false, parallel: Bool = false) -> Statistics {
        let n = sample.values.count
        guard parallel && n >= 1024 else {
            return expectation(sample, 0..<n, means: means, sigma: sigma, proportions: proportions, entropy: wantEntropy)
        }
        // Two halves on two cores, summed in a fixed order (the result does not depend on timing).
        let slots = SharedSlots<Statistics?>(repeating: nil, count: 2)
        DispatchQueue.concurrentPerform(iterations: 2) { h in
            slots[h] = expectation(sample, h == 0 ? 0..<(n / 2) : (n / 2)..<n, means: means, sigma: sigma,
                                   proportions: proportions, entropy: wantEntropy)
        }
        let parts = slots.drain().map { $0! }
        var st = parts[0]
        for j in means.indices { st.t[j] += parts[1].t[j]; st.tx[j] += parts[1].tx[j]; st.txx[j] += parts[1].txx[j] }
        st.logL += parts[1].logL; st.entropy += parts[1].entropy
        return st
    }

    static func expectation(_ sample: WeightedSample, _ range: Range<Int>, means: [Double], sigma: Double,
                            proportions: [Double], entropy wantEntropy: Bool) -> Statistics {
        let k = means.count
        var st = Statistics(k)
        guard !range.isEmpty else { return st }
        let c = -0.5 * log(2 * Double.pi) - log(sigma)
        let cut = 7 * sigma, inv = 1 / sigma
        let xs = sample.values, ws = sample.weights
        // Only the components within reach of this range's values: log proportions for those alone.
        let reachLo = max(0, lowerBound(means, xs[range.lowerBound] - cut) - 1)
        let reachHi = min(k, lowerBound(means, xs[range.upperBound - 1] + cut) + 1)
        var logPi = [Double](repeating: 0, count: k)
        for j in reachLo..<reachHi { logPi[j] = log(max(proportions[j], 1e-300)) }
        var scratch = [Double](repeating: 0, count: k)
        var logL = 0.0, entropy = 0.0
        means.withUnsafeBufferPointer { mu in
        logPi.withUnsafeBufferPointer { lp in
        scratch.withUnsafeMutableBufferPointer { sc in
        st.t.withUnsafeMutableBufferPointer { tt in
        st.tx.withUnsafeMutableBufferPointer { tx in
        st.txx.withUnsafeMutableBufferPointer { txx in
            var j0 = max(0, reachLo), j1 = j0
            for b in range {
                let x = xs[b], w = ws[b]
                while j0 < k && mu[j0] < x - cut { j0 += 1 }
                if j1 < j0 { j1 = j0 }
                while j1 < k && mu[j1] <= x + cut { j1 += 1 }
                var lo = j0, hi = j1
                if lo == hi {   // no component within reach: the nearest takes the value
                    if lo == k || (lo > 0 && x - mu[lo - 1] < mu[lo] - x) { lo -= 1 }
                    hi = lo + 1
                }
                var best = -Double.infinity
                for j in lo..<hi {
                    let z = (x - mu[j]) * inv
                    let v = lp[j] + c - 0.5 * z * z
                    sc[j] = v
                    if v > best { best = v }
                }
                var sum = 0.0
                for j in lo..<hi {
                    let d = sc[j] - best
                    let e = d < -40 ? 0 : exp(d)
                    sc[j] = e
                    sum += e
                }
                let norm = w / sum
                var h = 0.0
                for j in lo..<hi where sc[j] > 0 {
                    let t = sc[j] * norm
                    tt[j] += t; tx[j] += t * x; txx[j] += t * x * x
                    if wantEntropy { let p = sc[j] / sum; h -= p * log(p) }
                }
                entropy += w * h
                logL += w * (best + log(sum))
            }
        } } } } } }
        st.logL = logL; st.entropy = entropy
        return st
    }

    /// Runs EM from `start` until the log-likelihood changes by less than `tolerance` (relative to
    /// n) or `maxIterations`. The width is kept above `minimumSigma` so that no component
    /// collapses onto a single value.
    public static func fit(_ sample: WeightedSample, start: MixtureModel,
                           maxIterations: Int = 1000, tolerance: Double = 1e-9, minimumSigma: Double,
                           parallel: Bool = false) -> Fit {
        let n = sample.count, k = start.components
        var means = start.means, sigma = max(start.sigma, minimumSigma), props = start.proportions
        var previous = -Double.infinity
        var st = Statistics(k)
        var iterations = 0
        for it in 1...max(1, maxIterations) {
            iterations = it
            st = expectation(sample, means: means, sigma: sigma, proportions: props, parallel: parallel)
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
        let final = expectation(sample, means: means, sigma: sigma, proportions: props, entropy: true, parallel: parallel)
        let model = MixtureModel(means: means, sigma: sigma, proportions: props)
        let p = 2 * k, lnN = log(n)
        return Fit(model: model, logLikelihood: final.logL, icl: -2 * final.logL + Double(p) * lnN + 2 * final.entropy,
                   bic: -2 * final.logL + Double(p) * lnN, aic: -2 * final.logL + 2 * Double(p), iterations: iterations)
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
    /// briefly (25 EM iterations), and the candidate with the best likelihood run to convergence, as
    /// StatSTEM does. From `localScreening` components on, a candidate is screened locally: only
    /// the new component and its two neighbours on each side move, only the columns within 4σ of
    /// them are visited, and the candidates are ranked by the gain in log-likelihood this brings
    /// (the rest of the data enter through the renormalised proportions). That makes screening
    /// cost O(k) instead of O(k²) per step; the selected candidate is still converged globally.
    /// `continuing` extends an earlier sequence.
    public static func fitSequence(_ xs: [Double], maxComponents: Int, localScreening: Int = 25) -> [Fit] {
        precondition(xs.count >= 2, "mixture fitting needs at least two values")
        return fitSequence(WeightedSample(xs), maxComponents: maxComponents, localScreening: localScreening)
    }

    public static func fitSequence(_ sample: WeightedSample, maxComponents: Int, localScreening: Int = 25,
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
            let gaps = Array(0..<(edges.count - 1))
            let props = prev.proportions.map { $0 * Double(k - 1) / Double(k) } + [1 / Double(k)]
            let starts = gaps.map { g in
                MixtureModel(means: prev.means + [0.5 * (edges[g] + edges[g + 1])], sigma: prev.sigma, proportions: props)
            }
            // Screen the candidates briefly, in parallel (one slot each: the result does not depend on timing).
            let slots = SharedSlots<(model: MixtureModel, score: Double)?>(repeating: nil, count: starts.count)
            let local = k >= localScreening
            DispatchQueue.concurrentPerform(iterations: starts.count) { c in
                if local {
                    slots[c] = screenLocally(sample, previous: prev, start: starts[c], iterations: 25)
                } else {
                    let f = fit(sample, start: starts[c], maxIterations: 25, minimumSigma: minimumSigma)
                    slots[c] = (f.model, f.logLikelihood)
                }
            }
            let screened = slots.drain().map { $0! }
            let best = screened.indices.max { screened[$0].score < screened[$1].score
                || (screened[$0].score == screened[$1].score && $0 > $1) }!
            fits.append(fit(sample, start: screened[best].model, tolerance: 1e-8, minimumSigma: minimumSigma, parallel: true))
        }
        return fits
    }

    /// Local EM for a candidate `start` = `previous` plus one component: returns the candidate after
    /// `iterations` local steps and its log-likelihood gain over `previous`.
    static func screenLocally(_ sample: WeightedSample, previous: MixtureModel, start: MixtureModel,
                              iterations: Int) -> (model: MixtureModel, score: Double) {
        let k = start.components
        var means = start.means, props = start.proportions
        let sigma = start.sigma
        // The new component: the first index whose mean is not among the previous means.
        var p = k - 1
        for j in 0..<(k - 1) where means[j] != previous.means[j] { p = j; break }
        let free = max(0, p - 2)...min(k - 1, p + 2)
        let lo = means[free.lowerBound] - 4 * sigma, hi = means[free.upperBound] + 4 * sigma
        let xs = sample.values
        let i0 = lowerBound(xs, lo), i1 = lowerBound(xs, hi)
        let window = WeightedSample(values: Array(xs[i0..<i1]), weights: Array(sample.weights[i0..<i1]))
        let inside = window.weights.reduce(0, +), outside = sample.count - inside
        let before = expectation(window, means: previous.means, sigma: sigma, proportions: previous.proportions).logL
        var after = before
        for it in 0...iterations {
            let st = expectation(window, means: means, sigma: sigma, proportions: props)
            after = st.logL
            if it == iterations { break }
            for j in free where st.t[j] > 1e-12 {
                means[j] = st.tx[j] / st.t[j]
                props[j] = st.t[j] / sample.count
            }
            let total = props.reduce(0, +)
            props = props.map { $0 / total }
            if zip(means, means.dropFirst()).contains(where: { $0 > $1 }) {
                let order = means.indices.sorted { means[$0] < means[$1] }
                means = order.map { means[$0] }; props = order.map { props[$0] }
            }
        }
        // Columns outside the window keep their components, whose proportions were rescaled.
        let fixedNow = props.indices.filter { !free.contains($0) }.reduce(0.0) { $0 + props[$1] }
        var prevFixed = 0.0
        for j in 0..<(k - 1) {
            let newIndex = j < p ? j : j + 1
            if !free.contains(newIndex) { prevFixed += previous.proportions[j] }
        }
        let outsideGain = prevFixed > 0 && fixedNow > 0 ? outside * log(fixedNow / prevFixed) : 0
        return (MixtureModel(means: means, sigma: sigma, proportions: props), after - before + outsideGain)
    }

    static func lowerBound(_ xs: [Double], _ v: Double) -> Int {
        var a = 0, b = xs.count
        while a < b { let m = (a + b) / 2; if xs[m] < v { a = m + 1 } else { b = m } }
        return a
    }
}

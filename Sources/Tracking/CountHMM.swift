import AtomCount
import Foundation

/// Hidden Markov model of a column's atom count along its track (De wael et al., Ultramicroscopy
/// 219 (2020) 113131): hidden states are atom counts, observations the fitted cross-sections.
///
/// - Emission of count n for an observation counted by model m: Gaussian with the model's mean for
///   n and its variance σ² + μ·`poissonScale`; counts outside the model's range use the mean
///   extrapolated linearly from its two nearest components. An observation whose model is unknown
///   emits only its own count.
/// - Transitions: one banded Toeplitz matrix shared by all tracks and counts, P(n → n + d) = p_d
///   for |d| ≤ `maxJump` (rows renormalised at the ends of the count range); a gap of k frames in a
///   track uses the k-th matrix power.
/// - Estimation: Baum–Welch over all tracks with scaled forward–backward recursions (Rabiner,
///   Proc. IEEE 77 (1989) 257); the M step sets p_d ∝ the expected number of transitions with
///   difference d between consecutive frames (+ 0.5 pseudo-count), ignoring the small effect of the
///   renormalised boundary rows. The initial count distribution is uniform.
/// - Decoding: Viterbi (most probable count path); the confidence of each decoded count is its
///   posterior probability from forward–backward.
public struct CountHMM: CountSmoother, Codable, Equatable {
    /// Largest count change per frame.
    public var maxJump: Int
    /// p_d for d = −maxJump … maxJump (sum 1).
    public var transition: [Double]

    /// A model with stay probability `stay` and the rest spread over the ±d changes ∝ 1/d².
    public init(maxJump: Int = 2, stay: Double = 0.98) {
        self.maxJump = max(1, maxJump)
        var p = [Double](repeating: 0, count: 2 * self.maxJump + 1)
        let weights = (1...self.maxJump).map { 1 / Double($0 * $0) }
        let total = 2 * weights.reduce(0, +)
        for d in 1...self.maxJump {
            p[self.maxJump + d] = (1 - stay) * weights[d - 1] / total
            p[self.maxJump - d] = (1 - stay) * weights[d - 1] / total
        }
        p[self.maxJump] = stay
        transition = p
    }

    public init(maxJump: Int, transition: [Double]) {
        precondition(transition.count == 2 * maxJump + 1, "transition needs 2·maxJump + 1 entries")
        self.maxJump = maxJump
        let s = transition.reduce(0, +)
        self.transition = transition.map { $0 / s }
    }

    /// Probability of keeping the count from one frame to the next.
    public var stayProbability: Double { transition[maxJump] }

    /// Result of Baum–Welch.
    public struct Fit: Sendable {
        public var model: CountHMM
        public var iterations: Int
        public var logLikelihood: Double
        public var converged: Bool
    }

    /// Estimates the shared transition probabilities from all tracks by Baum–Welch, starting from
    /// `initial`; stops when the log-likelihood improves by less than `tolerance` × |log L|.
    public static func fit(_ tracks: [[CountObservation]], models: [String: CountingModel],
                           initial: CountHMM = CountHMM(), maxIterations: Int = 100, tolerance: Double = 1e-7) -> Fit {
        var model = initial
        let space = StateSpace(tracks: tracks, models: models, margin: initial.maxJump)
        let emissions = tracks.map { space.logEmissions($0, models: models) }
        var previous = -Double.infinity
        var iterations = 0, converged = false
        var logL = -Double.infinity
        while iterations < maxIterations {
            iterations += 1
            var counts = [Double](repeating: 0.5, count: model.transition.count)
            logL = 0
            let matrices = model.matrices(states: space.count, maxGap: maxGap(tracks))
            for (track, e) in zip(tracks, emissions) where !track.isEmpty {
                let r = model.forwardBackward(track, logEmissions: e, states: space.count, matrices: matrices, accumulate: &counts)
                logL += r.logLikelihood
            }
            let total = counts.reduce(0, +)
            model.transition = counts.map { $0 / total }
            if logL - previous < tolerance * max(1, abs(logL)) { converged = true; break }
            previous = logL
        }
        return Fit(model: model, iterations: iterations, logLikelihood: logL, converged: converged)
    }

    /// Viterbi counts of one track (``CountSmoother``).
    public func smooth(_ track: [CountObservation], models: [String: CountingModel]) -> [Int] {
        decode(track, models: models).counts
    }

    /// Viterbi counts and the posterior probability of each decoded count.
    public func decode(_ track: [CountObservation], models: [String: CountingModel]) -> (counts: [Int], confidence: [Double]) {
        guard !track.isEmpty else { return ([], []) }
        let space = StateSpace(tracks: [track], models: models, margin: maxJump)
        let e = space.logEmissions(track, models: models)
        let s = space.count
        let matrices = self.matrices(states: s, maxGap: Self.maxGap([track]))
        let logMatrices = matrices.map { $0.map { $0 > 0 ? log($0) : -Double.infinity } }
        // Viterbi.
        let n = track.count
        var delta = e[0]
        var back = [[Int]](repeating: [Int](repeating: 0, count: s), count: n)
        for t in 1..<max(1, n) where n > 1 {
            let g = min(logMatrices.count - 1, max(1, track[t].frame - track[t - 1].frame) - 1)
            let a = logMatrices[g], w = (g + 1) * maxJump
            var next = [Double](repeating: -Double.infinity, count: s)
            for j in 0..<s {
                var best = -Double.infinity, arg = j
                for i in max(0, j - w)...min(s - 1, j + w) {
                    let v = delta[i] + a[i * s + j]
                    if v > best { best = v; arg = i }
                }
                next[j] = best + e[t][j]
                back[t][j] = arg
            }
            delta = next
        }
        var path = [Int](repeating: 0, count: n)
        var bestEnd = 0
        for j in 0..<s where delta[j] > delta[bestEnd] { bestEnd = j }
        path[n - 1] = bestEnd
        if n > 1 { for t in stride(from: n - 1, to: 0, by: -1) { path[t - 1] = back[t][path[t]] } }
        // Posteriors.
        var dummy = [Double](repeating: 0, count: transition.count)
        let fb = forwardBackward(track, logEmissions: e, states: s, matrices: matrices, accumulate: &dummy, posteriors: true)
        let confidence = (0..<n).map { fb.posteriors[$0][path[$0]] }
        return (path.map { space.count(of: $0) }, confidence)
    }

    static func maxGap(_ tracks: [[CountObservation]]) -> Int {
        var g = 1
        for t in tracks where t.count > 1 { for k in 1..<t.count { g = max(g, t[k].frame - t[k - 1].frame) } }
        return min(g, 16)
    }

    /// Row-stochastic banded matrix and its powers 1…maxGap, row-major s × s.
    func matrices(states s: Int, maxGap: Int) -> [[Double]] {
        var a = [Double](repeating: 0, count: s * s)
        for i in 0..<s {
            var sum = 0.0
            for d in -maxJump...maxJump where i + d >= 0 && i + d < s { sum += transition[d + maxJump] }
            for d in -maxJump...maxJump where i + d >= 0 && i + d < s { a[i * s + i + d] = transition[d + maxJump] / max(sum, 1e-300) }
        }
        var out = [a]
        while out.count < maxGap {
            let p = out.last!
            var q = [Double](repeating: 0, count: s * s)
            for i in 0..<s { for k in 0..<s where p[i * s + k] > 0 { for j in 0..<s { q[i * s + j] += p[i * s + k] * a[k * s + j] } } }
            out.append(q)
        }
        return out
    }

    struct ForwardBackward { var logLikelihood: Double; var posteriors: [[Double]] }

    /// Scaled forward–backward; adds the expected transition counts by difference (consecutive
    /// frames only) to `accumulate`.
    func forwardBackward(_ track: [CountObservation], logEmissions e: [[Double]], states s: Int, matrices: [[Double]],
                         accumulate: inout [Double], posteriors wantPosteriors: Bool = false) -> ForwardBackward {
        let n = track.count
        // Emissions scaled per observation: b_t(j) = exp(e_t(j) − max_t).
        var b = [[Double]](), offsets = [Double]()
        for t in 0..<n {
            let m = e[t].max() ?? 0
            offsets.append(m.isFinite ? m : 0)
            b.append(e[t].map { exp($0 - (m.isFinite ? m : 0)) })
        }
        func gapIndex(_ t: Int) -> Int { min(matrices.count - 1, max(1, track[t].frame - track[t - 1].frame) - 1) }
        func matrix(_ t: Int) -> [Double] { matrices[gapIndex(t)] }
        // Entries of the g-th power vanish beyond g·maxJump of the diagonal.
        func band(_ t: Int) -> Int { (gapIndex(t) + 1) * maxJump }
        var alpha = [[Double]](repeating: [Double](repeating: 0, count: s), count: n)
        var c = [Double](repeating: 1, count: n)
        for j in 0..<s { alpha[0][j] = b[0][j] / Double(s) }
        c[0] = max(alpha[0].reduce(0, +), 1e-300)
        for j in 0..<s { alpha[0][j] /= c[0] }
        for t in 1..<max(1, n) where n > 1 {
            let a = matrix(t), w = band(t)
            var sum = 0.0
            for j in 0..<s {
                var v = 0.0
                for i in max(0, j - w)...min(s - 1, j + w) where alpha[t - 1][i] > 0 { v += alpha[t - 1][i] * a[i * s + j] }
                alpha[t][j] = v * b[t][j]
                sum += alpha[t][j]
            }
            c[t] = max(sum, 1e-300)
            for j in 0..<s { alpha[t][j] /= c[t] }
        }
        var beta = [[Double]](repeating: [Double](repeating: 1, count: s), count: n)
        if n > 1 {
            for t in stride(from: n - 2, through: 0, by: -1) {
                let a = matrix(t + 1), w = band(t + 1)
                for i in 0..<s {
                    var v = 0.0
                    for j in max(0, i - w)...min(s - 1, i + w) where a[i * s + j] > 0 { v += a[i * s + j] * b[t + 1][j] * beta[t + 1][j] }
                    beta[t][i] = v / c[t + 1]
                }
                // Expected transitions (consecutive frames only).
                if track[t + 1].frame - track[t].frame == 1 {
                    for i in 0..<s where alpha[t][i] > 0 {
                        for d in -maxJump...maxJump where i + d >= 0 && i + d < s {
                            let j = i + d
                            accumulate[d + maxJump] += alpha[t][i] * a[i * s + j] * b[t + 1][j] * beta[t + 1][j] / c[t + 1]
                        }
                    }
                }
            }
        }
        let logL = c.reduce(0) { $0 + log($1) } + offsets.reduce(0, +)
        var post: [[Double]] = []
        if wantPosteriors {
            post = (0..<n).map { t in
                let g = (0..<s).map { alpha[t][$0] * beta[t][$0] }
                let z = max(g.reduce(0, +), 1e-300)
                return g.map { $0 / z }
            }
        }
        return ForwardBackward(logLikelihood: logL, posteriors: post)
    }
}

/// The counts a set of tracks can take: from the smallest model count (at least 0) − margin to
/// the largest + margin.
struct StateSpace {
    let low: Int, high: Int
    var count: Int { high - low + 1 }
    func count(of state: Int) -> Int { low + state }

    init(tracks: [[CountObservation]], models: [String: CountingModel], margin: Int) {
        let used = Set(tracks.flatMap { $0.map(\.modelID) })
        var lo = Int.max, hi = Int.min
        for id in used { if let m = models[id], let a = m.counts.first, let b = m.counts.last { lo = min(lo, a); hi = max(hi, b) } }
        for t in tracks { for o in t { lo = min(lo, o.count); hi = max(hi, o.count) } }
        if lo > hi { lo = 0; hi = 0 }
        low = max(0, lo - margin); high = hi + margin
    }

    /// log emission density of every state for every observation.
    func logEmissions(_ track: [CountObservation], models: [String: CountingModel]) -> [[Double]] {
        track.map { o in
            guard let m = models[o.modelID], m.means.count >= 1 else {
                return (0..<count).map { count(of: $0) == o.count ? 0 : -50 }
            }
            return (0..<count).map { s in
                let n = count(of: s)
                let mu = Self.mean(m, count: n)
                let v = m.sigma * m.sigma + max(0, mu) * (m.poissonScale ?? 0)
                let d = o.crossSection - mu
                return -0.5 * log(2 * Double.pi * v) - 0.5 * d * d / v
            }
        }
    }

    /// Mean cross-section of count n under model m (linear extrapolation outside its counts).
    static func mean(_ m: CountingModel, count n: Int) -> Double {
        if let k = m.counts.firstIndex(of: n) { return m.means[k] }
        guard m.means.count >= 2 else {
            // One component: proportional to the count.
            return m.means[0] * Double(n) / Double(max(1, m.counts[0]))
        }
        if n < m.counts[0] {
            let step = (m.means[1] - m.means[0]) / Double(m.counts[1] - m.counts[0])
            return m.means[0] - step * Double(m.counts[0] - n)
        }
        let k = m.counts.count - 1
        let step = (m.means[k] - m.means[k - 1]) / Double(m.counts[k] - m.counts[k - 1])
        return m.means[k] + step * Double(n - m.counts[k])
    }
}

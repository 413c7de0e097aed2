import AtomCount
import Foundation
import StemCore

/// Fixed-lag smoothing of every track's counts with the count ``CountHMM``, one frame at a time:
/// the live counterpart of the offline hidden-Markov smoothing, and the same code offline (a lag
/// at least as long as the series is full forward–backward smoothing).
///
/// For each track the smoother keeps the filtered distribution p(n_k | y_1…y_k) of the count at
/// its last *final* observation k and the observations after it (the window). When a frame
/// arrives, the window of every track observed in it is smoothed by a forward–backward pass that
/// starts from that filtered distribution (Rabiner, Proc. IEEE 77 (1989) 257; fixed-lag smoothing:
/// Särkkä, *Bayesian Filtering and Smoothing*, CUP 2013, ch. 12): each observation's count is the
/// most probable count under p(n_j | y_1…y_t) (its posterior marginal) with that probability as
/// its confidence. An observation of frame f becomes **final** once frame f + `lag` has been
/// seen: its count is then p(n_f | y_1…y_{f+lag})'s mode and is never revised again, and the
/// filtered distribution moves on to it. With `lag` = 0 the counts are filtered (no look-ahead).
///
/// - Emissions as ``CountHMM``: Gaussian with the counting model's mean for n and variance
///   σ² + μ·`poissonScale` (means extrapolated linearly outside the model's counts); an observation
///   whose model is unknown emits only its own count.
/// - Transitions: the model's banded matrix (rows renormalised at the ends of the count range),
///   applied once per frame of a gap.
///
/// All state is plain values (`Codable`), bounded by the active tracks × (lag + 1) observations,
/// so it is saved with every committed frame and a resumed run continues exactly.
public struct FixedLagSmoother: Sendable, Codable, Equatable {
    /// One observation of a track.
    public struct Observation: Sendable, Codable, Equatable {
        public var frame: Int
        /// Index of the column in its frame.
        public var index: Int
        public var crossSection: Double
        /// The counting model's count, and the id of that model.
        public var rawCount: Int
        public var modelID: String?
        /// Position in the frame, px, and acquisition time, s (carried for the events).
        public var x: Double
        public var y: Double
        public var time: Double?
        /// Current smoothed count and its posterior probability.
        public var count: Int
        public var confidence: Double

        public init(frame: Int, index: Int, crossSection: Double, rawCount: Int, modelID: String?,
                    x: Double = 0, y: Double = 0, time: Double? = nil) {
            self.frame = frame; self.index = index; self.crossSection = crossSection
            self.rawCount = rawCount; self.modelID = modelID; self.x = x; self.y = y; self.time = time
            count = rawCount; confidence = 1
        }
    }

    /// A smoothed count of one observation: new, revised, or made final.
    public struct Revision: Sendable, Codable, Equatable {
        public var track: Int
        public var observation: Observation
        /// Whether the count is final (no later frame can change it).
        public var final: Bool
        /// For a final count: the track's previous final observation (nil for its first).
        public var previous: Observation?

        public var frame: Int { observation.frame }
        public var index: Int { observation.index }
        public var count: Int { observation.count }
    }

    struct TrackWindow: Sendable, Codable, Equatable {
        /// Filtered distribution of the count at the last final observation (states 0…), nil before it.
        var filtered: [Double]?
        var lastFinal: Observation?
        var window: [Observation] = []
    }

    public var model: CountHMM
    /// Frames of look-ahead before a count is final.
    public var lag: Int
    /// Smooth (else every count is the observed one, with confidence 1).
    public var enabled: Bool
    @BinaryPacked private var tracks: [Int: TrackWindow] = [:]
    /// Counting models referred to by observations not yet final.
    private var models: [String: CountingModel] = [:]
    /// Last frame seen.
    public private(set) var lastFrame: Int?

    public init(model: CountHMM = CountHMM(), lag: Int = 5, enabled: Bool = true) {
        self.model = model
        self.lag = max(0, lag)
        self.enabled = enabled
    }

    /// Observations not yet final.
    public var pendingObservations: Int { tracks.values.reduce(0) { $0 + $1.window.count } }

    /// Adds the counted, linked columns of frame `frame` (`observations` by track id; frames must
    /// increase; a frame without observations only advances time) and returns: the smoothed count
    /// of each new observation, the earlier observations whose count changed, and every count that
    /// became final (frames ≤ `frame` − `lag`), ordered by frame and index.
    public mutating func add(frame: Int, observations: [(track: Int, observation: Observation)],
                             model counting: CountingModel?) -> [Revision] {
        if let counting { models[counting.id] = counting }
        lastFrame = frame
        var touched = Set<Int>()
        for (id, o) in observations {
            tracks[id, default: TrackWindow()].window.append(o)
            touched.insert(id)
        }
        var out: [Revision] = []
        let s = states
        // The forward pass of each smoothed window, reused when its first observations are made final.
        var forwards: [Int: [[Double]]] = [:]
        for id in touched.sorted() {
            let before = tracks[id]!.window.map(\.count)
            forwards[id] = smooth(track: id, states: s)
            for (k, o) in tracks[id]!.window.enumerated() where o.frame > frame - lag {
                if o.frame == frame || o.count != before[k] { out.append(Revision(track: id, observation: o, final: false)) }
            }
        }
        out += finalize(upTo: frame - lag, states: s, forwards: forwards)
        out.sort { ($0.frame, $0.index) < ($1.frame, $1.index) }
        prune()
        return out
    }

    /// Makes every pending count final (end of the series).
    public mutating func finish() -> [Revision] {
        let out = finalize(upTo: Int.max, states: states).sorted { ($0.frame, $0.index) < ($1.frame, $1.index) }
        prune()
        return out
    }

    /// The last final observation of a track (nil: none yet, or the track is forgotten).
    public func lastFinal(track: Int) -> Observation? { tracks[track]?.lastFinal }

    /// Forgets a track that ended (after its last observation is final).
    public mutating func forget(track: Int) { tracks[track] = nil }

    /// `forwards`: forward passes already made this frame with `s` states, by track (smoothing
    /// changes only counts and confidences, which the forward pass does not read).
    private mutating func finalize(upTo limit: Int, states s: Int, forwards: [Int: [[Double]]] = [:]) -> [Revision] {
        var out: [Revision] = []
        for id in tracks.keys.sorted() {
            var w = tracks[id]!
            guard let first = w.window.first, first.frame <= limit else { continue }
            // Filtered distributions at each window observation (the forward pass).
            let alphas = enabled ? (forwards[id] ?? forward(w, states: s).alphas) : []
            var k = 0
            while k < w.window.count, w.window[k].frame <= limit {
                let o = w.window[k]
                out.append(Revision(track: id, observation: o, final: true, previous: w.lastFinal))
                w.filtered = enabled ? alphas[k] : nil
                w.lastFinal = o
                k += 1
            }
            w.window.removeFirst(k)
            tracks[id] = w
        }
        return out
    }

    /// Drops models no pending observation refers to.
    private mutating func prune() {
        var used = Set<String>()
        for w in tracks.values { for o in w.window { if let m = o.modelID { used.insert(m) } } }
        models = models.filter { used.contains($0.key) }
    }

    // MARK: Forward–backward on a window

    private var states: Int {
        var high = 0
        for m in models.values { high = max(high, m.counts.last ?? 0) }
        for w in tracks.values {
            for o in w.window { high = max(high, o.rawCount) }
            if let f = w.filtered { high = max(high, f.count - 1 - model.maxJump) }
        }
        return high + model.maxJump + 1
    }

    private func logEmission(_ o: Observation, states s: Int) -> [Double] {
        guard let id = o.modelID, let m = models[id], !m.means.isEmpty else {
            return (0..<s).map { $0 == o.rawCount ? 0 : -50 }
        }
        return (0..<s).map { n in
            let mu = StateSpace.mean(m, count: n)
            let v = m.sigma * m.sigma + max(0, mu) * (m.poissonScale ?? 0)
            let d = o.crossSection - mu
            return -0.5 * log(2 * Double.pi * v) - 0.5 * d * d / v
        }
    }

    /// One step of the banded transition (rows renormalised at the ends of 0…s−1): v·A.
    private func step(_ v: [Double]) -> [Double] {
        let s = v.count, j = model.maxJump
        var out = [Double](repeating: 0, count: s)
        for i in 0..<s where v[i] > 0 {
            var sum = 0.0
            for d in -j...j where i + d >= 0 && i + d < s { sum += model.transition[d + j] }
            let scale = v[i] / max(sum, 1e-300)
            for d in -j...j where i + d >= 0 && i + d < s { out[i + d] += model.transition[d + j] * scale }
        }
        return out
    }

    /// A·v (the backward step).
    private func stepBack(_ v: [Double]) -> [Double] {
        let s = v.count, j = model.maxJump
        var out = [Double](repeating: 0, count: s)
        for i in 0..<s {
            var sum = 0.0, acc = 0.0
            for d in -j...j where i + d >= 0 && i + d < s {
                sum += model.transition[d + j]
                acc += model.transition[d + j] * v[i + d]
            }
            out[i] = acc / max(sum, 1e-300)
        }
        return out
    }

    private func normalised(_ v: [Double]) -> [Double] {
        let z = v.reduce(0, +)
        return z > 0 ? v.map { $0 / z } : [Double](repeating: 1 / Double(v.count), count: v.count)
    }

    private func resized(_ v: [Double], to s: Int) -> [Double] {
        v.count >= s ? Array(v.prefix(s)) : v + [Double](repeating: 0, count: s - v.count)
    }

    /// Prior of the window's first observation: the filtered distribution carried through the gap, else uniform.
    private func prior(_ w: TrackWindow, states s: Int) -> [Double] {
        guard let f = w.filtered, let last = w.lastFinal, let first = w.window.first else {
            return [Double](repeating: 1 / Double(s), count: s)
        }
        var p = resized(f, to: s)
        for _ in 0..<max(1, first.frame - last.frame) { p = step(p) }
        return normalised(p)
    }

    /// Normalised filtered distributions at every window observation, and each observation's
    /// emission likelihoods scaled by their largest (exp(log p(y|n) − max)), for the backward pass.
    private func forward(_ w: TrackWindow, states s: Int) -> (alphas: [[Double]], likelihoods: [[Double]]) {
        var alphas: [[Double]] = [], likelihoods: [[Double]] = []
        alphas.reserveCapacity(w.window.count); likelihoods.reserveCapacity(w.window.count)
        var p = prior(w, states: s)
        for (k, o) in w.window.enumerated() {
            if k > 0 { for _ in 0..<max(1, o.frame - w.window[k - 1].frame) { p = step(p) } }
            let e = logEmission(o, states: s)
            let top = e.max() ?? 0
            let l = e.map { exp($0 - top) }
            p = normalised((0..<s).map { p[$0] * l[$0] })
            alphas.append(p)
            likelihoods.append(l)
        }
        return (alphas, likelihoods)
    }

    /// Smooths one track's window; returns its forward pass (nil when smoothing is off).
    private mutating func smooth(track id: Int, states s: Int) -> [[Double]]? {
        var w = tracks[id]!
        guard enabled else {
            for k in w.window.indices { w.window[k].count = w.window[k].rawCount; w.window[k].confidence = 1 }
            tracks[id] = w
            return nil
        }
        let (alphas, likelihoods) = forward(w, states: s)
        let n = w.window.count
        var beta = [Double](repeating: 1, count: s)
        for k in stride(from: n - 1, through: 0, by: -1) {
            if k < n - 1 {
                let next = w.window[k + 1]
                let l = likelihoods[k + 1]
                var v = (0..<s).map { beta[$0] * l[$0] }
                for _ in 0..<max(1, next.frame - w.window[k].frame) { v = stepBack(v) }
                let z = v.max() ?? 1
                beta = z > 0 ? v.map { $0 / z } : v
            }
            let posterior = normalised((0..<s).map { alphas[k][$0] * beta[$0] })
            var best = 0
            for j in 1..<s where posterior[j] > posterior[best] { best = j }
            w.window[k].count = best
            w.window[k].confidence = posterior[best]
        }
        tracks[id] = w
        return alphas
    }
}

extension FixedLagSmoother.Observation: BinaryPackable {
    public func pack(into w: inout BinaryWriter) {
        w.write(frame); w.write(index); w.write(crossSection); w.write(rawCount); modelID.pack(into: &w)
        w.write(x); w.write(y); time.pack(into: &w); w.write(count); w.write(confidence)
    }
    public init(unpacking r: inout BinaryReader) throws(BinaryReader.Malformed) {
        self.init(frame: try r.readInt(), index: try r.readInt(), crossSection: try r.readDouble(), rawCount: try r.readInt(),
                  modelID: try String?(unpacking: &r), x: try r.readDouble(), y: try r.readDouble(),
                  time: try Double?(unpacking: &r))
        count = try r.readInt()
        confidence = try r.readDouble()
    }
}

extension FixedLagSmoother.TrackWindow: BinaryPackable {
    func pack(into w: inout BinaryWriter) { filtered.pack(into: &w); lastFinal.pack(into: &w); window.pack(into: &w) }
    init(unpacking r: inout BinaryReader) throws(BinaryReader.Malformed) {
        self.init(filtered: try [Double]?(unpacking: &r), lastFinal: try FixedLagSmoother.Observation?(unpacking: &r),
                  window: try [FixedLagSmoother.Observation](unpacking: &r))
    }
}

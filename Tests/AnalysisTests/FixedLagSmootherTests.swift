import AtomCount
import Foundation
import TestSupport
@testable import Tracking
import XCTest
import StemCore

/// The fixed-lag smoother against full forward–backward smoothing, and its lag and resume contract.
final class FixedLagSmootherTests: XCTestCase {
    /// A model of 1…12 atoms, cross-section 10 per atom, σ = 3 (neighbouring counts overlap: raw
    /// counts are wrong in about 10 % of observations).
    static let model = CountingModel(source: .mixture, counts: Array(1...12), means: (1...12).map { 10 * Double($0) },
                                     proportions: [Double](repeating: 1 / 12, count: 12), sigma: 3, poissonScale: nil)

    /// Tracks of true counts with a few steps, observed with Gaussian noise; some frames missed.
    static func series(tracks: Int = 12, frames: Int = 40, seed: UInt64 = 7) -> [[(track: Int, observation: FixedLagSmoother.Observation)]] {
        var rng = SplitMix64(seed: seed)
        var truth = (0..<tracks).map { 2 + $0 % 9 }
        var out: [[(Int, FixedLagSmoother.Observation)]] = []
        for f in 0..<frames {
            var frame: [(Int, FixedLagSmoother.Observation)] = []
            for t in 0..<tracks {
                if rng.uniform() < 0.03 { truth[t] = max(1, min(12, truth[t] + (rng.uniform() < 0.5 ? -1 : 1))) }
                if rng.uniform() < 0.05 { continue }   // missed in this frame
                let cs = 10 * Double(truth[t]) + 3 * rng.normal()
                let raw = max(1, min(12, Int((cs / 10).rounded())))
                frame.append((t, .init(frame: f, index: frame.count, crossSection: cs, rawCount: raw, modelID: model.id)))
            }
            out.append(frame)
        }
        return out
    }

    /// With a lag longer than the series, the counts made final by `finish()` are the posterior
    /// modes of full forward–backward smoothing (``CountHMM``'s scaled recursions, computed
    /// independently): same counts, probabilities within 1e-6.
    func testLongLagIsFullSmoothing() {
        let frames = Self.series()
        var s = FixedLagSmoother(model: CountHMM(maxJump: 2, stay: 0.95), lag: 1000)
        var final: [Int: [FixedLagSmoother.Revision]] = [:]
        for (f, obs) in frames.enumerated() {
            for r in s.add(frame: f, observations: obs, model: Self.model) { XCTAssertFalse(r.final) }
        }
        for r in s.finish() { XCTAssertTrue(r.final); final[r.track, default: []].append(r) }
        let hmm = CountHMM(maxJump: 2, stay: 0.95)
        var compared = 0
        for (track, revisions) in final {
            let obs = revisions.map { CountObservation(frame: $0.frame, crossSection: $0.observation.crossSection,
                                                       count: $0.observation.rawCount, modelID: Self.model.id) }
            // The same state space as the smoother (0 … 12 + maxJump).
            let states = 12 + hmm.maxJump + 1
            let e = obs.map { o in (0..<states).map { n -> Double in
                let mu = StateSpace.mean(Self.model, count: n)
                let d = o.crossSection - mu
                return -0.5 * log(2 * Double.pi * 9) - 0.5 * d * d / 9
            } }
            var dummy = [Double](repeating: 0, count: hmm.transition.count)
            let fb = hmm.forwardBackward(obs, logEmissions: e, states: states,
                                         matrices: hmm.matrices(states: states, maxGap: CountHMM.maxGap([obs])),
                                         accumulate: &dummy, posteriors: true)
            for (k, r) in revisions.enumerated() {
                let p = fb.posteriors[k]
                let mode = p.indices.max { p[$0] < p[$1] }!
                XCTAssertEqual(r.count, mode, "track \(track) frame \(r.frame)")
                XCTAssertEqual(r.observation.confidence, p[mode], accuracy: 1e-6)
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 400)
    }

    /// A count is final exactly `lag` frames after its frame, is never revised after that, and
    /// each final count names the track's previous final observation.
    func testLagContract() {
        let frames = Self.series()
        let lag = 4
        var s = FixedLagSmoother(model: CountHMM(maxJump: 2, stay: 0.95), lag: lag)
        var finalised = Set<String>()
        var lastFinal: [Int: Int] = [:]
        for (f, obs) in frames.enumerated() {
            for r in s.add(frame: f, observations: obs, model: Self.model) {
                let key = "\(r.frame)/\(r.index)"
                XCTAssertFalse(finalised.contains(key), "revised after final: \(key)")
                if r.final {
                    XCTAssertEqual(r.frame, f - lag, "final exactly lag frames later")
                    XCTAssertEqual(r.previous?.frame, lastFinal[r.track])
                    lastFinal[r.track] = r.frame
                    finalised.insert(key)
                } else {
                    XCTAssertGreaterThan(r.frame, f - lag)
                }
            }
        }
        let rest = s.finish()
        XCTAssertTrue(rest.allSatisfy { $0.final && $0.frame > frames.count - 1 - lag })
        XCTAssertEqual(finalised.count + rest.count, frames.reduce(0) { $0 + $1.count })
        XCTAssertEqual(s.pendingObservations, 0)
    }

    /// Saved and restored mid-series (JSON), the smoother gives the same revisions as without the restart.
    func testResumeIsExact() throws {
        let frames = Self.series()
        var a = FixedLagSmoother(model: CountHMM(maxJump: 2, stay: 0.95), lag: 5)
        var b = a
        var outA: [FixedLagSmoother.Revision] = [], outB: [FixedLagSmoother.Revision] = []
        for (f, obs) in frames.enumerated() {
            outA += a.add(frame: f, observations: obs, model: Self.model)
            if f == 17 { b = try JSONDecoder().decode(FixedLagSmoother.self, from: JSONEncoder().encode(b)) }
            outB += b.add(frame: f, observations: obs, model: Self.model)
        }
        outA += a.finish(); outB += b.finish()
        XCTAssertEqual(outA, outB)
    }

    /// Smoothing switched off: every count is the observed one, final at once with lag 0.
    func testDisabledPassesCountsThrough() {
        let frames = Self.series()
        var s = FixedLagSmoother(model: CountHMM(), lag: 0, enabled: false)
        for (f, obs) in frames.enumerated() {
            let out = s.add(frame: f, observations: obs, model: Self.model)
            XCTAssertEqual(out.count, obs.count)
            for r in out {
                XCTAssertTrue(r.final)
                XCTAssertEqual(r.count, r.observation.rawCount)
            }
        }
    }
}

extension SplitMix64 {
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }
    mutating func normal() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

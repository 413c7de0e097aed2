import AtomCount
import Foundation
import Simulation
@testable import Tracking
import XCTest

/// Baum–Welch and Viterbi on synthetic count sequences with a known transition matrix.
final class CountHMMTests: XCTestCase {
    /// Tracks of counts 1…10 following stay probability `stay` (±1 otherwise), observed as
    /// cross-sections = count + N(0, σ²) under a model with means 1…10.
    static func sequences(stay: Double, sigma: Double, tracks: Int, length: Int, seed: UInt64 = 8)
        -> (obs: [[CountObservation]], truth: [[Int]], model: CountingModel) {
        let model = CountingModel(source: .mixture, counts: Array(1...10), means: (1...10).map(Double.init),
                                  proportions: [Double](repeating: 0.1, count: 10), sigma: sigma)
        var rng = RandomSource(seed: seed)
        var obs: [[CountObservation]] = [], truth: [[Int]] = []
        for _ in 0..<tracks {
            var n = 2 + rng.pick(7)
            var o: [CountObservation] = [], t: [Int] = []
            for f in 0..<length {
                if f > 0 {
                    let u = rng.uniform()
                    if u > stay { n += (u - stay < (1 - stay) / 2) ? -1 : 1; n = min(10, max(1, n)) }
                }
                let x = Double(n) + sigma * rng.gaussian()
                o.append(CountObservation(frame: f, crossSection: x, count: model.count(x), modelID: model.id))
                t.append(n)
            }
            obs.append(o); truth.append(t)
        }
        return (obs, truth, model)
    }

    func testBaumWelchRecoversStayProbability() {
        for stay in [0.9, 0.97] {
            let (obs, _, model) = Self.sequences(stay: stay, sigma: 0.3, tracks: 150, length: 60)
            let fit = CountHMM.fit(obs, models: [model.id: model], initial: CountHMM(maxJump: 2, stay: 0.99))
            print(String(format: "Baum–Welch: true stay %.3f, estimated %.4f (P(±2) = %.4f) after %d iterations",
                         stay, fit.model.stayProbability, fit.model.transition[0] + fit.model.transition[4], fit.iterations))
            XCTAssertEqual(fit.model.stayProbability, stay, accuracy: 0.01)
            XCTAssertLessThan(fit.model.transition[0] + fit.model.transition[4], 0.005, "no ±2 changes were simulated")
        }
    }

    func testViterbiBeatsRawCounts() {
        let (obs, truth, model) = Self.sequences(stay: 0.97, sigma: 0.4, tracks: 100, length: 60, seed: 12)
        let fit = CountHMM.fit(obs, models: [model.id: model])
        var rawRight = 0, smoothRight = 0, total = 0, rawChanges = 0, smoothChanges = 0, trueChanges = 0
        for (o, t) in zip(obs, truth) {
            let s = fit.model.smooth(o, models: [model.id: model])
            for k in o.indices {
                total += 1
                if o[k].count == t[k] { rawRight += 1 }
                if s[k] == t[k] { smoothRight += 1 }
                if k > 0 {
                    if o[k].count != o[k - 1].count { rawChanges += 1 }
                    if s[k] != s[k - 1] { smoothChanges += 1 }
                    if t[k] != t[k - 1] { trueChanges += 1 }
                }
            }
        }
        let raw = Double(rawRight) / Double(total), smooth = Double(smoothRight) / Double(total)
        print(String(format: "Viterbi: %.4f exact vs raw %.4f (σ = 0.4 of the count spacing); changes: true %d, raw %d, smoothed %d",
                     smooth, raw, trueChanges, rawChanges, smoothChanges))
        XCTAssertGreaterThan(smooth, raw + 0.05)
        XCTAssertLessThan(Double(smoothChanges), 1.3 * Double(trueChanges))
    }
}

import Analysis
import AtomCount
import Foundation
import Simulation
import TestSupport
import Tracking
import XCTest

/// Counts of the live pipeline (fixed-lag smoothing) against the simulator's truth.
final class LiveSmoothingTests: XCTestCase {
    /// What one pipeline run gives, with its counts as stored after every revision.
    struct Run {
        var counts: [[Int?]] = []
        var trackIDs: [[Int]] = []
        var events: [TrackEvent] = []
        var truthID: [[Int: Int]] = []
        var truths: [FrameTruth] = []
    }

    static func run(_ settings: AnalysisSettings, simulation s: SimulationSettings) throws -> Run {
        let sim = try SeriesSimulator(s)
        var p = try Pipeline(settings: settings)
        var r = Run()
        func apply(_ revisions: [FixedLagSmoother.Revision]) {
            for v in revisions { r.counts[v.frame][v.index] = v.count }
        }
        for i in 0..<s.frameCount {
            let (frame, truth) = sim.frame(i)
            let a = p.analyze(frame, time: Double(i))
            XCTAssertNil(a.failure)
            XCTAssertTrue(a.stageFailures.isEmpty, "\(a.stageFailures)")
            let columns = a.fit?.columns ?? []
            r.counts.append(a.counts)
            r.trackIDs.append(a.links?.trackIDs ?? [])
            apply(a.revisions)
            r.events += a.events
            let pairs = match(columns.map { ($0.x, $0.y) }, truth.columns.map { ($0.x, $0.y) }, gate: 3)
            r.truthID.append(Dictionary(uniqueKeysWithValues: pairs.map { ($0.0, truth.columns[$0.1].id) }))
            r.truths.append(truth)
        }
        let done = p.finish()
        apply(done.revisions)
        r.events += done.events
        return r
    }

    struct Score { var exact: Double; var recall: Double; var truePositives: Int; var trueChanges: Int; var falsePerFrame: Double }

    static func score(_ r: Run) -> Score {
        var exact = 0, matched = 0
        var trackOf: [[Int: Int]] = []   // true id → track, per frame
        for (f, ids) in r.truthID.enumerated() {
            let truthCount = Dictionary(uniqueKeysWithValues: r.truths[f].columns.map { ($0.id, $0.count) })
            var m: [Int: Int] = [:]
            for (j, id) in ids {
                m[id] = r.trackIDs[f][j]
                matched += 1
                if r.counts[f][j] == truthCount[id] { exact += 1 }
            }
            trackOf.append(m)
        }
        var truth: [(frame: Int, track: Int, sign: Int)] = []
        for f in 1..<r.truths.count {
            let before = Dictionary(uniqueKeysWithValues: r.truths[f - 1].columns.map { ($0.id, $0.count) })
            for c in r.truths[f].columns {
                guard let b = before[c.id], b != c.count, let t = trackOf[f][c.id] else { continue }
                truth.append((f, t, (c.count - b).signum()))
            }
        }
        let detected = r.events.filter { $0.kind.delta != 0 }
        var used = Set<Int>()
        for e in truth {
            if let k = detected.indices.first(where: { !used.contains($0) && detected[$0].frame == e.frame
                                                    && detected[$0].tracks[0] == e.track && detected[$0].kind.delta.signum() == e.sign }) {
                used.insert(k)
            }
        }
        return Score(exact: Double(exact) / Double(max(1, matched)), recall: Double(used.count) / Double(max(1, truth.count)),
                     truePositives: used.count, trueChanges: truth.count,
                     falsePerFrame: Double(detected.count - used.count) / Double(r.truths.count))
    }

    /// The series: 30 frames at 2·10⁴ e⁻/Å² (counts flicker), drift jumps, surface hops.
    static var lowDose: SimulationSettings {
        var s = SimulationSettings()
        s.seed = 9
        s.frameCount = 30
        s.dose = 2e4
        s.drift = StageDriftModel(stepSigma: 0.3, persistence: 0.7, jumpProbability: 0.1, jumpMagnitude: 9)
        s.hopping = SurfaceHopModel(probability: 0.03)
        return s
    }

    /// Stored counts after the lag, raw against smoothed: smoothing removes the false count changes
    /// (≤ 0.3 per frame) and keeps the real ones (recall ≥ 0.9).
    func testSmoothedCountsAtLowDose() throws {
        var rows: [(String, Score)] = []
        var raw = AnalysisSettings()
        raw.smoothing.enabled = false
        raw.structure = nil
        rows.append(("raw (no smoothing)", Self.score(try Self.run(raw, simulation: Self.lowDose))))
        for lag in [0, 2, 5, 10] {
            var s = AnalysisSettings()
            s.smoothing.lag = lag
            s.structure = nil
            rows.append(("smoothed, lag \(lag)", Self.score(try Self.run(s, simulation: Self.lowDose))))
        }
        print("counts after the lag, 30 frames at 2·10⁴ e⁻/Å² (seed 9):")
        print("| counts | exact | count-change recall | false changes per frame |")
        print("|---|---|---|---|")
        for (name, s) in rows {
            print(String(format: "| %@ | %.4f | %.3f (%d/%d) | %.2f |", name, s.exact, s.recall, s.truePositives, s.trueChanges, s.falsePerFrame))
        }
        let smoothed = rows[3].1
        XCTAssertGreaterThanOrEqual(smoothed.trueChanges, 15, "enough simulated count changes")
        XCTAssertLessThanOrEqual(smoothed.falsePerFrame, 0.3)
        XCTAssertGreaterThanOrEqual(smoothed.recall, 0.9)
        XCTAssertLessThan(smoothed.falsePerFrame, 0.5 * rows[0].1.falsePerFrame)
        XCTAssertGreaterThanOrEqual(smoothed.exact, rows[0].1.exact)
    }
}

import AtomCount
import ColumnFit
import Foundation
import Simulation
@testable import Tracking
import XCTest
import StemCore

/// Linking and events on simulated series fitted with ColumnFitter and counted with
/// TimeSeriesCounter, against the simulator's column ids and hops.
final class SimulatedTrackingTests: XCTestCase {
    /// 36 frames of the default particle (spacing 12 px), drift with 9 px jumps (0.75 × spacing)
    /// in 15 % of the frames, surface hops with probability 0.06 per surface column and frame.
    nonisolated(unsafe) static var cached: FittedSeries?
    static func jumpSeries() throws -> FittedSeries {
        if let c = cached { return c }
        var s = SimulationSettings()
        s.seed = 42
        s.frameCount = 36
        s.drift = StageDriftModel(stepSigma: 0.3, persistence: 0.7, jumpProbability: 0.15, jumpMagnitude: 9)
        s.hopping = SurfaceHopModel(probability: 0.06)
        let f = try FittedSeries(settings: s)
        cached = f
        return f
    }

    func testLinkingWithDriftJumps() throws {
        let f = try Self.jumpSeries()
        let clock = ContinuousClock.now
        let result = try f.track()
        let elapsed = ContinuousClock.now - clock
        let score = LinkScore(f, result)
        let jumps = f.truths.filter(\.jump).count
        var driftError = 0.0
        for (t, truth) in f.truths.enumerated() {
            let e = Point(x: result.frames[t].drift.x - truth.dx, y: result.frames[t].drift.y - truth.dy).length
            driftError = max(driftError, e)
        }
        print(String(format: "linking, %d frames, %d jumps of 9 px (spacing %.2f px): %d/%d true links reproduced (%.4f; "
                     + "%d/%d = %.4f of the links whose column was detected in both frames), %d tracks for %d true ids, %.3f fragments per 100 column-frames, worst cumulative drift error %.3f px; "
                     + "fit+count %.1f s, link+HMM+events %.3f s",
                     f.truths.count, jumps, result.spacing ?? 0, score.reproduced, score.trueLinks, score.accuracy,
                     score.reproduced, score.detectedLinks, score.linkingAccuracy,
                     score.tracks, score.trueIDs, score.fragmentsPer100, driftError, f.fitSeconds,
                     Double(elapsed.components.attoseconds) * 1e-18 + Double(elapsed.components.seconds)))
        XCTAssertGreaterThanOrEqual(jumps, 3, "the series must contain jumps")
        // Linking: every link between detected columns; the rest are columns the fit did not find.
        XCTAssertGreaterThanOrEqual(score.linkingAccuracy, 0.995)
        XCTAssertGreaterThanOrEqual(score.accuracy, 0.99)
        XCTAssertLessThanOrEqual(score.fragmentsPer100, 1)
        XCTAssertLessThanOrEqual(driftError, 0.25)
    }

    func testLargeJumps() throws {
        var s = SimulationSettings()
        s.seed = 7
        s.frameCount = 12
        s.drift = StageDriftModel(stepSigma: 0.3, persistence: 0.7, jumpProbability: 0.4, jumpMagnitude: 40)
        s.hopping = SurfaceHopModel(probability: 0.02)
        let f = try FittedSeries(settings: s)
        let result = try f.track()
        let score = LinkScore(f, result)
        print(String(format: "linking with 40 px jumps (3.3 spacings), %d jumps in %d frames: %.4f of %d true links (%.4f of detected), %.3f fragments per 100",
                     f.truths.filter(\.jump).count, s.frameCount, score.accuracy, score.trueLinks, score.linkingAccuracy, score.fragmentsPer100))
        XCTAssertGreaterThanOrEqual(f.truths.filter(\.jump).count, 2)
        XCTAssertGreaterThanOrEqual(score.linkingAccuracy, 0.995)
    }

    func testOnlineTrackerMatchesOfflineLinksAndRestarts() throws {
        let f = try Self.jumpSeries()
        var a = try Tracker()
        var ids: [[Int]] = []
        var online: [TrackEvent] = []
        for i in f.detections.indices {
            if i == 18 {
                // Save and rebuild mid-series.
                let data = try JSONEncoder().encode(a)
                a = try JSONDecoder().decode(Tracker.self, from: data)
            }
            let links = try a.link(frame: i, time: Double(i), detections: f.detections[i])
            ids.append(links.trackIDs)
            online += links.events
        }
        online += a.finish()
        let offline = try f.track()
        XCTAssertEqual(ids, offline.frames.map(\.trackIDs), "the restarted online tracker links exactly as the offline run")
        let hops = online.filter { $0.kind == .hop }.count
        print("online events: \(online.count) (\(hops) hops, \(online.filter { $0.kind.delta != 0 }.count) count changes)")
        XCTAssertGreaterThan(hops, 0)
    }

    /// Track id of a true column id at a frame.
    static func trackOf(_ id: Int, at frame: Int, in r: TrackedSeries, _ f: FittedSeries) -> Int? {
        guard frame >= 0 && frame < f.truths.count else { return nil }
        for (j, t) in f.truthID[frame] where t == id { return r.frames[frame].trackIDs[j] }
        return nil
    }

    /// Count-change events against the truth: a detected event matches a true change of the same
    /// column, frame and sign.
    static func score(_ r: TrackedSeries, _ f: FittedSeries) -> (recall: Double, truePositives: Int, trueCount: Int, falsePerFrame: Double, falseCount: Int) {
        func trackOf(_ id: Int, at frame: Int, in r: TrackedSeries) -> Int? { Self.trackOf(id, at: frame, in: r, f) }
        do {
            // True count changes: columns present in consecutive frames with different counts.
            var truth: [(frame: Int, id: Int, delta: Int)] = []
            for t in 1..<f.truths.count {
                let before = Dictionary(uniqueKeysWithValues: f.truths[t - 1].columns.map { ($0.id, $0.count) })
                for c in f.truths[t].columns { if let b = before[c.id], b != c.count { truth.append((t, c.id, c.count - b)) } }
            }
            let detected = r.events.filter { $0.kind.delta != 0 }
            var used = Set<Int>()
            var hits = 0
            for e in truth {
                guard let track = trackOf(e.id, at: e.frame, in: r) else { continue }
                if let k = detected.indices.first(where: { !used.contains($0) && detected[$0].frame == e.frame
                                                       && detected[$0].tracks[0] == track && detected[$0].kind.delta.signum() == e.delta.signum() }) {
                    used.insert(k); hits += 1
                }
            }
            let falses = detected.count - used.count
            return (Double(hits) / Double(max(1, truth.count)), hits, truth.count, Double(falses) / Double(f.truths.count), falses)
        }
    }

    func testCountChangeEventsAndHops() throws {
        let f = try Self.jumpSeries()
        let result = try f.track()
        let raw = try f.track(smooth: false)
        func trackOf(_ id: Int, at frame: Int, in r: TrackedSeries) -> Int? { Self.trackOf(id, at: frame, in: r, f) }
        let s = Self.score(result, f), r = Self.score(raw, f)
        // Hop pairing: hops whose two columns take part in no other hop of that frame.
        var involvement: [String: Int] = [:]
        for h in f.sim.hops { involvement["\(h.frame)-\(h.from)", default: 0] += 1; involvement["\(h.frame)-\(h.to)", default: 0] += 1 }
        let clean = f.sim.hops.filter { involvement["\($0.frame)-\($0.from)"] == 1 && involvement["\($0.frame)-\($0.to)"] == 1 }
        let detectedHops = result.events.filter { $0.kind == .hop }
        var paired = 0
        for h in clean {
            let source = h.vanished ? trackOf(h.from, at: h.frame - 1, in: result) : trackOf(h.from, at: h.frame, in: result)
            let target = trackOf(h.to, at: h.frame, in: result)
            if let source, let target, detectedHops.contains(where: { $0.frame == h.frame && $0.tracks == [source, target] }) { paired += 1 }
        }
        let pairing = Double(paired) / Double(max(1, clean.count))
        print(String(format: "count changes (HMM-smoothed, stay %.4f): recall %.3f (%d/%d), false %.3f per frame (%d); raw counts: recall %.3f, false %.3f per frame (%d); "
                     + "hops: %d simulated (%d unambiguous), %d detected, %d/%d paired correctly (%.3f)",
                     result.countModel?.stayProbability ?? .nan, s.recall, s.truePositives, s.trueCount, s.falsePerFrame, s.falseCount,
                     r.recall, r.falsePerFrame, r.falseCount, f.sim.hops.count, clean.count, detectedHops.count, paired, clean.count, pairing))
        XCTAssertGreaterThanOrEqual(s.trueCount, 20, "enough simulated count changes")
        XCTAssertGreaterThanOrEqual(s.recall, 0.9)
        XCTAssertLessThanOrEqual(s.falsePerFrame, 0.5)
        XCTAssertGreaterThanOrEqual(pairing, 0.8)
        for e in result.events { XCTAssert(e.confidence >= 0 && e.confidence <= 1) }
    }

    /// At a low dose (counting ≈ 95–99 % exact per frame) raw counts flicker; the hidden Markov
    /// model must remove the false count changes without losing the real ones.
    func testSmoothingSuppressesNoiseAtLowDose() throws {
        var s = SimulationSettings()
        s.seed = 9
        s.frameCount = 30
        s.dose = 2e4
        s.drift = StageDriftModel(stepSigma: 0.3, persistence: 0.7, jumpProbability: 0.1, jumpMagnitude: 9)
        s.hopping = SurfaceHopModel(probability: 0.03)
        let f = try FittedSeries(settings: s)
        let smoothed = Self.score(try f.track(), f), raw = Self.score(try f.track(smooth: false), f)
        print(String(format: "dose 2·10⁴ e⁻/Å²: count changes raw: recall %.3f (%d/%d), %.2f false per frame; HMM: recall %.3f (%d/%d), %.2f false per frame",
                     raw.recall, raw.truePositives, raw.trueCount, raw.falsePerFrame,
                     smoothed.recall, smoothed.truePositives, smoothed.trueCount, smoothed.falsePerFrame))
        XCTAssertLessThan(smoothed.falsePerFrame, 0.5 * raw.falsePerFrame)
        XCTAssertLessThanOrEqual(smoothed.falsePerFrame, 0.5)
    }
}

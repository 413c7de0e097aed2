import XCTest
@testable import Simulation

final class SeriesTests: XCTestCase {
    /// Same seed → identical pixels and truth (exactly), also when frames are rendered out of
    /// order; a different seed → different pixels.
    func testDeterminism() throws {
        let a = try SeriesSimulator(smallSettings(seed: 42, frames: 20))
        let b = try SeriesSimulator(smallSettings(seed: 42, frames: 20))
        let c = try SeriesSimulator(smallSettings(seed: 43, frames: 20))
        for i in [19, 0, 7] {
            let fa = a.frame(i), fb = b.frame(i), fc = c.frame(i)
            XCTAssertEqual(fa.frame.pixels, fb.frame.pixels)
            XCTAssertEqual(fa.truth, fb.truth)
            XCTAssertNotEqual(fa.frame.pixels, fc.frame.pixels)
        }
        XCTAssertEqual(a.hops, b.hops)
        XCTAssertEqual(a.seriesTruth(), b.seriesTruth())
        XCTAssertEqual(a.frame(5).frame.pixels, a.frame(5).frame.pixels)
    }

    /// Jumps happen in a fraction p = 0.05 of the 3999 frame transitions, within 3 binomial
    /// standard errors √(N·p(1−p)). With no smooth drift, a jump moves the stage by exactly
    /// jump_px (1e-9 px) and no other transition moves it at all.
    func testDriftJumpFrequency() throws {
        var s = smallSettings(seed: 9, frames: 4000)
        s.width = 16384; s.height = 16384    // no confinement within reach
        s.hopping.probability = 0
        s.drift = StageDriftModel(stepSigma: 0, persistence: 0, jumpProbability: 0.05, jumpMagnitude: 8)
        let sim = try SeriesSimulator(s)
        let truth = (0..<s.frameCount).map { sim.truth($0) }
        let transitions = Double(s.frameCount - 1)
        let flagged = truth.dropFirst().filter(\.jump).count
        XCTAssertEqual(Double(flagged), 0.05 * transitions, accuracy: 3 * (transitions * 0.05 * 0.95).squareRoot())
        for t in 1..<truth.count {
            let step = ((truth[t].dx - truth[t - 1].dx) * (truth[t].dx - truth[t - 1].dx)
                        + (truth[t].dy - truth[t - 1].dy) * (truth[t].dy - truth[t - 1].dy)).squareRoot()
            XCTAssertEqual(step, truth[t].jump ? 8 : 0, accuracy: 1e-9, "frame \(t)")
        }
        XCTAssertEqual(truth[0].dx, 0); XCTAssertEqual(truth[0].dy, 0); XCTAssertFalse(truth[0].jump)
    }

    /// Smooth drift: the per-frame steps have standard deviation σ = 0.3 px per axis, within
    /// 5 % (the standard error of a standard deviation from 4000 correlated steps is ≈ 2 %).
    func testSmoothDriftStepSize() throws {
        var s = smallSettings(seed: 10, frames: 4001)
        s.width = 16384; s.height = 16384
        s.hopping.probability = 0
        s.drift = StageDriftModel(stepSigma: 0.3, persistence: 0.7, jumpProbability: 0, jumpMagnitude: 0)
        let sim = try SeriesSimulator(s)
        let truth = (0..<s.frameCount).map { sim.truth($0) }
        var sumSq = 0.0
        for t in 1..<truth.count { sumSq += pow(truth[t].dx - truth[t - 1].dx, 2) }
        XCTAssertEqual((sumSq / Double(truth.count - 1)).squareRoot(), 0.3, accuracy: 0.05 * 0.3)
    }

    /// The particle stays in the field of view under the default drift, jumps included.
    func testDriftConfinedToFrame() throws {
        var s = SimulationSettings()
        s.frameCount = 2000
        s.hopping.probability = 0
        s.drift.jumpProbability = 0.2
        let sim = try SeriesSimulator(s)
        for i in stride(from: 0, to: s.frameCount, by: 7) {
            for c in sim.truth(i).columns {
                XCTAssertTrue(c.x >= 0 && c.x <= Double(s.width - 1) && c.y >= 0 && c.y <= Double(s.height - 1))
            }
        }
    }

    /// Hops conserve atoms; each frame's per-id count changes equal the recorded events (−1 per
    /// `from`, +1 per `to`); ids appear only when an event says `created` and disappear only when
    /// it says `vanished`; every hop goes to an in-plane neighbour site (projected distance ≤ a/√2
    /// + 1e-9 Å) that adjoins the particle; 3D atoms match the counts. All exact.
    func testHopBookkeeping() throws {
        var s = smallSettings(seed: 5, frames: 60)
        s.hopping.probability = 0.3
        let sim = try SeriesSimulator(s)
        XCTAssertGreaterThan(sim.hops.count, 50)
        XCTAssertTrue(sim.hops.contains(where: \.created))
        XCTAssertTrue(sim.hops.contains(where: \.vanished))
        let limit = s.crystal.latticeConstant / 2.0.squareRoot() + 1e-9
        var previous = sim.truth(0)
        var previousColumns = Dictionary(uniqueKeysWithValues: sim.columns(at: 0).map { ($0.id, $0) })
        for t in 1..<s.frameCount {
            let truth = sim.truth(t)
            XCTAssertEqual(truth.atoms, sim.particle.atomCount)
            XCTAssertEqual(truth.columns.reduce(0) { $0 + $1.count }, sim.particle.atomCount)
            let columns = Dictionary(uniqueKeysWithValues: sim.columns(at: t).map { ($0.id, $0) })
            let before = Dictionary(uniqueKeysWithValues: previous.columns.map { ($0.id, $0.count) })
            let after = Dictionary(uniqueKeysWithValues: truth.columns.map { ($0.id, $0.count) })
            let events = sim.hops.filter { $0.frame == t }
            var change: [Int: Int] = [:]
            for e in events { change[e.from, default: 0] -= 1; change[e.to, default: 0] += 1 }
            for id in Set(before.keys).union(after.keys) {
                XCTAssertEqual((after[id] ?? 0) - (before[id] ?? 0), change[id] ?? 0, "frame \(t) column \(id)")
            }
            let created = Set(events.filter(\.created).map(\.to))
            let vanished = Set(events.filter(\.vanished).map(\.from))
            XCTAssertEqual(Set(after.keys).subtracting(before.keys), created.subtracting(vanished), "frame \(t)")
            XCTAssertEqual(Set(before.keys).subtracting(after.keys), vanished.subtracting(created), "frame \(t)")
            for e in events {
                guard let from = previousColumns[e.from] ?? columns[e.from],
                      let to = columns[e.to] ?? previousColumns[e.to] else { continue }
                XCTAssertLessThanOrEqual(hypot(from.x - to.x, from.y - to.y), limit, "hop \(e)")
            }
            for c in columns.values { XCTAssertEqual(c.atoms.count, c.count) }
            previous = truth
            previousColumns = columns
        }
        // Ids are never reused.
        let createdIDs = sim.hops.filter(\.created).map(\.to)
        XCTAssertEqual(Set(createdIDs).count, createdIDs.count)
        XCTAssertTrue(createdIDs.allSatisfy { $0 >= sim.particle.columns.count })
    }

    /// With a minimum of 2 source atoms no column ever vanishes, and atoms are still conserved.
    func testMinimumSourceAtomsKeepsColumns() throws {
        var s = smallSettings(seed: 6, frames: 40)
        s.hopping = SurfaceHopModel(probability: 0.3, minimumSourceAtoms: 2)
        let sim = try SeriesSimulator(s)
        XCTAssertFalse(sim.hops.isEmpty)
        XCTAssertFalse(sim.hops.contains(where: \.vanished))
        XCTAssertEqual(sim.truth(39).atoms, sim.particle.atomCount)
    }

    /// Changing the hop probability leaves the drift path unchanged (independent streams).
    func testStreamsAreIndependent() throws {
        var s1 = smallSettings(seed: 8, frames: 30); s1.hopping.probability = 0
        var s2 = s1; s2.hopping.probability = 0.5
        let a = try SeriesSimulator(s1), b = try SeriesSimulator(s2)
        for i in 0..<30 { XCTAssertEqual(a.truth(i).dx, b.truth(i).dx); XCTAssertEqual(a.truth(i).dy, b.truth(i).dy) }
    }

    /// Out-of-range settings are rejected with a message naming the value.
    func testInvalidSettings() {
        var s = SimulationSettings()
        s.dose = -1
        s.hopping.probability = 2
        XCTAssertThrowsError(try SeriesSimulator(s)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("dose"), text)
            XCTAssertTrue(text.contains("hop probability"), text)
        }
    }
}

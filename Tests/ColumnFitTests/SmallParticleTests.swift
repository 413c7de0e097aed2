import ColumnFit
import Simulation
import TestSupport
import XCTest

/// Small simulated particles in a large frame: the width and spacing estimates must not lock onto
/// the particle as a whole (before 2026-12 five of twelve frames of radius 8 Å fitted as one column).
final class SmallParticleTests: XCTestCase {
    func testEveryColumnOfSmallParticlesOverManySeeds() throws {
        var frames = 0, failures: [String] = []
        for radius in [5.0, 7.0, 8.0, 10.0, 12.0, 15.0] {
            for seed in UInt64(1)...5 {
                var s = SimulationSettings()
                s.seed = seed
                s.frameCount = 2
                s.width = 256; s.height = 256
                s.shape = .sphere(radius: radius)
                let sim = try SeriesSimulator(s)
                for i in 0..<s.frameCount {
                    let (frame, truth) = sim.frame(i)
                    let fit = try ColumnFitter().fit(frame)
                    let pairs = match(fit.columns.map { ($0.x, $0.y) }, truth.columns.map { ($0.x, $0.y) }, gate: 1)
                    frames += 1
                    if fit.columns.count != truth.columns.count || pairs.count != truth.columns.count {
                        failures.append("radius \(radius) Å seed \(seed) frame \(i): \(fit.columns.count) fitted, \(pairs.count) within 1 px of \(truth.columns.count) true")
                    }
                }
            }
        }
        print("small particles: \(frames - failures.count)/\(frames) frames with every column found")
        XCTAssertEqual(failures, [], failures.joined(separator: "\n"))
    }

    /// The series of the report (`stemtrack simulate --frames 12 --size 256 --radius 8 --seed 3`):
    /// 37 columns in every frame.
    func testReportedSeries() throws {
        var s = SimulationSettings()
        s.seed = 3
        s.frameCount = 12
        s.shape = .sphere(radius: 8)
        let sim = try SeriesSimulator(s)
        for i in 0..<s.frameCount {
            let (frame, truth) = sim.frame(i)
            let fit = try ColumnFitter().fit(frame)
            XCTAssertEqual(fit.columns.count, truth.columns.count, "frame \(i)")
            XCTAssertEqual(fit.scales.width, 3.3, accuracy: 1.0, "frame \(i): starting width ρ₀ (true ρ 3.3 px)")
        }
    }
}

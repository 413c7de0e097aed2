import Foundation
import Simulation
@testable import Tracking
import XCTest
import StemCore

/// Phase correlation on a random blob texture shifted by known amounts (ground truth: the shift
/// used to render the second image).
final class PhaseCorrelationTests: XCTestCase {
    /// Gaussian blobs (σ 2–4 px) on a `size²` frame, displaced by `shift`, with Gaussian noise of 2 %
    /// of the blob height.
    static func texture(size: Int, shift: Point, seed: UInt64 = 11, noiseSeed: UInt64) -> RegistrationImage {
        var rng = RandomSource(seed: seed)
        let blobs = (0..<(size * size / 120)).map { _ in
            (x: rng.uniform() * Double(size + 200) - 100, y: rng.uniform() * Double(size + 200) - 100,
             s: 2 + 2 * rng.uniform(), a: 0.5 + rng.uniform())
        }
        var img = [Double](repeating: 0, count: size * size)
        for b in blobs {
            let cx = b.x + shift.x, cy = b.y + shift.y, r = Int(4 * b.s) + 1
            let x0 = max(0, Int(cx) - r), x1 = min(size - 1, Int(cx) + r)
            let y0 = max(0, Int(cy) - r), y1 = min(size - 1, Int(cy) + r)
            guard x0 <= x1, y0 <= y1 else { continue }
            for y in y0...y1 {
                for x in x0...x1 {
                    let dx = Double(x) - cx, dy = Double(y) - cy
                    img[y * size + x] += b.a * exp(-(dx * dx + dy * dy) / (2 * b.s * b.s))
                }
            }
        }
        var noise = RandomSource(seed: noiseSeed)
        return RegistrationImage(width: size, height: size, pixels: img.map { Float($0 + 0.02 * noise.gaussian()) })
    }

    func check(_ shift: Point, size: Int = 256, tolerance: Double) throws {
        let a = Self.texture(size: size, shift: .zero, noiseSeed: 1)
        let b = Self.texture(size: size, shift: shift, noiseSeed: 2)
        let r = try PhaseCorrelation().register(a, b)
        let err = (r.shift - shift).length
        print(String(format: "phase correlation: true (%.2f, %.2f) px, found (%.3f, %.3f) px, error %.3f px, peak %.3f",
                     shift.x, shift.y, r.shift.x, r.shift.y, err, r.peak))
        XCTAssertLessThanOrEqual(err, tolerance)
    }

    func testIntegerShift() throws { try check(Point(x: 7, y: -3), tolerance: 0.05) }

    func testSubpixelShift() throws {
        try check(Point(x: 2.3, y: -1.65), tolerance: 0.05)
        try check(Point(x: -0.45, y: 0.8), tolerance: 0.05)
    }

    func testQuarterFieldJump() throws { try check(Point(x: 64, y: -23.4), tolerance: 0.05) }

    func testNonPowerOfTwoFrame() throws { try check(Point(x: -11.25, y: 5.5), size: 200, tolerance: 0.05) }

    /// On the simulator's particle (a crystal lattice, the hard case: aliases one column apart),
    /// against the simulator's drift.
    func testSimulatedParticleJump() throws {
        var s = SimulationSettings()
        s.frameCount = 12
        s.seed = 5
        s.drift = StageDriftModel(stepSigma: 0.3, persistence: 0.7, jumpProbability: 0.3, jumpMagnitude: 40)
        let sim = try SeriesSimulator(s)
        var worst = 0.0
        for i in 1..<s.frameCount {
            let (fa, ta) = sim.frame(i - 1), (fb, tb) = sim.frame(i)
            let r = try PhaseCorrelation().register(RegistrationImage(width: fa.width, height: fa.height, pixels: fa.pixels),
                                                    RegistrationImage(width: fb.width, height: fb.height, pixels: fb.pixels))
            let truth = Point(x: tb.dx - ta.dx, y: tb.dy - ta.dy)
            worst = max(worst, (r.shift - truth).length)
        }
        print(String(format: "phase correlation on the simulated particle (40 px jumps): worst error %.3f px over %d pairs", worst, s.frameCount - 1))
        XCTAssertLessThanOrEqual(worst, 0.1)
    }
}

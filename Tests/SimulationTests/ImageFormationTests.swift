import XCTest
@testable import Simulation

final class ImageFormationTests: XCTestCase {
    /// Truth cross_section equals 2π·η·ρ² (ρ in Å) within 1e-9 (absolute, image units × Å²) and
    /// gain·dose·p²·σ(n) within 1e-12 relative.
    func testCrossSectionMatchesPeakVolume() throws {
        var s = smallSettings(frames: 3)
        s.detector = DetectorModel(gain: 2.5, offset: 40, readNoise: 0)
        let sim = try SeriesSimulator(s)
        for i in 0..<sim.frameCount {
            for c in sim.truth(i).columns {
                let rhoA = c.rho * s.pixelSize
                XCTAssertEqual(c.crossSection, 2 * Double.pi * c.eta * rhoA * rhoA, accuracy: 1e-9)
                let physical = s.detector.gain * s.dose * s.pixelSize * s.pixelSize * s.scattering.crossSection(atoms: c.count)
                XCTAssertEqual(c.crossSection, physical, accuracy: 1e-12 * physical)
                XCTAssertEqual(c.sigma, 0.03 * pow(Double(c.count), 0.92), accuracy: 1e-15)
                XCTAssertEqual(c.xA, c.x * s.pixelSize, accuracy: 1e-12)
            }
        }
    }

    /// The volume under the noise-free image above the background, times p², equals the sum of
    /// the columns' cross-sections within 1e-6 relative (6ρ cutoff loses e⁻¹⁸ ≈ 2·10⁻⁸).
    func testExpectedImageVolume() throws {
        var s = smallSettings(frames: 1)
        s.detector = DetectorModel(gain: 1.7, offset: 12, readNoise: 0)
        let sim = try SeriesSimulator(s)
        let truth = sim.truth(0)
        let image = sim.expectedImage(0)
        let volume = image.reduce(0) { $0 + ($1 - truth.background) } * s.pixelSize * s.pixelSize
        let expected = truth.columns.reduce(0) { $0 + $1.crossSection }
        XCTAssertEqual(volume, expected, accuracy: 1e-6 * expected)
        // Far corner: pure background.
        XCTAssertEqual(image[0], truth.background, accuracy: 1e-9)
    }

    /// The mean of 400 noisy frames approaches the expected image: per pixel the noise variance is
    /// gain²·λ + read², so Σ(mean − expected)²/(variance/N) over P pixels is χ² with P degrees of
    /// freedom; its ratio to P must be within 1 ± 0.1 (≈ 4.5 standard deviations of √(2/P) at
    /// P = 4096). The grand mean must be within 3 standard errors.
    func testMeanOfNoisyFramesApproachesExpected() throws {
        var s = SimulationSettings()
        s.width = 64; s.height = 64
        s.shape = .sphere(radius: 5)
        s.frameCount = 400
        s.drift = .none
        s.hopping.probability = 0
        s.detector = DetectorModel(gain: 2, offset: 100, readNoise: 3)
        let sim = try SeriesSimulator(s)
        let expected = sim.expectedImage(0)
        let electrons = sim.expectedElectrons(0)
        var sum = [Double](repeating: 0, count: expected.count)
        for i in 0..<s.frameCount {
            let frame = sim.frame(i).frame
            for p in 0..<sum.count { sum[p] += Double(frame.pixels[p]) }
        }
        let n = Double(s.frameCount), g = s.detector.gain, r = s.detector.readNoise
        var chi2 = 0.0, totalDiff = 0.0, totalVar = 0.0
        for p in 0..<sum.count {
            let variance = g * g * electrons[p] + r * r
            let diff = sum[p] / n - expected[p]
            chi2 += diff * diff / (variance / n)
            totalDiff += diff; totalVar += variance / n
        }
        XCTAssertEqual(chi2 / Double(sum.count), 1, accuracy: 0.1)
        XCTAssertEqual(totalDiff, 0, accuracy: 3 * totalVar.squareRoot())
    }

    /// Default settings: 100–150 columns in the default frame, and a single-atom column peaks at
    /// least 5 background-noise standard deviations above the background: f(1)·D·p² ≥ 5·√(b·D·p²).
    func testDefaultsAreRealistic() throws {
        let s = SimulationSettings()
        let sim = try SeriesSimulator(s)
        XCTAssertTrue((100...150).contains(sim.particle.columns.count), "\(sim.particle.columns.count) columns")
        let e = s.electronsPerPixel
        let snr = s.scattering.peakFraction(atoms: 1) * e / (s.scattering.background * e).squareRoot()
        XCTAssertGreaterThanOrEqual(snr, 5)
        // The particle and its ±3ρ tails fit inside the frame.
        for c in sim.truth(0).columns {
            XCTAssertTrue(c.x > 3 * c.rho && c.x < Double(s.width) - 3 * c.rho)
            XCTAssertTrue(c.y > 3 * c.rho && c.y < Double(s.height) - 3 * c.rho)
        }
    }
}

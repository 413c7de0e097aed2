import ColumnFit
import Simulation
import TIFFFrame
import TestSupport
import XCTest

/// Detection and precision on the simulator's default series (counts-calibrated frames,
/// default dose 2·10⁵ e⁻/Å², 0.2 Å pixels, ~117 columns of a 2.8 nm Pt particle along [110]).
final class SyntheticAccuracyTests: XCTestCase {
    private func series(seed: UInt64 = 11, frames: Int = 6) throws -> SeriesSimulator {
        var s = SimulationSettings()
        s.seed = seed
        s.frameCount = frames
        return try SeriesSimulator(s)
    }

    func testDetectionRecallAndPrecision() throws {
        let sim = try series()
        var truePositives = 0, found = 0, truth = 0
        for i in 0..<sim.frameCount {
            let (frame, t) = sim.frame(i)
            let fit = try ColumnFitter().fit(frame)
            let gate = 0.5 * 2.4 / frame.pixelSize!   // half the nearest-column distance
            truePositives += match(fit.columns.map { ($0.x, $0.y) }, t.columns.map { ($0.x, $0.y) }, gate: gate).count
            found += fit.columns.count
            truth += t.columns.count
        }
        let recall = Double(truePositives) / Double(truth)
        let precision = Double(truePositives) / Double(found)
        print("detection: recall \(recall), precision \(precision) over \(truth) true columns")
        XCTAssertGreaterThanOrEqual(recall, 0.995)
        XCTAssertGreaterThanOrEqual(precision, 0.995)
    }

    /// Position RMSE over all matched columns of several frames, each error scaled by that column's
    /// Cramér–Rao bound (so thick and thin columns count alike): √mean((e/CRLB)²).
    private func crlbRatio(estimator: FitSettings.Estimator) throws -> Double {
        let sim = try series(seed: 5, frames: 8)
        var settings = FitSettings()
        settings.detector = .calibrated(gain: 1, offset: 0)
        settings.estimator = estimator
        var sum = 0.0, n = 0
        for i in 0..<sim.frameCount {
            let (frame, t) = sim.frame(i)
            let fit = try ColumnFitter(settings: settings).fit(frame)
            let pairs = match(fit.columns.map { ($0.x, $0.y) }, t.columns.map { ($0.x, $0.y) }, gate: 3)
            for (f, k) in pairs {
                let c = fit.columns[f]
                let bx = try XCTUnwrap(c.crlbX), by = try XCTUnwrap(c.crlbY)
                let ex = c.x - t.columns[k].x, ey = c.y - t.columns[k].y
                sum += ex * ex / (bx * bx) + ey * ey / (by * by)
                n += 2
            }
        }
        return (sum / Double(n)).squareRoot()
    }

    func testLeastSquaresPrecisionNearCramerRao() throws {
        let ratio = try crlbRatio(estimator: .leastSquares)
        print("least squares: position RMSE / CRLB = \(ratio)")
        XCTAssertLessThanOrEqual(ratio, 1.35)
    }

    func testPoissonMaximumLikelihoodReachesCramerRao() throws {
        let ratio = try crlbRatio(estimator: .poissonML)
        print("Poisson ML: position RMSE / CRLB = \(ratio)")
        XCTAssertLessThanOrEqual(ratio, 1.15)
    }

    /// Gain and offset estimated from one frame written as offset + gain × electrons.
    func testDetectorGainEstimatedFromFrame() throws {
        var s = SimulationSettings()
        s.frameCount = 1
        s.detector = DetectorModel(gain: 2.5, offset: 100, readNoise: 0)
        let sim = try SeriesSimulator(s)
        var settings = FitSettings()
        settings.detector = .estimate
        let fit = try ColumnFitter(settings: settings).fit(sim.frame(0).frame)
        let d = try XCTUnwrap(fit.detector)
        print("estimated gain \(d.gain), offset \(d.offset)")
        XCTAssertEqual(d.gain, 2.5, accuracy: 0.05 * 2.5)
        XCTAssertEqual(d.offset, 100, accuracy: 25)
    }
}

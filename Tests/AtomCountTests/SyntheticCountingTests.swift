import AtomCount
import ColumnFit
import Simulation
import TestSupport
import XCTest

/// Counting on the simulator's default series, from stemtrack's own fits.
final class SyntheticCountingTests: XCTestCase {
    /// Fitted cross-sections (image units × Å²) and true counts of matched columns, per frame.
    static func fittedSeries(dose: Double? = nil, frames: Int = 6, seed: UInt64 = 21) throws -> [(cs: [Double], truth: [Int])] {
        var s = SimulationSettings()
        s.seed = seed
        s.frameCount = frames
        if let dose { s.dose = dose }
        let sim = try SeriesSimulator(s)
        return try (0..<frames).map { i in
            let (frame, t) = sim.frame(i)
            let fit = try ColumnFitter().fit(frame)
            let pairs = match(fit.columns.map { ($0.x, $0.y) }, t.columns.map { ($0.x, $0.y) }, gate: 3)
            return (pairs.map { fit.columns[$0.0].crossSection(pixelSize: frame.pixelSize) }, pairs.map { t.columns[$0.1].count })
        }
    }

    func testTimeSeriesCountingIsExact() throws {
        let series = try Self.fittedSeries()
        var counter = TimeSeriesCounter(window: 10)
        var exact = 0, total = 0, refits = 0
        for frame in series {
            let r = try counter.count(frame: frame.cs)
            if r.refitted { refits += 1 }
            exact += zip(r.counts, frame.truth).filter { $0 == $1 }.count
            total += frame.truth.count
        }
        print("synthetic default series: \(exact)/\(total) exact, \(refits) fits over \(series.count) frames")
        XCTAssertGreaterThanOrEqual(Double(exact) / Double(total), 0.95)
        // Fits only at frames 1, 2 and 4 (pool doubling) on a stationary series.
        XCTAssertLessThanOrEqual(refits, 3)
    }

    func testLibraryCountingRecoversScale() throws {
        let series = try Self.fittedSeries(frames: 2)
        let s = SimulationSettings()
        // Library in physical units (fraction × Å²); the data are in electrons × Å²: scale = dose·p².
        let library = (1...20).map { (atoms: $0, crossSection: s.scattering.crossSection(atoms: $0)) }
        let xs = series.flatMap(\.cs), truth = series.flatMap(\.truth)
        let r = try LibraryCounter(library: library).count(xs)
        let exact = zip(r.counts, truth).filter { $0 == $1 }.count
        print("library counting: scale \(r.scale) (expected \(s.electronsPerPixel)), \(exact)/\(xs.count) exact")
        XCTAssertEqual(r.scale, s.electronsPerPixel, accuracy: 0.02 * s.electronsPerPixel)
        XCTAssertGreaterThanOrEqual(Double(exact) / Double(xs.count), 0.95)
    }

    func testRefitWhenModelStopsDescribingFrames() throws {
        var rng = RandomSource(seed: 4)
        func frame(_ scale: Double) -> [Double] { (0..<150).map { _ in scale * (Double(1 + Int(rng.uniform() * 8)) + 0.05 * rng.gaussian()) } }
        var counter = TimeSeriesCounter(window: 4)
        for _ in 0..<6 { _ = try counter.count(frame: frame(1)) }
        let steady = try counter.count(frame: frame(1))
        XCTAssertFalse(steady.refitted)
        let changed = try counter.count(frame: frame(1.25))
        XCTAssertTrue(changed.refitted, "a 25 % change of all cross-sections must trigger a refit")
        XCTAssertNotEqual(changed.model.id, steady.model.id)
    }

    func testProbabilityOfCorrectCountingForTwoComponents() {
        // Equal proportions and widths: the boundary is the midpoint, P = Φ(Δ/2σ).
        let m = CountingModel(source: .mixture, counts: [1, 2], means: [0, 1], proportions: [0.5, 0.5], sigma: 0.4)
        let expected = 0.5 * (1 + erf(1.25 / 2.0.squareRoot()))
        XCTAssertEqual(m.probabilityOfCorrectCounting, expected, accuracy: 1e-4)
    }
}

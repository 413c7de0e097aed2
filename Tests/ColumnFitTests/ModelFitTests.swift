@testable import ColumnFit
import Simulation
import TIFFFrame
import XCTest

/// The fitting machinery on noise-free images, where the least-squares optimum is the truth.
final class ModelFitTests: XCTestCase {
    private let peaks = [
        Peak(x: 20.3, y: 21.7, height: 50, width: 2.6),
        Peak(x: 28.9, y: 22.2, height: 80, width: 2.6),
        Peak(x: 24.1, y: 29.6, height: 35, width: 2.6),
        Peak(x: 33.4, y: 31.1, height: 60, width: 2.6),
    ]

    func testNoiseFreeSameWidthRecoversTruth() throws {
        let image = GaussianImage.render(peaks, width: 52, height: 48, background: 10, cutoff: 4)
        let frame = Frame(width: 52, height: 48, pixels: image.map(Float.init))
        var settings = FitSettings()
        settings.positionTolerance = 1e-7
        settings.widthTolerance = 1e-9
        settings.maxIterations = 400
        let start = peaks.map { (x: $0.x + 0.4, y: $0.y - 0.3) }
        let fit = try ColumnFitter(settings: settings).fit(frame, start: start)
        XCTAssertEqual(fit.columns.count, 4)
        XCTAssertEqual(fit.background, 10, accuracy: 1e-3)
        XCTAssertEqual(try XCTUnwrap(fit.sharedWidth), 2.6, accuracy: 1e-4)
        for p in peaks {
            let c = try XCTUnwrap(fit.columns.min { hypot($0.x - p.x, $0.y - p.y) < hypot($1.x - p.x, $1.y - p.y) })
            XCTAssertEqual(c.x, p.x, accuracy: 1e-4)
            XCTAssertEqual(c.y, p.y, accuracy: 1e-4)
            XCTAssertEqual(c.height, p.height, accuracy: 1e-3 * p.height)
        }
    }

    func testNoiseFreePerColumnWidths() throws {
        var varied = peaks
        varied[1].width = 3.1
        varied[2].width = 2.2
        let image = GaussianImage.render(varied, width: 52, height: 48, background: 5, cutoff: 4)
        let frame = Frame(width: 52, height: 48, pixels: image.map(Float.init))
        var settings = FitSettings()
        settings.widthMode = .perColumn
        settings.positionTolerance = 1e-7
        settings.maxIterations = 400
        let fit = try ColumnFitter(settings: settings).fit(frame, start: varied.map { (x: $0.x - 0.3, y: $0.y + 0.3) })
        for p in varied {
            let c = try XCTUnwrap(fit.columns.min { hypot($0.x - p.x, $0.y - p.y) < hypot($1.x - p.x, $1.y - p.y) })
            XCTAssertEqual(c.x, p.x, accuracy: 1e-3)
            XCTAssertEqual(c.width, p.width, accuracy: 1e-3)
            XCTAssertEqual(c.crossSectionPixels, 2 * .pi * p.height * p.width * p.width, accuracy: 1e-3 * 2 * .pi * p.height * p.width * p.width)
        }
    }

    func testNoiseEstimateOnGaussianNoise() {
        var rng = RandomSource(seed: 3)
        let clean = GaussianImage.render(peaks, width: 52, height: 48, background: 100)
        let big = (0..<10).flatMap { _ in clean.map { $0 + 3 * rng.gaussian() } }
        let sigma = ImageStatistics.noiseSigma(big, width: 52, height: 480, valid: [Bool](repeating: true, count: big.count))
        XCTAssertEqual(sigma, 3, accuracy: 0.15)
    }

    func testWidthAndSpacingEstimatedFromImage() throws {
        let sim = try SeriesSimulator(SimulationSettings())
        let (frame, _) = sim.frame(0)
        let image = frame.pixels.map(Double.init)
        let valid = ImageStatistics.validMask(image, width: frame.width, height: frame.height)
        let (_, scales) = ColumnFinder().find(image, width: frame.width, height: frame.height, valid: valid)
        // Truth: ρ = 0.66 Å / 0.2 Å = 3.3 px; nearest column distance 2.40 Å = 12.0 px.
        XCTAssertEqual(scales.width, 3.3, accuracy: 0.2 * 3.3)
        XCTAssertEqual(scales.spacing, 12.0, accuracy: 0.1 * 12.0)
    }

    func testEmptyFrameIsAClearError() {
        var rng = RandomSource(seed: 9)
        let noise = (0..<(64 * 64)).map { _ in Float(rng.poisson(100)) }
        let frame = Frame(width: 64, height: 64, pixels: noise, source: "/data/vacuum.tif")
        XCTAssertThrowsError(try ColumnFitter().fit(frame)) { error in
            guard case FitError.noColumnsFound = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("vacuum.tif"))
        }
    }
}

import ColumnFit
import Simulation
import TIFFFrame
import TestSupport
import XCTest
import StemCore

/// Frames a night of acquisition produces besides good ones: hot and saturated pixels, NaN and
/// Inf, negative or constant images, absurd scales, damaged values. None may crash the fit; a
/// result is either a typed error or finite columns, and a defect must not change a good fit.
final class RobustnessTests: XCTestCase {
    private func smallFrame(seed: UInt64 = 3, size: Int = 96) throws -> (Frame, FrameTruth) {
        var s = SimulationSettings()
        s.seed = seed
        s.frameCount = 1
        s.width = size
        s.height = size
        s.shape = .sphere(radius: 6)
        return try SeriesSimulator(s).frame(0)
    }

    /// One saturated pixel (65535, a cosmic ray) between columns: the fit is that of the clean
    /// frame (same columns within 0.01 px), and the repair is reported.
    func testSaturatedPixelIsRepairedAndDoesNotChangeTheFit() throws {
        let (clean, truth) = try smallFrame()
        let reference = try ColumnFitter().fit(clean)
        var hot = clean
        // A background pixel far from every column.
        let far = (0..<hot.pixels.count).max { a, b in
            let da = truth.columns.map { hypot($0.x - Double(a % 96), $0.y - Double(a / 96)) }.min()!
            let db = truth.columns.map { hypot($0.x - Double(b % 96), $0.y - Double(b / 96)) }.min()!
            return da < db
        }!
        hot.pixels[far] = 65535
        let fit = try ColumnFitter().fit(hot)
        XCTAssertEqual(fit.repairedPixels.outliers, 1)
        XCTAssertEqual(fit.columns.count, reference.columns.count)
        for (a, b) in zip(fit.columns, reference.columns) {
            XCTAssertEqual(a.x, b.x, accuracy: 0.01)
            XCTAssertEqual(a.y, b.y, accuracy: 0.01)
        }
        XCTAssertTrue(fit.warnings.isEmpty, "\(fit.warnings)")
        // On a clean frame nothing is repaired: no column is mistaken for an outlier.
        XCTAssertEqual(reference.repairedPixels, PixelDefects.Report())
    }

    /// NaN and ±Inf pixels are repaired (a few) or the frame is refused (many) with the reason.
    func testNonFinitePixels() throws {
        let (clean, _) = try smallFrame()
        var few = clean
        few.pixels[5] = .nan; few.pixels[900] = .infinity; few.pixels[4000] = -.infinity
        let fit = try ColumnFitter().fit(few)
        XCTAssertEqual(fit.repairedPixels.nonFinite, 3)
        XCTAssertTrue(fit.columns.allSatisfy { $0.x.isFinite && $0.height.isFinite })
        var many = clean
        for i in stride(from: 0, to: many.pixels.count, by: 20) { many.pixels[i] = .nan }
        XCTAssertThrowsError(try ColumnFitter().fit(many)) { error in
            guard case FitError.unusablePixels(_, let bad, let total) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(bad, (96 * 96 + 19) / 20)
            XCTAssertEqual(total, 96 * 96)
        }
    }

    /// A constant frame is refused; an all-negative or inverted frame neither crashes nor
    /// reports columns with non-finite values.
    func testDegenerateFrames() throws {
        let (clean, _) = try smallFrame()
        var flat = clean
        flat.pixels = [Float](repeating: 7, count: flat.pixels.count)
        XCTAssertThrowsError(try ColumnFitter().fit(flat)) { error in
            guard case FitError.flatImage = error else { return XCTFail("\(error)") }
        }
        var negative = clean
        negative.pixels = negative.pixels.map { -$0 - 1000 }
        assertNoCrash(negative)
    }

    /// A background 10³⁴ below the image, a width of half the frame: flagged, not a success.
    func testPlausibilityWarnings() throws {
        let (clean, _) = try smallFrame()
        let fit = try ColumnFitter().fit(clean)
        XCTAssertTrue(fit.warnings.isEmpty, "\(fit.warnings)")
        var absurd = fit
        absurd.background = -1.4e34
        XCTAssertTrue(FitPlausibility.warnings(absurd, imageRange: (0, 100), width: 96, height: 96)
            .contains { $0.contains("background") })
        absurd = fit
        absurd.sharedWidth = 40
        XCTAssertTrue(FitPlausibility.warnings(absurd, imageRange: (0, 100), width: 96, height: 96)
            .contains { $0.contains("quarter of the image") })
        absurd = fit
        absurd.pixelSize = 1e8
        XCTAssertTrue(FitPlausibility.warnings(absurd, imageRange: (0, 100), width: 96, height: 96)
            .contains { $0.contains("pixel size") })
    }

    /// 2,000 mutated frames (saturated, NaN and Inf pixels, bit flips of pixel values, scaled by
    /// 10⁻³⁰…10³⁰, negated, constant rows, added offsets): each fit ends with a typed error or
    /// finite columns. A crash or hang fails the whole test run.
    func testFuzzedFramesNeverCrashTheFit() throws {
        let (clean, _) = try smallFrame(seed: 9, size: 64)
        var rng = SplitMix64(seed: 12)
        var errors = 0, fits = 0
        var settings = FitSettings()
        settings.maxIterations = 30
        let fitter = ColumnFitter(settings: settings)
        for _ in 0..<2000 {
            var f = clean
            let n = f.pixels.count
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                switch rng.next() % 9 {
                case 0: f.pixels[Int(rng.next() % UInt64(n))] = 65535
                case 1: f.pixels[Int(rng.next() % UInt64(n))] = .nan
                case 2: f.pixels[Int(rng.next() % UInt64(n))] = rng.next() % 2 == 0 ? .infinity : -.infinity
                case 3:
                    let i = Int(rng.next() % UInt64(n))
                    f.pixels[i] = Float(bitPattern: f.pixels[i].bitPattern ^ (1 << UInt32(rng.next() % 32)))
                case 4:
                    let e = Float(Int(rng.next() % 61) - 30)
                    let scale = powf(10, e)
                    f.pixels = f.pixels.map { $0 * scale }
                case 5: f.pixels = f.pixels.map { -$0 }
                case 6:
                    let row = Int(rng.next() % 64)
                    for x in 0..<64 { f.pixels[row * 64 + x] = 0 }
                case 7: f.pixels = f.pixels.map { $0 + 1e6 }
                default:
                    for _ in 0..<20 { f.pixels[Int(rng.next() % UInt64(n))] = Float(rng.next() % 65536) }
                }
            }
            do {
                let fit = try fitter.fit(f)
                fits += 1
                for c in fit.columns {
                    XCTAssertTrue(c.x.isFinite && c.y.isFinite && c.width.isFinite, "non-finite column in a fit reported as success")
                }
            } catch {
                errors += 1
            }
        }
        print("fuzz: 2000 mutated frames, \(fits) fitted, \(errors) refused with a typed error")
        XCTAssertEqual(fits + errors, 2000)
        XCTAssertGreaterThan(fits, 500, "most single-pixel mutations must still fit")
    }

    /// 600 byte-mutated TIFF files (bit flips and overwritten bytes anywhere: header, tags,
    /// dimensions, compressed data) read with a 2²⁰-pixel limit and fitted: each ends with a
    /// typed error or finite columns, and the process's peak memory stays bounded.
    func testFuzzedFilesNeverCrashReadOrFit() throws {
        let (clean, _) = try smallFrame(seed: 4, size: 64)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var originals: [[UInt8]] = []
        for (k, options) in [TIFFWriter.Options(), .init(encoding: .uint16, compress: true), .init(tileSize: 16)].enumerated() {
            let path = dir + "/o\(k).tif"
            try TIFFWriter.write([clean], to: path, options: options)
            originals.append([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        }
        var rng = SplitMix64(seed: 77)
        var settings = FitSettings()
        settings.maxIterations = 20
        var read = 0, refused = 0, fitted = 0
        for i in 0..<600 {
            var bytes = originals[i % originals.count]
            let head = rng.next() % 2 == 0   // half the mutations land in the first 512 bytes (header, IFD)
            for _ in 0..<(1 + Int(rng.next() % 6)) {
                let range = head ? min(512, bytes.count) : bytes.count
                let at = Int(rng.next() % UInt64(range))
                if rng.next() % 2 == 0 { bytes[at] ^= UInt8(1 << (rng.next() % 8)) } else { bytes[at] = UInt8(rng.next() % 256) }
            }
            let path = dir + "/m.tif"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let frames = try TIFFReader.read(path: path, maxPixels: 1 << 20)
                read += 1
                if let f = try? ColumnFitter(settings: settings).fit(frames[0]) {
                    fitted += 1
                    XCTAssertTrue(f.columns.allSatisfy { $0.x.isFinite && $0.y.isFinite && $0.height.isFinite })
                }
            } catch {
                refused += 1
            }
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let peakMB = Double(usage.ru_maxrss) / 1024
        print("file fuzz: 600 mutated TIFFs, \(read) read (\(fitted) fitted), \(refused) refused; peak RSS \(Int(peakMB)) MB")
        XCTAssertEqual(read + refused, 600)
        XCTAssertLessThan(peakMB, 2048, "a 2²⁰-pixel limit must bound memory")
    }

    private func assertNoCrash(_ f: Frame, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let fit = try ColumnFitter().fit(f)
            XCTAssertTrue(fit.columns.allSatisfy { $0.x.isFinite && $0.height.isFinite }, file: file, line: line)
        } catch {
            // fit(_:) throws only FitError (typed throws): a typed refusal is an accepted outcome.
            XCTAssertFalse(error.description.isEmpty, file: file, line: line)
        }
    }
}

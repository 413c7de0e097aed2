import Foundation
import FrameFormats
import TIFFFrame
import XCTest

/// Frames written as DM4 and EMD read back bit-identical, with their metadata.
final class FormatRoundTripTests: XCTestCase {
    private func frames(_ n: Int, width: Int = 37, height: Int = 23) -> [Frame] {
        var rng = UInt64(12345)
        return (0..<n).map { k in
            let pixels = (0..<(width * height)).map { _ -> Float in
                rng = rng &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int32(truncatingIfNeeded: rng >> 33)) / 1024   // any float32, negatives too
            }
            var f = Frame(width: width, height: height, pixels: pixels, pixelSize: 0.1211)
            f.acquiredAt = 1_790_000_000.125 + 0.75 * Double(k)
            f.frameTime = 0.75
            f.dwellTime = 2e-6
            return f
        }
    }

    private func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-rt-\(UUID().uuidString)-\(name)").path
    }

    func testDM4RoundTrip() throws {
        for n in [1, 3] {
            let written = frames(n)
            let path = temp("series.dm4")
            defer { unlink(path) }
            try DMWriter.write(written, to: path)
            XCTAssertEqual(try FrameFiles.format(path: path), .digitalMicrograph)
            let read = try FrameFiles.read(path: path)
            XCTAssertEqual(read.count, n)
            for (a, b) in zip(written, read) {
                XCTAssertEqual(a.width, b.width); XCTAssertEqual(a.height, b.height)
                XCTAssertEqual(a.pixels.map(\.bitPattern), b.pixels.map(\.bitPattern), "bit-identical pixels")
                XCTAssertEqual(try XCTUnwrap(b.pixelSize), 0.1211, accuracy: 1e-12)
                XCTAssertEqual(try XCTUnwrap(b.acquiredAt), a.acquiredAt!, accuracy: 1e-5, "FILETIME to 0.1 µs, read as Double")
                XCTAssertEqual(b.timeSource, .metadata)
                XCTAssertEqual(b.sampleType, "float32")
            }
        }
    }

    func testEMDRoundTrip() throws {
        let written = frames(4)
        let path = temp("series.emd")
        defer { unlink(path) }
        try EMDWriter.write(written, to: path)
        XCTAssertEqual(try FrameFiles.format(path: path), .emd)
        let read = try FrameFiles.read(path: path)
        XCTAssertEqual(read.count, 4)
        for (a, b) in zip(written, read) {
            XCTAssertEqual(a.pixels.map(\.bitPattern), b.pixels.map(\.bitPattern), "bit-identical pixels")
            XCTAssertEqual(try XCTUnwrap(b.pixelSize), 0.1211, accuracy: 1e-12)
            XCTAssertEqual(b.acquiredAt, a.acquiredAt, "exact (decimal text of the Double)")
            XCTAssertEqual(b.frameTime, 0.75)
            XCTAssertEqual(b.dwellTime, 2e-6)
            XCTAssertEqual(b.detector, "HAADF")
            XCTAssertEqual(b.timeSource, .metadata)
        }
    }
}

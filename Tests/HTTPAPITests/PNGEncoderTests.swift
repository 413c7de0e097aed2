import Foundation
import StemCore
@testable import Report
import TestSupport
import TIFFFrame
import XCTest

final class PNGEncoderTests: XCTestCase {
    func testChecksumsMatchPublishedValues() {
        XCTAssertEqual(PNGEncoder.crc32(Array("IEND".utf8)), 0xAE42_6082)
        XCTAssertEqual(PNGEncoder.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(PNGEncoder.adler32(Array("Wikipedia".utf8)), 0x11E6_0398)
        XCTAssertEqual(PNGEncoder.adler32(Array(repeating: 255, count: 100_000)), adlerReference(Array(repeating: 255, count: 100_000)))
    }

    func testStoredBlocksSplitAt65535Bytes() {
        let data = (0..<150_000).map { UInt8($0 % 251) }
        let z = PNGEncoder.zlibStored(data)
        XCTAssertEqual(z.count, 2 + 3 * 5 + data.count + 4)
        XCTAssertEqual(z[2], 0, "first block not final")
        XCTAssertEqual(Int(z[3]) | Int(z[4]) << 8, 65_535)
        let lastHeader = 2 + 2 * (5 + 65_535)
        XCTAssertEqual(z[lastHeader], 1, "last block final")
        XCTAssertEqual(Int(z[lastHeader + 1]) | Int(z[lastHeader + 2]) << 8, 150_000 - 2 * 65_535)
    }

    /// Every compression decodes to the same pixels (zlib's inflate and an unfilter written from
    /// the specification), gray and RGB, smooth and noisy images; the adaptive filter uses
    /// more than filter 0 on smooth images.
    func testRoundTripsThroughEveryCompression() throws {
        var rng = SplitMix64(seed: 3)
        let w = 97, h = 61
        let smooth = (0..<(w * h)).map { UInt8(truncatingIfNeeded: ($0 % w) * 2 + ($0 / w) * 3) }
        let noisy = (0..<(w * h)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let rgb = (0..<(3 * w * h)).map { UInt8(truncatingIfNeeded: ($0 / 3 % w) * ($0 % 3 + 1) + ($0 / (3 * w))) }
        for (pixels, colour) in [(smooth, PNGEncoder.ColourType.gray), (noisy, .gray), (rgb, .rgb)] {
            for c in [PNGEncoder.Compression.stored, .deflate(level: 1), .deflate(level: 6), .deflate(level: 9)] {
                let png = try PNGEncoder.encode(width: w, height: h, pixels: pixels, colour: colour, compression: c)
                let d = try PNGDecoder.decode(png)
                XCTAssertEqual(d.width, w); XCTAssertEqual(d.height, h); XCTAssertEqual(d.colour, colour)
                XCTAssertEqual(d.pixels, pixels, "\(colour) \(c)")
            }
        }
        let rows = PNGEncoder.filtered(smooth, rowBytes: w, height: h, bytesPerPixel: 1)
        let filters = Set(stride(from: 0, to: rows.count, by: w + 1).map { rows[$0] })
        XCTAssertTrue(filters.isSubset(of: [1, 2, 3, 4]) && !filters.isEmpty, "\(filters)")
    }

    /// The real PtIr frame's display image: 0.21 of the stored size measured (4.8× smaller).
    func testPtIrFrameDeflatesToAQuarter() throws {
        let image = FrameImage(frame: try TIFFReader.readFirst(path: fixture("ptir/PtIr_haadf.tif")))
        let stored = try PNGEncoder.encode(width: image.width, height: image.height, pixels: image.pixels, compression: .stored)
        let png = try image.png()
        XCTAssertLessThan(Double(png.count) / Double(stored.count), 0.25)
        XCTAssertEqual(try PNGDecoder.decode(png).pixels, image.pixels)
    }

    func testRejectsWrongPixelCount() {
        XCTAssertThrowsError(try PNGEncoder.encode(width: 3, height: 2, pixels: [1, 2, 3]))
    }

    private func adlerReference(_ d: [UInt8]) -> UInt32 {
        var a: UInt64 = 1, b: UInt64 = 0
        for x in d { a = (a + UInt64(x)) % 65_521; b = (b + a) % 65_521 }
        return UInt32(b << 16 | a)
    }
}

/// The count palette: viridis' published end points, and lightness rising along it (perceptually
/// ordered: a count is never lighter than a larger one).
final class ViridisTests: XCTestCase {
    func testEndPointsAndRisingLuminance() {
        XCTAssertEqual(Viridis.hex(0), "#440154")
        XCTAssertEqual(Viridis.hex(0.5), "#21908c")
        XCTAssertEqual(Viridis.hex(1), "#fde725")
        XCTAssertEqual(Viridis.hex(-3), Viridis.hex(0))
        XCTAssertEqual(Viridis.hex(.nan), Viridis.hex(0))
        func linear(_ v: UInt8) -> Double { let c = Double(v) / 255; return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4) }
        let luminance = (0...100).map { k -> Double in
            let c = Viridis.rgb(Double(k) / 100)
            return 0.2126 * linear(c.r) + 0.7152 * linear(c.g) + 0.0722 * linear(c.b)
        }
        for (a, b) in zip(luminance, luminance.dropFirst()) { XCTAssertLessThanOrEqual(a, b) }
        XCTAssertGreaterThan(luminance.last! / luminance.first!, 10)
    }
}

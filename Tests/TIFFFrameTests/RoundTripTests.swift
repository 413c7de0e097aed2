import Foundation
import XCTest
@testable import TIFFFrame

/// Every encoding × every file layout written by `TIFFWriter` reads back pixel-for-pixel.
final class RoundTripTests: TIFFTestCase {
    /// Non-square, and neither side a multiple of the 16-pixel tile or of the 5-row strip.
    static let width = 37, height = 23

    /// A deterministic image whose values vary per pixel and span the encoding's range. Integer
    /// encodings get integer values that are exact in `Float` (so equality is exact).
    static func image(for encoding: TIFFWriter.Encoding, width: Int = width, height: Int = height) -> Frame {
        let n = width * height
        let pixels: [Float] = (0..<n).map { i in
            let x = i % width, y = i / width
            switch encoding {
            case .uint8: return Float((i * 7 + y) % 256)                       // 0 … 255
            case .int8: return Float((i * 7 + y) % 256 - 128)                  // -128 … 127
            case .uint16: return Float((i * 4099 + x) % 65536)                 // 0 … 65535
            case .int16: return Float((i * 4099 + x) % 65536 - 32768)          // -32768 … 32767
            case .uint32: return Float((i * 131 + x) % 32768) * 131_072         // up to ~4.29e9, exact
            case .int32: return Float((i * 131 + x) % 32768 - 16384) * 131_072  // ±2.1e9, exact
            case .float32, .float64:
                return Float(sin(Double(x) * 0.7) * 1e3 + Double(y) * 0.013 - 1e-5 * Double(i * i))
            }
        }
        return Frame(width: width, height: height, pixels: pixels)
    }

    struct Layout: Sendable {
        var name: String
        var options: @Sendable (TIFFWriter.Encoding) -> TIFFWriter.Options
    }

    static let layouts: [Layout] = [
        Layout(name: "strips of 5 rows") { .init(encoding: $0, rowsPerStrip: 5) },
        Layout(name: "single strip") { .init(encoding: $0) },
        Layout(name: "tiles 16") { .init(encoding: $0, tileSize: 16) },
        Layout(name: "BigTIFF strips") { .init(encoding: $0, bigTIFF: true, rowsPerStrip: 5) },
        Layout(name: "deflate strips") { .init(encoding: $0, rowsPerStrip: 5, compress: true) },
        Layout(name: "BigTIFF deflate tiles") { .init(encoding: $0, bigTIFF: true, tileSize: 16, compress: true) },
    ]

    func testEveryEncodingAndLayoutRoundTripsExactly() throws {
        XCTAssertEqual(TIFFWriter.Encoding.allCases.count, 8)
        for encoding in TIFFWriter.Encoding.allCases {
            let original = Self.image(for: encoding)
            for layout in Self.layouts {
                let context = "\(encoding), \(layout.name)"
                let u = url("\(encoding)-\(layout.name.replacingOccurrences(of: " ", with: "_")).tif")
                let options = layout.options(encoding)
                try TIFFWriter.write([original], to: u.path, options: options)

                let frames = try TIFFReader.read(path: u.path)
                XCTAssertEqual(frames.count, 1, context)
                let frame = try XCTUnwrap(frames.first, context)
                XCTAssertEqual(frame.width, Self.width, context)
                XCTAssertEqual(frame.height, Self.height, context)
                XCTAssertEqual(frame.page, 0, context)
                XCTAssertEqual(frame.source, u.path, context)
                XCTAssertNil(frame.pixelSize, context)
                assertPixelsEqual(frame.pixels, original.pixels, context)

                let first = try TIFFReader.readFirst(path: u.path)
                XCTAssertTrue(first == frame, "\(context): readFirst differs from read")

                try assertLayout(of: u, options: options, context: context)
            }
        }
    }

    /// The file really has the layout the options asked for.
    private func assertLayout(of u: URL, options: TIFFWriter.Options, context: String) throws {
        let info = try TIFFInspector(url: u)
        XCTAssertEqual(info.bigTIFF, options.bigTIFF, context)
        XCTAssertEqual(info.ifdOffsets.count, 1, context)
        XCTAssertEqual(info.value(Tag.imageWidth), UInt64(Self.width), context)
        XCTAssertEqual(info.value(Tag.imageLength), UInt64(Self.height), context)
        XCTAssertEqual(info.value(Tag.bitsPerSample), UInt64(options.encoding.bitsForTest), context)
        XCTAssertEqual(info.value(Tag.sampleFormat), UInt64(options.encoding.formatForTest), context)
        XCTAssertEqual(info.value(Tag.compression), options.compress ? 8 : 1, context)
        if let tile = options.tileSize {
            XCTAssertTrue(info.isTiled, context)
            XCTAssertEqual(info.value(Tag.tileWidth), UInt64(tile), context)
            XCTAssertEqual(info.value(Tag.tileLength), UInt64(tile), context)
            // ceil(37/16) × ceil(23/16) = 3 × 2 tiles
            XCTAssertEqual(info.values(Tag.tileOffsets).count, 6, context)
        } else {
            XCTAssertFalse(info.isTiled, context)
            let rps = min(options.rowsPerStrip, Self.height)
            XCTAssertEqual(info.value(Tag.rowsPerStrip), UInt64(rps), context)
            XCTAssertEqual(info.values(Tag.stripOffsets).count, (Self.height + rps - 1) / rps, context)
        }
    }

    /// Values outside an integer encoding's range are clamped, fractions rounded, NaN written as 0.
    func testIntegerEncodingsClampAndRound() throws {
        let input: [Float] = [-1000, -1.4, 2.6, 300, 70000, .nan, 12.5, 1e12]
        let frame = Frame(width: 4, height: 2, pixels: input)
        let expected: [(TIFFWriter.Encoding, [Float])] = [
            (.uint8, [0, 0, 3, 255, 255, 0, 13, 255]),
            (.int8, [-128, -1, 3, 127, 127, 0, 13, 127]),
            (.uint16, [0, 0, 3, 300, 65535, 0, 13, 65535]),
            (.int16, [-1000, -1, 3, 300, 32767, 0, 13, 32767]),
        ]
        for (encoding, want) in expected {
            let u = url("clamp-\(encoding).tif")
            try TIFFWriter.write([frame], to: u.path, options: .init(encoding: encoding))
            XCTAssertEqual(try TIFFReader.readFirst(path: u.path).pixels, want, "\(encoding)")
        }
    }

    /// Special float values survive float encodings bit for bit (NaN stays NaN).
    func testFloatSpecialValues() throws {
        let input: [Float] = [0, -0.0, .infinity, -.infinity, .greatestFiniteMagnitude,
                              .leastNonzeroMagnitude, 1e-30, .nan]
        let frame = Frame(width: 8, height: 1, pixels: input)
        for encoding in [TIFFWriter.Encoding.float32, .float64] {
            let u = url("special-\(encoding).tif")
            try TIFFWriter.write([frame], to: u.path, options: .init(encoding: encoding))
            let got = try TIFFReader.readFirst(path: u.path).pixels
            XCTAssertEqual(got.count, 8)
            for (g, w) in zip(got, input) where !w.isNaN {
                XCTAssertEqual(g.bitPattern, w.bitPattern, "\(encoding): \(g) vs \(w)")
            }
            XCTAssertTrue(got.last?.isNaN ?? false, "\(encoding)")
        }
    }

    /// A single uncompressed strip larger than 8 KiB is split into chunks by libtiff on reading
    /// ("strip chopping"); the reader must still place every row correctly.
    func testLargeSingleStripIsReadCorrectly() throws {
        let original = Self.image(for: .float32, width: 301, height: 203)
        let u = url("large.tif")
        try TIFFWriter.write([original], to: u.path, options: .init(encoding: .float32, rowsPerStrip: 1000))
        XCTAssertEqual(try TIFFInspector(url: u).values(Tag.stripOffsets).count, 1)
        let frame = try TIFFReader.readFirst(path: u.path)
        XCTAssertEqual(frame.width, 301)
        XCTAssertEqual(frame.height, 203)
        assertPixelsEqual(frame.pixels, original.pixels)
    }

    /// Images smaller than one tile, and one-pixel images, in every layout.
    func testTinyImages() throws {
        for (w, h) in [(1, 1), (1, 17), (17, 1), (16, 16), (3, 2)] {
            let original = Self.image(for: .uint16, width: w, height: h)
            for layout in Self.layouts {
                let u = url("tiny-\(w)x\(h)-\(layout.name.replacingOccurrences(of: " ", with: "_")).tif")
                try TIFFWriter.write([original], to: u.path, options: layout.options(.uint16))
                let frame = try TIFFReader.readFirst(path: u.path)
                XCTAssertEqual(frame.width, w, "\(w)×\(h) \(layout.name)")
                XCTAssertEqual(frame.height, h, "\(w)×\(h) \(layout.name)")
                assertPixelsEqual(frame.pixels, original.pixels, "\(w)×\(h) \(layout.name)")
            }
        }
    }

    /// The ImageDescription is written and read back verbatim; Software names stemtrack.
    func testImageDescriptionRoundTrips() throws {
        let text = "stemtrack test: 37×23, défocus 5 nm"
        var frame = Self.image(for: .float32)
        frame.imageDescription = text
        let u = url("desc.tif")
        try TIFFWriter.write([frame], to: u.path)
        XCTAssertEqual(try TIFFReader.readFirst(path: u.path).imageDescription, text)

        let plain = url("plain.tif")
        try TIFFWriter.write([Self.image(for: .float32)], to: plain.path)
        XCTAssertNil(try TIFFReader.readFirst(path: plain.path).imageDescription)
    }

    /// Tiles must be a positive multiple of 16 (TIFF requirement); no file is created otherwise.
    func testInvalidTileSizeIsRejected() {
        for tile in [0, -16, 20, 8] {
            let u = url("tile\(tile).tif")
            do {
                try TIFFWriter.write([Self.image(for: .uint8)], to: u.path, options: .init(encoding: .uint8, tileSize: tile))
                XCTFail("tile \(tile): expected writeFailed")
            } catch {
                guard case .writeFailed(let p, let detail) = error else { return XCTFail("tile \(tile): got \(error)") }
                XCTAssertEqual(p, u.path)
                XCTAssertTrue(detail.contains("multiple of 16"), detail)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: u.path), "tile \(tile)")
        }
    }

    /// Zero or negative rows per strip fall back to one row per strip.
    func testDegenerateRowsPerStrip() throws {
        let original = Self.image(for: .int16)
        for rps in [0, -3, 1, 1000] {
            let u = url("rps\(rps).tif")
            try TIFFWriter.write([original], to: u.path, options: .init(encoding: .int16, rowsPerStrip: rps))
            assertPixelsEqual(try TIFFReader.readFirst(path: u.path).pixels, original.pixels, "rows per strip \(rps)")
            let strips = try TIFFInspector(url: u).values(Tag.stripOffsets).count
            XCTAssertEqual(strips, rps >= Self.height ? 1 : Self.height, "rows per strip \(rps)")
        }
    }

    /// The extreme values of 32-bit encodings that a Float can carry survive exactly.
    func testThirtyTwoBitExtremes() throws {
        let cases: [(TIFFWriter.Encoding, [Float], [Float])] = [
            (.uint32, [0, 1, 16_777_216, 4_294_967_040, 5e9, -7], [0, 1, 16_777_216, 4_294_967_040, 4_294_967_040, 0]),
            (.int32, [-2_147_483_648, -1, 0, 2_147_483_520, 3e9, -3e9],
             [-2_147_483_648, -1, 0, 2_147_483_520, 2_147_483_520, -2_147_483_648]),
        ]
        for (encoding, input, want) in cases {
            let u = url("extremes-\(encoding).tif")
            try TIFFWriter.write([Frame(width: 3, height: 2, pixels: input)], to: u.path, options: .init(encoding: encoding))
            XCTAssertEqual(try TIFFReader.readFirst(path: u.path).pixels, want, "\(encoding)")
        }
    }

    func testWritingIntoMissingDirectoryThrows() {
        let path = url("no/such/dir/x.tif").path
        do {
            try TIFFWriter.write([Self.image(for: .uint8)], to: path)
            XCTFail("expected cannotCreate")
        } catch {
            guard case .cannotCreate(let p) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(p, path)
            XCTAssertTrue(error.description.contains("cannot create"))
        }
    }
}

extension TIFFWriter.Encoding {
    var bitsForTest: Int {
        switch self {
        case .uint8, .int8: return 8
        case .uint16, .int16: return 16
        case .uint32, .int32, .float32: return 32
        case .float64: return 64
        }
    }
    var formatForTest: Int {
        switch self {
        case .uint8, .uint16, .uint32: return 1
        case .int8, .int16, .int32: return 2
        case .float32, .float64: return 3
        }
    }
}

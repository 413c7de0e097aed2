import Foundation
import XCTest
@testable import TIFFFrame

/// Valid TIFF structure, unusable content: cut-short data, colour, odd sample types.
final class ContentErrorTests: TIFFTestCase {
    /// 64×64 uint16 in 4 strips of 16 rows, directory first: 8192 bytes of pixel data at the end.
    private func directoryFirstFile(rowsPerStrip: Int = 16) -> [UInt8] {
        let w = 64, h = 64
        let values = (0..<(w * h)).map { UInt16(truncatingIfNeeded: $0 &* 37) }
        let t = TIFFBytes.image(width: w, height: h, bitsPerSample: [16], photometric: 1, rowsPerStrip: rowsPerStrip)
        let stripBytes = rowsPerStrip * w * 2
        let all = [UInt8].bytes(values)
        let strips = stride(from: 0, to: all.count, by: stripBytes).map { Array(all[$0..<min($0 + stripBytes, all.count)]) }
        return t.file(strips: strips)
    }

    func testDirectoryFirstFileReadsWhenComplete() throws {
        let u = try write(directoryFirstFile(), to: "complete.tif")
        let frame = try TIFFReader.readFirst(path: u.path)
        XCTAssertEqual(frame.width, 64)
        XCTAssertEqual(frame.pixels, (0..<4096).map { Float(UInt16(truncatingIfNeeded: $0 &* 37)) })
    }

    /// Cut to half its length: the reader reports how much is there and the full strip extent.
    func testCutToHalfReportsStripExtent() throws {
        for rps in [16, 64, 5] {   // several strips; one single strip; a short last strip
            let full = directoryFirstFile(rowsPerStrip: rps)
            let extent = try TIFFInspector(bytes: full).dataExtent()
            XCTAssertEqual(extent, full.count, "data runs to the end of the file")
            let half = full.count / 2
            let u = try write(Array(full.prefix(half)), to: "half-\(rps).tif")
            let error = readError(u)
            XCTAssertEqual(error, .truncated(path: u.path, bytesPresent: half, bytesNeeded: extent), "rps \(rps)")
            assertReadable(error, names: u, mentions: ["truncated", "\(half) bytes", "\(extent) bytes"])
        }
    }

    /// Cutting off only the last byte is still caught.
    func testCutByOneByte() throws {
        let full = directoryFirstFile()
        let u = try write(Array(full.dropLast()), to: "minus-one.tif")
        XCTAssertEqual(readError(u), .truncated(path: u.path, bytesPresent: full.count - 1, bytesNeeded: full.count))
    }

    /// libtiff writes the directory after the pixel data, so a TIFFWriter file cut in half has
    /// lost its directory: the header's IFD offset lies past the end, and what is needed is
    /// (at least) the directory's entry count (2 bytes, BigTIFF 8).
    func testWriterFileCutToHalf() throws {
        for (name, options) in [("strips", TIFFWriter.Options(encoding: .float32, rowsPerStrip: 4)),
                                ("tiles", TIFFWriter.Options(encoding: .float32, tileSize: 16)),
                                ("bigtiff", TIFFWriter.Options(encoding: .float32, bigTIFF: true))] {
            let frame = RoundTripTests.image(for: .float32)
            let whole = url("whole-\(name).tif")
            try TIFFWriter.write([frame], to: whole.path, options: options)
            let full = try bytes(of: whole)
            let info = try TIFFInspector(bytes: full)
            let half = full.count / 2
            XCTAssertGreaterThan(info.ifdOffsets[0], half, name)
            let u = try write(Array(full.prefix(half)), to: "half-\(name).tif")
            let error = readError(u)
            XCTAssertEqual(error, .truncated(path: u.path, bytesPresent: half,
                                              bytesNeeded: info.ifdOffsets[0] + (info.bigTIFF ? 8 : 2)), name)
            assertReadable(error, names: u, mentions: ["truncated"])
        }
    }

    /// 40×20 uint8 in 16×16 tiles (3×2 tiles, edge tiles padded), directory first.
    private func directoryFirstTiledFile() -> (bytes: [UInt8], pixels: [Float]) {
        let w = 40, h = 20, tile = 16
        let value = { (x: Int, y: Int) -> UInt8 in UInt8((x * 5 + y * 11) % 256) }
        var t = TIFFBytes.image(width: w, height: h, bitsPerSample: [8], photometric: 1, rowsPerStrip: h)
        t.long(Tag.tileWidth, UInt32(tile))
        t.long(Tag.tileLength, UInt32(tile))
        var tiles: [[UInt8]] = []
        for ty in stride(from: 0, to: h, by: tile) {
            for tx in stride(from: 0, to: w, by: tile) {
                tiles.append((0..<(tile * tile)).map { i in
                    let x = tx + i % tile, y = ty + i / tile
                    return x < w && y < h ? value(x, y) : 0
                })
            }
        }
        let pixels = (0..<(w * h)).map { Float(value($0 % w, $0 / w)) }
        return (t.file(tiles: tiles), pixels)
    }

    func testDirectoryFirstTiledFileReads() throws {
        let (file, pixels) = directoryFirstTiledFile()
        let u = try write(file, to: "tiled.tif")
        let frame = try TIFFReader.readFirst(path: u.path)
        XCTAssertEqual(frame.width, 40)
        XCTAssertEqual(frame.height, 20)
        assertPixelsEqual(frame.pixels, pixels)
    }

    /// A directory-first tiled file cut short reports the tile extent.
    func testTiledFileCutToHalf() throws {
        let full = directoryFirstTiledFile().bytes
        let info = try TIFFInspector(bytes: full)
        XCTAssertTrue(info.isTiled)
        XCTAssertEqual(info.dataExtent(), full.count)
        let half = full.count / 2
        let u = try write(Array(full.prefix(half)), to: "tiled-half.tif")
        let error = readError(u)
        XCTAssertEqual(error, .truncated(path: u.path, bytesPresent: half, bytesNeeded: full.count))
        assertReadable(error, names: u, mentions: ["truncated"])
    }

    /// Pixel data complete but the description / resolution values (stored after the directory)
    /// cut off: reported as truncated rather than read without its pixel size.
    func testTagValuesCutOff() throws {
        var frame = RoundTripTests.image(for: .uint8)
        frame.pixelSize = 0.75
        frame.imageDescription = String(repeating: "a long description ", count: 5)
        let whole = url("tags-whole.tif")
        try TIFFWriter.write([frame], to: whole.path, options: .init(encoding: .uint8))
        let full = try bytes(of: whole)
        let info = try TIFFInspector(bytes: full)
        for tag in [Tag.imageDescription, Tag.xResolution] {
            let field = try XCTUnwrap(info.fields()[tag])
            let valueEnd = field.dataOffset + field.count * field.elementSize
            XCTAssertGreaterThan(field.dataOffset, info.dataExtent(), "values after the pixel data")
            let cut = valueEnd - 1
            let u = try write(Array(full.prefix(cut)), to: "tags-cut-\(tag).tif")
            let error = readError(u)
            guard case .truncated(let p, let present, let needed)? = error else {
                XCTFail("tag \(tag): expected truncated, got \(String(describing: error))")
                continue
            }
            XCTAssertEqual(p, u.path)
            XCTAssertEqual(present, cut)
            XCTAssertGreaterThanOrEqual(needed, valueEnd)
            XCTAssertLessThanOrEqual(needed, full.count)
        }
    }

    func testRGBIsUnsupportedColour() throws {
        let t = TIFFBytes.image(width: 4, height: 3, bitsPerSample: [8, 8, 8], photometric: 2, rowsPerStrip: 3)
        let u = try write(t.file(strips: [Array(repeating: 128, count: 36)]), to: "rgb.tif")
        let error = readError(u)
        XCTAssertEqual(error, .unsupportedColor(path: u.path, samplesPerPixel: 3, photometric: 2))
        assertReadable(error, names: u, mentions: ["RGB", "grayscale"])
    }

    func testRGBAIsUnsupportedColour() throws {
        var t = TIFFBytes.image(width: 2, height: 2, bitsPerSample: [8, 8, 8, 8], photometric: 2, rowsPerStrip: 2)
        t.short(338, 2)  // ExtraSamples: unassociated alpha
        let u = try write(t.file(strips: [Array(repeating: 9, count: 16)]), to: "rgba.tif")
        XCTAssertEqual(readError(u), .unsupportedColor(path: u.path, samplesPerPixel: 4, photometric: 2))
    }

    func testPaletteIsUnsupportedColour() throws {
        var t = TIFFBytes.image(width: 4, height: 3, bitsPerSample: [8], photometric: 3, rowsPerStrip: 3)
        t.shorts(Tag.colorMap, (0..<768).map { UInt16(($0 % 256) * 257) })
        let u = try write(t.file(strips: [Array(0..<12)]), to: "palette.tif")
        let error = readError(u)
        XCTAssertEqual(error, .unsupportedColor(path: u.path, samplesPerPixel: 1, photometric: 3))
        assertReadable(error, names: u, mentions: ["palette", "grayscale"])
    }

    /// A single channel with extra samples (gray + alpha) is not plain grayscale either.
    func testGrayWithAlphaIsUnsupportedColour() throws {
        var t = TIFFBytes.image(width: 2, height: 2, bitsPerSample: [8, 8], photometric: 1, rowsPerStrip: 2)
        t.short(338, 2)
        let u = try write(t.file(strips: [Array(repeating: 1, count: 8)]), to: "gray-alpha.tif")
        let error = readError(u)
        XCTAssertEqual(error, .unsupportedColor(path: u.path, samplesPerPixel: 2, photometric: 1))
        assertReadable(error, names: u, mentions: ["2 samples per pixel"])
    }

    func testOneBitIsUnsupportedSampleType() throws {
        // 10×2 bilevel: rows of 2 bytes.
        let t = TIFFBytes.image(width: 10, height: 2, bitsPerSample: [1], photometric: 1, rowsPerStrip: 2)
        let u = try write(t.file(strips: [[0b1010_1010, 0b1100_0000, 0b0101_0101, 0b0100_0000]]), to: "bilevel.tif")
        let error = readError(u)
        XCTAssertEqual(error, .unsupportedSampleType(path: u.path, bitsPerSample: 1, sampleFormat: 1))
        assertReadable(error, names: u, mentions: ["1-bit", "unsigned integer", "not supported"])
    }

    func testTwelveBitIsUnsupportedSampleType() throws {
        // 4×2 at 12 bits: 6 bytes per row.
        let t = TIFFBytes.image(width: 4, height: 2, bitsPerSample: [12], photometric: 1, rowsPerStrip: 2)
        let u = try write(t.file(strips: [Array(repeating: 0x5A, count: 12)]), to: "twelve.tif")
        let error = readError(u)
        XCTAssertEqual(error, .unsupportedSampleType(path: u.path, bitsPerSample: 12, sampleFormat: 1))
        assertReadable(error, names: u, mentions: ["12-bit", "not supported"])
    }

    func testOtherUnsupportedSampleTypes() throws {
        let cases: [(bits: UInt16, format: UInt16, words: [String])] = [
            (16, 3, ["16-bit floating point"]),   // half float
            (64, 1, ["64-bit unsigned integer"]),
            (64, 2, ["64-bit signed integer"]),
            (4, 1, ["4-bit"]),
            (8, 3, ["8-bit floating point"]),
        ]
        for c in cases {
            let rowBytes = (4 * Int(c.bits) + 7) / 8
            let t = TIFFBytes.image(width: 4, height: 2, bitsPerSample: [c.bits], photometric: 1,
                                    sampleFormat: c.format, rowsPerStrip: 2)
            let u = try write(t.file(strips: [Array(repeating: 0, count: rowBytes * 2)]),
                              to: "bits\(c.bits)-fmt\(c.format).tif")
            let error = readError(u)
            XCTAssertEqual(error, .unsupportedSampleType(path: u.path, bitsPerSample: Int(c.bits),
                                                         sampleFormat: Int(c.format)), "\(c)")
            assertReadable(error, names: u, mentions: c.words)
        }
    }
}

import Foundation
import XCTest
@testable import TIFFFrame

/// Valid grayscale files in layouts TIFFWriter never produces: big-endian byte order,
/// MinIsWhite, missing optional tags.
final class ForeignLayoutTests: TIFFTestCase {
    func testBigEndianIntegersAndFloats() throws {
        let w = 5, h = 3
        let u16 = (0..<(w * h)).map { UInt16($0 * 4000 + 7) }
        let i32 = (0..<(w * h)).map { Int32($0 * 1_000_003 - 7_000_000) }
        let f32 = (0..<(w * h)).map { Float($0) * 0.25 - 1.5 }
        let f64 = (0..<(w * h)).map { Double($0) * -3.5 + 0.125 }
        let cases: [(String, UInt16, UInt16, [UInt8], [Float])] = [
            ("u16", 16, 1, .bytes(u16, bigEndian: true), u16.map(Float.init)),
            ("i32", 32, 2, .bytes(i32, bigEndian: true), i32.map(Float.init)),
            ("f32", 32, 3, .bytes(f32.map(\.bitPattern), bigEndian: true), f32),
            ("f64", 64, 3, .bytes(f64.map(\.bitPattern), bigEndian: true), f64.map(Float.init)),
        ]
        for (name, bits, format, data, want) in cases {
            let t = TIFFBytes.image(width: w, height: h, bitsPerSample: [bits], photometric: 1,
                                    sampleFormat: format, rowsPerStrip: 2, bigEndian: true)
            let rowBytes = w * Int(bits) / 8
            let strips = [Array(data[0..<(2 * rowBytes)]), Array(data[(2 * rowBytes)...])]
            let u = try write(t.file(strips: strips), to: "be-\(name).tif")
            XCTAssertEqual(try bytes(of: u).prefix(4), [0x4D, 0x4D, 0x00, 0x2A])
            let frame = try TIFFReader.readFirst(path: u.path)
            XCTAssertEqual(frame.width, w, name)
            XCTAssertEqual(frame.height, h, name)
            XCTAssertEqual(frame.pixels, want, name)
        }
    }

    /// MinIsWhite stores inverted intensities; the reader flips them so brighter = more signal.
    func testMinIsWhiteIsInverted() throws {
        let raw: [UInt8] = [0, 1, 100, 254, 255, 128]
        let t = TIFFBytes.image(width: 3, height: 2, bitsPerSample: [8], photometric: 0, rowsPerStrip: 2)
        let u = try write(t.file(strips: [raw]), to: "miniswhite8.tif")
        XCTAssertEqual(try TIFFReader.readFirst(path: u.path).pixels, raw.map { 255 - Float($0) })

        let raw16: [UInt16] = [0, 65535, 1000, 40000]
        let t16 = TIFFBytes.image(width: 2, height: 2, bitsPerSample: [16], photometric: 0, rowsPerStrip: 2)
        let v = try write(t16.file(strips: [.bytes(raw16)]), to: "miniswhite16.tif")
        XCTAssertEqual(try TIFFReader.readFirst(path: v.path).pixels, raw16.map { 65535 - Float($0) })

        let rawF: [Float] = [0.5, -2, 3]
        let tF = TIFFBytes.image(width: 3, height: 1, bitsPerSample: [32], photometric: 0, sampleFormat: 3, rowsPerStrip: 1)
        let f = try write(tF.file(strips: [.bytes(rawF.map(\.bitPattern))]), to: "miniswhite-float.tif")
        // Floats flip about their own range [min, max] = [-2, 3]: v ↦ 3 + (-2) - v.
        XCTAssertEqual(try TIFFReader.readFirst(path: f.path).pixels, [0.5, 3, -2])
    }

    /// No SampleFormat (defaults to unsigned), no RowsPerStrip (one strip for the whole image).
    func testMinimalTags() throws {
        var t = TIFFBytes.image(width: 3, height: 2, bitsPerSample: [16], photometric: 1, rowsPerStrip: 2)
        t.remove(Tag.rowsPerStrip)
        t.remove(Tag.planarConfig)
        let u = try write(t.file(strips: [.bytes([UInt16(1), 2, 3, 60000, 5, 6])]), to: "minimal.tif")
        let frame = try TIFFReader.readFirst(path: u.path)
        XCTAssertEqual(frame.pixels, [1, 2, 3, 60000, 5, 6])
        XCTAssertNil(frame.pixelSize)
        XCTAssertNil(frame.imageDescription)
    }

    /// Signed 8-bit data and a hand-written description.
    func testSignedBytesAndDescription() throws {
        var t = TIFFBytes.image(width: 4, height: 1, bitsPerSample: [8], photometric: 1, sampleFormat: 2, rowsPerStrip: 1)
        t.ascii(Tag.imageDescription, "hand-built")
        let u = try write(t.file(strips: [[0x80, 0xFF, 0x00, 0x7F]]), to: "int8.tif")
        let frame = try TIFFReader.readFirst(path: u.path)
        XCTAssertEqual(frame.pixels, [-128, -1, 0, 127])
        XCTAssertEqual(frame.imageDescription, "hand-built")
    }
}

import Foundation
import XCTest
@testable import TIFFFrame

/// Pixel size (Å) from resolution tags and ImageJ descriptions.
final class PixelSizeTests: TIFFTestCase {
    private func small(pixelSize: Double? = nil, description: String? = nil) -> Frame {
        Frame(width: 3, height: 2, pixels: [1, 2, 3, 4, 5, 6], pixelSize: pixelSize, imageDescription: description)
    }

    /// A hand-built 4×2 uint8 file with the given resolution tags and description.
    private func handBuilt(_ name: String, xResolution: (UInt32, UInt32)?, unit: UInt16?,
                           description: String? = nil) throws -> URL {
        var t = TIFFBytes.image(width: 4, height: 2, bitsPerSample: [8], photometric: 1, rowsPerStrip: 2)
        if let (num, den) = xResolution {
            t.rational(Tag.xResolution, num, den)
            t.rational(Tag.yResolution, num, den)
        }
        if let unit { t.short(Tag.resolutionUnit, unit) }
        if let description { t.ascii(Tag.imageDescription, description) }
        return try write(t.file(strips: [[1, 2, 3, 4, 5, 6, 7, 8]]), to: name)
    }

    private func pixelSize(_ u: URL) throws -> Double? {
        let frame = try TIFFReader.readFirst(path: u.path)
        XCTAssertEqual(frame.pixels, [1, 2, 3, 4, 5, 6, 7, 8])
        return frame.pixelSize
    }

    func testWriterStoresPixelsPerCentimetre() throws {
        for (i, px) in [0.1211, 1.0, 0.037, 12.5, 250.0].enumerated() {
            let u = url("px\(i).tif")
            try TIFFWriter.write([small(pixelSize: px)], to: u.path)
            let got = try XCTUnwrap(TIFFReader.readFirst(path: u.path).pixelSize, "\(px)")
            XCTAssertEqual(got, px, accuracy: px * 1e-6, "\(px)")

            let info = try TIFFInspector(url: u)
            XCTAssertEqual(info.value(Tag.resolutionUnit), 3, "centimetre")
            let xres = try XCTUnwrap(info.rational(Tag.xResolution))
            XCTAssertEqual(xres, 1e8 / px, accuracy: 1e8 / px * 1e-6, "pixels per cm")
            XCTAssertEqual(try XCTUnwrap(info.rational(Tag.yResolution)), xres, accuracy: xres * 1e-9)
        }
    }

    func testWriterWithoutPixelSizeWritesNoResolution() throws {
        let u = url("none.tif")
        try TIFFWriter.write([small()], to: u.path)
        XCTAssertNil(try TIFFReader.readFirst(path: u.path).pixelSize)
        XCTAssertNil(try TIFFInspector(url: u).rational(Tag.xResolution))
    }

    func testNonPositivePixelSizeIsNotWritten() throws {
        for px in [0.0, -1.0] {
            let u = url("bad\(px).tif")
            try TIFFWriter.write([small(pixelSize: px)], to: u.path)
            XCTAssertNil(try TIFFReader.readFirst(path: u.path).pixelSize, "\(px)")
        }
    }

    /// ImageJ: XResolution in pixels per `unit`, ResolutionUnit none.
    func testImageJNanometres() throws {
        // 0.1211 nm per pixel = 1.211 Å: XResolution = 1 / 0.1211 pixels per nm.
        let u = try handBuilt("imagej-nm.tif", xResolution: (1_000_000, 121_100), unit: 1,
                              description: "ImageJ=1.53t\nunit=nm\n")
        let got = try XCTUnwrap(pixelSize(u))
        XCTAssertEqual(got, 1.211, accuracy: 1.211 * 1e-6)
    }

    func testImageJOtherUnits() throws {
        let cases: [(String, String, Double)] = [
            ("micron", "micron", 0.002 * 10_000),       // 0.002 µm = 20 Å
            ("um-escaped", "\\u00B5m", 0.002 * 10_000),  // as tifffile writes µm
            ("mu", "µm", 0.002 * 10_000),
            ("angstrom", "\\u00C5", 0.002),
            ("A-sign", "Å", 0.002),
            ("pm", "pm", 0.002 * 0.01),
            ("spaces", "  nm\t", 0.002 * 10),
        ]
        for (name, unit, want) in cases {
            let u = try handBuilt("imagej-\(name).tif", xResolution: (500, 1), unit: 1,
                                  description: "ImageJ=1.53t\r\nimages=1\r\nunit=\(unit)\r\nmin=0.0\r\n")
            let got = try XCTUnwrap(pixelSize(u), name)
            XCTAssertEqual(got, want, accuracy: want * 1e-6, name)
        }
    }

    /// Units with no length meaning ("pixel") or unknown units leave the size unknown.
    func testImageJUnknownUnit() throws {
        let u = try handBuilt("imagej-pixel.tif", xResolution: (1, 1), unit: 1,
                              description: "ImageJ=1.53t\nunit=pixel\n")
        XCTAssertNil(try pixelSize(u))
    }

    func testResolutionUnitNoneWithoutDescriptionIsUnknown() throws {
        let u = try handBuilt("none-unit.tif", xResolution: (1, 1), unit: 1)
        XCTAssertNil(try pixelSize(u))
    }

    func testCentimetreAndInchUnits() throws {
        let cm = try handBuilt("cm.tif", xResolution: (10_000_000, 1), unit: 3)   // 1e7 px/cm = 10 Å
        XCTAssertEqual(try XCTUnwrap(pixelSize(cm)), 10, accuracy: 1e-5)
        let inch = try handBuilt("inch.tif", xResolution: (100_000_000, 1), unit: 2)  // 1e8 px/in = 2.54 Å
        XCTAssertEqual(try XCTUnwrap(pixelSize(inch)), 2.54, accuracy: 2.54e-6)
        // No ResolutionUnit tag: the TIFF default is inch.
        let defaulted = try handBuilt("default-inch.tif", xResolution: (100_000_000, 1), unit: nil)
        XCTAssertEqual(try XCTUnwrap(pixelSize(defaulted)), 2.54, accuracy: 2.54e-6)
    }

    /// 72, 96 and 300 dpi are screen/printer defaults, not a calibration.
    func testDefaultDPIIsNotACalibration() throws {
        for dpi: UInt32 in [72, 96, 300] {
            let u = try handBuilt("dpi\(dpi).tif", xResolution: (dpi, 1), unit: 2)
            XCTAssertNil(try pixelSize(u), "\(dpi) dpi")
        }
    }

    func testNoResolutionIsNil() throws {
        let u = try handBuilt("nores.tif", xResolution: nil, unit: nil)
        XCTAssertNil(try pixelSize(u))
        let withDescription = try handBuilt("nores-ij.tif", xResolution: nil, unit: nil,
                                            description: "ImageJ=1.53t\nunit=nm\n")
        XCTAssertNil(try pixelSize(withDescription))
    }

    func testZeroResolutionIsNil() throws {
        let u = try handBuilt("zero.tif", xResolution: (0, 1), unit: 3)
        XCTAssertNil(try pixelSize(u))
    }

    /// A frame read from an ImageJ file keeps its description; writing it back out must keep the
    /// pixel size (the description's unit must not reinterpret the written resolution).
    func testImageJFrameRewrittenKeepsPixelSize() throws {
        let source = try handBuilt("ij-source.tif", xResolution: (1_000_000, 121_100), unit: 1,
                                   description: "ImageJ=1.53t\nunit=nm\n")
        let frame = try TIFFReader.readFirst(path: source.path)
        let px = try XCTUnwrap(frame.pixelSize)
        XCTAssertEqual(frame.imageDescription, "ImageJ=1.53t\nunit=nm\n")

        let copy = url("ij-copy.tif")
        try TIFFWriter.write([frame], to: copy.path)
        let again = try TIFFReader.readFirst(path: copy.path)
        XCTAssertEqual(again.imageDescription, frame.imageDescription)
        XCTAssertEqual(try XCTUnwrap(again.pixelSize), px, accuracy: px * 1e-6)
        // Written as ImageJ does: pixels per nm, ResolutionUnit none.
        let info = try TIFFInspector(url: copy)
        XCTAssertEqual(info.value(Tag.resolutionUnit), 1)
        XCTAssertEqual(try XCTUnwrap(info.rational(Tag.xResolution)), 10 / px, accuracy: 10 / px * 1e-6)
    }

    /// A new frame given an ImageJ description and a pixel size is written the ImageJ way.
    func testWriterWithImageJDescription() throws {
        let u = url("ij-new.tif")
        try TIFFWriter.write([small(pixelSize: 20, description: "ImageJ=1.53t\nunit=micron\n")], to: u.path)
        XCTAssertEqual(try XCTUnwrap(TIFFReader.readFirst(path: u.path).pixelSize), 20, accuracy: 20e-6)
        let info = try TIFFInspector(url: u)
        XCTAssertEqual(info.value(Tag.resolutionUnit), 1)
        XCTAssertEqual(try XCTUnwrap(info.rational(Tag.xResolution)), 500, accuracy: 500e-6)  // px per µm

        // A description without a length unit keeps centimetres.
        let v = url("plain-desc.tif")
        try TIFFWriter.write([small(pixelSize: 20, description: "ImageJ=1.53t\nunit=pixel\n")], to: v.path)
        XCTAssertEqual(try XCTUnwrap(TIFFReader.readFirst(path: v.path).pixelSize), 20, accuracy: 20e-6)
        XCTAssertEqual(try TIFFInspector(url: v).value(Tag.resolutionUnit), 3)
    }

    func testUnitParsing() {
        XCTAssertEqual(PixelSize.imageJUnit("ImageJ=1.53t\nunit=nm\n"), "nm")
        XCTAssertEqual(PixelSize.imageJUnit("ImageJ=1.53t\r\nunit = micron \r\n"), "micron")
        XCTAssertNil(PixelSize.imageJUnit("ImageJ=1.53t\nspacing=1\n"))
        XCTAssertNil(PixelSize.imageJUnit("{\"shape\": [512, 512]}"))
        XCTAssertEqual(PixelSize.angstrom(perUnit: "NM"), 10)
        XCTAssertEqual(PixelSize.angstrom(perUnit: "um"), 10_000)
        XCTAssertNil(PixelSize.angstrom(perUnit: "inch"))
    }
}

/// The TIFF 6.0 DateTime tag as an acquisition time.
final class DateTimeTagTests: XCTestCase {
    func testDateTimeTag() {
        XCTAssertEqual(TIFFReader.dateTimeTag("2019:12:05 10:03:44"), 1_575_540_224)
        XCTAssertNil(TIFFReader.dateTimeTag("2019-12-05"))
        XCTAssertNil(TIFFReader.dateTimeTag("2019:13:05 10:03:44"))
        XCTAssertNil(TIFFReader.dateTimeTag(""))
    }
}

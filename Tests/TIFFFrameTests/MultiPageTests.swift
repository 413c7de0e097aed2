import Foundation
import XCTest
@testable import TIFFFrame

/// Multi-page files: one frame per image file directory, in order.
final class MultiPageTests: TIFFTestCase {
    /// Three pages with different content (and different pixel sizes and descriptions).
    static func pages() -> [Frame] {
        (0..<3).map { p in
            let w = 37, h = 23
            let pixels = (0..<(w * h)).map { i in Float((i * (p + 3) + 1000 * p) % 65536) }
            return Frame(width: w, height: h, pixels: pixels, pixelSize: [0.5, 1.25, nil][p],
                         imageDescription: "page \(p)")
        }
    }

    func testThreePagesInEveryLayout() throws {
        let originals = Self.pages()
        XCTAssertNotEqual(originals[0].pixels, originals[1].pixels)
        XCTAssertNotEqual(originals[1].pixels, originals[2].pixels)
        let layouts: [(String, TIFFWriter.Options)] = [
            ("strips", .init(encoding: .uint16, rowsPerStrip: 5)),
            ("tiles", .init(encoding: .uint16, tileSize: 16)),
            ("bigtiff-deflate", .init(encoding: .uint16, bigTIFF: true, rowsPerStrip: 7, compress: true)),
            ("float64-tiles", .init(encoding: .float64, tileSize: 32, compress: true)),
        ]
        for (name, options) in layouts {
            let u = url("pages-\(name).tif")
            try TIFFWriter.write(originals, to: u.path, options: options)
            XCTAssertEqual(try TIFFInspector(url: u).ifdOffsets.count, 3, name)

            let frames = try TIFFReader.read(path: u.path)
            XCTAssertEqual(frames.count, 3, name)
            XCTAssertEqual(frames.map(\.page), [0, 1, 2], name)
            for (frame, original) in zip(frames, originals) {
                let context = "\(name) page \(frame.page)"
                XCTAssertEqual(frame.width, original.width, context)
                XCTAssertEqual(frame.height, original.height, context)
                assertPixelsEqual(frame.pixels, original.pixels, context)
                XCTAssertEqual(frame.imageDescription, original.imageDescription, context)
                XCTAssertEqual(frame.source, u.path, context)
                if let want = original.pixelSize {
                    let got = try XCTUnwrap(frame.pixelSize, context)
                    XCTAssertEqual(got, want, accuracy: want * 1e-6, context)
                } else {
                    XCTAssertNil(frame.pixelSize, context)
                }
            }
            XCTAssertEqual(frames.map(\.label), ["pages-\(name).tif", "pages-\(name).tif page 1",
                                                 "pages-\(name).tif page 2"], name)

            // readFirst returns page 0 only.
            let first = try TIFFReader.readFirst(path: u.path)
            XCTAssertTrue(first == frames[0], "\(name): readFirst differs from page 0")
        }
    }

    /// Pages may differ in size.
    func testPagesOfDifferentSizes() throws {
        let a = Frame(width: 5, height: 3, pixels: (0..<15).map(Float.init))
        let b = Frame(width: 2, height: 7, pixels: (0..<14).map { Float(100 - $0) })
        let u = url("sizes.tif")
        try TIFFWriter.write([a, b], to: u.path, options: .init(encoding: .int16))
        let frames = try TIFFReader.read(path: u.path)
        XCTAssertEqual(frames.count, 2)
        XCTAssertEqual(frames.map(\.width), [5, 2])
        XCTAssertEqual(frames.map(\.height), [3, 7])
        XCTAssertEqual(frames.map(\.pixels), [a.pixels, b.pixels])
    }

    /// A multi-page file whose later page is cut short must not silently lose that page.
    func testCutInsideLaterPageIsReported() throws {
        let originals = Self.pages()
        let u = url("cut-pages.tif")
        try TIFFWriter.write(originals, to: u.path, options: .init(encoding: .uint16, rowsPerStrip: 5))
        let full = try bytes(of: u)
        let info = try TIFFInspector(bytes: full)
        XCTAssertEqual(info.ifdOffsets.count, 3)
        // Keep everything up to (and including) page 1's directory; page 2's IFD is cut off.
        let cutAt = info.ifdOffsets[2] - 1
        let cut = try write(Array(full.prefix(cutAt)), to: "cut-pages-short.tif")
        let error = readError(cut, requireReadFirstToFail: false)
        guard case .truncated(let p, let present, let needed)? = error else {
            return XCTFail("expected truncated, got \(String(describing: error))")
        }
        XCTAssertEqual(p, cut.path)
        XCTAssertEqual(present, cutAt)
        XCTAssertGreaterThan(needed, cutAt)
        assertReadable(error, names: cut, mentions: ["truncated"])
        // The first page is complete and can still be read on its own.
        assertPixelsEqual(try TIFFReader.readFirst(path: cut.path).pixels, originals[0].pixels)
    }
}

extension TIFFTestCase {
    /// `read` must throw; `readFirst` may succeed (the first page is intact).
    func readError(_ url: URL, requireReadFirstToFail: Bool, file: StaticString = #filePath,
                   line: UInt = #line) -> FrameReadError? {
        if requireReadFirstToFail { return readError(url, file: file, line: line) }
        do {
            let frames = try TIFFReader.read(path: url.path)
            XCTFail("expected a FrameReadError, read \(frames.count) frame(s)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }
}

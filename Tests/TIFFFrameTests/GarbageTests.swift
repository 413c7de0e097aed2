import Foundation
import TestSupport
import XCTest
@testable import TIFFFrame
import StemCore

/// Garbage must end in a `FrameReadError` (or, for harmless mutations, a frame), never a crash
/// or a hang. Inputs are pseudo-random but seeded, so every run tests the same files.
final class GarbageTests: TIFFTestCase {
    /// Reads `url` with both entry points; returns true when `read` threw.
    @discardableResult
    private func readSurvives(_ url: URL, seconds: Double = 5, _ context: String) -> Bool {
        let start = Date()
        var threw = false
        do { _ = try TIFFReader.read(path: url.path) } catch { threw = true; checkPath(error, url, context) }
        do { _ = try TIFFReader.readFirst(path: url.path) } catch { checkPath(error, url, context) }
        XCTAssertLessThan(Date().timeIntervalSince(start), seconds, "\(context): too slow")
        return threw
    }

    private func checkPath(_ error: FrameReadError, _ url: URL, _ context: String) {
        XCTAssertTrue(error.description.hasPrefix(url.lastPathComponent + ":"), "\(context): \(error)")
    }

    /// "II*\0" followed by random bytes: with the IFD offset random, and with it pointing at 8.
    func testRandomBytesAfterHeader() throws {
        var rng = SplitMix64(seed: 0x5EED)
        for i in 0..<60 {
            let length = Int.random(in: 4...4096, using: &rng)
            var body = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if i % 2 == 1 { body.replaceSubrange(0..<4, with: [8, 0, 0, 0]) }   // first IFD right after the header
            let u = try write([0x49, 0x49, 0x2A, 0x00] + body, to: "garbage-\(i).tif")
            XCTAssertTrue(readSurvives(u, "garbage \(i)"), "garbage \(i) should not read as an image")
        }
    }

    func testRandomBytesAfterBigTIFFHeader() throws {
        var rng = SplitMix64(seed: 0xB16)
        for i in 0..<30 {
            let length = Int.random(in: 8...4096, using: &rng)
            var body = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if i % 2 == 1 { body.replaceSubrange(0..<8, with: [16, 0, 0, 0, 0, 0, 0, 0]) }
            let u = try write([0x49, 0x49, 0x2B, 0x00, 0x08, 0x00, 0x00, 0x00] + body, to: "big-garbage-\(i).tif")
            XCTAssertTrue(readSurvives(u, "big garbage \(i)"), "big garbage \(i) should not read as an image")
        }
    }

    /// A directory with a plausible structure but random tag values.
    func testRandomTagValues() throws {
        var rng = SplitMix64(seed: 0x7A6)
        let tags: [UInt16] = [256, 257, 258, 259, 262, 273, 277, 278, 279, 284, 317, 322, 323, 324, 325, 338, 339]
        for i in 0..<300 {
            var t = TIFFBytes()
            for tag in tags where Int.random(in: 0..<5, using: &rng) > 0 {
                let small = Bool.random(using: &rng)
                let v = small ? UInt32.random(in: 0...70, using: &rng) : UInt32.random(in: 0...UInt32.max, using: &rng)
                if Bool.random(using: &rng) { t.long(tag, v) } else { t.short(tag, UInt16(truncatingIfNeeded: v)) }
            }
            let data = (0..<Int.random(in: 0...2048, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var file = t.file(strips: [data])
            // Sometimes clobber the real strip offsets/counts with random ones.
            if i % 3 == 0 {
                for _ in 0..<4 {
                    let at = Int.random(in: 8..<min(file.count, 8 + 2 + 12 * t.entries.count + 12), using: &rng)
                    file[at] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            let u = try write(file, to: "tags-\(i).tif")
            readSurvives(u, "random tags \(i)")
        }
    }

    /// Valid files (every layout the writer has) with random bytes changed.
    func testMutatedValidFiles() throws {
        var rng = SplitMix64(seed: 0xF1)
        let frame = RoundTripTests.image(for: .uint16)
        let layouts: [TIFFWriter.Options] = [
            .init(encoding: .uint16, rowsPerStrip: 5),
            .init(encoding: .float32, tileSize: 16),
            .init(encoding: .uint16, bigTIFF: true, rowsPerStrip: 7, compress: true),
            .init(encoding: .int8, bigTIFF: true, tileSize: 16),
        ]
        for (l, options) in layouts.enumerated() {
            let source = url("valid-\(l).tif")
            try TIFFWriter.write([frame, frame], to: source.path, options: options)
            let original = try bytes(of: source)
            let info = try TIFFInspector(bytes: original)
            for i in 0..<80 {
                var mutated = original
                let flips = Int.random(in: 1...8, using: &rng)
                for _ in 0..<flips {
                    // Mostly hit the directories (the interesting part), sometimes anywhere.
                    let ifd = info.ifdOffsets.randomElement(using: &rng) ?? 8
                    let at = Bool.random(using: &rng)
                        ? Int.random(in: 0..<mutated.count, using: &rng)
                        : min(mutated.count - 1, ifd + Int.random(in: 0..<300, using: &rng))
                    mutated[at] = UInt8.random(in: 0...255, using: &rng)
                }
                let u = try write(mutated, to: "mutated-\(l)-\(i).tif")
                readSurvives(u, "layout \(l) mutation \(i)")
            }
        }
    }

    /// Every prefix length of a small valid file is an error, except when all that is missing is
    /// the Software string at the very end (a tag the reader does not use).
    func testEveryPrefixOfAValidFile() throws {
        let frame = Frame(width: 5, height: 4, pixels: (0..<20).map(Float.init), pixelSize: 0.5,
                          imageDescription: "prefix test")
        let source = url("prefix-source.tif")
        try TIFFWriter.write([frame, frame], to: source.path, options: .init(encoding: .uint16, rowsPerStrip: 2))
        let full = try bytes(of: source)
        let info = try TIFFInspector(bytes: full)
        let software = try XCTUnwrap(info.fields(page: 1)[305])   // "stemtrack\0", written last
        XCTAssertEqual(software.dataOffset + software.count, full.count)
        for n in 0..<full.count {
            let u = try write(Array(full.prefix(n)), to: "prefix-\(n).tif")
            let threw = readSurvives(u, "prefix \(n)")
            if !threw {
                XCTAssertGreaterThanOrEqual(n, software.dataOffset, "prefix \(n) of \(full.count) should not read")
                let frames = try TIFFReader.read(path: u.path)
                XCTAssertEqual(frames.count, 2)
                for f in frames {
                    assertPixelsEqual(f.pixels, frame.pixels, "prefix \(n)")
                    XCTAssertEqual(f.imageDescription, "prefix test")
                    XCTAssertEqual(try XCTUnwrap(f.pixelSize), 0.5, accuracy: 1e-6)
                }
            }
        }
        assertPixelsEqual(try TIFFReader.readFirst(path: source.path).pixels, frame.pixels)
    }

    /// A directory that claims a huge image over a tiny file must not allocate gigabytes.
    func testHugeDimensionsOverTinyFile() throws {
        for (w, h) in [(UInt32.max, UInt32.max), (65536, 32768), (46340, 46340), (1, UInt32.max)] {
            var t = TIFFBytes.image(width: 1, height: 1, bitsPerSample: [32], photometric: 1,
                                    sampleFormat: 3, rowsPerStrip: 1)
            t.long(Tag.imageWidth, w)
            t.long(Tag.imageLength, h)
            let u = try write(t.file(strips: [[0, 0, 0x80, 0x3F]]), to: "huge-\(w)x\(h).tif")
            XCTAssertTrue(readSurvives(u, "\(w)×\(h)"), "\(w)×\(h) over 4 bytes should not read")
        }
    }

    func testHugeTilesOverTinyFile() throws {
        for (tw, th) in [(UInt32(1) << 31, UInt32(1) << 31), (65536, 65536), (16, UInt32.max & ~15)] {
            var t = TIFFBytes.image(width: 20, height: 20, bitsPerSample: [8], photometric: 1, rowsPerStrip: 1)
            t.long(Tag.tileWidth, tw)
            t.long(Tag.tileLength, th)
            let u = try write(t.file(tiles: [Array(repeating: 1, count: 64)]), to: "hugetile-\(tw)x\(th).tif")
            XCTAssertTrue(readSurvives(u, "tile \(tw)×\(th)"), "tile \(tw)×\(th) should not read")
        }
    }
}

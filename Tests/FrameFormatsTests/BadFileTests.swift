import Foundation
import FrameFormats
import TestSupport
import TIFFFrame
import XCTest

/// Damaged files of each format give typed errors, and thousands of mutated files neither crash
/// nor hang the readers.
final class BadFileTests: XCTestCase {
    private func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-bad-\(UUID().uuidString)-\(name)").path
    }

    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let p = temp(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    private func bytes(_ fixturePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture(fixturePath))))
    }

    func testTypedErrors() throws {
        let dm = try bytes("formats/dm/2D_test_STEM_image.dm3")
        let dm4 = try bytes("formats/dm/2D_test-2.dm4")
        let emd = try bytes("formats/emd/fei_example_tem_stack.emd")
        func expect(_ data: [UInt8], _ name: String, _ check: (FrameReadError) -> Bool, _ what: String) throws {
            let p = try write(data, name)
            defer { unlink(p) }
            XCTAssertThrowsError(try FrameFiles.read(path: p), what) { error in
                guard let e = error as? FrameReadError else { return XCTFail("\(what): untyped \(error)") }
                XCTAssertTrue(check(e), "\(what): \(e)")
                XCTAssertTrue(e.description.hasPrefix("stemtrack-bad-"), "names the file: \(e)")
            }
        }
        try expect([], "empty.dm4", { if case .emptyFile = $0 { true } else { false } }, "zero-byte")
        try expect(Array("not an image at all".utf8), "junk.dm4", { if case .unknownFormat = $0 { true } else { false } }, "wrong magic")
        try expect(Array(dm.prefix(dm.count / 2)), "half.dm3", { if case .truncated = $0 { true } else { false } }, "truncated DM3")
        try expect(Array(dm4.prefix(300)), "cut.dm4", { if case .truncated = $0 { true } else { false } }, "truncated DM4")
        try expect(Array(emd.prefix(emd.count / 3)), "cut.emd", { if case .corruptFile = $0 { true } else { false } }, "truncated EMD")
        // A DM3 tag group declaring 2³¹ tags, and a data array of 2³⁰ elements.
        var huge = dm
        if let at = find(huge, Array("ImageList".utf8)) {
            let count = at + 9 + 2   // after the name: sorted, open, then the count
            huge[count] = 0x7F; huge[count + 1] = 0xFF; huge[count + 2] = 0xFF; huge[count + 3] = 0xFF
        }
        try expect(huge, "hugecount.dm3", { if case .corruptFile = $0 { true } else { false } }, "huge tag count")
        var hugeArray = dm
        if let at = find(hugeArray, Array("Data".utf8) + Array("%%%%".utf8)) {
            // info words: n = 3, then [20, type, count]: set count to 2³⁰.
            let count = at + 4 + 4 + 4 + 12 - 4
            hugeArray[count] = 0x40; hugeArray[count + 1] = 0; hugeArray[count + 2] = 0; hugeArray[count + 3] = 0
        }
        try expect(hugeArray, "hugearray.dm3", { if case .truncated = $0 { true } else if case .corruptFile = $0 { true } else { false } }, "huge array")
        var unknownTag = dm
        if let at = find(unknownTag, Array("ImageList".utf8)) { unknownTag[at - 3] = 0x33 }   // kind byte of the tag
        try expect(unknownTag, "unknowntag.dm3", { if case .corruptFile = $0 { true } else { false } }, "unknown tag kind")
    }

    private func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }

    /// Mutated copies (byte flips, runs of random bytes, truncations, extensions) of a DM3, a DM4
    /// and an EMD file: every read returns frames or a typed error, none takes more than a second.
    func testMutatedFilesNeitherCrashNorHang() throws {
        var rng = SplitMix64(seed: 2026)
        let sources = ["formats/dm/2D_test_STEM_image.dm3", "formats/dm/3D_test-2.dm4", "formats/dm/3D_test_stackbuilder_imagestack.dm3",
                       "formats/emd/fei_example_tem_stack.emd"]
        var outcomes: [String: (frames: Int, errors: Int)] = [:]
        let path = temp("fuzz")
        defer { unlink(path) }
        for source in sources {
            let original = try bytes(source)
            let iterations = source.hasSuffix(".emd") ? 500 : 1500
            var read = 0, errors = 0
            for _ in 0..<iterations {
                var b = original
                switch Int(rng.next() % 4) {
                case 0: for _ in 0..<(1 + Int(rng.next() % 8)) { b[Int(rng.next() % UInt64(b.count))] ^= UInt8(1 << (rng.next() % 8)) }
                case 1:
                    let at = Int(rng.next() % UInt64(b.count)), n = min(b.count - at, 1 + Int(rng.next() % 16))
                    for k in 0..<n { b[at + k] = UInt8(truncatingIfNeeded: rng.next()) }
                case 2: b = Array(b.prefix(Int(rng.next() % UInt64(b.count))))
                default: b += (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                }
                try Data(b).write(to: URL(fileURLWithPath: path))
                let started = Date()
                let result = Result { () throws(FrameReadError) -> [Frame] in
                    try FrameFiles.read(path: path, options: .init(maxPixels: 1 << 22))
                }
                switch result {
                case .success(let frames): if !frames.isEmpty { read += 1 }
                case .failure: errors += 1
                }
                XCTAssertLessThan(Date().timeIntervalSince(started), 1.0, "\(source): a read took over a second")
            }
            outcomes[source] = (read, errors)
        }
        for (s, t) in outcomes.sorted(by: { $0.key < $1.key }) { print("fuzz \(s): \(t.frames) read, \(t.errors) typed errors") }
    }
}

import Foundation
import TestSupport
import XCTest
@testable import TIFFFrame

/// Base class: every test gets a fresh temporary directory, removed afterwards.
class TIFFTestCase: XCTestCase {
    private(set) var directory = URL(fileURLWithPath: NSTemporaryDirectory())

    override func setUpWithError() throws {
        try super.setUpWithError()
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("TIFFFrameTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
        try super.tearDownWithError()
    }

    /// A path in the test's directory.
    func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Writes `bytes` to `name` in the test's directory.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> URL {
        let u = url(name)
        try Data(bytes).write(to: u)
        return u
    }

    func bytes(of url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    /// Reads `url` with both `read` and `readFirst`, expecting both to throw the same error.
    func readError(_ url: URL, file: StaticString = #filePath, line: UInt = #line) -> FrameReadError? {
        var first: FrameReadError?
        do {
            let frames = try TIFFReader.read(path: url.path)
            XCTFail("expected a FrameReadError, read \(frames.count) frame(s)", file: file, line: line)
        } catch {
            first = error
        }
        do {
            let frame = try TIFFReader.readFirst(path: url.path)
            XCTFail("readFirst: expected a FrameReadError, read a \(frame.width)×\(frame.height) frame",
                    file: file, line: line)
        } catch {
            XCTAssertEqual(error, first, "read and readFirst disagree", file: file, line: line)
        }
        return first
    }

    /// The message names the file (not the whole path), says `words`, and is one readable line.
    func assertReadable(_ error: FrameReadError?, names url: URL, mentions words: [String],
                        file: StaticString = #filePath, line: UInt = #line) {
        guard let error else { return XCTFail("no error", file: file, line: line) }
        let text = error.description
        XCTAssertTrue(text.hasPrefix(url.lastPathComponent + ":"),
                      "message should start with the file name: \(text)", file: file, line: line)
        XCTAssertFalse(text.contains(directory.path), "message should not carry the directory: \(text)",
                       file: file, line: line)
        for w in words {
            XCTAssertTrue(text.localizedCaseInsensitiveContains(w), "message should mention \"\(w)\": \(text)",
                          file: file, line: line)
        }
        XCTAssertFalse(text.contains("\n") || text.contains("\0"), "message should be one line: \(text)",
                       file: file, line: line)
        XCTAssertLessThan(text.count, 300, "message too long: \(text)", file: file, line: line)
    }
}

/// Compares pixel arrays exactly (bit-for-bit equal values; NaN equals NaN), reporting the
/// number of mismatches and the first one instead of dumping whole arrays.
func assertPixelsEqual(_ got: [Float], _ want: [Float], _ context: @autoclosure () -> String = "",
                       file: StaticString = #filePath, line: UInt = #line) {
    guard got.count == want.count else {
        return XCTFail("\(context()): \(got.count) pixels, expected \(want.count)", file: file, line: line)
    }
    var bad = 0, first: Int?
    for i in got.indices where !(got[i] == want[i] || (got[i].isNaN && want[i].isNaN)) {
        bad += 1
        if first == nil { first = i }
    }
    if let first {
        XCTFail("\(context()): \(bad) of \(got.count) pixels differ; first at index \(first): "
                + "got \(got[first]), expected \(want[first])", file: file, line: line)
    }
}


extension Array where Element == UInt8 {
    /// Little-endian (or big-endian) bytes of fixed-width integers.
    static func bytes<T: FixedWidthInteger>(_ values: [T], bigEndian: Bool = false) -> [UInt8] {
        values.flatMap { v -> [UInt8] in
            let le = (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
            return bigEndian ? le.reversed() : le
        }
    }
}

import Foundation
import XCTest
@testable import TIFFFrame

/// Files that are missing, empty, not TIFF, or cut short: exact error case and a readable message.
final class FileErrorTests: TIFFTestCase {
    func testMissingFile() {
        let u = url("missing.tif")
        let error = readError(u)
        XCTAssertEqual(error, .fileNotFound(path: u.path))
        assertReadable(error, names: u, mentions: ["not found"])
    }

    func testDirectoryIsNotAFile() throws {
        let u = url("folder.tif")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: false)
        XCTAssertEqual(readError(u), .notRegularFile(path: u.path, kind: "a directory"))
    }

    func testFIFOIsNotAFile() throws {
        let u = url("pipe.tif")
        XCTAssertEqual(mkfifo(u.path, 0o644), 0)
        let error = readError(u)
        XCTAssertEqual(error, .notRegularFile(path: u.path, kind: "a FIFO"))
        assertReadable(error, names: u, mentions: ["not a regular file", "FIFO"])
    }

    /// Open failures name their cause instead of "file not found" (the CI user may be root, which
    /// opens any file, so the mapping is checked directly).
    func testOpenFailuresSayWhy() {
        XCTAssertEqual(FrameReadError.fromErrno(ENOENT, path: "/a/f.tif"), .fileNotFound(path: "/a/f.tif"))
        XCTAssertEqual(FrameReadError.fromErrno(EACCES, path: "/a/f.tif").description, "f.tif: cannot be read (permission denied)")
        XCTAssertEqual(FrameReadError.fromErrno(EMFILE, path: "/a/f.tif").description, "f.tif: cannot be read (too many open files)")
        XCTAssertTrue(FrameReadError.fromErrno(EMFILE, path: "f").isEnvironmental)
        XCTAssertFalse(FrameReadError.fromErrno(EACCES, path: "f").isEnvironmental)
    }

    func testZeroByteFile() throws {
        let u = try write([], to: "empty.tif")
        let error = readError(u)
        XCTAssertEqual(error, .emptyFile(path: u.path))
        assertReadable(error, names: u, mentions: ["zero-byte"])
    }

    func testPNGSignature() throws {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
            + Array(repeating: 0, count: 40)
        let u = try write(png, to: "image.png.tif")
        let error = readError(u)
        XCTAssertEqual(error, .notTIFF(path: u.path, detail: "starts with \"\\x89PNG\", not a TIFF signature"))
        assertReadable(error, names: u, mentions: ["not a TIFF", "PNG"])
    }

    func testTextFile() throws {
        let u = try write(Array("hello, this is a text file\n".utf8), to: "notes.tif")
        let error = readError(u)
        XCTAssertEqual(error, .notTIFF(path: u.path, detail: "starts with \"hell\", not a TIFF signature"))
        assertReadable(error, names: u, mentions: ["not a TIFF", "hell"])
    }

    func testFilesShorterThanTheSignature() throws {
        let one = try write([0x49], to: "one.tif")
        XCTAssertEqual(readError(one), .notTIFF(path: one.path, detail: "starts with \"I\", not a TIFF signature"))
        let three = try write([0x49, 0x49, 0x2A], to: "three.tif")
        XCTAssertEqual(readError(three), .notTIFF(path: three.path, detail: "starts with \"II*\", not a TIFF signature"))
    }

    /// Signature present but the 8-byte (or 16-byte BigTIFF) header is incomplete.
    func testHeaderCutShort() throws {
        let classic = try write([0x49, 0x49, 0x2A, 0x00, 0x08, 0x00], to: "short-header.tif")
        XCTAssertEqual(readError(classic), .truncated(path: classic.path, bytesPresent: 6, bytesNeeded: 8))
        let big = try write([0x49, 0x49, 0x2B, 0x00, 0x08, 0x00, 0x00, 0x00, 0x10, 0x00], to: "short-big.tif")
        XCTAssertEqual(readError(big), .truncated(path: big.path, bytesPresent: 10, bytesNeeded: 16))
        let motorola = try write([0x4D, 0x4D, 0x00, 0x2A, 0x00], to: "short-mm.tif")
        XCTAssertEqual(readError(motorola), .truncated(path: motorola.path, bytesPresent: 5, bytesNeeded: 8))
    }

    /// The header says the first IFD is at 1000, but the file ends at 108: still being written.
    func testFirstIFDPastTheEnd() throws {
        let header: [UInt8] = [0x49, 0x49, 0x2A, 0x00] + .bytes([UInt32(1000)])
        let u = try write(header + Array(repeating: 0, count: 100), to: "ifd-past-end.tif")
        let error = readError(u)
        XCTAssertEqual(error, .truncated(path: u.path, bytesPresent: 108, bytesNeeded: 1002))
        assertReadable(error, names: u, mentions: ["truncated", "108 bytes", "1002 bytes"])

        let mm: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A] + .bytes([UInt32(500)], bigEndian: true)
        let v = try write(mm + Array(repeating: 0, count: 92), to: "ifd-past-end-mm.tif")
        XCTAssertEqual(readError(v), .truncated(path: v.path, bytesPresent: 100, bytesNeeded: 502))

        let big: [UInt8] = [0x49, 0x49, 0x2B, 0x00, 0x08, 0x00, 0x00, 0x00] + .bytes([UInt64(4096)])
        let w = try write(big + Array(repeating: 0, count: 84), to: "ifd-past-end-big.tif")
        XCTAssertEqual(readError(w), .truncated(path: w.path, bytesPresent: 100, bytesNeeded: 4104))
    }

    /// The first IFD starts inside the file but its entries (or next pointer) run past the end.
    func testFirstIFDCutShort() throws {
        // 10 entries announced, 2 present: needs 8 + 2 + 10 × 12 + 4 = 134 bytes.
        let classic: [UInt8] = [0x49, 0x49, 0x2A, 0x00] + .bytes([UInt32(8)]) + .bytes([UInt16(10)])
            + Array(repeating: 0, count: 24)
        let u = try write(classic, to: "ifd-cut.tif")
        let error = readError(u)
        XCTAssertEqual(error, .truncated(path: u.path, bytesPresent: 34, bytesNeeded: 134))
        assertReadable(error, names: u, mentions: ["truncated", "34 bytes", "134 bytes"])

        // IFD offset one byte before the end: even the entry count is incomplete.
        let w = try write([0x49, 0x49, 0x2A, 0x00] + .bytes([UInt32(9)]) + [0, 0], to: "ifd-count-cut.tif")
        XCTAssertEqual(readError(w), .truncated(path: w.path, bytesPresent: 10, bytesNeeded: 11))

        // BigTIFF: 3 entries of 20 bytes after an 8-byte count, then an 8-byte pointer.
        let big: [UInt8] = [0x49, 0x49, 0x2B, 0x00, 0x08, 0x00, 0x00, 0x00] + .bytes([UInt64(16), UInt64(3)])
            + Array(repeating: 0, count: 30)
        let v = try write(big, to: "big-ifd-cut.tif")
        XCTAssertEqual(readError(v), .truncated(path: v.path, bytesPresent: 54, bytesNeeded: 16 + 8 + 60 + 8))
    }

    /// Absurd BigTIFF offsets (near 2^63 or 2^64) must not overflow.
    func testHugeBigTIFFOffsets() throws {
        for (i, offset) in [UInt64(Int64.max), UInt64.max, UInt64(1) << 63, UInt64(Int64.max) - 1].enumerated() {
            let big: [UInt8] = [0x49, 0x49, 0x2B, 0x00, 0x08, 0x00, 0x00, 0x00] + .bytes([offset])
            let u = try write(big + Array(repeating: 0, count: 64), to: "huge-offset-\(i).tif")
            let error = readError(u)
            guard case .truncated(let p, let present, let needed)? = error else {
                XCTFail("offset \(offset): expected truncated, got \(String(describing: error))")
                continue
            }
            XCTAssertEqual(p, u.path)
            XCTAssertEqual(present, 80)
            XCTAssertGreaterThan(needed, 80)
            assertReadable(error, names: u, mentions: ["truncated"])
        }
    }

    /// First IFD offset 0 (a header-only file, e.g. a writer that never wrote a directory).
    func testZeroIFDOffset() throws {
        let u = try write([0x49, 0x49, 0x2A, 0x00, 0, 0, 0, 0] + Array(repeating: 0, count: 32), to: "zero-ifd.tif")
        let error = readError(u)
        XCTAssertEqual(error, .corrupt(path: u.path, page: 0,
                                       detail: "no image directory (the writer may not have finished)"))
        assertReadable(error, names: u, mentions: ["page 0", "no image directory"])
    }

    /// Zero frames: libtiff writes only the 8-byte header (first IFD offset 0), which is also what a
    /// file looks like while libtiff is still writing its first page.
    func testTIFFWriterWithNoFramesWritesAHeaderOnly() throws {
        let u = url("no-frames.tif")
        try TIFFWriter.write([], to: u.path)
        XCTAssertEqual(try bytes(of: u), [0x49, 0x49, 0x2A, 0x00, 0, 0, 0, 0])
        XCTAssertEqual(readError(u), .corrupt(path: u.path, page: 0,
                                              detail: "no image directory (the writer may not have finished)"))
    }
}

import Foundation
import XCTest
@testable import TIFFFrame

/// The real PtIr HAADF image (512×512 float32, written by tifffile, no calibration tags).
final class FixtureTests: XCTestCase {
    /// fixtures/ptir/PtIr_haadf.tif, found relative to this file (Tests/TIFFFrameTests/…).
    static let fixture = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // TIFFFrameTests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()   // package root
        .appendingPathComponent("fixtures/ptir/PtIr_haadf.tif")

    func testPtIrFixture() throws {
        let path = Self.fixture.path
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), path)
        let frames = try TIFFReader.read(path: path)
        XCTAssertEqual(frames.count, 1)
        let frame = try XCTUnwrap(frames.first)
        XCTAssertEqual(frame.width, 512)
        XCTAssertEqual(frame.height, 512)
        XCTAssertEqual(frame.pixels.count, 512 * 512)
        XCTAssertEqual(frame.page, 0)
        XCTAssertEqual(frame.source, path)
        XCTAssertEqual(frame.label, "PtIr_haadf.tif")
        XCTAssertNil(frame.pixelSize, "the file carries no calibration; the 0.1211 Å comes from meta.json")

        let maximum = try XCTUnwrap(frame.pixels.max())
        XCTAssertEqual(maximum, 0.13721, accuracy: 1e-5)
        XCTAssertTrue(frame.pixels.allSatisfy(\.isFinite))
        let minimum = try XCTUnwrap(frame.pixels.min())
        XCTAssertLessThan(minimum, maximum)

        XCTAssertTrue(try TIFFReader.readFirst(path: path) == frame, "readFirst differs from read")
    }

    /// Rewriting the fixture in any layout and reading it back gives the same pixels.
    func testPtIrFixtureRewrites() throws {
        let frame = try TIFFReader.readFirst(path: Self.fixture.path)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("TIFFFrameTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("copy.tif").path
        try TIFFWriter.write([frame], to: copy, options: .init(encoding: .float32, bigTIFF: true, tileSize: 64, compress: true))
        let again = try TIFFReader.readFirst(path: copy)
        assertPixelsEqual(again.pixels, frame.pixels)
        XCTAssertEqual(again.imageDescription, frame.imageDescription)
    }
}

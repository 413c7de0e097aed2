import Foundation
import XCTest
@testable import TIFFFrame

/// Reading stays safe when the file misbehaves: frames above the pixel limit are refused before
/// their pixels are allocated, a file truncated by another process during the read gives an
/// error (memory-mapped reading would raise SIGBUS and kill the process), and a damaged later
/// page of a stack can be dropped while the good pages are kept.
final class LimitsTests: TIFFTestCase {
    private func frame(_ w: Int, _ h: Int, page: Int = 0) -> Frame {
        Frame(width: w, height: h, pixels: (0..<(w * h)).map { Float(($0 * 7 + page * 13) % 1000) })
    }

    func testPixelLimitRefusesBeforeReading() throws {
        let u = url("big.tif")
        try TIFFWriter.write([frame(300, 200)], to: u.path, options: .init(compress: true))
        XCTAssertEqual(try TIFFReader.read(path: u.path, maxPixels: 60_000).count, 1)
        XCTAssertThrowsError(try TIFFReader.read(path: u.path, maxPixels: 59_999)) { error in
            XCTAssertEqual(error as? FrameReadError,
                           .tooLarge(path: u.path, page: 0, width: 300, height: 200, maxPixels: 59_999))
            XCTAssertTrue("\(error)".contains("300×200 = 60000 pixels, more than the limit of 59999"), "\(error)")
        }
    }

    /// 40 truncations at random moments of reads of a 16 MB file: every read returns the frame
    /// or a typed error, and the process survives.
    func testTruncationDuringReadIsAnError() throws {
        let source = url("source.tif"), target = url("target.tif")
        try TIFFWriter.write([frame(2048, 2048)], to: source.path, options: .init(rowsPerStrip: 16))
        let bytes = try Data(contentsOf: source)
        var outcomes = (read: 0, failed: 0)
        for k in 0..<40 {
            try bytes.write(to: target)
            let delay = UInt32(k % 10) * 1_500
            let cutter = Thread {
                usleep(delay)
                truncate(target.path, off_t(bytes.count / 3))
            }
            cutter.start()
            do {
                let frames = try TIFFReader.read(path: target.path)
                XCTAssertEqual(frames.first?.pixels.count, 2048 * 2048)
                outcomes.read += 1
            } catch {
                outcomes.failed += 1
            }
            while !cutter.isFinished { usleep(100) }
        }
        print("truncation during read: \(outcomes.read) complete reads, \(outcomes.failed) typed errors, no crash")
        XCTAssertEqual(outcomes.read + outcomes.failed, 40)
        XCTAssertGreaterThan(outcomes.failed, 0, "some truncations must land during the read")
    }

    func testDamagedLaterPageKeepsTheGoodPages() throws {
        let u = url("stack.tif")
        try TIFFWriter.write((0..<3).map { frame(64, 32, page: $0) }, to: u.path)
        var data = try bytes(of: u)
        // Cut the file inside the last page's pixel data.
        data.removeLast(64 * 32 * 4 / 2)
        let cut = try write(data, to: "cut-stack.tif")
        XCTAssertThrowsError(try TIFFReader.read(path: cut.path))
        var damaged: FrameReadError? = nil
        let pages = try TIFFReader.read(path: cut.path, damagedPage: { damaged = $0 })
        XCTAssertGreaterThanOrEqual(pages.count, 1)
        XCTAssertLessThan(pages.count, 3)
        XCTAssertEqual(pages[0].pixels, frame(64, 32, page: 0).pixels)
        XCTAssertNotNil(damaged)
    }
}

import Foundation
import FrameFormats
import TestSupport
import TIFFFrame
import XCTest

/// Velox EMD files of fixtures/formats read as RosettaSciIO 0.15 reads them (`expected.json`).
final class VeloxEMDTests: XCTestCase {
    /// A 2-frame series in one dataset: shape, int16, the data, 8.1729 pm pixels, 0.8 s frame time,
    /// acquisition 2019-12-05 10:03:44 (the expected date and time), detector Ceta.
    func testStackedSeries() throws {
        let path = fixture("formats/emd/fei_example_tem_stack.emd")
        let e = try XCTUnwrap(try DigitalMicrographTests.expected()["emd/fei_example_tem_stack.emd"]?.first)
        let frames = try EMDReader.read(path: path)
        XCTAssertEqual(frames.count, e.shape[0])
        XCTAssertEqual(frames[0].height, e.shape[1])
        XCTAssertEqual(frames[0].width, e.shape[2])
        XCTAssertEqual(frames[0].sampleType, e.dtype)
        XCTAssertEqual(frames[0].detector, e.title)
        // numpy order (frame, y, x): the first values run along x of frame 0.
        let all = frames.flatMap(\.pixels).map(Double.init)
        XCTAssertEqual(all.reduce(0, +), try XCTUnwrap(e.sum), accuracy: 1e-9)
        XCTAssertEqual(Array(frames[0].pixels.prefix(e.first_values!.count)).map(Double.init), e.first_values!)
        let pm = e.axes[2].scale
        XCTAssertEqual(try XCTUnwrap(frames[0].pixelSize), pm / 100, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(frames[0].frameTime), e.axes[0].scale, accuracy: 1e-9)
        let start = try XCTUnwrap(frames[0].acquiredAt)
        let f = ISO8601DateFormatter()
        let expectedStart = try XCTUnwrap(f.date(from: "\(e.date!)T\(e.time!)Z")).timeIntervalSince1970
        XCTAssertEqual(start, expectedStart, accuracy: 1, "acquisition start (UTC)")
        XCTAssertEqual(try XCTUnwrap(frames[1].acquiredAt) - start, 0.8, accuracy: 1e-6, "frame 1 one frame time later")
        XCTAssertTrue(frames.allSatisfy { $0.timeSource == .metadata })
    }

    /// Several detectors in one file: each signal as expected; without a HAADF signal the reader
    /// asks for a detector by name; complex (DPC) data refused.
    func testSignalsByDetector() throws {
        let path = fixture("formats/emd/fei_example_dpc_titles.emd")
        let expected = try XCTUnwrap(try DigitalMicrographTests.expected()["emd/fei_example_dpc_titles.emd"])
        let signals = try EMDReader.signals(path: path)
        print("EMD signals:", signals.map { "\($0.detector ?? "?") \($0.typeName) \($0.height)x\($0.width)x\($0.frames)" })
        XCTAssertEqual(Set(signals.compactMap(\.detector)), Set(expected.compactMap(\.title)))
        XCTAssertThrowsError(try EMDReader.read(path: path)) { error in
            XCTAssertTrue("\(error)".contains("choose one by detector name"), "\(error)")
        }
        for e in expected {
            let title = try XCTUnwrap(e.title)
            if e.dtype.hasPrefix("complex") {
                XCTAssertThrowsError(try EMDReader.read(path: path, detector: title)) { error in
                    guard case FrameReadError.unsupportedData = error else { return XCTFail("\(error)") }
                }
                continue
            }
            let frames = try EMDReader.read(path: path, detector: title)
            XCTAssertEqual(frames.count, 1, title)
            XCTAssertEqual([frames[0].height, frames[0].width], e.shape, title)
            XCTAssertEqual(frames[0].detector, title)
            XCTAssertEqual(frames[0].pixels.map(Double.init).reduce(0, +), try XCTUnwrap(e.sum), accuracy: 1e-5 * max(1, abs(e.sum!)), title)
            XCTAssertEqual(try XCTUnwrap(frames[0].pixelSize), e.axes[0].scale / 100, accuracy: 1e-12, title)
        }
    }
}

import Foundation
import FrameFormats
import TestSupport
import TIFFFrame
import XCTest

/// Every DigitalMicrograph file of fixtures/formats read as RosettaSciIO 0.15 reads it
/// (`expected.json`): shape, sample type, calibration (scale, offset, unit), title, the sum and the
/// first values of the data; complex, RGB and bool images refused with a clear message.
final class DigitalMicrographTests: XCTestCase {
    struct Expected: Decodable {
        struct Axis: Decodable { var name: String; var size: Int; var scale: Double; var offset: Double; var units: String? }
        var shape: [Int]
        var dtype: String
        var axes: [Axis]
        var title: String?
        var sum: Double?
        var first_values: [Double]?
        var date: String?
        var time: String?
    }

    static func expected() throws -> [String: [Expected]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture("formats/expected.json")))
        return try JSONDecoder().decode([String: [Expected]].self, from: data)
    }

    func testEveryDMFileAsRosettaSciIOReadsIt() throws {
        let all = try Self.expected().filter { $0.key.hasPrefix("dm/") }
        XCTAssertGreaterThanOrEqual(all.count, 60)
        var read = 0, refused = 0
        for (name, list) in all.sorted(by: { $0.key < $1.key }) {
            let path = fixture("formats/" + name)
            let images = try DMReader.images(path: path)
            XCTAssertEqual(images.count, list.count, name)
            for (image, e) in zip(images, list) {
                XCTAssertEqual(Array(image.dimensions.reversed()), e.shape, "\(name): shape")
                let isStructured = e.dtype.hasPrefix("[")
                if isStructured { XCTAssertTrue(image.typeName.hasPrefix("RGB"), "\(name): \(image.typeName)") }
                else { XCTAssertTrue(image.typeName.hasPrefix(e.dtype), "\(name): \(image.typeName) for \(e.dtype)") }
                XCTAssertEqual(image.title, e.title, "\(name): title")
                // Axes: expected in numpy order (z, y, x); DM's calibrations are x first.
                for (k, axis) in e.axes.reversed().enumerated() where k < image.scales.count {
                    XCTAssertEqual(image.scales[k], axis.scale, accuracy: 1e-9 * max(1, abs(axis.scale)), "\(name): scale \(axis.name)")
                    XCTAssertEqual(-image.origins[k] * image.scales[k], axis.offset, accuracy: 1e-9, "\(name): offset \(axis.name)")
                    XCTAssertEqual(image.units[k], axis.units ?? "", "\(name): unit \(axis.name)")
                }
                let real = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "float32", "float64"].contains(e.dtype)
                if real {
                    XCTAssertEqual(image.values.reduce(0, +), try XCTUnwrap(e.sum), accuracy: 1e-6 * max(1, abs(e.sum ?? 0)), "\(name): sum")
                    let first = try XCTUnwrap(e.first_values)
                    XCTAssertEqual(Array(image.values.prefix(first.count)), first, "\(name): first values")
                    let frames = try DMReader.read(path: path)
                    XCTAssertEqual(frames.count, e.shape.count == 3 ? e.shape[0] : 1)
                    XCTAssertEqual(frames.first?.sampleType, e.dtype)
                    read += 1
                } else {
                    XCTAssertThrowsError(try DMReader.read(path: path), name) { error in
                        guard case FrameReadError.unsupportedData(_, let kind) = error else { return XCTFail("\(name): \(error)") }
                        let text = "\(error)"
                        XCTAssertTrue(text.contains("real-valued grayscale HAADF image"), text)
                        XCTAssertTrue(kind.contains("complex") || kind.contains("RGB") || kind.contains("bool"), "\(name): \(kind)")
                    }
                    refused += 1
                }
            }
        }
        print("DigitalMicrograph: \(read) files read as RosettaSciIO reads them, \(refused) complex/RGB/bool files refused")
        XCTAssertEqual(read, 34)
        XCTAssertEqual(refused, 28)
    }

    /// The real STEM image: 68 × 68 uint32, 0.2485 nm pixels → 2.485 Å.
    func testRealSTEMImageCalibration() throws {
        let frames = try DMReader.read(path: fixture("formats/dm/2D_test_STEM_image.dm3"))
        XCTAssertEqual(frames.count, 1)
        XCTAssertEqual(frames[0].width, 68)
        XCTAssertEqual(try XCTUnwrap(frames[0].pixelSize), 2.4853801727294922, accuracy: 1e-9)
    }
}

/// StackBuilder: each slice's time from its plane tags.
final class StackBuilderTests: XCTestCase {
    func testSliceTimes() throws {
        let images = try DMReader.images(path: fixture("formats/dm/3D_test_stackbuilder_imagestack.dm3"))
        // DataBar: 5/17/2015 5:00:16 PM local, OS time 2015-05-17T15:00:16.46Z (UTC+2); planes added at
        // 5:00:27, 5:00:29, 5:00:32 PM, ticks 951112745, 951114882, 951117020 ms.
        XCTAssertEqual(try XCTUnwrap(images[0].acquired), 1_431_874_816.46, accuracy: 0.01)
        let t = images[0].sliceTimes.compactMap { $0 }
        XCTAssertEqual(t.count, 3)
        XCTAssertEqual(t[0], 1_431_874_827, accuracy: 1e-6)   // 2015-05-17T15:00:27Z
        XCTAssertEqual(t[1] - t[0], 2.137, accuracy: 1e-6)
        XCTAssertEqual(t[2] - t[0], 4.275, accuracy: 1e-6)
        let frames = try DMReader.read(path: fixture("formats/dm/3D_test_stackbuilder_imagestack.dm3"))
        XCTAssertEqual(frames.count, 3)
        let times = frames.compactMap(\.acquiredAt)
        XCTAssertEqual(times.count, 3, "every slice has a time")
        XCTAssertEqual(times, times.sorted(), "in acquisition order")
        XCTAssertEqual(Set(times).count, 3, "distinct")
        XCTAssertTrue(frames.allSatisfy { $0.timeSource == .metadata })
    }
}

/// A stack that DigitalMicrograph saved as TIFF: both frames, their data and the x calibration of
/// DM's private tags (0.168674 µm) as RosettaSciIO reads them.
final class DMSavedTIFFTests: XCTestCase {
    func testFramesAndData() throws {
        let e = try XCTUnwrap(try DigitalMicrographTests.expected()["tiff/test_loading_image_saved_with_DM_stack.tif"]?.first)
        let frames = try FrameFiles.read(path: fixture("formats/tiff/test_loading_image_saved_with_DM_stack.tif"))
        XCTAssertEqual([frames.count, frames[0].height, frames[0].width], e.shape)
        let all = frames.flatMap(\.pixels).map(Double.init)
        XCTAssertEqual(all.reduce(0, +), try XCTUnwrap(e.sum), accuracy: 1e-6 * e.sum!)
        XCTAssertEqual(Array(all.prefix(e.first_values!.count)), e.first_values!)
        let width = try XCTUnwrap(e.axes.first { $0.name == "width" })
        XCTAssertEqual(width.units, "µm")
        XCTAssertEqual(try XCTUnwrap(frames[0].pixelSize), width.scale * 1e4, accuracy: 1e-9)
    }
}

import XCTest
import Foundation
import TIFFFrame
@testable import Simulation

final class SeriesWriterTests: XCTestCase {
    /// Frames written to disk and read back with TIFFReader equal the in-memory frames exactly
    /// (float32; uint16 for integer counts), and the pixel size survives within 1e-6 relative.
    func testTIFFRoundTrip() async throws {
        for encoding in [TIFFWriter.Encoding.float32, .uint16] {
            let settings = smallSettings(frames: 3)
            let sim = try SeriesSimulator(settings)
            let dir = temporaryDirectory("roundtrip")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try await SeriesWriter(simulator: sim, options: .init(directory: dir, encoding: encoding)).write()
            for i in 0..<3 {
                let (frame, truth) = sim.frame(i)
                let read = try TIFFReader.readFirst(path: dir + "/" + truth.file)
                XCTAssertEqual(read.width, frame.width)
                XCTAssertEqual(read.height, frame.height)
                XCTAssertEqual(read.pixels, frame.pixels, "\(encoding) frame \(i)")
                XCTAssertEqual(try XCTUnwrap(read.pixelSize), settings.pixelSize, accuracy: 1e-6 * settings.pixelSize)
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            XCTAssertEqual(names, ["frame_00000.tif", "frame_00001.tif", "frame_00002.tif", "truth.json"])
        }
    }

    /// truth.json decodes to the in-memory truth and uses the documented field names.
    func testTruthJSON() async throws {
        var settings = smallSettings(frames: 4)
        settings.hopping.probability = 0.5
        let sim = try SeriesSimulator(settings)
        let dir = temporaryDirectory("truth")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let written = try await SeriesWriter(simulator: sim, options: .init(directory: dir, atomic: false)).write()
        let path = dir + "/truth.json"
        XCTAssertEqual(try SeriesWriter.readTruth(path: path), written)
        XCTAssertEqual(written, sim.seriesTruth())

        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        XCTAssertEqual(Set(json.keys), ["settings", "nearest_column_distance_A", "atom_spacing_along_column_A",
                                        "atoms", "frames", "hops"])
        let frame = try XCTUnwrap((json["frames"] as? [[String: Any]])?.first)
        XCTAssertEqual(Set(frame.keys), ["index", "file", "dx_px", "dy_px", "jump", "background", "atoms", "columns"])
        XCTAssertEqual(frame["file"] as? String, "frame_00000.tif")
        let column = try XCTUnwrap((frame["columns"] as? [[String: Any]])?.first)
        XCTAssertEqual(Set(column.keys), ["id", "x_px", "y_px", "x_A", "y_A", "count", "surface", "sigma_A2",
                                          "cross_section", "eta", "rho_px"])
        let hop = try XCTUnwrap((json["hops"] as? [[String: Any]])?.first)
        XCTAssertEqual(Set(hop.keys), ["frame", "from", "to", "created", "vanished"])
        let decodedSettings = try JSONDecoder().decode(SimulationSettings.self,
                                                       from: JSONSerialization.data(withJSONObject: json["settings"]!))
        XCTAssertEqual(decodedSettings, settings)
    }

    /// Two runs with the same seed give byte-identical files.
    func testByteIdenticalFiles() async throws {
        let a = temporaryDirectory("same-a"), b = temporaryDirectory("same-b")
        defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
        var s = smallSettings(seed: 99, frames: 3)
        s.hopping.probability = 0.3
        try await SeriesWriter(simulator: try SeriesSimulator(s), options: .init(directory: a)).write()
        try await SeriesWriter(simulator: try SeriesSimulator(s), options: .init(directory: b)).write()
        for name in ["frame_00000.tif", "frame_00001.tif", "frame_00002.tif", "truth.json"] {
            let da = try Data(contentsOf: URL(fileURLWithPath: a + "/" + name))
            let db = try Data(contentsOf: URL(fileURLWithPath: b + "/" + name))
            XCTAssertEqual(da, db, name)
        }
    }

    /// An output path below a regular file cannot be created: a clear error, nothing written.
    func testUnwritableDirectory() async throws {
        let dir = temporaryDirectory("blocked")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/file", contents: Data([1])))
        let writer = SeriesWriter(simulator: try SeriesSimulator(smallSettings(frames: 1)),
                                  options: .init(directory: dir + "/file/out"))
        do {
            try await writer.write()
            XCTFail("expected an error")
        } catch let error as SimulationError {
            guard case .outputDirectory = error else { return XCTFail("\(error)") }
            XCTAssertTrue(error.description.contains("not a directory"), error.description)
        }
    }

    /// Pacing: 3 frames at 0.15 s intervals take at least 0.3 s.
    func testInterval() async throws {
        let dir = temporaryDirectory("paced")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let start = ContinuousClock.now
        try await SeriesWriter(simulator: try SeriesSimulator(smallSettings(frames: 3)),
                               options: .init(directory: dir, interval: 0.15)).write()
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(300))
    }

    /// A custom FrameFileWriter (the hook for slow writers) receives every frame at the temporary
    /// path when writing atomically; the final files appear by rename.
    func testCustomFileWriterHook() async throws {
        struct Recording: FrameFileWriter {
            let log: Log
            func write(_ frame: Frame, to path: String, encoding: TIFFWriter.Encoding) async throws {
                log.append(path)
                try TIFFWriter.write([frame], to: path, options: .init(encoding: encoding))
            }
        }
        final class Log: @unchecked Sendable {
            private let lock = NSLock()
            private var items: [String] = []
            func append(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
            var paths: [String] { lock.lock(); defer { lock.unlock() }; return items }
        }
        let log = Log()
        let dir = temporaryDirectory("hook")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await SeriesWriter(simulator: try SeriesSimulator(smallSettings(frames: 2)),
                               options: .init(directory: dir, fileWriter: Recording(log: log))).write()
        XCTAssertEqual(log.paths.map { ($0 as NSString).lastPathComponent }, [".frame_00000.tif.part", ".frame_00001.tif.part"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/frame_00001.tif"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/.frame_00001.tif.part"))
    }
}

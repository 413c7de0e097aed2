import Foundation
import Simulation
import TrajectoryStore
import XCTest

/// `process` and `watch` on Velox-like EMD series and on a GMS in situ capture tree: every frame
/// stored once, in acquisition order, with the microscope's times.
final class MicroscopeFilesTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-formats-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    private func simulator(_ frames: Int) throws -> SeriesSimulator {
        var s = SimulationSettings()
        s.seed = 41
        s.frameCount = frames
        s.width = 96; s.height = 96
        s.shape = .sphere(radius: 7)
        return try SeriesSimulator(s)
    }

    private let t0 = 1_790_000_000.0

    private func checkStore(_ db: String, frames n: Int, step: Double, identities: [String]) throws {
        let frames = DaemonProcess.frames(db)
        XCTAssertEqual(frames.count, n, "every frame once")
        XCTAssertEqual(frames.map(\.frame), Array(0..<n))
        XCTAssertEqual(frames.map { String($0.path.dropFirst(root.count + 1)) }, identities, "acquisition order, file#index identities")
        for f in frames {
            XCTAssertEqual(f.status, .ok, f.error ?? "")
            XCTAssertEqual(try XCTUnwrap(f.acquiredAt), t0 + Double(f.frame) * step, accuracy: 1e-5, "metadata time of frame \(f.frame)")
            XCTAssertEqual(f.timeSource, "metadata")
            XCTAssertEqual(try XCTUnwrap(f.pixelSize), 0.2, accuracy: 1e-9)
        }
    }

    func testProcessAVeloxSeriesOfStackedFiles() throws {
        let dir = root + "/velox"
        let writer = SeriesWriter(simulator: try simulator(7), options: .init(directory: dir, format: .emd(framesPerFile: 3),
                                                                             startTime: t0))
        let truth = try awaitResult { try await writer.write() }
        XCTAssertEqual(truth.frames.map(\.file), ["acquisition_0000.emd", "acquisition_0000.emd#1", "acquisition_0000.emd#2",
                                                  "acquisition_0001.emd", "acquisition_0001.emd#1", "acquisition_0001.emd#2",
                                                  "acquisition_0002.emd"])
        let r = try DaemonProcess.run(["process", dir, "--db", root + "/v.sqlite"], log: root + "/v.log")
        XCTAssertEqual(r.status, 0, r.stderr)
        try checkStore(root + "/v.sqlite", frames: 7, step: 1, identities: truth.frames.map { "velox/" + $0.file })
        // Run again: nothing new.
        XCTAssertEqual(try DaemonProcess.run(["process", dir, "--db", root + "/v.sqlite"], log: root + "/v2.log").status, 0)
        XCTAssertEqual(DaemonProcess.frames(root + "/v.sqlite").count, 7)
    }

    /// GMS in situ capture: one .dm4 per frame in Hour/Minute/Second folders created while the
    /// daemon watches (recursively); each new folder is scanned right after its watch is added.
    func testWatchAGMSTreeGrowing() throws {
        let dir = root + "/gms"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let db = root + "/g.sqlite"
        let daemon = try DaemonProcess.start(["watch", dir, "--recursive", "--db", db, "--quiet-period", "1"], log: root + "/g.log")
        defer { _ = daemon.stop() }
        XCTAssertTrue(daemon.wait(timeout: 30) { daemon.stderr.contains("ready") }, daemon.stderr)
        // 0.4 s between frames: a new Second_SS folder every two or three frames.
        let writer = SeriesWriter(simulator: try simulator(10), options: .init(directory: dir, interval: 0.4, format: .dm4,
                                                                              layout: .gms, startTime: t0))
        let truth = try awaitResult { try await writer.write() }
        XCTAssertGreaterThanOrEqual(Set(truth.frames.map { ($0.file as NSString).deletingLastPathComponent }).count, 4)
        XCTAssertTrue(daemon.wait(timeout: 60) { DaemonProcess.frames(db).count >= 10 }, daemon.stderr)
        XCTAssertEqual(daemon.stop(), 0)
        try checkStore(db, frames: 10, step: 0.4, identities: truth.frames.map { "gms/" + $0.file })
    }

    /// Runs an async throwing body to completion from a synchronous test.
    private func awaitResult<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.value = .success(try await body()) } catch { box.value = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.value!.get()
    }
}

private final class ResultBox<T>: @unchecked Sendable { var value: Result<T, any Error>? }

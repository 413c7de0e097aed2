@testable import Daemon
import Foundation
import TIFFFrame
import TrajectoryStore
import XCTest

final class WatchingTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-watch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    private func frame(_ value: Float = 1) -> Frame {
        Frame(width: 32, height: 16, pixels: (0..<512).map { Float($0 % 7) + value })
    }

    func testNaturalOrder() {
        let names = ["frame_10.tif", "frame_9.tif", "frame_100.tif", "frame_1.tif", "a.tif", "frame_09.tif"]
        XCTAssertEqual(names.sorted(by: NaturalOrder.less),
                       ["a.tif", "frame_1.tif", "frame_09.tif", "frame_9.tif", "frame_10.tif", "frame_100.tif"])
    }

    func testScanSkipsTemporaryAndHiddenFilesAndSortsNaturally() throws {
        for name in ["f_10.tif", "f_2.tif", ".f_3.tif.part", "f_4.tif.part", "notes.txt", "f_1.TIFF"] {
            FileManager.default.createFile(atPath: dir + "/" + name, contents: Data([1]))
        }
        let files = try DirectoryScan(directory: dir).list().map { String($0.path.split(separator: "/").last!) }
        XCTAssertEqual(files, ["f_1.TIFF", "f_2.tif", "f_10.tif"])
    }

    func testTemperatureLogInterpolates() throws {
        let log = try TemperatureLog.parse("""
            time,temperature_C
            2026-11-25T12:00:00Z, 300
            2026-11-25T12:00:10Z, 350
            1795608030, 400
            """)
        let t0 = try XCTUnwrap(TemperatureLog.timestamp("2026-11-25T12:00:00Z"))
        XCTAssertEqual(t0, 1_795_608_000, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(log.temperature(at: t0 + 5)), 325, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(log.temperature(at: t0 + 20)), 375, accuracy: 1e-9)
        XCTAssertNil(log.temperature(at: t0 - 1))
        XCTAssertThrowsError(try TemperatureLog.parse("time,T\n12:00, hot\n"))
    }

    /// A file written slowly in pieces is read only when complete.
    func testSlowlyWrittenFileIsReadWhenComplete() async throws {
        let source = dir + "/source.tif"
        try TIFFWriter.write([frame(3)], to: source)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let target = dir + "/slow.tif"
        FileManager.default.createFile(atPath: target, contents: bytes.prefix(100))
        let writer = Task {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: target))
            var offset = 100
            while offset < bytes.count {
                try await Task.sleep(nanoseconds: 50_000_000)
                let end = min(bytes.count, offset + 400)
                try handle.seekToEnd()
                handle.write(bytes[offset..<end])
                offset = end
            }
            try handle.close()
        }
        let outcome = await FrameReadiness(quietPeriod: 1, retryInterval: 0.02).read(target)
        try await writer.value
        guard case .frames(let frames, let state) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(frames.first?.pixels, frame(3).pixels)
        XCTAssertEqual(state.size, bytes.count)
    }

    /// A file that stays truncated fails after the quiet period, with the reader's reason.
    func testTruncatedFileFailsAfterQuietPeriod() async throws {
        let source = dir + "/source.tif"
        try TIFFWriter.write([frame()], to: source)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let target = dir + "/cut.tif"
        FileManager.default.createFile(atPath: target, contents: bytes.prefix(bytes.count / 2))
        let t0 = Date()
        let outcome = await FrameReadiness(quietPeriod: 0.5, retryInterval: 0.05).read(target)
        guard case .failed(let reason, _) = outcome else { return XCTFail("expected failure") }
        XCTAssertTrue(reason.contains("cut.tif") && reason.contains("truncated"), reason)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(t0), 0.5)
    }

    func testRGBFailsAtOnce() async throws {
        let target = dir + "/text.tif"
        FileManager.default.createFile(atPath: target, contents: Data("hello".utf8))
        let outcome = await FrameReadiness(quietPeriod: 0.3, retryInterval: 0.05).read(target)
        guard case .failed(let reason, _) = outcome else { return XCTFail("expected failure") }
        XCTAssertTrue(reason.contains("not a TIFF"), reason)
    }

    /// inotify reports a renamed-in file and a file closed after writing, once each, and the
    /// directory's removal.
    func testInotifySeesRenameAndCloseWrite() async throws {
        let watcher = try InotifyWatcher(scan: DirectoryScan(directory: dir))
        let stream = watcher.events()
        try TIFFWriter.write([frame()], to: dir + "/.frame_1.tif.part")
        try FileManager.default.moveItem(atPath: dir + "/.frame_1.tif.part", toPath: dir + "/frame_1.tif")
        try TIFFWriter.write([frame()], to: dir + "/frame_2.tif")
        var seen: [InotifyWatcher.WatchEvent] = []
        for await event in stream {
            seen.append(event)
            if seen.count == 2 { try FileManager.default.removeItem(atPath: dir) }
            if case .directoryGone = event { break }
        }
        XCTAssertEqual(seen, [.file(dir + "/frame_1.tif"), .file(dir + "/frame_2.tif"), .directoryGone(dir)])
    }
}

final class ConfigurationTests: XCTestCase {
    /// The example configuration shipped in deploy/ parses, and its values arrive.
    func testExampleConfigurationParses() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/stemtrack.conf.example").path
        let c = try WatchConfiguration.read(path: path)
        XCTAssertEqual(c.directory, "/data/acquisition/current")
        XCTAssertEqual(c.patterns, ["*.tif", "*.tiff", "*.dm3", "*.dm4", "*.emd"])
        XCTAssertEqual(c.quietPeriod, 5)
        XCTAssertEqual(c.countWindow, 20)
        XCTAssertFalse(c.poll)
    }

    /// A shared store's run key: `instrument` and `run`, by default the host name and the directory's name.
    func testRunKeyOfASharedStore() throws {
        var c = try WatchConfiguration.parse("directory = /data/acq/2026-12-01-au/\ndatabase = postgres://stem@db/facility\n")
        XCTAssertEqual(c.runKey, RunKey(instrument: ProcessInfo.processInfo.hostName, name: "2026-12-01-au"))
        c = try WatchConfiguration.parse("directory = /data/acq\ninstrument = titan-1\nrun = heating 3\n")
        XCTAssertEqual(c.runKey, RunKey(instrument: "titan-1", name: "heating 3"))
    }

    func testUnknownKeyAndBadValueAreClearErrors() {
        XCTAssertThrowsError(try WatchConfiguration.parse("directry = /x\n", file: "a.conf")) { e in
            XCTAssertEqual("\(e)", "a.conf line 1: unknown key 'directry' (see deploy/stemtrack.conf.example)")
        }
        XCTAssertThrowsError(try WatchConfiguration.parse("# c\npoll = maybe\n", file: "a.conf")) { e in
            XCTAssertEqual("\(e)", "a.conf line 2: 'maybe' is not a valid value for poll")
        }
    }
}

/// Holder logs in other conventions.
final class TemperatureLogConventionTests: XCTestCase {
    /// A European-locale log (`;`, decimal comma): 23,5 is 23.5 °C, not 23.
    func testDecimalComma() throws {
        let log = try TemperatureLog.parse("time;temperature\n2026-12-01T10:00:00Z;23,5\n2026-12-01T10:00:10Z;33,5\n")
        let t0 = try XCTUnwrap(TemperatureLog.timestamp("2026-12-01T10:00:00Z"))
        XCTAssertEqual(try XCTUnwrap(log.temperature(at: t0)), 23.5, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(log.temperature(at: t0 + 5)), 28.5, accuracy: 1e-12)
        XCTAssertEqual(log.lines, [2, 3])
    }

    /// A clock offset moves the log onto the microscope's clock.
    func testClockOffset() throws {
        let log = try TemperatureLog.parse("1000, 300\n1010, 400\n").shifted(by: -4)
        XCTAssertEqual(try XCTUnwrap(log.temperature(at: 996)), 300, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(log.temperature(at: 1001)), 350, accuracy: 1e-12)
        XCTAssertNil(log.temperature(at: 1008))
    }
}

/// A generic CSV log with elapsed seconds, read with its start and a clock offset.
final class ElapsedTimeLogTests: XCTestCase {
    func testElapsedSecondsWithStartAndOffset() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-elapsed-\(UUID().uuidString).csv").path
        defer { unlink(path) }
        try "elapsed_s;T_sample\n0;300,0\n10;400,0\n20;500,0\n".write(toFile: path, atomically: true, encoding: .utf8)
        var c = try WatchConfiguration.parse("holder_elapsed_start = 2026-12-01T10:00:00Z\nholder_clock_offset = -2.5\n")
        c.temperatureLog = path
        let start = try XCTUnwrap(TemperatureLog.timestamp("2026-12-01T10:00:00Z"))
        var live = try LiveTemperatureLog(path: path, clockOffset: c.holderClockOffset, timeColumn: c.holderTimeColumn,
                                          elapsedStart: c.holderElapsedStart)
        // Sample k at start + 10k s on the holder's clock, start + 10k − 2.5 s on the microscope's.
        XCTAssertEqual(try XCTUnwrap(live.reading(at: start - 2.5)).celsius, 300, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(live.reading(at: start + 2.5)).celsius, 350, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(live.reading(at: start + 17.5)).celsius, 500, accuracy: 1e-9)
        XCTAssertNil(live.reading(at: start + 18))
    }
}

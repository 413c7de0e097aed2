import Foundation
import GRDB
import XCTest
@testable import TrajectoryStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real writer process (this test binary re-executed with an environment variable that makes
/// ``CrashRecoveryTests/testWriterChildProcess`` act as the writer) is killed with SIGKILL — once
/// inside a frame's transaction, twice at random moments — and restarted; afterwards every frame
/// is present exactly once with all its columns, and re-running over the same input adds nothing.
final class CrashRecoveryTests: XCTestCase {
    static let frames = 200
    static let columns = 1_000
    static let environment = ProcessInfo.processInfo.environment

    /// The writer, when run as a child process; a no-op in a normal test run.
    func testWriterChildProcess() throws {
        guard let db = Self.environment["STEMTRACK_STORE_WRITER_DB"],
              let logPath = Self.environment["STEMTRACK_STORE_WRITER_LOG"] else { return }
        let log = try XCTUnwrap(FileHandle(forWritingAtPath: logPath))
        log.seekToEndOfFile()
        func note(_ line: String) { log.write(Data((line + "\n").utf8)) }   // unbuffered: survives SIGKILL

        var options = FrameStore.Options(trackIndexBlock: 16)
        if let stop = Self.environment["STEMTRACK_STORE_WRITER_STOP_MID_FRAME"].flatMap(Int.init) {
            options.afterColumnsInserted = { k in
                guard k == stop else { return }
                log.write(Data("MID \(k)\n".utf8))
                while true { sleep(1) }   // inside the transaction, columns inserted, not committed
            }
        }
        let skipKnown = Self.environment["STEMTRACK_STORE_WRITER_NO_SKIP"] == nil
        let store = try FrameStore(path: db, options: options)
        let resume = try store.resumePoint()
        note("RESUME frames=\(resume.frameCount) last=\(resume.lastFrame ?? -1) state=\(resume.state.map { String(decoding: $0, as: UTF8.self) } ?? "none")")
        // The pipeline's restart: skip what is committed, continue after it.
        let known = Set(try store.committedFrames().map { $0.path + "\n" + $0.contentHash })
        let run = try store.beginSession(SessionRecord(softwareVersion: "crash-test"))
        let series = SyntheticSeries(columns: Self.columns)
        var inserted = 0, duplicates = 0, skipped = 0
        for k in 0..<Self.frames {
            if skipKnown && known.contains(series.path(k) + "\n" + series.hash(k)) { skipped += 1; continue }
            note("BEGIN \(k)")
            let outcome = try store.write(series.result(k, resumeState: Data("after frame \(k)".utf8)), run: run.id!)
            note("COMMIT \(k) \(outcome.rawValue)")
            if outcome == .duplicate { duplicates += 1 } else { inserted += 1 }
        }
        try store.endSession(run.id!)
        note("DONE inserted=\(inserted) duplicates=\(duplicates) skipped=\(skipped)")
    }

    var directory: URL!
    override func setUp() { directory = temporaryDirectory(name) }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    struct Child {
        let process: Process
        let log: String
        func lines() -> [String] {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
    }

    func launch(_ db: String, _ log: String, _ extra: [String: String] = [:]) throws -> Child {
        let binary = CommandLine.arguments[0]
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            XCTFail("cannot re-execute the test binary (\(binary))")
            throw CocoaError(.fileNoSuchFile)
        }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["TrajectoryStoreTests.CrashRecoveryTests/testWriterChildProcess"]
        var env = Self.environment
        env["STEMTRACK_STORE_WRITER_DB"] = db
        env["STEMTRACK_STORE_WRITER_LOG"] = log
        for (k, v) in extra { env[k] = v }
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: log + ".stderr", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: log + ".stderr")
        try p.run()
        return Child(process: p, log: log)
    }

    func wait(_ child: Child, timeout: Double = 60, until condition: ([String]) -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition(child.lines()) {
            guard child.process.isRunning else {
                let err = (try? String(contentsOfFile: child.log + ".stderr", encoding: .utf8)) ?? ""
                throw NSError(domain: "writer", code: 1, userInfo: [NSLocalizedDescriptionKey:
                    "writer exited (\(child.process.terminationStatus)) early; log: \(child.lines().suffix(3)); stderr: \(err.suffix(2000))"])
            }
            guard Date() < deadline else { child.process.terminate(); throw NSError(domain: "writer", code: 2) }
            usleep(1_000)
        }
    }

    func killHard(_ child: Child) {
        kill(child.process.processIdentifier, SIGKILL)
        child.process.waitUntilExit()
        XCTAssertEqual(child.process.terminationReason, .uncaughtSignal)
        XCTAssertEqual(child.process.terminationStatus, SIGKILL)
    }

    /// Frames are exactly 0..<n, each once and complete; returns n.
    func assertCompletePrefix(_ db: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let reader = try StoreReader(path: db)
        return try reader.reader.read { db in
            let ids = try Int.fetchAll(db, sql: "SELECT id FROM frames ORDER BY id")
            XCTAssertEqual(ids, Array(0..<ids.count), "frames are a prefix, each once", file: file, line: line)
            let perFrame = try Row.fetchAll(db, sql: "SELECT id >> 14, count(*) FROM columns GROUP BY id >> 14 ORDER BY 1")
            XCTAssertEqual(perFrame.map { $0[0] as Int }, ids, "columns only for committed frames", file: file, line: line)
            XCTAssertTrue(perFrame.allSatisfy { $0[1] as Int == Self.columns }, "no partial frame", file: file, line: line)
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM frames WHERE column_count != ?", arguments: [Self.columns]), 0)
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM events"), ids.count, "one event per frame", file: file, line: line)
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM facets"), 2 * ids.count, file: file, line: line)
            // The track copy holds exactly the indexed frames' tracked columns, once.
            let indexed = try Int.fetchOne(db, sql: "SELECT count(*) FROM frames WHERE track_indexed = 1")!
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM track_points"), indexed * Self.columns, file: file, line: line)
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT coalesce(sum(observations), 0) FROM tracks"), indexed * Self.columns)
            XCTAssertEqual(try String.fetchOne(db, sql: "PRAGMA integrity_check"), "ok", file: file, line: line)
            if let last = ids.last {
                XCTAssertEqual(try Data.fetchOne(db, sql: "SELECT state FROM resume_state"), Data("after frame \(last)".utf8),
                               "resume state committed with its frame", file: file, line: line)
            }
            return ids.count
        }
    }

    func testKilledWriterResumesWithEveryFrameOnceAndNoPartialFrame() throws {
        let db = directory.appendingPathComponent("store.sqlite").path
        var generator = SystemRandomNumberGenerator()

        // 1. Kill inside a frame's transaction (its columns inserted, not committed).
        let stopAt = Int.random(in: 20..<80, using: &generator)
        let first = try launch(db, directory.appendingPathComponent("log1").path,
                               ["STEMTRACK_STORE_WRITER_STOP_MID_FRAME": String(stopAt)])
        try wait(first) { $0.last == "MID \(stopAt)" }
        killHard(first)
        XCTAssertEqual(try assertCompletePrefix(db), stopAt, "frame \(stopAt) was killed mid-transaction: absent")

        // 2, 3. Kill at random moments.
        var committed = stopAt
        for attempt in 2...3 {
            let child = try launch(db, directory.appendingPathComponent("log\(attempt)").path)
            let more = Int.random(in: 5..<40, using: &generator)
            try wait(child) { $0.filter { $0.hasPrefix("COMMIT") }.count >= more }
            usleep(UInt32.random(in: 0..<4_000, using: &generator))
            killHard(child)
            let lines = child.lines()
            XCTAssertEqual(lines.first, "RESUME frames=\(committed) last=\(committed - 1) state=after frame \(committed - 1)")
            XCTAssertEqual(lines.dropFirst().first, "BEGIN \(committed)", "resumed after the last committed frame")
            let n = try assertCompletePrefix(db)
            let last = lines.last ?? ""
            print("kill \(attempt): last log line '\(last)', \(n) frames committed"
                  + (last.hasPrefix("BEGIN") ? " (killed inside frame \(last.dropFirst(6))'s write)" : ""))
            if last.hasPrefix("BEGIN"), let k = Int(last.dropFirst(6)) {
                XCTAssertTrue(n == k || n == k + 1, "frame \(k) either absent or complete")
            }
            XCTAssertGreaterThan(n, committed)
            committed = n
        }

        // 4. Restart and finish.
        let finish = try launch(db, directory.appendingPathComponent("log4").path)
        try wait(finish) { $0.last?.hasPrefix("DONE") == true }
        finish.process.waitUntilExit()
        XCTAssertEqual(finish.process.terminationStatus, 0)
        XCTAssertEqual(finish.lines().last, "DONE inserted=\(Self.frames - committed) duplicates=0 skipped=\(committed)")
        XCTAssertEqual(try assertCompletePrefix(db), Self.frames)

        // Every stored column is the one generated for its frame.
        let reader = try StoreReader(path: db)
        let series = SyntheticSeries(columns: Self.columns)
        for k in [0, stopAt, committed - 1, committed, Self.frames - 1] {
            let stored = try reader.columns(frame: k)
            XCTAssertEqual(stored.count, Self.columns)
            for (i, c) in stored.enumerated() where i % 97 == 0 {
                let truth = series.column(k, i)
                assertClose(c.x, truth.x, 0.0005); XCTAssertEqual(c.track, truth.track); XCTAssertEqual(c.count, truth.count)
            }
        }
        XCTAssertEqual(try reader.track(0).map(\.frame), Array(0..<Self.frames))

        // 5. Re-running over the same input (without the pipeline's skip: every frame offered to
        // the store again) adds no rows.
        func counts() throws -> [String: Int] {
            try reader.reader.read { db in
                var out: [String: Int] = [:]
                for t in ["frames", "columns", "track_points", "tracks", "events", "facets", "counting_models", "resume_state"] {
                    out[t] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(t)")
                }
                return out
            }
        }
        let before = try counts()
        let again = try launch(db, directory.appendingPathComponent("log5").path, ["STEMTRACK_STORE_WRITER_NO_SKIP": "1"])
        try wait(again) { $0.last?.hasPrefix("DONE") == true }
        again.process.waitUntilExit()
        XCTAssertEqual(again.lines().last, "DONE inserted=0 duplicates=\(Self.frames) skipped=0")
        XCTAssertEqual(try counts(), before)
        XCTAssertEqual(before["columns"], Self.frames * Self.columns)
    }
}

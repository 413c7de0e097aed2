import Foundation
import Simulation
import TIFFFrame
import TrajectoryStore
import XCTest

/// The daemon as a facility service, as a real process: bad frames of every kind that stopped it
/// before, a frame that kills the process, duplicates, symbolic-link loops, restarts.
final class ServiceTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-svc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/acq", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if ProcessInfo.processInfo.environment["STEMTRACK_KEEP_TEST_FILES"] == nil { try? FileManager.default.removeItem(atPath: root) }
    }

    private func write(_ bytes: [UInt8], _ name: String, in dir: String? = nil) {
        _ = FileManager.default.createFile(atPath: (dir ?? root + "/acq") + "/" + name, contents: Data(bytes))
    }

    /// Every kind of frame that crashed or stopped the daemon, mixed with good frames, plus one
    /// frame that aborts the process (test switch): every good frame stored once, every bad one
    /// recorded with its reason, the aborting frame recorded as crashed at the restart, and no
    /// restart loop (a third start has nothing to do).
    func testBadFramesNeverStopTheDaemon() throws {
        let sim = try TestFrames.simulator(frames: 9)
        let acq = root + "/acq", db = root + "/store.sqlite"
        var expectOK: Set<String> = [], expectFailed: [String: String] = [:], anyOutcome: Set<String> = []
        for i in 0..<8 {
            let name = String(format: "f%02d_good.tif", i * 2)
            write(try TestFrames.bytes([sim.frame(i).frame]), name)
            expectOK.insert(name)
        }
        let base = sim.frame(0).frame
        func variant(_ name: String, _ change: (inout Frame) -> Void, options: TIFFWriter.Options = .init()) throws {
            var f = base
            change(&f)
            write(try TestFrames.bytes([f], options: options), name)
        }
        // Repaired defects: stored ok.
        try variant("f01_saturated.tif", { f in
            f.pixels = f.pixels.map { min($0, 60000) }
            f.pixels[3 * 96 + 3] = 65535
        }, options: .init(encoding: .uint16)); expectOK.insert("f01_saturated.tif")
        try variant("f03_nan.tif", { $0.pixels[500] = .nan }); expectOK.insert("f03_nan.tif")
        try variant("f05_inf.tif", { $0.pixels[700] = .infinity }); expectOK.insert("f05_inf.tif")
        // Degenerate: any outcome, but recorded.
        try variant("f07_negative.tif", { f in f.pixels = f.pixels.map { -$0 - 500 } }); anyOutcome.insert("f07_negative.tif")
        var white = try TestFrames.bytes([base])
        TestFrames.patchTag(&white, tag: 262, value: 0)   // PhotometricInterpretation = MinIsWhite
        write(white, "f09_miniswhite_float.tif"); anyOutcome.insert("f09_miniswhite_float.tif")
        var flipped = try TestFrames.bytes([base])
        var rng = RandomSource(seed: 4)
        for _ in 0..<8 {
            let i = Int(rng.uniform() * Double(flipped.count))
            flipped[i] ^= UInt8(1 << Int(rng.uniform() * 8))
        }
        write(flipped, "f11_bitflips.tif"); anyOutcome.insert("f11_bitflips.tif")
        // Refused or failed with a reason.
        // Values 10¹³ × the first frame's: beyond the store's integer range, stored as REAL.
        try variant("f13_huge.tif", { f in f.pixels = f.pixels.map { $0 * 1e13 } }); expectOK.insert("f13_huge.tif")
        var giant = try TestFrames.bytes([base], options: .init(compress: true))
        TestFrames.patchTag(&giant, tag: 256, value: 40_000)
        TestFrames.patchTag(&giant, tag: 257, value: 40_000)
        write(giant, "f15_giant.tif"); expectFailed["f15_giant.tif"] = "more than the limit"
        let whole = try TestFrames.bytes([base])
        write(Array(whole.prefix(whole.count / 2)), "f17_truncated.tif"); expectFailed["f17_truncated.tif"] = "truncated"
        XCTAssertEqual(mkfifo(acq + "/f19_fifo.tif", 0o644), 0)
        expectFailed["f19_fifo.tif"] = "not a regular file"
        write([], "f21_empty.tif"); expectFailed["f21_empty.tif"] = "zero-byte"
        write(Array("not an image".utf8), "f23_text.tif"); expectFailed["f23_text.tif"] = "not a TIFF"
        write(try TestFrames.bytes([sim.frame(8).frame]), "f25_ABORT.tif"); expectFailed["f25_ABORT.tif"] = "the analysis crashed"
        // Old files: nothing to wait for.
        let old = Date(timeIntervalSinceNow: -600)
        for name in try FileManager.default.contentsOfDirectory(atPath: acq) where !name.contains("fifo") {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: acq + "/" + name)
        }
        let total = expectOK.count + expectFailed.count + anyOutcome.count
        let env = ["STEMTRACK_TEST_ABORT_ON": "ABORT"]
        let args = ["watch", acq, "--db", db, "--quiet-period", "1"]

        // 1–2. Runs into the aborting frame and dies of it; the restart tries it once more (the
        // first death could have been a SIGKILL from outside) and dies again.
        for k in 1...2 {
            let run = try DaemonProcess.start(args, environment: env, log: root + "/\(k).log")
            guard run.wait(timeout: 120, { !run.process.isRunning }) else {
                _ = run.stop()
                return XCTFail("the test switch must abort the daemon: \(run.stderr)")
            }
            XCTAssertEqual(run.process.terminationReason, .uncaughtSignal, run.stderr)
        }
        // 3. Restarts: records the crash and does the rest.
        let second = try DaemonProcess.start(args, environment: env, log: root + "/3.log")
        XCTAssertTrue(second.wait(timeout: 120) { DaemonProcess.frames(db).count >= total }, second.stderr)
        XCTAssertEqual(second.stop(), 0, "SIGTERM: clean exit")
        // 4. Another start finds nothing to do (no loop on any frame).
        let third = try DaemonProcess.start(args, environment: env, log: root + "/4.log")
        XCTAssertTrue(third.wait(timeout: 30) { third.stderr.contains("ready:") }, third.stderr)
        usleep(500_000)
        XCTAssertEqual(third.stop(), 0)
        XCTAssertTrue(third.stderr.contains("0 to process"), third.stderr)

        let frames = DaemonProcess.frames(db)
        let byName = Dictionary(grouping: frames) { URL(fileURLWithPath: $0.path).lastPathComponent }
        XCTAssertEqual(frames.count, total, "every file stored exactly once: \(byName.keys.sorted())")
        XCTAssertTrue(byName.values.allSatisfy { $0.count == 1 })
        for name in expectOK {
            XCTAssertEqual(byName[name]?.first?.status, .ok, "\(name): \(byName[name]?.first?.error ?? "missing")")
        }
        XCTAssertNotNil(byName["f01_saturated.tif"]?.first?.quality, "the repair is reported")
        for (name, reason) in expectFailed {
            let f = byName[name]?.first
            XCTAssertEqual(f?.status, .failed, name)
            XCTAssertTrue((f?.error ?? "").contains(reason), "\(name): \(f?.error ?? "missing") should say '\(reason)'")
        }
        for name in anyOutcome {
            let f = try XCTUnwrap(byName[name]?.first, name)
            if f.status == .failed { XCTAssertFalse((f.error ?? "").isEmpty, name) }
        }
    }

    /// A page in the middle of a stack kills the process: the file is not taken as stored after its
    /// first page; after two deaths that page is recorded as crashed and the others are analysed.
    func testCrashInsideAStackKeepsTheOtherPages() throws {
        let sim = try TestFrames.simulator(frames: 3, seed: 12)
        let acq = root + "/acq", db = root + "/store.sqlite"
        try TIFFWriter.write((0..<3).map { sim.frame($0).frame }, to: acq + "/stack.tif")
        let env = ["STEMTRACK_TEST_ABORT_ON": "stack.tif#1"]
        let args = ["watch", acq, "--db", db]
        for k in 1...2 {
            let run = try DaemonProcess.start(args, environment: env, log: root + "/s\(k).log")
            guard run.wait(timeout: 60, { !run.process.isRunning }) else {
                _ = run.stop()
                return XCTFail("the test switch must abort the daemon: \(run.stderr)")
            }
        }
        let last = try DaemonProcess.start(args, environment: env, log: root + "/s3.log")
        XCTAssertTrue(last.wait(timeout: 60) { DaemonProcess.frames(db).count == 3 }, last.stderr)
        XCTAssertEqual(last.stop(), 0)
        let frames = DaemonProcess.frames(db).sorted { $0.path < $1.path }
        XCTAssertEqual(frames.map { URL(fileURLWithPath: $0.path).lastPathComponent }, ["stack.tif", "stack.tif#1", "stack.tif#2"])
        XCTAssertEqual(frames.map(\.status), [.ok, .failed, .ok], "\(frames.map(\.error))")
        XCTAssertTrue((frames[1].error ?? "").contains("the analysis crashed"))
    }

    /// `watch DIR` then `watch /abs/DIR/`, a rename within the directory, a copy, a writer that
    /// closes after each of 11 appends, and a multi-page file that grows page by page: each frame
    /// is stored once.
    func testEveryFrameExactlyOnce() throws {
        let sim = try TestFrames.simulator(frames: 8, seed: 5)
        let acq = root + "/acq", db = root + "/store.sqlite"
        for i in 0..<3 { write(try TestFrames.bytes([sim.frame(i).frame]), "frame_\(i).tif") }
        // Relative path, from the parent directory.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try DaemonProcess.executable())
        p.arguments = ["watch", "acq", "--db", db, "--quiet-period", "1"]
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let relative = DaemonProcess.Running(process: p, log: "/dev/null")
        XCTAssertTrue(relative.wait(timeout: 60) { DaemonProcess.frames(db).count == 3 })
        XCTAssertEqual(relative.stop(), 0)

        let daemon = try DaemonProcess.start(["watch", root + "/./acq/", "--db", db, "--quiet-period", "1"], log: root + "/abs.log")
        XCTAssertTrue(daemon.wait(timeout: 30) { daemon.stderr.contains("ready:") })
        XCTAssertTrue(daemon.stderr.contains("3 already stored, 0 to process"), daemon.stderr)
        try FileManager.default.moveItem(atPath: acq + "/frame_1.tif", toPath: acq + "/frame_1_renamed.tif")
        try FileManager.default.copyItem(atPath: acq + "/frame_2.tif", toPath: acq + "/frame_2_copy.tif")
        // 11 appends, each followed by a close (each close is an inotify event).
        let appended = try TestFrames.bytes([sim.frame(3).frame])
        let target = acq + "/frame_3.tif"
        _ = FileManager.default.createFile(atPath: target, contents: nil)
        for k in 0..<11 {
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: target))
            h.seekToEndOfFile()
            h.write(Data(appended[(k * appended.count / 11)..<((k + 1) * appended.count / 11)]))
            try h.close()
            usleep(40_000)
        }
        // A stack written again with one more page each time.
        let stack = acq + "/stack.tif"
        for pages in 1...3 {
            let tmp = root + "/stack.tmp"
            try TIFFWriter.write((4..<(4 + pages)).map { sim.frame($0).frame }, to: tmp)
            try Data(contentsOf: URL(fileURLWithPath: tmp)).write(to: URL(fileURLWithPath: stack))
            usleep(400_000)
        }
        // Rewritten in place with other pixels: the stored frame stays, nothing is added.
        write(try TestFrames.bytes([sim.frame(7).frame]), "frame_0.tif")
        XCTAssertTrue(daemon.wait(timeout: 60) { DaemonProcess.frames(db).count >= 7 }, daemon.stderr)
        XCTAssertTrue(daemon.wait(timeout: 10) { daemon.stderr.contains("frame_0.tif: changed after it was stored") }, daemon.stderr)
        usleep(1_500_000)   // anything stored twice would show up now
        XCTAssertEqual(daemon.stop(), 0)
        let names = DaemonProcess.frames(db).map { URL(fileURLWithPath: $0.path).lastPathComponent }.sorted()
        XCTAssertEqual(names, ["frame_0.tif", "frame_1.tif", "frame_2.tif", "frame_3.tif",
                               "stack.tif", "stack.tif#1", "stack.tif#2"], daemon.stderr)
        XCTAssertTrue(DaemonProcess.frames(db).allSatisfy { $0.status == .ok })
    }

    /// Recursive mode with `loop -> .` and `up -> ..`: the scan ends, each frame is stored once
    /// under its real path, and SIGTERM is honoured promptly.
    func testSymlinkLoopsTerminate() throws {
        let sim = try TestFrames.simulator(frames: 2, seed: 8)
        let acq = root + "/acq", db = root + "/store.sqlite"
        try FileManager.default.createDirectory(atPath: acq + "/sub", withIntermediateDirectories: true)
        write(try TestFrames.bytes([sim.frame(0).frame]), "a.tif")
        write(try TestFrames.bytes([sim.frame(1).frame]), "b.tif", in: acq + "/sub")
        try FileManager.default.createSymbolicLink(atPath: acq + "/loop", withDestinationPath: ".")
        try FileManager.default.createSymbolicLink(atPath: acq + "/sub/up", withDestinationPath: "..")
        for follow in [false, true] {
            let d = db + (follow ? ".follow" : "")
            let daemon = try DaemonProcess.start(["watch", acq, "--db", d, "--recursive"] + (follow ? ["--follow-symlinks"] : []),
                                                 log: root + "/loop.log")
            XCTAssertTrue(daemon.wait(timeout: 60) { DaemonProcess.frames(d).count == 2 }, daemon.stderr)
            usleep(500_000)
            let t0 = Date()
            XCTAssertEqual(daemon.stop(timeout: 10), 0)
            XCTAssertLessThan(Date().timeIntervalSince(t0), 5, "SIGTERM must be honoured promptly")
            let paths = DaemonProcess.frames(d).map(\.path).sorted()
            XCTAssertEqual(paths, [acq + "/a.tif", acq + "/sub/b.tif"], "follow_symlinks \(follow)")
        }
    }
}

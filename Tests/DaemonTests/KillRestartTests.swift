import Foundation
import Simulation
import TIFFFrame
import TrajectoryStore
import XCTest

/// The daemon as a real process: the acquisition writes 100 frames at a fixed rate (half renamed
/// into place, half written slowly in pieces) with 10 bad files mixed in, the daemon is killed with
/// SIGKILL twice at random moments and restarted; at the end every good frame is stored exactly once,
/// every bad file is a failure with a reason, and the results equal a clean run's.
final class KillRestartTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-kill-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/acq", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    private func stemtrack() throws -> String { try DaemonProcess.executable() }

    private func startDaemon(_ dir: String, db: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try stemtrack())
        p.arguments = ["watch", dir, "--db", db, "--quiet-period", "1"]
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        return p
    }

    private func frameCount(_ db: String) -> Int {
        guard FileManager.default.fileExists(atPath: db), let store = try? FrameStore(path: db),
              let r = try? store.resumePoint() else { return 0 }
        return r.frameCount
    }

    private func waitFor(_ db: String, frames: Int, timeout: Double) {
        let t0 = Date()
        while frameCount(db) < frames && Date().timeIntervalSince(t0) < timeout { usleep(200_000) }
    }

    func testSurvivesTwoKillsAndMatchesCleanRun() throws {
        let acq = root + "/acq", db = root + "/live.sqlite"
        var settings = SimulationSettings()
        settings.seed = 77
        settings.frameCount = 100
        settings.width = 128; settings.height = 128
        settings.shape = .sphere(radius: 8)
        let sim = try SeriesSimulator(settings)
        var rng = RandomSource(seed: 5)
        // Names in acquisition order; bad files interleaved (they sort among the frames).
        var plan: [(name: String, kind: Int)] = []
        for i in 0..<100 {
            plan.append((String(format: "frame_%05d.tif", i), i % 2))
            if i % 10 == 4 { plan.append((String(format: "frame_%05d_bad.tif", i), 2 + (i / 10) % 3)) }
        }
        var daemon = try startDaemon(acq, db: db)
        let killAt = Set([25 + Int(rng.uniform() * 20), 60 + Int(rng.uniform() * 20)])
        for (k, item) in plan.enumerated() {
            let path = acq + "/" + item.name
            switch item.kind {
            case 0:   // complete file renamed into place
                let frame = sim.frame(Int(item.name.dropFirst(6).prefix(5))!).frame
                try TIFFWriter.write([frame], to: acq + "/.tmp_" + item.name)
                try FileManager.default.moveItem(atPath: acq + "/.tmp_" + item.name, toPath: path)
            case 1:   // written slowly in three pieces
                let frame = sim.frame(Int(item.name.dropFirst(6).prefix(5))!).frame
                let tmp = root + "/" + item.name
                try TIFFWriter.write([frame], to: tmp)
                let bytes = try Data(contentsOf: URL(fileURLWithPath: tmp))
                FileManager.default.createFile(atPath: path, contents: nil)
                let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                for part in 0..<3 {
                    h.write(bytes[(part * bytes.count / 3)..<((part + 1) * bytes.count / 3)])
                    usleep(30_000)
                }
                try h.close()
            case 2: FileManager.default.createFile(atPath: path, contents: Data("not an image".utf8))
            case 3: FileManager.default.createFile(atPath: path, contents: Data())
            default:  // truncated TIFF
                let tmp = root + "/cut.tif"
                try TIFFWriter.write([sim.frame(0).frame], to: tmp)
                let bytes = try Data(contentsOf: URL(fileURLWithPath: tmp))
                FileManager.default.createFile(atPath: path, contents: bytes.prefix(bytes.count / 2))
            }
            usleep(60_000)   // ≈ 10 frames/s acquisition
            if killAt.contains(k) {
                kill(daemon.processIdentifier, SIGKILL)
                daemon.waitUntilExit()
                daemon = try startDaemon(acq, db: db)
            }
        }
        waitFor(db, frames: plan.count, timeout: 120)
        daemon.terminate()   // SIGTERM: graceful
        daemon.waitUntilExit()

        // Clean run on a copy of the finished directory.
        let clean = root + "/clean"
        try FileManager.default.createDirectory(atPath: clean, withIntermediateDirectories: true)
        for item in plan { try FileManager.default.copyItem(atPath: acq + "/" + item.name, toPath: clean + "/" + item.name) }
        let cleanDB = root + "/clean.sqlite"
        let cleanDaemon = try startDaemon(clean, db: cleanDB)
        waitFor(cleanDB, frames: plan.count, timeout: 120)
        cleanDaemon.terminate()
        cleanDaemon.waitUntilExit()

        let live = try FrameStore(path: db).reader, ref = try FrameStore(path: cleanDB).reader
        let frames = try live.frames()
        XCTAssertEqual(frames.count, 110, "every file stored exactly once")
        XCTAssertEqual(Set(frames.map(\.path)).count, 110)
        XCTAssertEqual(frames.filter { $0.status == .ok }.count, 100)
        let failures = frames.filter { $0.status == .failed }
        XCTAssertEqual(failures.count, 10)
        XCTAssertTrue(failures.allSatisfy { ($0.error ?? "").contains("_bad.tif") }, "\(failures.map(\.error))")
        XCTAssertEqual(frames.map(\.frame), Array(0..<110))
        // Same rows as the clean run: per frame the file, its columns, counts and tracks.
        let refFrames = try ref.frames()
        XCTAssertEqual(refFrames.map { URL(fileURLWithPath: $0.path).lastPathComponent },
                       frames.map { URL(fileURLWithPath: $0.path).lastPathComponent })
        for f in frames where f.status == .ok {
            let a = try live.columns(frame: f.frame), b = try ref.columns(frame: f.frame)
            XCTAssertEqual(a, b, "frame \(f.frame) differs from the clean run")
        }
        // Counts smoothed along tracks are revised inside later frames' transactions: the events
        // (from final smoothed counts) and the track index agree too.
        func events(_ r: any StoreQuerying) throws -> [String] {
            try r.events().map { e in
                "\(e.frame) \(e.kind) \(e.track ?? -1) \(e.otherTrack ?? -1) \(e.before ?? -1) \(e.after ?? -1) \(e.x) \(e.y) \(e.confidence)"
            }.sorted()
        }
        let liveEvents = try events(live), refEvents = try events(ref)
        XCTAssertEqual(liveEvents.count, refEvents.count)
        XCTAssertEqual(liveEvents.filter { !refEvents.contains($0) }.prefix(5), [], "events missing from the clean run")
        XCTAssertEqual(try live.tracks(), try ref.tracks())
    }
}

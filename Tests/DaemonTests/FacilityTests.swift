import Foundation
import PostgresStore
import Simulation
import TIFFFrame
import TrajectoryStore
import XCTest

/// The facility store with real processes: several `stemtrack watch` daemons (one per simulated
/// microscope) writing into one PostgreSQL database while `stemtrack serve` lists and shows them;
/// PostgreSQL restarted under a running daemon; a daemon killed mid-frame. The server is the one
/// `deploy/test.sh` starts (`STEMTRACK_TEST_POSTGRES`, its cluster directory in
/// `STEMTRACK_TEST_POSTGRES_DIR`); without it these tests fail, they are not skipped.
final class FacilityTests: XCTestCase {
    private var root = ""
    private var url = ""
    /// Unique per test run, so that runs of earlier test runs in the same database do not interfere.
    private let tag = String(UUID().uuidString.prefix(8)).lowercased()

    override func setUpWithError() throws {
        url = try TestServers.postgresURL()
        root = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-facility-\(tag)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    private func catalogue() throws -> any RunCatalogue {
        try PostgresBackend.backends.openCatalogue(try StoreLocation(parsing: url))
    }

    /// Frames of a small simulated particle (different seeds per microscope).
    private func simulator(seed: UInt64, frames: Int) throws -> SeriesSimulator {
        try TestFrames.simulator(frames: frames, seed: seed)
    }

    /// Writes frame `k` into `dir` the way acquisition software does (a temporary name renamed into place).
    private func land(_ sim: SeriesSimulator, _ k: Int, in dir: String) throws {
        let name = String(format: "frame_%05d.tif", k)
        try TIFFWriter.write([sim.frame(k).frame], to: dir + "/.tmp_" + name)
        try FileManager.default.moveItem(atPath: dir + "/.tmp_" + name, toPath: dir + "/" + name)
    }

    private func watch(_ dir: String, instrument: String, run: String, log: String,
                       environment: [String: String] = [:]) throws -> DaemonProcess.Running {
        try DaemonProcess.start(["watch", dir, "--db", url, "--instrument", instrument, "--run", run, "--quiet-period", "1",
                                 "--pixel-size", "0.2"], environment: environment, log: log)
    }

    private func frames(_ c: any RunCatalogue, instrument: String, run: String) -> [FrameRecord] {
        (try? c.reader(run: run, instrument: instrument).frames()) ?? []
    }

    /// Every frame of a run stored once: one row per file, numbered 0… without gaps, each path once.
    private func assertStoredOnce(_ frames: [FrameRecord], files: Int, _ what: String, line: UInt = #line) {
        XCTAssertEqual(frames.count, files, what, line: line)
        XCTAssertEqual(frames.map(\.frame), Array(0..<frames.count), what, line: line)
        XCTAssertEqual(Set(frames.map(\.path)).count, frames.count, "\(what): a path stored twice", line: line)
        XCTAssertEqual(frames.filter { $0.status != .ok }.map(\.path), [], "\(what): failed frames", line: line)
    }

    /// Four microscopes at 1 frame/s each into one database; `serve` lists the four runs while they
    /// are running and answers each one's frames; at the end every frame is stored once per run.
    func testFourDaemonsWriteOneDatabaseWhileServeShowsThemLive() throws {
        let microscopes = (1...4).map { "stem-\($0)-\(tag)" }
        let frameCount = 12
        var dirs: [String] = [], daemons: [DaemonProcess.Running] = [], sims: [SeriesSimulator] = []
        for (i, m) in microscopes.enumerated() {
            let dir = root + "/\(m)/acq"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            dirs.append(dir)
            sims.append(try simulator(seed: UInt64(40 + i), frames: frameCount))
            daemons.append(try watch(dir, instrument: m, run: "heating-\(tag)", log: root + "/\(m).log"))
        }
        defer { for d in daemons { _ = d.stop() } }
        let serve = try DaemonProcess.start(["serve", "--db", url, "--http", "127.0.0.1:0"], log: root + "/serve.log")
        defer { _ = serve.stop() }
        var port = 0
        XCTAssertTrue(serve.wait(timeout: 30) {
            guard let r = serve.stderr.range(of: #"http://127\.0\.0\.1:(\d+)/"#, options: .regularExpression) else { return false }
            port = Int(serve.stderr[r].dropFirst("http://127.0.0.1:".count).dropLast()) ?? 0
            return port > 0
        }, "serve did not start: \(serve.stderr)")

        var listedRunning = Set<String>()
        let t0 = Date()
        for k in 0..<frameCount {
            for (i, dir) in dirs.enumerated() { try land(sims[i], k, in: dir) }
            // While the frames arrive: the run list through the API.
            if k >= 4, let runs = try? Self.getJSON(port: port, "/api/runs", as: RunsListBody.self) {
                for r in runs.runs where microscopes.contains(r.instrument) && r.status == "running" { listedRunning.insert(r.instrument) }
            }
            let next = t0.addingTimeInterval(Double(k + 1))
            if next > Date() { Thread.sleep(until: next) }
        }
        let c = try catalogue()
        for (i, m) in microscopes.enumerated() {
            XCTAssertTrue(daemons[i].wait(timeout: 90) { frames(c, instrument: m, run: "heating-\(tag)").count >= frameCount },
                          "\(m): \(frames(c, instrument: m, run: "heating-\(tag)").count) of \(frameCount) frames; \(daemons[i].stderr.suffix(2000))")
        }
        XCTAssertEqual(listedRunning, Set(microscopes), "serve listed these as running while they were: \(listedRunning)")
        // Each run shown by the API, with the store's numbers.
        for m in microscopes {
            let q = "run=heating-\(tag)&instrument=\(m)"
            let summary = try Self.getJSON(port: port, "/api/summary?\(q)", as: SummaryBody.self)
            XCTAssertEqual(summary.summary.frames, frameCount, m)
            let stored = frames(c, instrument: m, run: "heating-\(tag)")
            XCTAssertEqual(summary.summary.columns, stored.reduce(0) { $0 + $1.columnCount }, m)
            let cols = try Self.getJSON(port: port, "/api/frames/\(frameCount - 1)/columns?\(q)", as: ColumnsBody.self)
            XCTAssertEqual(cols.columns.count, stored.last?.columnCount, m)
        }
        for d in daemons { XCTAssertEqual(d.stop(), 0, d.stderr.suffix(1000).description) }
        for m in microscopes { assertStoredOnce(frames(c, instrument: m, run: "heating-\(tag)"), files: frameCount, m) }
        let runs = try c.runs().filter { microscopes.contains($0.instrument) }
        XCTAssertEqual(runs.count, 4)
        XCTAssertEqual(Set(runs.map(\.status)), ["stopped"])
    }

    /// PostgreSQL stopped (fast shutdown) for about 2.5 s while a daemon is storing frames, then
    /// started again: the daemon pauses, keeps the frame, reconnects and goes on; every frame is stored once, the results equal a run
    /// of the same frames without the restart.
    func testPostgresRestartUnderARunningDaemon() throws {
        guard let cluster = ProcessInfo.processInfo.environment["STEMTRACK_TEST_POSTGRES_DIR"] else {
            XCTFail("STEMTRACK_TEST_POSTGRES_DIR is not set (deploy/test.sh sets it): cannot restart the server")
            return
        }
        let dir = root + "/acq", instrument = "restart-\(tag)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let frameCount = 24
        let sim = try simulator(seed: 9, frames: frameCount)
        let daemon = try watch(dir, instrument: instrument, run: "live", log: root + "/watch.log")
        var down = false
        let port = try XCTUnwrap(URLComponents(string: url)?.port)
        defer {
            _ = daemon.stop()
            if down { try? Self.server(["start", cluster, String(port)]) }
        }
        let c = try catalogue()
        for k in 0..<frameCount {
            try land(sim, k, in: dir)
            if k == 8 {
                _ = daemon.wait(timeout: 30) { frames(c, instrument: instrument, run: "live").count >= 6 }
                try Self.server(["stop", cluster])
                down = true
            }
            if k == 14 {   // 6 frames (2.4 s) landed while the server was down
                try Self.server(["start", cluster, String(port)])
                down = false
            }
            Thread.sleep(forTimeInterval: 0.4)
        }
        let c2 = try catalogue()   // the first catalogue's connections died with the restart
        XCTAssertTrue(daemon.wait(timeout: 120) { frames(c2, instrument: instrument, run: "live").count >= frameCount },
                      "\(frames(c2, instrument: instrument, run: "live").count) of \(frameCount); \(daemon.stderr.suffix(3000))")
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertTrue(daemon.stderr.contains("paused") && daemon.stderr.contains("resumed"),
                      "the daemon did not pause and resume: \(daemon.stderr.suffix(2000))")
        let live = frames(c2, instrument: instrument, run: "live")
        assertStoredOnce(live, files: frameCount, "after the restart")

        // The same frames processed without a restart.
        let ref = try DaemonProcess.run(["process", dir, "--db", url, "--instrument", instrument, "--run", "reference",
                                         "--pixel-size", "0.2"], log: root + "/ref.log", timeout: 300)
        XCTAssertEqual(ref.status, 0, ref.stderr)
        let reader = try c2.reader(run: "live", instrument: instrument), refReader = try c2.reader(run: "reference", instrument: instrument)
        for k in [0, 8, 9, 15, frameCount - 1] {
            XCTAssertEqual(try reader.columns(frame: k).map { [$0.x, $0.y, $0.crossSection] },
                           try refReader.columns(frame: k).map { [$0.x, $0.y, $0.crossSection] }, "frame \(k)")
        }
    }

    /// SIGKILL at random moments while frames of ~1,000 columns are stored: after each kill no frame
    /// is partial (each stored frame has exactly its column_count columns) and a restart goes on;
    /// at the end every frame is stored once.
    func testKilledMidFrameLeavesNothingPartial() throws {
        let dir = root + "/acq", instrument = "kill-\(tag)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let frameCount = 40
        var s = SimulationSettings()
        s.seed = 21; s.frameCount = frameCount; s.width = 256; s.height = 256; s.shape = .sphere(radius: 22)
        let sim = try SeriesSimulator(s)
        for k in 0..<frameCount { try land(sim, k, in: dir) }
        let c = try catalogue()
        var rng = SystemRandomNumberGenerator()
        for attempt in 0..<3 {
            let daemon = try watch(dir, instrument: instrument, run: "kill", log: root + "/kill\(attempt).log")
            let before = frames(c, instrument: instrument, run: "kill").count
            _ = daemon.wait(timeout: 60) { frames(c, instrument: instrument, run: "kill").count > before }
            usleep(UInt32.random(in: 100_000...1_500_000, using: &rng))
            XCTAssertTrue(daemon.process.isRunning, "the daemon finished the backlog before the kill: make the frames heavier")
            _ = daemon.stop(SIGKILL)
            let reader = try c.reader(run: "kill", instrument: instrument)
            for f in try reader.frames() {
                XCTAssertEqual(try reader.columns(frame: f.frame).count, f.columnCount, "frame \(f.frame) partial after kill \(attempt)")
            }
        }
        let daemon = try watch(dir, instrument: instrument, run: "kill", log: root + "/kill-final.log")
        XCTAssertTrue(daemon.wait(timeout: 180) { frames(c, instrument: instrument, run: "kill").count >= frameCount },
                      daemon.stderr.suffix(2000).description)
        XCTAssertEqual(daemon.stop(), 0)
        assertStoredOnce(frames(c, instrument: instrument, run: "kill"), files: frameCount, "after three kills")
    }

    /// Runs `deploy/postgres-test-server.sh ARGS`.
    static func server(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [repository + "/deploy/postgres-test-server.sh"] + arguments
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "postgres-test-server.sh \(arguments.joined(separator: " ")) failed")
    }

    // MARK: HTTP

    struct RunsListBody: Decodable { var runs: [RunSummary] }
    struct SummaryBody: Decodable { var summary: StoreSummary }
    struct ColumnsBody: Decodable { struct C: Decodable { var x_px: Double }; var columns: [C] }

    static var repository: String {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { dir.deleteLastPathComponent() }
        return dir.path
    }

    /// GET through curl (no HTTP client in Foundation on Linux that the tests can rely on).
    static func getJSON<T: Decodable>(port: Int, _ path: String, as: T.Type) throws -> T {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-sf", "--max-time", "10", "http://127.0.0.1:\(port)\(path)"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CocoaError(.fileReadUnknown) }
        return try JSONDecoder().decode(T.self, from: data)
    }
}

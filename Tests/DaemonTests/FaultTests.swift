import Foundation
import Monitoring
import Simulation
import TIFFFrame
import TrajectoryStore
import XCTest

/// The machine misbehaving around the daemon: a full disk, a store locked by another process, a
/// second daemon, running out of file descriptors to idle HTTP clients; and the service contract
/// with systemd (sd_notify, SIGHUP, exit codes) and monitoring (/metrics, /healthz).
final class FaultTests: XCTestCase {
    private var root = ""
    private var mounted: String? = nil

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-fault-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/acq", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let m = mounted { _ = shell("umount -l '\(m)'") }
        try? FileManager.default.removeItem(atPath: root)
    }

    @discardableResult
    private func shell(_ command: String) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try? p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    private func land(_ frame: Frame, _ name: String, in dir: String) throws {
        let tmp = dir + "/." + name + ".part"
        try TIFFWriter.write([frame], to: tmp)
        try FileManager.default.moveItem(atPath: tmp, toPath: dir + "/" + name)
    }

    /// The store on a 3 MB tmpfs that fills up: the daemon pauses (log, heartbeat-free), keeps the
    /// frames, and stores every one of them once space is freed; it never exits.
    func testFullDiskPausesAndResumesWithoutLoss() throws {
        let disk = root + "/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let m = shell("mount -t tmpfs -o size=3m tmpfs '\(disk)'")
        XCTAssertEqual(m.status, 0, "a small tmpfs is needed to fill a disk: \(m.output)")
        guard m.status == 0 else { return }
        mounted = disk
        let sim = try TestFrames.simulator(frames: 10, seed: 31)
        let acq = root + "/acq", db = disk + "/store.sqlite"
        let daemon = try DaemonProcess.start(["watch", acq, "--db", db, "--http", "127.0.0.1:0"], log: root + "/full.log")
        defer { _ = daemon.stop() }
        XCTAssertTrue(daemon.wait(timeout: 30) { daemon.stderr.contains("ready:") }, daemon.stderr)
        for i in 0..<3 { try land(sim.frame(i).frame, "frame_\(i).tif", in: acq) }
        XCTAssertTrue(daemon.wait(timeout: 30) { DaemonProcess.frames(db).count == 3 }, daemon.stderr)
        // Fill the disk, then land more frames.
        shell("dd if=/dev/zero of='\(disk)/filler' bs=64k 2>/dev/null; sync")
        for i in 3..<10 { try land(sim.frame(i).frame, "frame_\(i).tif", in: acq) }
        XCTAssertTrue(daemon.wait(timeout: 60) { daemon.stderr.contains("paused:") }, daemon.stderr)
        XCTAssertTrue(daemon.process.isRunning, "a full disk must not end the daemon")
        // /healthz says so (the port was chosen by the system: read it from the log).
        let port = daemon.stderr.components(separatedBy: "dashboard on http://127.0.0.1:").dropFirst().first?
            .prefix { $0.isNumber }
        let health = try XCTUnwrap(get("http://127.0.0.1:\(try XCTUnwrap(port))/healthz"))
        XCTAssertEqual(health.status, 503, health.body)
        XCTAssertTrue(health.body.contains("\"state\":\"paused\"") && health.body.contains("disk"), health.body)
        sleep(2)
        XCTAssertTrue(daemon.process.isRunning)
        try FileManager.default.removeItem(atPath: disk + "/filler")
        XCTAssertTrue(daemon.wait(timeout: 90) { DaemonProcess.frames(db).count == 10 }, daemon.stderr)
        XCTAssertTrue(daemon.stderr.contains("resumed"), daemon.stderr)
        XCTAssertEqual(try XCTUnwrap(get("http://127.0.0.1:\(try XCTUnwrap(port))/healthz")).status, 200)
        XCTAssertEqual(daemon.stop(), 0)
        let frames = DaemonProcess.frames(db)
        XCTAssertEqual(frames.map(\.frame), Array(0..<10))
        XCTAssertTrue(frames.allSatisfy { $0.status == .ok }, "\(frames.map(\.error))")
        XCTAssertEqual(Set(frames.map(\.path)).count, 10)
    }

    /// Another process holds the store's write lock for 15 s (longer than SQLite's 10 s busy
    /// timeout): the daemon pauses and then stores every frame; none is lost or failed.
    func testHeldWriteLockPausesAndResumes() throws {
        XCTAssertEqual(shell("command -v sqlite3").status, 0, "the sqlite3 command (Debian package sqlite3) is needed")
        let sim = try TestFrames.simulator(frames: 6, seed: 32)
        let acq = root + "/acq", db = root + "/store.sqlite"
        let daemon = try DaemonProcess.start(["watch", acq, "--db", db], log: root + "/lock.log")
        defer { _ = daemon.stop() }
        try land(sim.frame(0).frame, "frame_0.tif", in: acq)
        XCTAssertTrue(daemon.wait(timeout: 30) { DaemonProcess.frames(db).count == 1 }, daemon.stderr)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", "(echo 'BEGIN IMMEDIATE;'; echo 'INSERT INTO store_meta VALUES (\"lock-test\", 1);'; sleep 15; echo 'ROLLBACK;') | sqlite3 '\(db)'"]
        try holder.run()
        sleep(1)
        for i in 1..<6 { try land(sim.frame(i).frame, "frame_\(i).tif", in: acq) }
        XCTAssertTrue(daemon.wait(timeout: 40) { daemon.stderr.contains("paused:") }, daemon.stderr)
        holder.waitUntilExit()
        XCTAssertTrue(daemon.wait(timeout: 60) { DaemonProcess.frames(db).count == 6 }, daemon.stderr)
        XCTAssertTrue(daemon.process.isRunning)
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertTrue(DaemonProcess.frames(db).allSatisfy { $0.status == .ok })
    }

    /// A second daemon on the same store is refused, naming the first; configuration errors exit
    /// 78 (EX_CONFIG, so systemd's RestartPreventExitStatus stops a restart loop); runtime errors 1.
    func testSecondDaemonAndExitCodes() throws {
        let acq = root + "/acq", db = root + "/store.sqlite"
        let first = try DaemonProcess.start(["watch", acq, "--db", db], log: root + "/first.log")
        defer { _ = first.stop() }
        XCTAssertTrue(first.wait(timeout: 30) { first.stderr.contains("ready:") }, first.stderr)
        let second = try DaemonProcess.run(["watch", acq, "--db", db], log: root + "/second.log", timeout: 30)
        XCTAssertEqual(second.status, 78, second.stderr)
        XCTAssertTrue(second.stderr.contains("already being written by stemtrack pid \(first.pid)"), second.stderr)
        XCTAssertEqual(first.stop(), 0)

        try "directory = \(acq)\nfavourite_colour = blue\n".write(toFile: root + "/bad.conf", atomically: true, encoding: .utf8)
        let badKey = try DaemonProcess.run(["watch", "--config", root + "/bad.conf"], log: root + "/bad.log", timeout: 30)
        XCTAssertEqual(badKey.status, 78)
        XCTAssertTrue(badKey.stderr.contains("unknown key 'favourite_colour'"), badKey.stderr)
        let notStore = root + "/notes.sqlite"
        try "just notes".write(toFile: notStore, atomically: true, encoding: .utf8)
        let wrongDB = try DaemonProcess.run(["watch", acq, "--db", notStore], log: root + "/wrongdb.log", timeout: 30)
        XCTAssertEqual(wrongDB.status, 78, wrongDB.stderr)
        let noLog = try DaemonProcess.run(["watch", acq, "--db", root + "/other.sqlite", "--temperature-log", root + "/missing.csv"],
                                          log: root + "/nolog.log", timeout: 30)
        XCTAssertEqual(noLog.status, 78, noLog.stderr)
        XCTAssertTrue(noLog.stderr.contains("missing.csv: cannot read the temperature log"), noLog.stderr)
        // Runtime failure: one line, exit 1, no usage text.
        try "garbage".write(toFile: root + "/frame.tif", atomically: true, encoding: .utf8)
        let fit = try DaemonProcess.run(["fit", root + "/frame.tif"], log: root + "/fit.log", timeout: 30)
        XCTAssertEqual(fit.status, 1, fit.stderr)
        XCTAssertTrue(fit.stderr.contains("frame.tif: not a TIFF, DigitalMicrograph (.dm3/.dm4) or Velox (.emd) file"), fit.stderr)
        XCTAssertFalse(fit.stderr.contains("USAGE"), fit.stderr)
    }

    /// systemd's side of sd_notify played by a datagram socket: READY=1 after the backlog scan,
    /// STATUS= lines, WATCHDOG=1 at the interval WATCHDOG_USEC asks for, RELOADING=1 on SIGHUP
    /// (which re-reads --config and logs the change) and STOPPING=1 at SIGTERM.
    func testSystemdNotifyAndReload() throws {
        let socketPath = root + "/notify.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in socketPath.utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0)
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var messages: [String] = []
        func receive(for seconds: Double) {
            let t0 = Date()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date().timeIntervalSince(t0) < seconds {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 { messages.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
            }
        }
        let acq = root + "/acq", db = root + "/store.sqlite", conf = root + "/stemtrack.conf"
        try "directory = \(acq)\ndatabase = \(db)\nquiet_period = 2\n".write(toFile: conf, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess.start(["watch", "--config", conf],
                                             environment: ["NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "1000000"],
                                             log: root + "/notify.log")
        defer { _ = daemon.stop() }
        receive(for: 4)
        XCTAssertTrue(messages.contains { $0.hasPrefix("READY=1") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix("STATUS=") }, "\(messages)")
        let pings = messages.filter { $0 == "WATCHDOG=1" }.count
        XCTAssertGreaterThanOrEqual(pings, 4, "WATCHDOG=1 at least every half interval (0.5 s) over ~3 s: \(messages)")

        try "directory = \(acq)\ndatabase = \(db)\nquiet_period = 7\nlog_level = debug\n".write(toFile: conf, atomically: true, encoding: .utf8)
        messages.removeAll()
        kill(daemon.pid, SIGHUP)
        receive(for: 2)
        XCTAssertTrue(daemon.process.isRunning, "SIGHUP reloads, it does not kill")
        XCTAssertTrue(messages.contains("RELOADING=1"), "\(messages)")
        XCTAssertTrue(daemon.stderr.contains("SIGHUP: applied"), daemon.stderr)
        XCTAssertTrue(daemon.stderr.contains("quiet_period: '2.0' → '7.0'"), daemon.stderr)
        XCTAssertTrue(daemon.stderr.contains("log_level: 'info' → 'debug'"), daemon.stderr)
        messages.removeAll()
        kill(daemon.pid, SIGTERM)
        receive(for: 2)
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertTrue(messages.contains("STOPPING=1"), "\(messages)")
    }

    /// /metrics parses as Prometheus text with the documented metrics; /healthz is 200 while the
    /// daemon runs, and `serve` (from the heartbeat in the store) answers 503 once it stopped.
    func testMetricsAndHealth() throws {
        let sim = try TestFrames.simulator(frames: 3, seed: 33)
        let acq = root + "/acq", db = root + "/store.sqlite"
        let port = 18_000 + Int(getpid() % 1000)
        let daemon = try DaemonProcess.start(["watch", acq, "--db", db, "--http", "127.0.0.1:\(port)"], log: root + "/m.log")
        defer { _ = daemon.stop() }
        XCTAssertTrue(daemon.wait(timeout: 30) { daemon.stderr.contains("dashboard on") }, daemon.stderr)
        for i in 0..<3 { try land(sim.frame(i).frame, "frame_\(i).tif", in: acq) }
        XCTAssertTrue(daemon.wait(timeout: 30) { DaemonProcess.frames(db).count == 3 }, daemon.stderr)
        let metrics = try XCTUnwrap(get("http://127.0.0.1:\(port)/metrics")).body
        let samples = try PrometheusText.parse(metrics)
        XCTAssertEqual(samples["stemtrack_frames_processed_total"], 3, metrics)
        XCTAssertEqual(samples["stemtrack_frames_failed_total"], 0)
        XCTAssertEqual(samples["stemtrack_up"], 1)
        XCTAssertEqual(samples["stemtrack_paused"], 0)
        XCTAssertEqual(samples["stemtrack_stage_seconds_count{stage=\"fit\"}"], 3, metrics)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(samples["stemtrack_last_frame_age_seconds"]), 0)
        let healthy = try XCTUnwrap(get("http://127.0.0.1:\(port)/healthz"))
        XCTAssertEqual(healthy.status, 200, healthy.body)
        XCTAssertTrue(healthy.body.contains("\"state\":\"ready\""), healthy.body)
        XCTAssertEqual(daemon.stop(), 0)

        // serve reads the heartbeat: the daemon has stopped.
        let servePort = port + 1000
        let serve = try DaemonProcess.start(["serve", "--db", db, "--http", "127.0.0.1:\(servePort)"], log: root + "/serve.log")
        defer { _ = serve.stop() }
        XCTAssertTrue(serve.wait(timeout: 30) { serve.stderr.contains("serving") }, serve.stderr)
        let stopped = try XCTUnwrap(get("http://127.0.0.1:\(servePort)/healthz"))
        XCTAssertEqual(stopped.status, 503)
        XCTAssertTrue(stopped.body.contains("stopped"), stopped.body)
        let served = try PrometheusText.parse(try XCTUnwrap(get("http://127.0.0.1:\(servePort)/metrics")).body)
        XCTAssertEqual(served["stemtrack_up"], 0)
        XCTAssertEqual(served["stemtrack_session_frames"], 3)
    }

    /// 1,100 idle connections against `watch --http` at a 1,024 file-descriptor limit while frames
    /// land: no frame is recorded failed, and the server answers again once the idle ones close.
    func testIdleConnectionsDoNotStarveTheDaemon() throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < 4096 { limit.rlim_cur = min(4096, limit.rlim_max); setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) }
        XCTAssertGreaterThanOrEqual(limit.rlim_cur, 1200, "the test process needs 1,200 descriptors for its clients")
        let sim = try TestFrames.simulator(frames: 8, seed: 34)
        let acq = root + "/acq", db = root + "/store.sqlite"
        let port = 20_000 + Int(getpid() % 1000)
        let daemon = try DaemonProcess.start(["watch", acq, "--db", db, "--http", "127.0.0.1:\(port)"], log: root + "/idle.log",
                                             shellPrefix: "ulimit -n 1024;")
        defer { _ = daemon.stop() }
        XCTAssertTrue(daemon.wait(timeout: 30) { daemon.stderr.contains("dashboard on") }, daemon.stderr)
        var sockets: [Int32] = []
        defer { for s in sockets { close(s) } }
        for _ in 0..<1100 {
            let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = in_port_t(UInt16(port).bigEndian)
            a.sin_addr.s_addr = inet_addr("127.0.0.1")
            let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            if r == 0 { sockets.append(s) } else { close(s) }
        }
        XCTAssertGreaterThan(sockets.count, 1000, "connections held open")
        for i in 0..<8 { try land(sim.frame(i).frame, "frame_\(i).tif", in: acq); usleep(200_000) }
        XCTAssertTrue(daemon.wait(timeout: 60) { DaemonProcess.frames(db).count == 8 }, daemon.stderr)
        let frames = DaemonProcess.frames(db)
        XCTAssertTrue(frames.allSatisfy { $0.status == .ok }, "\(frames.compactMap(\.error))")
        // Idle connections are closed by the server after its idle timeout; then it answers again.
        XCTAssertTrue(daemon.wait(timeout: 60) { (try? get("http://127.0.0.1:\(port)/healthz", timeout: 2))?.status == 200 },
                      "the server must answer once the idle connections are closed")
    }

    private func get(_ url: String, timeout: Double = 10) throws -> (status: Int, body: String)? {
        let r = shell("curl -s -m \(Int(timeout)) -o /dev/stdout -w '\\n%{http_code}' '\(url)'")
        let lines = r.output.split(separator: "\n", omittingEmptySubsequences: false)
        guard let code = lines.last.flatMap({ Int($0) }), code > 0 else { return nil }
        return (code, lines.dropLast().joined(separator: "\n"))
    }
}

/// A small parser of the Prometheus text exposition format (0.0.4): `name{labels} value` lines,
/// `# HELP`/`# TYPE` comments. Keys are the metric name with its label set as written.
enum PrometheusText {
    struct ParseError: Error, CustomStringConvertible { var description: String }

    static func parse(_ text: String) throws -> [String: Double] {
        var out: [String: Double] = [:]
        var typed: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(String(parts[3])) else {
                    throw ParseError(description: "bad TYPE line: \(line)")
                }
                typed.insert(String(parts[2]))
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(of: " ") else { throw ParseError(description: "no value: \(line)") }
            let key = String(line[..<space]), valueText = line[line.index(after: space)...]
            guard let value = Double(valueText) ?? (valueText == "+Inf" ? .infinity : nil) else {
                throw ParseError(description: "bad value: \(line)")
            }
            let name = String(key.prefix { $0 != "{" })
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }) else {
                throw ParseError(description: "bad metric name: \(line)")
            }
            let family = ["_bucket", "_sum", "_count"].reduce(name) { n, s in n.hasSuffix(s) ? String(n.dropLast(s.count)) : n }
            guard typed.contains(name) || typed.contains(family) else { throw ParseError(description: "sample before its TYPE: \(line)") }
            out[key] = value
        }
        return out
    }
}

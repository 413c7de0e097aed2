import Foundation
import Simulation
import TIFFFrame
import TrajectoryStore
import XCTest

/// Runs the real `stemtrack` executable for the daemon's process-level tests.
enum DaemonProcess {
    /// The `stemtrack` executable built next to the test bundle.
    static func executable() throws -> String {
        let starts = [Bundle.main.bundlePath, CommandLine.arguments[0]] + Bundle.allBundles.map(\.bundlePath)
        for start in starts {
            var dir = URL(fileURLWithPath: start)
            for _ in 0..<3 {
                let candidate = dir.appendingPathComponent("stemtrack").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                dir = dir.deletingLastPathComponent()
            }
        }
        XCTFail("stemtrack executable not found next to the tests (build with `swift build --build-tests`)")
        throw CocoaError(.fileNoSuchFile)
    }

    /// A started process with its standard error collected in a file.
    final class Running {
        let process: Process
        let log: String
        init(process: Process, log: String) { self.process = process; self.log = log }
        var stderr: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        var pid: Int32 { process.processIdentifier }
        func stop(_ signal: Int32 = SIGTERM, timeout: Double = 30) -> Int32 {
            if process.isRunning { kill(process.processIdentifier, signal) }
            let t0 = Date()
            while process.isRunning && Date().timeIntervalSince(t0) < timeout { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
            return process.terminationStatus
        }
        /// Waits until `condition` holds or `timeout` passes; returns whether it held.
        @discardableResult
        func wait(timeout: Double, _ condition: () -> Bool) -> Bool {
            let t0 = Date()
            while !condition() {
                if Date().timeIntervalSince(t0) > timeout { return false }
                usleep(50_000)
            }
            return true
        }
    }

    /// Starts `stemtrack ARGS` with extra environment variables; `shellPrefix` (e.g. "ulimit -n
    /// 1024;") runs the executable through /bin/sh.
    static func start(_ arguments: [String], environment: [String: String] = [:], log: String,
                      shellPrefix: String? = nil) throws -> Running {
        let p = Process()
        let exe = try executable()
        if let shellPrefix {
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            let quoted = ([exe] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            p.arguments = ["-c", shellPrefix + " exec " + quoted.joined(separator: " ")]
        } else {
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: log)
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        return Running(process: p, log: log)
    }

    /// Runs `stemtrack ARGS` to completion; returns the exit status and standard error.
    static func run(_ arguments: [String], environment: [String: String] = [:], log: String,
                    timeout: Double = 120) throws -> (status: Int32, stderr: String) {
        let r = try start(arguments, environment: environment, log: log)
        let t0 = Date()
        while r.process.isRunning && Date().timeIntervalSince(t0) < timeout { usleep(20_000) }
        if r.process.isRunning { kill(r.pid, SIGKILL); r.process.waitUntilExit(); XCTFail("stemtrack \(arguments) timed out") }
        return (r.process.terminationStatus, r.stderr)
    }

    /// Frames in a store (0 when it is not there yet), read without taking the daemon's lock.
    static func frames(_ db: String) -> [FrameRecord] {
        guard FileManager.default.fileExists(atPath: db), let r = try? StoreReader(path: db) else { return [] }
        return (try? r.frames()) ?? []
    }
}

/// Small simulated frames and damaged variants of them.
/// The servers `deploy/test.sh` starts for the process-level tests; a test without them fails
/// (with the reason), it is never skipped.
enum TestServers {
    struct Missing: Error {}

    /// `STEMTRACK_TEST_POSTGRES`, the URL of the test PostgreSQL cluster.
    static func postgresURL(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        guard let u = ProcessInfo.processInfo.environment["STEMTRACK_TEST_POSTGRES"], !u.isEmpty else {
            XCTFail("STEMTRACK_TEST_POSTGRES is not set: run the tests with deploy/test.sh, which starts PostgreSQL",
                    file: file, line: line)
            throw Missing()
        }
        return u
    }
}

enum TestFrames {
    static func simulator(frames: Int = 12, seed: UInt64 = 21) throws -> SeriesSimulator {
        var s = SimulationSettings()
        s.seed = seed
        s.frameCount = frames
        s.width = 96; s.height = 96
        s.shape = .sphere(radius: 6)
        return try SeriesSimulator(s)
    }

    /// Sets a SHORT or LONG tag's value in place in the first IFD of a little-endian classic TIFF.
    static func patchTag(_ data: inout [UInt8], tag: UInt16, value: UInt32) {
        func u16(_ o: Int) -> Int { Int(data[o]) | Int(data[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        precondition(data[0] == 0x49 && data[2] == 42, "little-endian classic TIFF expected")
        let ifd = u32(4)
        for e in 0..<u16(ifd) {
            let at = ifd + 2 + 12 * e
            guard u16(at) == Int(tag) else { continue }
            let type = u16(at + 2)
            if type == 3 {
                data[at + 8] = UInt8(value & 0xFF); data[at + 9] = UInt8(value >> 8 & 0xFF)
                data[at + 10] = 0; data[at + 11] = 0
            } else {
                for k in 0..<4 { data[at + 8 + k] = UInt8(value >> (8 * UInt32(k)) & 0xFF) }
            }
            return
        }
        preconditionFailure("tag \(tag) not in the first IFD")
    }

    static func bytes(_ frames: [Frame], options: TIFFWriter.Options = .init()) throws -> [UInt8] {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-\(UUID().uuidString).tif").path
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try TIFFWriter.write(frames, to: tmp, options: options)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: tmp)))
    }
}

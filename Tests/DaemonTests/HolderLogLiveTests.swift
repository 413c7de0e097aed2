import Foundation
import Simulation
import TIFFFrame
import TrajectoryStore
import XCTest

/// The holder log followed live: frames land at 2 per second while another writer appends a Protochips log
/// at 10 Hz, 3 s behind the frames, ramping 300 → 500 °C; frames stored before their log line
/// existed get their temperature when the log catches up, across a SIGKILL and restart.
final class HolderLogLiveTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-holder-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/acq", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func testLaggingLogFillsInEveryFrame() throws {
        let acq = root + "/acq", db = root + "/live.sqlite", logPath = root + "/heating.csv"
        let t0 = Date().timeIntervalSince1970
        let duration = 12.0
        @Sendable func ramp(_ t: Double) -> Double { 300 + 200 * min(1, max(0, (t - t0) / duration)) }
        // A Protochips log (Fusion/AXON CSV): elapsed milliseconds from the start in its header.
        let logStart = (t0 - 5).rounded(.down)
        @Sendable func line(_ t: Double) -> String {
            String(format: "%.0f, , %.4f, %.8f\n", (t - logStart) * 1000, ramp(t), 0.01 + 1e-5 * (ramp(t) - 300))
        }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: logStart))
        var text = "Time, Notes, Channel A Temperature, Channel B Current\n"
        text += String(format: "0, Date (yyyy.mm.dd) = %04d.%02d.%02d, 0, 0\n", c.year!, c.month!, c.day!)
        text += String(format: "0, Time (hh:mm:ss.ms) = %02d:%02d:%02d.000, 0, 0\n", c.hour!, c.minute!, c.second!)
        text += "0, Time units = Milliseconds, 0, 0\n0, Temperature units = Degrees C, 0, 0\n0, Current units = Amps, 0, 0\n"
        // The log's samples start 5 s before the frames; the writer stays 3 s behind the wall clock.
        var next = logStart
        while next <= t0 - 3 { text += line(next); next += 0.1 }
        try text.write(toFile: logPath, atomically: false, encoding: .utf8)
        let stop = LockedFlag()
        let writer = Thread { [next] in
            var t = next
            let h = FileHandle(forWritingAtPath: logPath)!
            h.seekToEndOfFile()
            while !stop.value {
                let wall = Date().timeIntervalSince1970
                while t <= wall - 3 { h.write(Data(line(t).utf8)); t += 0.1 }
                Thread.sleep(forTimeInterval: 0.1)
            }
            try? h.close()
        }
        writer.start()
        defer { stop.set() }

        var daemon = try DaemonProcess.start(["watch", acq, "--db", db, "--quiet-period", "1", "--temperature-log", logPath],
                                             log: root + "/d1.log")
        XCTAssertTrue(daemon.wait(timeout: 30) { daemon.stderr.contains("ready") }, daemon.stderr)
        var s = SimulationSettings()
        s.seed = 5
        s.frameCount = 24
        s.width = 96; s.height = 96
        s.shape = .sphere(radius: 7)
        let sim = try SeriesSimulator(s)
        for i in 0..<24 {
            let start = Date()
            let name = String(format: "frame_%05d.tif", i)
            try TIFFWriter.write([sim.frame(i).frame], to: acq + "/." + name)
            try FileManager.default.moveItem(atPath: acq + "/." + name, toPath: acq + "/" + name)
            if i == 11 {   // killed in the middle, restarted
                kill(daemon.pid, SIGKILL)
                daemon.process.waitUntilExit()
                daemon = try DaemonProcess.start(["watch", acq, "--db", db, "--quiet-period", "1", "--temperature-log", logPath],
                                                 log: root + "/d2.log")
            }
            Thread.sleep(forTimeInterval: max(0, 0.5 - Date().timeIntervalSince(start)))
        }
        let complete = daemon.wait(timeout: 60) {
            let f = DaemonProcess.frames(db)
            return f.count == 24 && f.allSatisfy { $0.temperature != nil }
        }
        stop.set()
        XCTAssertTrue(complete, "every frame stored and given a temperature: \(DaemonProcess.frames(db).map { $0.temperature as Any })")
        XCTAssertEqual(daemon.stop(), 0)
        let frames = DaemonProcess.frames(db)
        XCTAssertEqual(frames.count, 24, "nothing lost or doubled")
        var filled = 0
        for f in frames {
            let t = try XCTUnwrap(f.acquiredAt)
            XCTAssertEqual(try XCTUnwrap(f.temperature), ramp(t), accuracy: 0.5, "frame \(f.frame)")
            XCTAssertTrue(f.temperatureSource?.hasPrefix(logPath + " sample ") ?? false, f.temperatureSource ?? "no source")
            let holder = try XCTUnwrap(f.holder.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Double] })
            XCTAssertEqual(try XCTUnwrap(holder["Channel B Current (Amps)"]), 0.01 + 1e-5 * (ramp(t) - 300), accuracy: 1e-6,
                           "every channel kept: \(holder)")
            if f.temperatureFilledAt != nil { filled += 1 }
        }
        XCTAssertGreaterThan(filled, 12, "frames stored before their log line existed were filled in later")
        print("holder log 3 s behind: \(frames.count) frames, \(filled) filled in after they were stored, all within 0.5 °C")
    }
}

private final class LockedFlag: @unchecked Sendable {
    private var flag = false
    private let lock = NSLock()
    var value: Bool { lock.withLock { flag } }
    func set() { lock.withLock { flag = true } }
}

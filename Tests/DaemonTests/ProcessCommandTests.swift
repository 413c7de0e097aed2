import Analysis
import Foundation
import GRDB
import Simulation
import TIFFFrame
import TrajectoryStore
import XCTest

/// `process` (an archive) against `watch` (live) on the same frames, `track`'s files against
/// `export`, the recorded settings, and what a start does with a saved state it cannot continue.
final class ProcessCommandTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-process-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/acq", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    /// Writes frames `range` of a series (96² px unless `size`, drift, hops) into acq/.
    private func writeFrames(_ range: Range<Int>, total: Int = 30, size: Int = 96) throws {
        var s = SimulationSettings()
        s.seed = 31
        s.frameCount = total
        s.width = size; s.height = size
        s.shape = .sphere(radius: 7)
        s.hopping = SurfaceHopModel(probability: 0.05)
        let sim = try SeriesSimulator(s)
        for i in range { try TIFFWriter.write([sim.frame(i).frame], to: root + String(format: "/acq/frame_%05d.tif", i)) }
    }

    private func run(_ args: [String], _ name: String) throws -> (status: Int32, stderr: String) {
        try DaemonProcess.run(args, log: root + "/\(name).log", timeout: 300)
    }

    /// Everything a store holds about the analysis, in a comparable form.
    private func contents(_ db: String) throws -> (columns: [[ColumnRecord]], events: [EventRecord], facets: [FacetRecord],
                                                   particles: [ParticleRecord], tracks: [TrackRecord], frames: [String]) {
        let r = try StoreReader(path: db)
        let frames = try r.frames()
        return (try frames.map { try r.columns(frame: $0.frame) }, try r.events(), try r.facets(), try r.particles(),
                try r.tracks(), frames.map { "\($0.frame) \($0.path) \($0.status) \($0.modelID ?? "") \($0.driftX ?? .nan)" })
    }

    func testProcessAndWatchStoreTheSameRows() throws {
        try writeFrames(0..<30)
        let acq = root + "/acq"
        let p = try run(["process", acq, "--db", root + "/p.sqlite"], "process")
        XCTAssertEqual(p.status, 0, p.stderr)
        // Live: watch stops after the 30 frames (its last counts still provisional), then
        // `process` on its store finds nothing new and only makes them final.
        let w = try run(["watch", acq, "--db", root + "/w.sqlite", "--stop-after", "30"], "watch")
        XCTAssertEqual(w.status, 0, w.stderr)
        let provisional = try contents(root + "/w.sqlite").columns.flatMap { $0 }.filter { !$0.countFinal }.count
        XCTAssertGreaterThan(provisional, 0, "the last frames' counts are provisional while the run may continue")
        let f = try run(["process", acq, "--db", root + "/w.sqlite"], "finalise")
        XCTAssertEqual(f.status, 0, f.stderr)
        let a = try contents(root + "/p.sqlite"), b = try contents(root + "/w.sqlite")
        XCTAssertEqual(a.frames.count, 30)
        XCTAssertEqual(a.frames, b.frames)
        XCTAssertEqual(a.columns, b.columns)
        XCTAssertEqual(a.events, b.events)
        XCTAssertEqual(a.facets, b.facets)
        XCTAssertEqual(a.particles, b.particles)
        XCTAssertEqual(a.tracks, b.tracks)
        let columns = a.columns.flatMap { $0 }
        XCTAssertTrue(columns.allSatisfy(\.countFinal), "every count final after process")
        XCTAssertGreaterThan(columns.filter { $0.count != nil }.count, 500)
        XCTAssertGreaterThan(a.events.filter { $0.kind == "count_change" }.count, 0)
        XCTAssertGreaterThan(a.facets.count, 0)

        // `track` writes what `export` writes of the same analysis.
        let t = try run(["track", acq, "--out", root + "/t"], "track")
        XCTAssertEqual(t.status, 0, t.stderr)
        for (kind, file) in [("columns", "tracks.csv"), ("events", "events.csv")] {
            let e = try run(["export", kind, "--db", root + "/p.sqlite", "-o", root + "/export-\(kind).csv"], "export-\(kind)")
            XCTAssertEqual(e.status, 0, e.stderr)
            let exported = try String(contentsOfFile: root + "/export-\(kind).csv", encoding: .utf8)
            let tracked = try String(contentsOfFile: root + "/t/" + file, encoding: .utf8)
            XCTAssertEqual(tracked, exported, "\(file) equals export \(kind)")
            XCTAssertGreaterThan(exported.split(separator: "\n").count, 10)
        }
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/t/summary.json"))) as? [String: Any]
        XCTAssertEqual(summary?["frames_ok"] as? Int, 30)
    }

    /// `process` killed (SIGKILL) in the middle and run again ends with the same store as an
    /// uninterrupted run: nothing lost, nothing doubled, counts revised across the restart.
    func testProcessResumesAfterAKill() throws {
        try writeFrames(0..<80, total: 80, size: 160)
        let acq = root + "/acq", db = root + "/k.sqlite"
        let first = try DaemonProcess.start(["process", acq, "--db", db], log: root + "/killed.log")
        XCTAssertTrue(first.wait(timeout: 120) { DaemonProcess.frames(db).count >= 20 }, first.stderr)
        kill(first.pid, SIGKILL)
        first.process.waitUntilExit()
        let stored = DaemonProcess.frames(db).count
        XCTAssertLessThan(stored, 80, "killed before the end (\(stored) frames stored)")
        let again = try run(["process", acq, "--db", db], "resumed")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try run(["process", acq, "--db", root + "/clean.sqlite"], "clean").status, 0)
        let a = try contents(db), b = try contents(root + "/clean.sqlite")
        XCTAssertEqual(a.frames.count, 80)
        XCTAssertEqual(a.frames.map { $0.split(separator: " ").dropLast().joined(separator: " ") },
                       b.frames.map { $0.split(separator: " ").dropLast().joined(separator: " ") })
        XCTAssertEqual(a.columns, b.columns)
        XCTAssertEqual(a.tracks, b.tracks)
        XCTAssertEqual(a.facets, b.facets)
        XCTAssertEqual(a.events.map { "\($0.frame) \($0.kind) \($0.track ?? -1) \($0.before ?? -1) \($0.after ?? -1)" },
                       b.events.map { "\($0.frame) \($0.kind) \($0.track ?? -1) \($0.before ?? -1) \($0.after ?? -1)" })
    }

    /// `runs.settings` is JSON naming every analysis setting (unset ones as null) and the version;
    /// a setting changed on resume is reported by name with its old and new value.
    func testSettingsRecordedAndChangesReported() throws {
        try writeFrames(0..<4)
        let acq = root + "/acq", db = root + "/s.sqlite"
        XCTAssertEqual(try run(["process", acq, "--db", db], "first").status, 0)
        let runs = try StoreReader(path: db).sessions()
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(runs[0].settings.utf8)) as? [String: Any])
        XCTAssertEqual(json["software_version"] as? String, StemTrackVersion.string)
        let analysis = try XCTUnwrap(json["analysis"] as? [String: Any])
        let stored = SettingsKeys.flatten(analysis)
        let expected = Set(AnalysisSettings().flattened.map(\.key))
        XCTAssertEqual(Set(stored.keys), expected, "every setting named")
        XCTAssertGreaterThan(expected.count, 30)
        XCTAssertEqual(stored["smoothing.lag"], "5")
        XCTAssertEqual(stored["fit.expectedWidth"], "null")
        XCTAssertEqual(stored["fit.estimator"], "\"ls\"")

        try writeFrames(4..<6)
        let second = try run(["process", acq, "--db", db, "--smoothing-lag", "3", "--set", "fit.maxIterations=60"], "second")
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stderr.contains("settings changed"), second.stderr)
        XCTAssertTrue(second.stderr.contains("smoothing.lag: 5 → 3"), second.stderr)
        XCTAssertTrue(second.stderr.contains("fit.maxIterations: 100 → 60"), second.stderr)
        XCTAssertEqual(DaemonProcess.frames(db).count, 6)

        let bad = try run(["process", acq, "--db", db, "--set", "smoothing.lagg=3"], "bad")
        XCTAssertEqual(bad.status, 78)
        XCTAssertTrue(bad.stderr.contains("unknown setting 'smoothing.lagg'"), bad.stderr)
        let badValue = try run(["process", acq, "--db", db, "--set", "smoothing.lag=many"], "bad-value")
        XCTAssertEqual(badValue.status, 78)
        XCTAssertTrue(badValue.stderr.contains("not a valid value for smoothing.lag"), badValue.stderr)
    }

    /// A saved state that does not decode: the start is refused (exit 78) with the reason, and
    /// nothing is written; never a silent fresh start (which would reuse track ids).
    func testUndecodableStateRefusesTheStart() throws {
        try writeFrames(0..<4)
        let acq = root + "/acq", db = root + "/c.sqlite"
        XCTAssertEqual(try run(["process", acq, "--db", db], "first").status, 0)
        let queue = try DatabaseQueue(path: db)
        try queue.write { try $0.execute(sql: "UPDATE resume_state SET state = X'7B22626164223A317D'") }   // {"bad":1}
        try queue.close()
        try writeFrames(4..<6)
        let r = try run(["watch", acq, "--db", db, "--stop-after", "2"], "corrupt")
        XCTAssertEqual(r.status, 78, r.stderr)
        XCTAssertTrue(r.stderr.contains("cannot be read"), r.stderr)
        XCTAssertTrue(r.stderr.contains("new database"), r.stderr)
        XCTAssertEqual(DaemonProcess.frames(db).count, 4, "nothing written")
    }
}

/// Dotted keys of a JSON object's leaves.
enum SettingsKeys {
    static func flatten(_ object: [String: Any]) -> [String: String] {
        var out: [String: String] = [:]
        func walk(_ v: Any, _ prefix: String) {
            if let d = v as? [String: Any], !d.isEmpty {
                for (k, x) in d { walk(x, prefix.isEmpty ? k : prefix + "." + k) }
            } else if v is NSNull {
                out[prefix] = "null"
            } else if let data = try? JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed, .sortedKeys]) {
                out[prefix] = String(decoding: data, as: UTF8.self)
            }
        }
        walk(object, "")
        return out
    }
}

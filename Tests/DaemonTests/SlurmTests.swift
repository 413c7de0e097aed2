import Foundation
import PostgresStore
import Simulation
import TIFFFrame
import TrajectoryStore
import XCTest

/// `process --slurm` with real processes on the single-node Slurm cluster and the PostgreSQL
/// server that `deploy/test.sh` starts (`SLURM_CONF`, `STEMTRACK_TEST_POSTGRES`); without them
/// these tests fail, they are not skipped.
final class SlurmTests: XCTestCase {
    private var root = ""
    private var url = ""
    private let tag = String(UUID().uuidString.prefix(8)).lowercased()

    override func setUpWithError() throws {
        url = try TestServers.postgresURL()
        guard let conf = ProcessInfo.processInfo.environment["SLURM_CONF"], FileManager.default.fileExists(atPath: conf) else {
            XCTFail("SLURM_CONF is not set: run the tests with deploy/test.sh, which starts a single-node Slurm cluster")
            throw TestServers.Missing()
        }
        root = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-slurm-\(tag)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    /// A simulated archive of `frames` frames and one damaged file among them.
    private func archive(frames: Int) throws -> String {
        let dir = root + "/archive"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let sim = try TestFrames.simulator(frames: frames, seed: 71)
        for k in 0..<frames {
            try TIFFWriter.write([sim.frame(k).frame], to: dir + String(format: "/frame_%05d.tif", k))
        }
        // A damaged file in the middle of the series: a failed frame, in both ways of processing.
        try Data("II*\0not a real TIFF".utf8).write(to: URL(fileURLWithPath: dir + "/frame_00077b.tif"))
        return dir
    }

    private func stemtrack(_ args: [String], environment: [String: String] = [:], _ what: String,
                           timeout: Double = 600) throws -> String {
        let log = root + "/\(what).log"
        let r = try DaemonProcess.run(args, environment: environment, log: log, timeout: timeout)
        XCTAssertEqual(r.status, 0, "\(what): \(r.stderr.suffix(2000))")
        return r.stderr
    }

    /// What a run holds, as users read it: the CSV exports and queries (timing columns removed).
    private func contents(run: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for what in ["columns", "events", "facets"] {
            let file = root + "/\(run)-\(what).csv"
            _ = try stemtrack(["export", what, "--db", url, "--instrument", "sim-\(tag)", "--run", run, "--format", "csv", "-o", file],
                              "export-\(run)-\(what)")
            out[what] = try String(contentsOfFile: file, encoding: .utf8)
        }
        for what in ["frames", "tracks", "particles", "summary"] {
            let file = root + "/\(run)-\(what).csv"
            _ = try stemtrack(["query", what, "--db", url, "--instrument", "sim-\(tag)", "--run", run, "--format", "csv", "-o", file],
                              "query-\(run)-\(what)")
            let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false) else { continue }
            // Measured times differ between any two runs; everything else must not.
            let keep = header.indices.filter { !header[$0].hasPrefix("t_") }
            out[what] = lines.map { line in
                let cells = line.split(separator: ",", omittingEmptySubsequences: false)
                return keep.map { $0 < cells.count ? String(cells[$0]) : "" }.joined(separator: ",")
            }.joined(separator: "\n")
        }
        return out
    }

    private func assertSame(_ a: [String: String], _ b: [String: String], _ what: String, line: UInt = #line) {
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted(), line: line)
        for k in a.keys.sorted() {
            let x = a[k] ?? "", y = b[k] ?? ""
            XCTAssertGreaterThan(x.split(separator: "\n").count, 1, "\(what): \(k) is empty", line: line)
            if x != y {
                let lx = x.split(separator: "\n"), ly = y.split(separator: "\n")
                let first = Array(zip(lx, ly)).firstIndex { $0.0 != $0.1 } ?? min(lx.count, ly.count)
                XCTFail("\(what): \(k) differs (\(lx.count) vs \(ly.count) lines; first at line \(first): "
                        + "\(first < lx.count ? String(lx[first]) : "-") | \(first < ly.count ? String(ly[first]) : "-"))", line: line)
            }
        }
    }

    /// 200 frames (and a damaged file) as 8 shards through Slurm: the same stored rows as `process`
    /// on one machine; then again with one shard's task failing once, retried by --wait: the same.
    func testShardedArchiveEqualsOneMachineAndSurvivesAFailedShard() throws {
        let dir = try archive(frames: 200)
        let instrument = "sim-\(tag)"
        _ = try stemtrack(["process", dir, "--db", url, "--instrument", instrument, "--run", "single", "--pixel-size", "0.2"],
                          "single")
        let single = try contents(run: "single")
        XCTAssertTrue(single["frames"]?.contains("failed") == true, "the damaged file is a failed frame")

        _ = try stemtrack(["process", dir, "--db", url, "--instrument", instrument, "--run", "sharded", "--pixel-size", "0.2",
                           "--slurm", "--shards", "8", "--wait", "--scripts", root + "/jobs-sharded"], "sharded")
        assertSame(single, try contents(run: "sharded"), "8 shards")
        let shards = try stemtrack(["query", "shards", "--db", url, "--instrument", instrument, "--run", "sharded", "--format", "csv",
                                    "-o", root + "/shards.csv"], "shards")
        _ = shards
        let table = try String(contentsOfFile: root + "/shards.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(table.count, 9, "a header and 8 shards")
        XCTAssertEqual(table.dropFirst().filter { $0.contains(",done,") }.count, 8)
        // The run list (`/api/runs`, the live page) shows the shards' progress from the store.
        let listed = try PostgresBackend.backends.openCatalogue(try StoreLocation(parsing: url)).runs()
            .first { $0.instrument == instrument && $0.name == "sharded" }
        XCTAssertEqual(listed?.shards, RunSummary.ShardProgress(total: 8, done: 8, running: 0, failed: 0, framesFitted: 200))
        XCTAssertEqual(listed?.frames, 201, "200 frames and the damaged file")

        let marker = root + "/failed-once"
        _ = try stemtrack(["process", dir, "--db", url, "--instrument", instrument, "--run", "retried", "--pixel-size", "0.2",
                           "--slurm", "--shards", "8", "--wait", "--scripts", root + "/jobs-retried"],
                          environment: ["STEMTRACK_TEST_FAIL_SHARD": "3:\(marker)"], "retried")
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker), "shard 3 failed once")
        _ = try stemtrack(["query", "shards", "--db", url, "--instrument", instrument, "--run", "retried", "--format", "csv",
                           "-o", root + "/retried.csv"], "retried-shards")
        let retried = try String(contentsOfFile: root + "/retried.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(retried.filter { $0.hasPrefix("3,") && $0.contains(",done,2,") }.count, 1, "shard 3 done at the second attempt: \(retried)")
        // Only the failed shard was submitted again.
        XCTAssertEqual(retried.filter { !$0.hasPrefix("3,") && $0.contains(",done,1,") }.count, 7, "\(retried)")
        assertSame(single, try contents(run: "retried"), "a failed shard retried")
    }

    /// `--dry-run` writes both job scripts with the site options and submits nothing.
    func testDryRunWritesTheJobScripts() throws {
        let dir = root + "/small"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var s = SimulationSettings()
        s.frameCount = 6; s.width = 64; s.height = 64; s.shape = .sphere(radius: 4)
        let sim = try SeriesSimulator(s)
        for k in 0..<6 { try TIFFWriter.write([sim.frame(k).frame], to: dir + String(format: "/f_%02d.tif", k)) }
        let jobs = root + "/jobs"
        _ = try stemtrack(["process", dir, "--db", url, "--instrument", "sim-\(tag)", "--run", "dry", "--slurm", "--shards", "4",
                           "--dry-run", "--partition", "short", "--account", "lab7", "--time-limit", "0:30:00", "--cpus-per-task", "2",
                           "--mem", "3G", "--throttle", "2", "--sbatch-arg=--qos=low", "--scripts", jobs], "dry-run")
        let fit = try String(contentsOfFile: jobs + "/fit.sbatch", encoding: .utf8)
        let assemble = try String(contentsOfFile: jobs + "/assemble.sbatch", encoding: .utf8)
        for line in ["#SBATCH --partition=short", "#SBATCH --account=lab7", "#SBATCH --time=0:30:00", "#SBATCH --cpus-per-task=2",
                     "#SBATCH --mem=3G", "#SBATCH --qos=low"] {
            XCTAssertTrue(fit.contains(line + "\n"), "fit.sbatch lacks \(line)")
            XCTAssertTrue(assemble.contains(line + "\n"), "assemble.sbatch lacks \(line)")
        }
        XCTAssertTrue(fit.contains("--shard-task \"$SLURM_ARRAY_TASK_ID\""))
        XCTAssertTrue(assemble.contains("--from-shards"))
        XCTAssertFalse(fit.contains("--dry-run") || fit.contains("--throttle") || fit.contains("--slurm'"), fit)
        XCTAssertTrue(fit.contains("'--instrument' 'sim-\(tag)' '--run' 'dry'"), fit)
        // Planned, not run: four shards of the six files.
        _ = try stemtrack(["query", "shards", "--db", url, "--instrument", "sim-\(tag)", "--run", "dry", "--format", "csv",
                           "-o", root + "/dry.csv"], "dry-shards")
        let rows = try String(contentsOfFile: root + "/dry.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.map { $0.split(separator: ",", omittingEmptySubsequences: false)[1] }, ["1", "2", "1", "2"])
        XCTAssertEqual(rows.filter { $0.contains(",planned,0,") }.count, 4)
    }
}

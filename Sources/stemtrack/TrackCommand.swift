import ArgumentParser
import Daemon
import Foundation
import StorePresentation
import TrajectoryStore

/// `stemtrack track`: a whole series analysed as `process` does, written out as CSV and JSON.
struct Track: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit, count and link the columns of a series; write tracks, events and drift.",
        discussion: """
            Input: a directory (its frame files in natural order: frame_9 before frame_10) or files of \
            one directory. The series is analysed exactly as 'stemtrack process' does (fit, pooled \
            mixture counting, registration and linking with gap closing, hidden-Markov smoothing of the \
            counts along each track, events from the smoothed counts, particles and facets) into the \
            store --db (default OUT/stemtrack.sqlite; an existing store is continued, not repeated), \
            then written to --out:
              tracks.csv   the columns, as 'stemtrack export columns' writes them (count = smoothed \
            count, raw_count = the counting model's)
              events.csv   as 'stemtrack export events' (appear, vanish, count_change, hop, merge, split, facets)
              drift.csv    frame,file,drift_x,drift_y,rotation_deg,scale,columns,model (cumulative drift, px; \
            rotation and scale relative to the first frame)
              summary.json frames, failures, tracks, events by kind, counting models, settings
            Frames that cannot be read or fitted are kept as failed frames (listed in summary.json). \
            Options as for 'stemtrack process'. Example:
              stemtrack track /data/series --pixel-size 0.2 --out /data/series-tracks
            """)

    @OptionGroup var options: DaemonOptions

    @Argument(help: "More frame files (with the first argument: files in one directory).")
    var files: [String] = []

    @Option(help: "Output directory (created if missing).")
    var out: String = "stemtrack-track"

    func run() async throws {
        var c: WatchConfiguration
        do { c = try options.configuration() } catch { throw configurationFailure("\(error)") }
        if options.analysis.showSettings { try options.analysis.printSettings(c); return }
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw RuntimeError("\(out): cannot create the output directory (\(error.localizedDescription))")
        }
        let db = c.database ?? (out as NSString).appendingPathComponent("stemtrack.sqlite")
        c.database = db
        try await ProcessCommand.analyse(c, inputs: [c.directory] + files)
        let location = try Stores.location(db)
        if case .sqlite(let path) = location, !FileManager.default.fileExists(atPath: path) {
            throw RuntimeError("no frames were analysed")
        }
        // A PostgreSQL store holds many runs: this one.
        let key = c.runKey
        let run = location.isPostgres ? ["--run", key.name, "--instrument", key.instrument] : []
        let dir = URL(fileURLWithPath: out)
        let columns = try ExportCommand.Columns.parse(["--db", db, "-o", dir.appendingPathComponent("tracks.csv").path] + run)
        try columns.run()
        let events = try ExportCommand.Events.parse(["--db", db, "-o", dir.appendingPathComponent("events.csv").path] + run)
        try events.run()
        try writeDriftAndSummary(db: db, run: location.isPostgres ? key : nil, dir: dir)
    }

    private func writeDriftAndSummary(db: String, run: RunKey?, dir: URL) throws {
        let reader: any StoreQuerying
        do { reader = try Stores.reader(db, run: run?.name, instrument: run?.instrument) } catch { throw RuntimeError("\(db): \(error)") }
        let frames = try reader.frames()
        var drift = "frame,file,drift_x,drift_y,rotation_deg,scale,columns,model\n"
        func f(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "" }
        for fr in frames where fr.status == .ok {
            drift += [String(fr.frame), fr.path, f(fr.driftX), f(fr.driftY), f(fr.rotation), f(fr.scale), String(fr.columnCount),
                      fr.modelID ?? ""]
                .joined(separator: ",") + "\n"
        }
        let events = try reader.events(StoreFilter())
        var kinds: [String: Int] = [:]
        for e in events { kinds[e.kind, default: 0] += 1 }
        struct Summary: Encodable {
            var frames: Int
            var frames_ok: Int
            var failures: [[String: String]]
            var tracks: Int
            var events: [String: Int]
            var counting_models: [String]
            var settings: String?
        }
        let ok = frames.filter { $0.status == .ok }
        let summary = Summary(frames: frames.count, frames_ok: ok.count,
                              failures: frames.filter { $0.status == .failed }.map { ["frame": String($0.frame), "file": $0.path, "error": $0.error ?? ""] },
                              tracks: try reader.tracks().count, events: kinds,
                              counting_models: Array(Set(ok.compactMap(\.modelID))).sorted(),
                              settings: try reader.sessions().last?.settings)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try drift.write(to: dir.appendingPathComponent("drift.csv"), atomically: true, encoding: .utf8)
            try (String(decoding: try enc.encode(summary), as: UTF8.self) + "\n")
                .write(to: dir.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
        } catch {
            throw RuntimeError("\(out): cannot write the results (\(error.localizedDescription))")
        }
        FileHandle.standardError.write(Data(("\(ok.count) frames (\(frames.count - ok.count) failed), events: "
            + kinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            + "; written to \(out)\n").utf8))
    }
}

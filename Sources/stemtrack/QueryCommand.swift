import ArgumentParser
import Foundation
#if PostgreSQL
import PostgresStore
#endif
import StorePresentation
import TrajectoryStore

/// `stemtrack query`: read-only questions to a trajectory store, during or after an experiment.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Query a trajectory store (read-only; safe while the pipeline is writing it).",
        discussion: """
            Frames are numbered by acquisition order from 0. Ranges are A:B (inclusive), A: or :B \
            (open), or a single value. Times are seconds since the first acquired frame, or ISO 8601 \
            instants (2025-06-15T22:10:00Z). Temperatures in °C; regions x0,y0,x1,y1 in pixels. \
            Output: an aligned table (default), CSV or JSON. Examples:
              stemtrack query summary --db run.sqlite --frames 10000:20000
              stemtrack query tracks --db run.sqlite --region 0,0,256,256 --min-observations 100
              stemtrack query track 42 --db run.sqlite --format csv
              stemtrack query events --db run.sqlite --type hop,merge --temperature 400:450
              stemtrack query facets --db run.sqlite --family {111} --temperature 300:400 --totals
              stemtrack query particles --db run.sqlite --format csv
            """,
        subcommands: [Runs.self, Shards.self, Summary.self, Frames.self, Tracks.self, TrackHistory.self, Events.self, Facets.self, Particles.self])

    /// The store, the frame selection and the output shared by every query.
    struct Common: ParsableArguments {
        @OptionGroup var selection: StoreSelection

        @Option(help: "Output format: table, csv or json.")
        var format: OutputFormat = .table

        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
        var output: String?

        func open() throws -> any StoreQuerying { try selection.open() }
        func filter(_ reader: any StoreQuerying) throws -> StoreFilter { try selection.filter(reader) }

        func emit(_ table: ResultTable) throws {
            try StoreOutput.write(table.render(format), to: output)
        }
    }

    struct Runs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The runs in the store (a SQLite file holds one; a PostgreSQL database one per instrument and run).",
            discussion: "Status: running (heartbeat within 30 s), stopped, or stale (no heartbeat for 30 s, not stopped).")

        @Option(help: "Trajectory store: a SQLite file, or a postgres:// URL.")
        var db: String

        @Option(help: "Output format: table, csv or json.")
        var format: OutputFormat = .table

        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
        var output: String?

        func run() throws {
            let catalogue = try Stores.catalogue(db)
            let runs: [RunSummary]
            do { runs = try catalogue.runs() } catch { throw StoreCommandError("\(catalogue.location): \(Stores.backends.describe(error))") }
            try StoreOutput.write(StoreTables.runs(runs).render(format), to: output)
        }
    }

    struct Shards: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The shards of a run processed with 'process --slurm': files, status, attempts, frames fitted, host, job, error.",
            discussion: "A shard that is not done is run again by submitting the same 'process --slurm' command.")

        @Option(help: "Trajectory store: a postgres:// URL.")
        var db: String

        @Option(help: "The microscope the run belongs to.")
        var instrument: String?

        @Option(name: .customLong("run"), help: "The run.")
        var runName: String

        @Option(help: "Output format: table, csv or json.")
        var format: OutputFormat = .table

        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
        var output: String?

        func run() throws {
            #if PostgreSQL
            guard case .postgres(let url) = try Stores.location(db) else {
                throw StoreCommandError("shards exist only in a PostgreSQL store (process --slurm --db postgres://…)")
            }
            let instrument = try self.instrument ?? Stores.catalogue(db).runs().filter { $0.name == runName }.map(\.instrument).first
                ?? ProcessInfo.processInfo.hostName
            let shards: [ShardRecord]
            do { shards = try PostgresShards(url: url, run: RunKey(instrument: instrument, name: runName)).shards() } catch {
                throw StoreCommandError("\(url): \(Stores.backends.describe(error))")
            }
            let done = shards.filter { $0.status == .done }
            if format == .table && output == nil {
                print("\(done.count) of \(shards.count) shards done, \(done.reduce(0) { $0 + ($1.frames ?? 0) }) frames fitted, "
                      + "\(done.reduce(0) { $0 + ($1.failedFrames ?? 0) }) fits failed")
            }
            try StoreOutput.write(SlurmProcessing.table(shards).render(format), to: output)
            #else
            throw StoreCommandError("this build has no PostgreSQL store")
            #endif
        }
    }

    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Frames, columns, atoms, mean cross-section, events and models over a selection of frames.",
            discussion: "Computed from per-frame aggregates: fast on any range, even of a 5·10⁷-column store.")

        @OptionGroup var common: Common

        func run() throws {
            let reader = try common.open()
            let summary = try reader.summary(try common.filter(reader))
            try common.emit(StoreTables.summary(summary))
        }
    }

    struct Frames: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One line per frame: time, temperature, status, columns, atoms, drift, timings, file, error.")

        @OptionGroup var common: Common

        @Option(help: "Only frames with this status: ok or failed.")
        var status: String?

        @Option(help: "At most this many frames.")
        var limit: Int?

        func run() throws {
            let reader = try common.open()
            var filter = try common.filter(reader)
            if let status {
                guard let s = FrameStatus(rawValue: status) else { throw ValidationError("--status must be ok or failed") }
                filter.status = s
            }
            filter.limit = limit
            try common.emit(StoreTables.frames(try reader.frames(filter), seriesStart: try reader.seriesStart()))
        }
    }

    struct Tracks: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Track summaries: first and last frame, observations, mean position, counts, cross-section.",
            discussion: """
                A track is listed when its first–last frames overlap the selected frames (time and \
                temperature ranges select the span of frames that match them) and its mean position is \
                inside --region.
                """)

        @OptionGroup var common: Common

        @Option(help: "Region x0,y0,x1,y1, px: tracks whose mean position is inside.")
        var region: String?

        @Option(help: "Only tracks observed in at least this many frames.")
        var minObservations: Int?

        @Option(help: "At most this many tracks.")
        var limit: Int?

        func run() throws {
            let reader = try common.open()
            var filter = try common.filter(reader)
            filter.region = try region.map(StoreRange.region)
            filter.minObservations = minObservations
            filter.limit = limit
            try common.emit(StoreTables.tracks(try reader.tracks(filter)))
        }
    }

    struct TrackHistory: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "track",
            abstract: "One track's full history: frame, time, position, count and cross-section in every frame.")

        @Argument(help: "Track id.")
        var id: Int

        @OptionGroup var common: Common

        func run() throws {
            guard common.selection.time == nil, common.selection.temperature == nil else {
                throw ValidationError("'query track' selects frames with --frames only")
            }
            let reader = try common.open()
            let range = try common.selection.frames.map { try StoreRange.ints($0, name: "--frames") }
            let points = try reader.track(id, frames: range, withTimes: true)
            guard !points.isEmpty else { throw StoreCommandError("no observations of track \(id)" + (range == nil ? "" : " in those frames")) }
            try common.emit(StoreTables.trackHistory(points, seriesStart: try reader.seriesStart()))
        }
    }

    struct Events: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Events (column: appear, vanish, count_change, hop, merge, split; facet: facet_appeared, …) with position, tracks and confidence.")

        @OptionGroup var common: Common

        @Option(help: "Event types, comma separated (appear, vanish, count_change, hop, merge, split, facet_appeared, facet_vanished, facet_grew, facet_shrank).")
        var type: [String] = []

        @Option(help: "Region x0,y0,x1,y1, px.")
        var region: String?

        @Option(help: "Only events involving this track.")
        var track: Int?

        @Option(help: "At most this many events.")
        var limit: Int?

        func run() throws {
            let reader = try common.open()
            var filter = try common.filter(reader)
            filter.kinds = StoreRange.list(type)
            filter.region = try region.map(StoreRange.region)
            filter.track = track
            filter.limit = limit
            try common.emit(StoreTables.events(try reader.events(filter), seriesStart: try reader.seriesStart()))
        }
    }

    struct Facets: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Facets per frame: plane family, end points, columns, length and direction.")

        @OptionGroup var common: Common

        @Option(help: "Plane families, comma separated, e.g. {111},{100}.")
        var family: [String] = []

        @Option(help: "Region x0,y0,x1,y1, px: facets whose midpoint is inside.")
        var region: String?

        @Option(help: "At most this many facets.")
        var limit: Int?

        @Flag(help: "One row per frame and family: number of facets, their columns and total length.")
        var totals = false

        func run() throws {
            let reader = try common.open()
            var filter = try common.filter(reader)
            filter.kinds = StoreRange.list(family)
            filter.region = try region.map(StoreRange.region)
            if !totals { filter.limit = limit }
            let facets = try reader.facets(filter)
            guard totals else { try common.emit(StoreTables.facets(facets)); return }
            var frameFilter = try common.filter(reader)
            frameFilter.limit = nil
            let temperature = Dictionary(try reader.frames(frameFilter).map { ($0.frame, $0.temperature) }, uniquingKeysWith: { a, _ in a })
            var groups: [String: (frame: Int, family: String, n: Int, columns: Int, length: Double)] = [:]
            for f in facets {
                let key = "\(f.frame) \(f.family ?? "")"
                var g = groups[key] ?? (f.frame, f.family ?? "", 0, 0, 0)
                g.n += 1; g.columns += f.columns ?? 0; g.length += f.length ?? 0
                groups[key] = g
            }
            let rows = groups.values.sorted { ($0.frame, $0.family) < ($1.frame, $1.family) }.prefix(limit ?? Int.max).map { g in
                [Cell.int(g.frame), Cell.number(temperature[g.frame] ?? nil, digits: 5), Cell.string(g.family), Cell.int(g.n),
                 Cell.int(g.columns), Cell.number(g.length, digits: 6)]
            }
            try common.emit(ResultTable(headers: ["frame", "temperature", "family", "facets", "columns", "length"], rows: Array(rows)))
        }
    }

    struct Particles: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Particles per frame: columns, surface columns, atoms, area, perimeter, centre, size and shape.")

        @OptionGroup var common: Common

        @Option(help: "At most this many rows.")
        var limit: Int?

        func run() throws {
            let reader = try common.open()
            var filter = try common.filter(reader)
            filter.limit = limit
            try common.emit(StoreTables.particles(try reader.particles(filter)))
        }
    }
}

/// The store and the frame selection of a query or export.
/// The store and the frames selected from it, for every command that reads a store.
struct StoreSelection: ParsableArguments {
    @Option(help: "Trajectory store: a SQLite file written by the pipeline, or a postgres:// URL (password from password_file=, PGPASSWORD or ~/.pgpass).")
    var db: String

    @Option(help: "The run to read, by name (a PostgreSQL store holds many; default: the most recently started).")
    var run: String?

    @Option(help: "The run's instrument, when several instruments have runs of that name.")
    var instrument: String?

    @Option(help: "Frames A:B, 0-based acquisition order, inclusive.")
    var frames: String?

    @Option(help: "Acquisition time A:B, seconds since the first frame or ISO 8601 instants.")
    var time: String?

    @Option(help: "Temperature A:B, °C.")
    var temperature: String?

    func open() throws -> any StoreQuerying { try Stores.reader(db, run: run, instrument: instrument) }

    /// The filter for the frame options (time ranges made absolute with the store's first frame).
    func filter(_ reader: any StoreQuerying) throws -> StoreFilter {
        var f = StoreFilter()
        if let frames { f.frames = try StoreRange.ints(frames, name: "--frames") }
        if let temperature { f.temperature = try StoreRange.doubles(temperature, name: "--temperature") }
        if let time { f.time = try StoreRange.times(time, seriesStart: try reader.seriesStart()) }
        return f
    }
}

extension OutputFormat: ExpressibleByArgument {}

struct StoreCommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The filter syntax of the module, with its errors as usage errors.
enum StoreRange {
    static func ints(_ text: String, name: String) throws -> ClosedRange<Int> {
        do { return try FilterSyntax.frames(text, name: name) } catch { throw ValidationError(error.description) }
    }

    static func doubles(_ text: String, name: String) throws -> ClosedRange<Double> {
        do { return try FilterSyntax.values(text, name: name) } catch { throw ValidationError(error.description) }
    }

    static func times(_ text: String, seriesStart: Double?) throws -> ClosedRange<Double> {
        do { return try FilterSyntax.times(text, seriesStart: seriesStart) } catch { throw ValidationError(error.description) }
    }

    static func region(_ text: String) throws -> Region {
        do { return try FilterSyntax.region(text) } catch { throw ValidationError(error.description) }
    }

    static func list(_ values: [String]) -> [String]? { FilterSyntax.list(values) }
}

/// Standard output or a file.
enum StoreOutput {
    static func write(_ text: String, to path: String?) throws {
        guard let path else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw StoreCommandError("\(path): cannot write (\(error.localizedDescription))")
        }
    }

    /// A sink for streamed output, and a function that closes it.
    static func sink(_ path: String?) throws -> (write: (String) throws -> Void, close: () throws -> Void) {
        guard let path else {
            return ({ FileHandle.standardOutput.write(Data($0.utf8)) }, {})
        }
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw StoreCommandError("\(path): cannot create the file")
        }
        return ({ try handle.write(contentsOf: Data($0.utf8)) }, { try handle.close() })
    }
}

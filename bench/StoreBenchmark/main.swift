// Trajectory store benchmark at overnight scale (issue 5): generated frames of fitted columns,
// written one transaction per frame as the pipeline does, then the two latency-critical queries.
//
//   swift build -c release --product stemtrack-store-bench
//   .build/release/stemtrack-store-bench                         # 50,000 frames × 1,000 columns
//   .build/release/stemtrack-store-bench --frames 2000 --columns 1000 --db /tmp/small.sqlite
//
// Prints a markdown table: ingest rate, bytes per column row (whole file after a WAL checkpoint,
// all tables and indexes), latency of one track's full history (a track spanning all frames) and
// of a frame-range summary, each the median of repeated queries on a fresh read-only connection.
import BenchSupport
import Foundation
import TrajectoryStore
import StemCore
#if canImport(PostgresStore)
import PostgresStore
#endif

struct Arguments {
    var frames = 50_000
    var columns = 1_000
    var db = "/tmp/stemtrack-store-bench.sqlite"
    var block = 32
    var repeats = 21
    var perColumnWidth = false
    var turnover = 0.005
    var keep = false
    var breakdown = false
    var reuse = false
    /// PostgreSQL: measure the queries on this existing run (instrument "bench") instead of writing one.
    var postgresRun: String?

    init() {
        var it = CommandLine.arguments.dropFirst().makeIterator()
        func value(_ name: String) -> String {
            guard let v = it.next() else { fail("\(name) needs a value") }
            return v
        }
        while let a = it.next() {
            switch a {
            case "--frames": frames = Int(value(a)) ?? frames
            case "--columns": columns = Int(value(a)) ?? columns
            case "--db": db = value(a)
            case "--block": block = Int(value(a)) ?? block
            case "--repeats": repeats = Int(value(a)) ?? repeats
            case "--turnover": turnover = Double(value(a)) ?? turnover
            case "--per-column-width": perColumnWidth = true
            case "--keep": keep = true
            case "--breakdown": breakdown = true
            case "--reuse": reuse = true; keep = true
            case "--reuse-run": postgresRun = value(a); reuse = true
            case "-h", "--help":
                print("""
                    usage: stemtrack-store-bench [--frames N] [--columns M] [--db PATH] [--block B] [--repeats R]
                                                 [--turnover P] [--per-column-width] [--breakdown] [--keep] [--reuse] [--reuse-run NAME]
                    defaults: 50000 frames × 1000 columns, /tmp/stemtrack-store-bench.sqlite, block 32,
                    21 repeats, track turnover 0.005 per column per frame; the file is deleted unless --keep.
                    --reuse: measure the queries on an existing file (kept) written by an earlier --keep run.
                    --reuse-run NAME: the same on an existing PostgreSQL run bench/NAME (as the table names it).
                    """)
                exit(0)
            default: fail("unknown argument \(a)")
            }
        }
        guard frames >= 10, columns >= 1, columns <= 16_384 else { fail("need --frames ≥ 10 and 1 ≤ --columns ≤ 16384") }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("stemtrack-store-bench: \(message)\n".utf8))
    exit(2)
}


func median(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count / 2] }

func ms(_ s: Double) -> String { String(format: "%.2f ms", s * 1000) }

func group(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, ch) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out += "," }
        out.append(ch)
    }
    return out
}

var args = Arguments()
// `--db postgres://…`: the same measurements on a PostgreSQL run (a new run per invocation),
// through the store protocol; readers open a new catalogue (a cold connection) per repetition.
let location = try StoreLocation(parsing: args.db)
let postgresRun = RunKey(instrument: "bench", name: args.postgresRun ?? "store-bench-\(Int(Date().timeIntervalSince1970))")
#if canImport(PostgresStore)
let backends = PostgresBackend.backends
#else
let backends = StoreBackends.sqliteOnly
#endif
if location.isPostgres && args.reuse && args.postgresRun == nil { fail("--reuse is for SQLite files; --reuse-run NAME for PostgreSQL") }
let reusing = args.reuse && (args.postgresRun != nil || FileManager.default.fileExists(atPath: args.db))
if !reusing && !location.isPostgres {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: args.db + suffix) }
}
@MainActor func openWriter() throws -> any StoreWriting {
    switch location {
    case .sqlite(let path): return try FrameStore(path: path, options: .init(trackIndexBlock: args.block))
    case .postgres(let url):
        #if canImport(PostgresStore)
        return try PostgresFrameStore(url: url, run: postgresRun, options: .init(trackIndexBlock: args.block))
        #else
        return try backends.openWriter(.postgres(url), run: postgresRun)
        #endif
    }
}
@MainActor func openReader() throws -> any StoreQuerying {
    switch location {
    case .sqlite(let path): return try StoreReader(path: path)
    case .postgres: return try backends.openCatalogue(location).reader(run: postgresRun.name, instrument: postgresRun.instrument)
    }
}


var writeSeconds = 0.0, wallSeconds = 0.0
if reusing {
    let existing = try openReader().summary()
    args.frames = existing.frames
    args.columns = existing.columns / max(1, existing.frames)
    log("stemtrack-store-bench: queries on the existing \(args.db) (\(group(args.frames)) frames × \(group(args.columns)) columns)")
} else {
    log("stemtrack-store-bench: \(group(args.frames)) frames × \(group(args.columns)) columns → \(args.db)")
    var generator = StoreSeries(columns: args.columns, turnover: args.turnover, perColumnWidth: args.perColumnWidth)
    let store = try openWriter()
    let run = try store.beginSession(SessionRecord(softwareVersion: "bench", settings: #"{"frames":\#(args.frames)}"#))
    let wallStart = now()
    var lastReport = wallStart
    for k in 0..<args.frames {
        let result = generator.frame(k)
        let t0 = now()
        try store.write(result, run: run.id!)
        writeSeconds += now() - t0
        if now() - lastReport > 10 || k == args.frames - 1 {
            lastReport = now()
            let rows = (k + 1) * args.columns
            log(String(format: "  frame %@ / %@: %@ rows, %.0f rows/s (write time), %.0f s elapsed",
                       group(k + 1), group(args.frames), group(rows), Double(rows) / writeSeconds, now() - wallStart))
        }
    }
    let t0 = now()
    try store.endSession(run.id!)
    writeSeconds += now() - t0
    wallSeconds = now() - wallStart
    log("  checkpoint…")
    try store.checkpoint(truncate: true)
}
let rows = args.frames * args.columns
var fileSize = (try? FileManager.default.attributesOfItem(atPath: args.db)[.size] as? Int) ?? 0
if location.isPostgres {
    // The run's share of every table and index: each table's pg_total_relation_size (with its
    // indexes) × this run's fraction of its rows.
    #if canImport(PostgresStore)
    if let reader = try openReader() as? PostgresReader { fileSize = try reader.spaceUsedByRun() }
    #endif
}

// Latencies. Each repetition opens a fresh read-only connection (cold SQLite page cache; the
// OS file cache is warm, as during an experiment) and runs each query twice: the first call
// ("cold connection") and the second ("warm"). Medians over the repetitions.
let lo = args.frames / 5, hi = 2 * args.frames / 5
var coldHistory: [Double] = [], warmHistory: [Double] = [], coldTimed: [Double] = [], warmTimed: [Double] = []
var coldSummary: [Double] = [], warmSummary: [Double] = []
var historyPoints = 0
var summary: StoreSummary?
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let t = now()
    let v = try body()
    return (v, now() - t)
}
for _ in 0..<args.repeats {
    var reader = try openReader()
    let (points, c1) = try timed { try reader.track(0) }
    let (_, w1) = try timed { try reader.track(0) }
    historyPoints = points.count
    coldHistory.append(c1); warmHistory.append(w1)
    reader = try openReader()
    let (_, c2) = try timed { try reader.track(0, withTimes: true) }
    let (_, w2) = try timed { try reader.track(0, withTimes: true) }
    coldTimed.append(c2); warmTimed.append(w2)
    reader = try openReader()
    let (s1, c3) = try timed { try reader.summary(StoreFilter(frames: lo...hi)) }
    let (_, w3) = try timed { try reader.summary(StoreFilter(frames: lo...hi)) }
    summary = s1
    coldSummary.append(c3); warmSummary.append(w3)
}
guard historyPoints == args.frames else { fail("track 0 has \(historyPoints) points, expected \(args.frames)") }
guard let summary, summary.columns == (hi - lo + 1) * args.columns else { fail("summary counted the wrong columns") }
func latency(_ cold: [Double], _ warm: [Double]) -> String {
    "\(ms(median(cold))) / \(ms(median(warm))) (max \(ms(cold.max()!)) / \(ms(warm.max()!)); first in the process \(ms(cold[0])))"
}

print("""

    | quantity | measured | target |
    |---|---|---|
    | frames × columns per frame | \(group(args.frames)) × \(group(args.columns)) (\(args.perColumnWidth ? "per-column" : "shared") width, track block \(args.block)) | |
    | column rows | \(group(rows)) | 5·10⁷ |
    | ingest rate, rows/s (time in `write`, one transaction per frame) | \(reusing ? "(reused file)" : group(Int(Double(rows) / writeSeconds))) | ≥ 200,000 |
    | ingest wall time incl. data generation | \(reusing ? "–" : String(format: "%.1f s", wallSeconds)) | |
    | store | \(location.isPostgres ? "PostgreSQL run \(postgresRun)" : "SQLite file") | |
    | \(location.isPostgres ? "run's share of all tables and indexes" : "file size after WAL checkpoint") | \(String(format: "%.1f MB", Double(fileSize) / 1e6)) | |
    | bytes per column row (whole file, all tables and indexes) | \(String(format: "%.1f", Double(fileSize) / Double(rows))) | ≤ 120 |
    | track history, \(group(historyPoints)) points (frame, idx, x, y, count, cross-section): cold connection / warm, median of \(args.repeats) | \(latency(coldHistory, warmHistory)) | ≤ 20 ms |
    | the same with each frame's acquisition time | \(latency(coldTimed, warmTimed)) | |
    | frame-range summary, frames \(group(lo))–\(group(hi)) (frames, columns, atoms, mean cross-section, events by kind, models): cold / warm | \(latency(coldSummary, warmSummary)) | ≤ 20 ms |

    """)

if args.breakdown {
    // Space per table and index (SQLite's dbstat virtual table, when the library has it).
    let t = now()
    if let sizes = try? openReader().spaceUsed() {
        print("| table or index | MB | bytes per column row |\n|---|---|---|")
        for (name, bytes) in sizes.sorted(by: { $0.value > $1.value }) where bytes > 0 {
            print("| \(name) | \(String(format: "%.1f", Double(bytes) / 1e6)) | \(String(format: "%.1f", Double(bytes) / Double(rows))) |")
        }
        log(String(format: "  breakdown took %.1f s", now() - t))
    } else {
        log("  (no dbstat in this SQLite: no breakdown)")
    }
}
if !args.keep && !location.isPostgres { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: args.db + suffix) } }

// The sequential pass of `process --slurm` (the dependent job): counting, linking, smoothing,
// structure and the store's writes for a series whose fits are already made, measured on N
// synthetic frames of M columns (a square lattice patch that drifts, with per-column atom counts
// that change now and then), through the daemon's own FramePipeline and a StoreWriting store.
// Reading each file, hashing its pixels and looking up its stored fit are not included (measured
// separately: see README, "Re-processing an archive on a Slurm cluster").
//
//   swift build -c release --product stemtrack-sequential-bench
//   .build/release/stemtrack-sequential-bench --frames 50000 --columns 1000 --db /tmp/seq.sqlite
//   .build/release/stemtrack-sequential-bench --frames 50000 --columns 1000 --db 'postgres://…'
import Analysis
import BenchSupport
import ColumnFit
import Daemon
import Foundation
import TIFFFrame
import TrajectoryStore
#if canImport(PostgresStore)
import PostgresStore
#endif

var frames = 50_000, columns = 1_000, db = "/tmp/stemtrack-sequential-bench.sqlite"
var it = CommandLine.arguments.dropFirst().makeIterator()
while let a = it.next() {
    switch a {
    case "--frames": frames = Int(it.next() ?? "") ?? frames
    case "--columns": columns = Int(it.next() ?? "") ?? columns
    case "--db": db = it.next() ?? db
    case "-h", "--help":
        print("usage: stemtrack-sequential-bench [--frames N] [--columns M] [--db PATH|postgres://…]"); exit(0)
    default: FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8)); exit(64)
    }
}
let location = try StoreLocation(parsing: db)
if case .sqlite(let path) = location { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
#if canImport(PostgresStore)
let backends = PostgresBackend.backends
#else
let backends = StoreBackends.sqliteOnly
#endif

// The lattice patch: side × side columns 10 px apart, counts 2…9 per column.
let side = Int(Double(columns).squareRoot().rounded(.up))
let pixelSize = 0.2
let spacing = 10.0
let imageSide = Int(Double(side + 4) * spacing)
final class LCG: @unchecked Sendable {
    var seed: UInt64 = 0x5eed
    func uniform() -> Double { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Double(seed >> 11) / Double(1 << 53) }
    func normal() -> Double { (-2 * log(max(uniform(), 1e-300))).squareRoot() * cos(2 * .pi * uniform()) }
}
let rng = LCG()
func uniform() -> Double { rng.uniform() }
func normal() -> Double { rng.normal() }
var counts = (0..<columns).map { _ in 2 + Int(uniform() * 8) }
// σ(n) in image units × Å²: 2π·η·ρ² with ρ = 3 px = 0.6 Å.
let rho = 3.0
func height(_ n: Int) -> Double { 40 * pow(Double(n), 0.92) }

var configuration = WatchConfiguration()
configuration.directory = "/synthetic"
configuration.pixelSize = pixelSize
var pipeline = try FramePipeline(configuration: configuration, resume: nil, nextFrame: 0)
let store = try backends.openWriter(location, run: RunKey(instrument: "bench", name: "sequential-\(Int(Date().timeIntervalSince1970))"))
let session = try store.beginSession(SessionRecord(softwareVersion: "bench", settings: "{}"))
let dummy = Frame(width: imageSide, height: imageSide, pixels: [Float](repeating: 0, count: imageSide * imageSide), pixelSize: pixelSize)

var tPipeline = 0.0, tStore = 0.0
var count = 0.0, link = 0.0, smooth = 0.0
var driftX = 0.0, driftY = 0.0
let start = now()
var lastReport = start
for k in 0..<frames {
    driftX += 0.05 * normal(); driftY += 0.05 * normal()
    if uniform() < 0.02 { let i = Int(uniform() * Double(columns)); counts[i] = max(1, min(12, counts[i] + (uniform() < 0.5 ? -1 : 1))) }
    var cols: [Column] = []
    cols.reserveCapacity(columns)
    for i in 0..<columns {
        let x = 2 * spacing + Double(i % side) * spacing + driftX + 0.05 * normal()
        let y = 2 * spacing + Double(i / side) * spacing + driftY + 0.05 * normal()
        let h = height(counts[i]) * (1 + 0.02 * normal())
        cols.append(Column(x: x, y: y, sigmaX: 0.05, sigmaY: 0.05, width: rho, height: h, sigmaHeight: 0.5))
    }
    let fit = FrameFit(columns: cols, background: 100, sharedWidth: rho, pixelSize: pixelSize,
                       scales: .init(noise: 5, width: rho, spacing: spacing), detector: nil, estimator: .leastSquares,
                       iterations: 3, converged: true, removedColumns: 0)
    let file = FileState(path: "/synthetic/frame_\(k).tif", size: 1, modified: 1_800_000_000 + Double(k))
    let t0 = now()
    var result = pipeline.process(dummy, file: file, identity: file.path, contentHash: "synthetic-\(k)", readSeconds: 0,
                                  fitted: .fitted(fit, seconds: 0))
    result.frame.completesFile = true
    let t1 = now()
    try store.write(result, run: session.id!)
    let t2 = now()
    tPipeline += t1 - t0; tStore += t2 - t1
    count += result.frame.timings.count ?? 0
    link += result.frame.timings.track ?? 0
    if now() - lastReport > 10 || k == frames - 1 {
        lastReport = now()
        log(String(format: "  frame %d / %d: %.2f ms per frame (analysis %.2f, store %.2f)", k + 1, frames,
                   (tPipeline + tStore) / Double(k + 1) * 1e3, tPipeline / Double(k + 1) * 1e3, tStore / Double(k + 1) * 1e3))
    }
}
let t0 = now()
let completion = pipeline.finish()
try store.writeCompletion(revisions: completion.revisions, events: completion.events, writtenWith: completion.lastFrame,
                          resumeState: completion.state, run: session.id!)
try store.endSession(session.id!)
let tEnd = now() - t0
let wall = now() - start
let summary = try store.reader.summary()
print("""

    | sequential pass, \(frames) frames × \(columns) columns (\(location.isPostgres ? "PostgreSQL" : "SQLite")) | measured |
    |---|---|
    | analysis per frame: counting, linking, smoothing, structure (FramePipeline) | \(String(format: "%.2f", tPipeline / Double(frames) * 1e3)) ms |
    | of which counting / linking + smoothing (the stages' own timings) | \(String(format: "%.2f / %.2f", count / Double(frames) * 1e3, link / Double(frames) * 1e3)) ms |
    | store per frame (one transaction) | \(String(format: "%.2f", tStore / Double(frames) * 1e3)) ms |
    | completion (last counts final, last events) | \(String(format: "%.2f", tEnd)) s |
    | whole pass | \(String(format: "%.1f", wall)) s |
    | stored | \(summary.frames) frames, \(summary.columns) columns, \(summary.events.values.reduce(0, +)) events |
    """)

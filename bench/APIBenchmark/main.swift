// API latency at overnight scale (issue 8): a generated store (default 30,000 frames × 1,000
// columns, one transaction per frame as the daemon writes), served by the dashboard's
// Hummingbird application on a loopback port; GET latencies over HTTP (URLSession, keep-alive)
// and of the handler alone (DashboardAPI called in process), median and p95.
//
//   swift build -c release --product stemtrack-api-bench
//   .build/release/stemtrack-api-bench                          # 30,000 × 1,000, /tmp/stemtrack-api-bench.sqlite
//   .build/release/stemtrack-api-bench --frames 2000 --keep     # smaller; --reuse measures an existing file
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import BenchSupport
import HTTPAPI
import TrajectoryStore
import StemCore

struct Arguments {
    var frames = 30_000
    var columns = 1_000
    var db = "/tmp/stemtrack-api-bench.sqlite"
    var repeats = 200
    var keep = false
    var reuse = false

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
            case "--repeats": repeats = Int(value(a)) ?? repeats
            case "--keep": keep = true
            case "--reuse": reuse = true; keep = true
            case "-h", "--help":
                print("usage: stemtrack-api-bench [--frames N] [--columns M] [--db PATH] [--repeats R] [--keep] [--reuse]")
                exit(0)
            default: fail("unknown argument \(a)")
            }
        }
        guard frames >= 10, (1...16_384).contains(columns), repeats >= 10 else { fail("need --frames ≥ 10, 1 ≤ --columns ≤ 16384, --repeats ≥ 10") }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("stemtrack-api-bench: \(message)\n".utf8))
    exit(2)
}
let args = Arguments()
let reusing = args.reuse && FileManager.default.fileExists(atPath: args.db)
if !reusing {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: args.db + suffix) }
    log("stemtrack-api-bench: writing \(args.frames) frames × \(args.columns) columns → \(args.db)")
    let store = try FrameStore(path: args.db)
    let run = try store.beginSession(SessionRecord(softwareVersion: "api-bench"))
    var series = StoreSeries(columns: args.columns)
    let t0 = now()
    var last = t0
    for k in 0..<args.frames {
        try store.write(series.frame(k), run: run.id!)
        if now() - last > 15 { last = now(); log(String(format: "  %d frames, %.0f s", k + 1, now() - t0)) }
    }
    try store.endSession(run.id!)
    try store.checkpoint(truncate: true)
    log(String(format: "  written in %.0f s", now() - t0))
}
let summary = try StoreReader(path: args.db).summary()
let fileMB = Double((try FileManager.default.attributesOfItem(atPath: args.db)[.size] as? Int) ?? 0) / 1e6
let middle = (summary.lastFrame ?? 0) / 2

// Server on a free loopback port.
let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
let app = APIServer.application(databasePath: args.db, address: HTTPAddress(host: "127.0.0.1", port: 0)) { port in
    portContinuation.yield(port)
}
let server = Task { try await app.run() }
func firstPort(_ stream: AsyncStream<Int>) async -> Int? {
    var iterator = stream.makeAsyncIterator()
    return await iterator.next()
}
guard let port = await firstPort(ports) else { fail("server did not start") }
let base = "http://127.0.0.1:\(port)"
let session = URLSession(configuration: .ephemeral)

func httpGet(_ path: String) async throws -> (Int, Int) {
    let (data, response) = try await session.data(from: URL(string: base + path)!)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, data.count)
}

struct Row { var name: String; var bytes: Int; var http: [Double]; var handler: [Double] }
func percentile(_ v: [Double], _ p: Double) -> Double { let s = v.sorted(); return s[min(s.count - 1, Int(Double(s.count - 1) * p + 0.5))] }

let api = DashboardAPI(store: StoreAccess(path: args.db))
let cases: [(String, String, @Sendable () async throws -> Void)] = [
    ("/api/summary (whole run)", "/api/summary", { _ = try await api.summary(try QueryParameters([], allowed: [])) }),
    ("/api/frames/\(middle)/columns (\(args.columns) columns)", "/api/frames/\(middle)/columns",
     { _ = try await api.columns(frame: middle) }),
    ("/api/frames?limit=1000&after=\(middle)", "/api/frames?limit=1000&after=\(middle)",
     { _ = try await api.frames(try QueryParameters([("limit", "1000"), ("after", "\(middle)")], allowed: ["limit", "after"])) }),
    ("/api/tracks/0 (\(summary.frames) points)", "/api/tracks/0",
     { _ = try await api.track(0, try QueryParameters([], allowed: [])) }),
]
var rows: [Row] = []
for (name, path, handler) in cases {
    let (status, bytes) = try await httpGet(path)   // warm-up (and first-request cost excluded)
    guard status == 200 else { fail("\(path): HTTP \(status)") }
    var http: [Double] = [], direct: [Double] = []
    for _ in 0..<args.repeats {
        let t = now(); _ = try await httpGet(path); http.append(now() - t)
    }
    for _ in 0..<args.repeats {
        let t = now(); try await handler(); direct.append(now() - t)
    }
    rows.append(Row(name: name, bytes: bytes, http: http, handler: direct))
}
server.cancel()

func ms(_ s: Double) -> String { String(format: "%.2f", s * 1000) }
print("""

    Store: \(summary.frames) frames × \(summary.columns / max(1, summary.okFrames)) columns (\(summary.columns) column rows), \(String(format: "%.0f", fileMB)) MB; \(args.repeats) requests each, sequential, keep-alive.

    | request | response bytes | HTTP median ms | HTTP p95 ms | handler median ms | handler p95 ms |
    |---|---|---|---|---|---|
    """)
for r in rows {
    print("| `\(r.name)` | \(r.bytes) | \(ms(percentile(r.http, 0.5))) | \(ms(percentile(r.http, 0.95))) | \(ms(percentile(r.handler, 0.5))) | \(ms(percentile(r.handler, 0.95))) |")
}
if !args.keep { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: args.db + suffix) } }
exit(0)

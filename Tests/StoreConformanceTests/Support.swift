import Foundation
import XCTest
@testable import PostgresStore
import TrajectoryStore

/// The PostgreSQL server of the tests: `STEMTRACK_TEST_POSTGRES` (a postgres:// URL; CI and
/// `deploy/postgres-test-server.sh` export it). Unset or unreachable is a failure, never a skip.
func testPostgresURL(file: StaticString = #filePath, line: UInt = #line) throws -> PostgresURL {
    guard let text = ProcessInfo.processInfo.environment["STEMTRACK_TEST_POSTGRES"], !text.isEmpty else {
        XCTFail("STEMTRACK_TEST_POSTGRES is not set: start a server (deploy/postgres-test-server.sh start DIR PORT) "
                + "and export its URL", file: file, line: line)
        throw StoreError.unavailable("STEMTRACK_TEST_POSTGRES is not set")
    }
    let url = try PostgresURL(parsing: text)
    do {
        let c = try Connector(url: url).connect(role: "test probe")
        try? c.close().wait()
    } catch {
        XCTFail("the test PostgreSQL server is not reachable: \(PostgresErrors.describe(error, url: url) ?? "\(error)")",
                file: file, line: line)
        throw error
    }
    return url
}

/// A run name no other test uses.
func uniqueRunName(_ base: String = #function) -> String {
    let safe = base.filter { $0.isLetter || $0.isNumber }
    return "\(safe)-\(UInt32.random(in: 0...UInt32.max))-\(getpid())"
}

func temporaryFile(_ name: String = #function) -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    return FileManager.default.temporaryDirectory
        .appendingPathComponent("stemtrack-conformance-\(safe)-\(UInt32.random(in: 0...UInt32.max)).sqlite").path
}

/// A processed series exercising every part of the store: `columns` columns per frame on tracks
/// that renew every 25 frames (column 0's track spans the series), counts smoothed with a lag of
/// 3 frames (each frame's counts are provisional and revised, some changed, by the frame 3 later),
/// one to three events per frame, two facets and two particles per frame (one of infinite aspect
/// ratio), a counting model per 20 frames, a failed frame that stays failed (7), a failed frame
/// replaced by its successful analysis (12), frames without temperature filled in later (40–44 by
/// frame 46, 50–51 by a separate fill), two sessions, and a completion that makes the last counts
/// final.
struct ConformanceSeries {
    var frames = 60
    var columns = 40
    var lag = 3
    let start = 1_720_000_000.0

    func path(_ k: Int) -> String { "/data/run/frame_\(String(1000 + k).dropFirst()).tif" }
    func hash(_ k: Int) -> String { ContentHash.of(Data("conformance frame \(k)".utf8)) }
    func time(_ k: Int) -> Double { start + Double(k) * 1.5 }
    func hasTemperature(_ k: Int) -> Bool { !(40..<45).contains(k) && !(50..<52).contains(k) }
    func track(_ k: Int, _ i: Int) -> Int? {
        if i == 0 { return 0 }
        if i % 11 == 10 { return nil }   // an untracked column
        return i + columns * (k / 25)
    }
    func count(_ k: Int, _ i: Int) -> Int? { i % 13 == 5 ? nil : 1 + (i * 7 + k / 3) % 12 }
    func revisedCount(_ k: Int, _ i: Int) -> Int? { count(k, i).map { i % 4 == 1 ? $0 + 1 : $0 } }
    static let failed: Set<Int> = [7]

    func column(_ k: Int, _ i: Int) -> ColumnRecord {
        let side = 7
        let n = count(k, i)
        let x = 30 + Double(i % side) * 11.7 + 0.013 * Double(k) + 0.0123456 * Double(i % 7)
        let y = 30 + Double(i / side) * 11.7 - 0.007 * Double(k) + 0.0654321 * Double(i % 5)
        let cs = 0.0312 * Double(n ?? 3) * (1 + 0.001 * Double((i + k) % 9)) + 1e-9 * Double(k)
        let width = i % 6 == 0 ? 3.3 + 0.01 * Double(i % 5) : 3.3
        var c = ColumnRecord(x: x, y: y, sigmaX: i % 9 == 0 ? nil : 0.031 + 0.0001 * Double(i % 10), sigmaY: 0.029,
                             width: width, height: cs / (2 * .pi * width * width * 0.0146),
                             sigmaHeight: i % 8 == 3 ? nil : 0.0123 + 0.0001 * Double(k % 5),
                             crossSection: cs, crlbX: i % 4 == 0 ? nil : 0.021, crlbY: 0.022,
                             count: n, track: track(k, i))
        c.rawCount = n
        c.countFinal = false
        return c
    }

    func model(_ k: Int) -> CountingModelRecord {
        CountingModelRecord(id: "gmm-12-conf\(k / 20)", source: "mixture", counts: Array(1...12),
                            means: (1...12).map { 0.0312 * Double($0) + 0.0001 * Double(k / 20) },
                            proportions: Array(repeating: 1.0 / 12, count: 12), sigma: 0.002,
                            poissonScale: k / 20 == 1 ? 1.25 : nil)
    }

    func frameRecord(_ k: Int, failed: Bool = false) -> FrameRecord {
        var f = FrameRecord(frame: k, path: path(k), contentHash: failed ? "crashed-\(k)" : hash(k), fileSize: 2_000_000 + k,
                            modified: time(k) + 0.5, acquiredAt: k == 33 ? nil : time(k),
                            temperature: hasTemperature(k) ? 300 + 2.5 * Double(k) : nil,
                            status: failed ? .failed : .ok, error: failed ? "the fit did not converge" : nil,
                            imageWidth: 512, imageHeight: 512, pixelSize: 0.1211, background: 0.01 * Double(k % 3),
                            sharedWidth: failed ? nil : 3.3, estimator: failed ? nil : "least-squares", iterations: failed ? nil : 10,
                            converged: failed ? nil : k % 5 != 0, driftX: 0.013 * Double(k), driftY: -0.007 * Double(k),
                            modelID: failed ? nil : model(k).id,
                            timings: StageTimings(read: 0.01, fit: 0.2 + 0.001 * Double(k), total: 0.25), processedAt: time(k) + 1,
                            extra: k % 10 == 0 ? #"{"note":"k\#(k)"}"# : nil)
        f.device = 2049
        f.inode = Int64(100_000 + k)
        f.changed = time(k) + 0.6
        f.rotation = 0.01 * Double(k)
        f.scale = 1 + 1e-5 * Double(k)
        f.timeSource = "tiff"
        f.temperatureSource = hasTemperature(k) ? "holder" : nil
        return f
    }

    func result(_ k: Int) -> FrameResult {
        if Self.failed.contains(k) { return FrameResult(frame: frameRecord(k, failed: true)) }
        let cols = (0..<columns).map { column(k, $0) }
        let kinds = ["appear", "vanish", "hop", "count_change"]
        var events = [EventRecord(kind: kinds[k % 4], frame: k, x: 30 + Double(k % 10) * 10, y: 40 + Double(k % 7) * 10,
                                  track: track(k, 1), otherTrack: k % 4 == 2 ? track(k, 2) : nil,
                                  before: k % 4 == 3 ? 3 : nil, after: k % 4 == 3 ? 4 : nil, delta: k % 4 == 3 ? 1 : nil,
                                  confidence: 0.75 + 0.001 * Double(k))]
        if k % 3 == 0 {
            events.append(EventRecord(kind: "hop", frame: k, x: 70.25, y: 80.5, track: track(k, 3), otherTrack: 0, confidence: 0.5))
        }
        if k >= 5 && k % 5 == 0 {   // an event about an earlier frame, written with this one
            events.append(EventRecord(kind: "count_change", frame: k - 2, x: 55, y: 66, track: track(k - 2, 4), before: 2,
                                      after: 3, delta: 1, confidence: 0.9))
        }
        let facets = [
            FacetRecord(frame: k, index: 0, family: "{111}", x0: 10, y0: 10, x1: 50 + Double(k % 4), y1: 12, columns: 4,
                        length: 4.7, angle: 2.9, extra: k % 7 == 0 ? "terrace" : nil),
            FacetRecord(frame: k, index: 1, family: k % 2 == 0 ? "{100}" : nil, x0: 100, y0: 100, x1: 120, y1: 140, columns: nil,
                        length: nil, angle: 63.4),
        ]
        let particles = [
            ParticleRecord(frame: k, index: 0, columns: columns - 2, surfaceColumns: 12, atoms: 150 + k, area: 812.5 + Double(k),
                           perimeter: 101.2, centreX: 64.125, centreY: 70.0625, radiusOfGyration: 18.3, aspectRatio: 1.21),
            ParticleRecord(frame: k, index: 1, columns: 2, surfaceColumns: 2, atoms: k % 2 == 0 ? nil : 4, area: 3,
                           perimeter: 6, centreX: 200, centreY: 210, radiusOfGyration: 0.5, aspectRatio: .infinity),
        ]
        var r = FrameResult(frame: frameRecord(k), columns: cols, events: events, facets: facets, particles: particles,
                            model: model(k), resumeState: Data("state after \(k)".utf8))
        let j = k - lag
        if j >= 0 && !Self.failed.contains(j) {
            r.revisions = (0..<columns).compactMap { i in
                revisedCount(j, i).map { CountRevision(frame: j, index: i, count: $0, final: true) }
            } + (0..<columns).filter { count(j, $0) == nil }.map { CountRevision(frame: j, index: $0, count: 0, final: true) }
        }
        if k == 46 { r.temperatureFills = (40..<45).map { TemperatureFill(frame: $0, celsius: 400 + Double($0), source: "holder log") } }
        return r
    }

    /// Writes the whole series through the protocol, as the daemon would.
    func write(to store: any StoreWriting) throws {
        let s1 = try store.beginSession(SessionRecord(startedAt: start - 10, softwareVersion: "test 1.0", settings: #"{"a":1}"#,
                                                      directory: "/data/run", host: "microscope-1"))
        for k in 0..<frames {
            if k == frames / 2 {
                try store.endSession(s1.id!, at: start + 1000)
            }
            let session = k < frames / 2 ? s1.id! : 2
            if k == frames / 2 {
                let s2 = try store.beginSession(SessionRecord(startedAt: start + 1100, softwareVersion: "test 1.1",
                                                              directory: "/data/run", host: "microscope-1"))
                precondition(s2.id == 2)
            }
            try store.markInProgress(InProgressFrame(path: path(k), identity: path(k), size: 2_000_000 + k, modified: time(k) + 0.5,
                                                     startedAt: time(k)))
            if k == 12 {
                // Stored failed first (a crash during its analysis), then analysed: replaced.
                _ = try store.write(FrameResult(frame: frameRecord(k, failed: true)), run: session)
            }
            try store.write(result(k), run: session)
        }
        try store.writeTemperatureFills((50..<52).map { TemperatureFill(frame: $0, celsius: 450 + Double($0), source: "late log",
                                                                        holder: "DENSsolutions") })
        let last = frames - 1
        let tail = (max(0, frames - lag)..<frames).filter { !Self.failed.contains($0) }
        let revisions = tail.flatMap { j in
            (0..<columns).map { i in CountRevision(frame: j, index: i, count: revisedCount(j, i) ?? 1, final: true) }
        }
        try store.writeCompletion(revisions: revisions,
                                  events: [EventRecord(kind: "vanish", frame: last, x: 1, y: 2, track: track(last, 5), confidence: 0.6)],
                                  writtenWith: last, resumeState: Data("final".utf8), run: 2)
        try store.recordFile(path: "/data/run/stack.tif", size: 123, modified: start, device: 2049, inode: 7, failed: false)
        try store.recordFile(path: "/data/run/broken.tif", size: 5, modified: start, device: nil, inode: nil, failed: true)
        try store.markInProgress(InProgressFrame(path: "/data/run/next.tif", identity: "/data/run/next.tif", size: 9, modified: start,
                                                 startedAt: start + 5000, pid: 4242))
        try store.writeHeartbeat(Heartbeat(pid: 4242, host: "microscope-1", startedAt: start, updatedAt: start + 5000, state: "running",
                                           backlog: 3, frames: frames, failed: 1, lastFrameAt: time(last), message: "ok"))
        try store.endSession(2, at: start + 6000)
    }
}

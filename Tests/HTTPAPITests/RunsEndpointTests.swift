import Foundation
import HTTPAPI
import Hummingbird
import TrajectoryStore
import XCTest

/// `GET /api/runs`, the `run` parameter and `GET /api/changes` on a SQLite store (one run).
/// The same endpoints over PostgreSQL (many runs) are exercised in the daemon's facility tests.
final class RunsEndpointTests: XCTestCase {
    var run: StoredRun!

    override func setUpWithError() throws { run = try StoredRun.make() }
    override func tearDown() { run.cleanUp() }

    func testRunsListsTheFileAsItsOneRun() async throws {
        let summary = try StoreReader(path: run.database).summary()
        try await withAPI(run.database) { api in
            let list = try await api.json("/api/runs", as: RunsList.self)
            XCTAssertEqual(list.runs.count, 1)
            let r = try XCTUnwrap(list.runs.first)
            XCTAssertEqual(r.name, "stemtrack")
            XCTAssertEqual(r.frames, summary.frames)
            XCTAssertEqual(r.failedFrames, 1)
            XCTAssertEqual(r.lastFrame, StoredRun.frames - 1)
            XCTAssertEqual(r.startedAt, StoredRun.start)
            XCTAssertEqual(r.stoppedAt, StoredRun.start + 30)
            XCTAssertEqual(r.status, "stopped")
            // Naming the run gives the same answers; another name is a 404 that lists the runs.
            let named = try await api.json("/api/summary?run=stemtrack", as: SummaryResponse.self)
            XCTAssertEqual(named.summary, summary)
            let message = try await api.error("/api/frames/3?run=elsewhere", status: 404)
            XCTAssertTrue(message.contains("no run 'elsewhere'") && message.contains("stemtrack"), message)
            try await api.error("/api/summary?run=", status: 400)
        }
    }

    /// A live server: `curl -N` on /api/changes receives one `frame` event per frame committed
    /// while it listens, in order, and nothing for frames committed before.
    func testChangesStreamOneEventPerCommittedFrame() async throws {
        let ports = AsyncStream.makeStream(of: Int.self)
        let app = APIServer.application(store: StoreAccess(path: run.database), address: HTTPAddress(host: "127.0.0.1", port: 0)) { port in
            ports.continuation.yield(port)
        }
        let server = Task { try await app.runService() }
        defer { server.cancel() }
        var it = ports.stream.makeAsyncIterator()
        let first = await it.next()
        let port = try XCTUnwrap(first)

        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sN", "--max-time", "6", "http://127.0.0.1:\(port)/api/changes"]
        let out = Pipe()
        curl.standardOutput = out
        try curl.run()
        try await Task.sleep(nanoseconds: 1_500_000_000)
        // Three more frames, committed while curl listens.
        let store = try FrameStore(path: run.database)
        let session = try store.beginSession(SessionRecord(softwareVersion: "test"))
        for k in StoredRun.frames..<(StoredRun.frames + 3) {
            let f = FrameRecord(frame: k, path: "late_\(k).tif", contentHash: ContentHash.of(Data("late \(k)".utf8)),
                                acquiredAt: StoredRun.start + Double(k) * 2, status: .failed, error: "test")
            try store.write(FrameResult(frame: f), run: session.id!)
            try await Task.sleep(nanoseconds: 300_000_000)
        }
        curl.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let frames = text.split(separator: "\n").filter { $0.hasPrefix("data: ") }.compactMap { line -> Int? in
            let json = Data(line.dropFirst(6).utf8)
            return (try? JSONDecoder().decode(StoreChange.self, from: json))?.frame
        }
        XCTAssertEqual(frames, [12, 13, 14], text)
        XCTAssertTrue(text.contains("event: frame"), text)
    }
}

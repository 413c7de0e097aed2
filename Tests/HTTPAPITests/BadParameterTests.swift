import Foundation
import HTTPAPI
import TrajectoryStore
import XCTest

/// Invalid input is answered 400 with a JSON error before any database access, and nothing in
/// the database changes (row counts and the file's bytes are the same afterwards).
final class BadParameterTests: XCTestCase {
    static let injection = "%27%3B%20DROP%20TABLE%20frames%3B--"   // '; DROP TABLE frames;--

    static let badRequests = [
        "/api/frames/abc", "/api/frames/-1", "/api/frames/1.5", "/api/frames/99999999999999999999",
        "/api/frames/1%3B%20DROP%20TABLE%20frames", "/api/frames/abc/columns", "/api/frames/x/image.png",
        "/api/frames/x/icl", "/api/frames/%27/paths", "/api/tracks/abc", "/api/tracks/-3", "/api/tracks/1e3",
        "/api/frames?from=-5", "/api/frames?to=99999999999999999999", "/api/frames?from=0&to=1099511627777",
        "/api/frames?from=10&to=2", "/api/frames?limit=0", "/api/frames?limit=100000", "/api/frames?limit=abc",
        "/api/frames?after=-7", "/api/frames?frm=1", "/api/frames?limit=1&limit=2", "/api/frames?time_from=nan",
        "/api/frames?time_from=1e999", "/api/frames?time_to=-1", "/api/frames?temp_min=abc",
        "/api/frames?temp_min=500&temp_max=400", "/api/frames?status=running", "/api/frames?status=" + injection,
        "/api/summary?from=0%20OR%201=1", "/api/summary?from=" + injection, "/api/summary?limit=3",
        "/api/tracks?after=abc", "/api/tracks?min_observations=0", "/api/tracks?limit=5001",
        "/api/tracks/5?from=3&to=1", "/api/tracks/5?kind=hop",
        "/api/events?kind=" + injection, "/api/events?kind=hop,", "/api/events?kind=HOP",
        "/api/events?kind=" + String(repeating: "a", count: 70), "/api/events?track=abc", "/api/events?from=3&to=-1",
        "/api/facets?family=" + injection, "/api/facets?family=%7B111%7D%22", "/api/facets?family=",
        "/api/models?limit=1", "/api/frames/3?x=1", "/api/frames/3/columns?limit=1",
        "/api/frames?" + injection + "=1",
    ]

    func testBadParametersAre400AndChangeNothing() async throws {
        let run = try StoredRun.make()
        defer { run.cleanUp() }
        let before = try run.fingerprint()
        try await withAPI(run.database) { api in
            for uri in Self.badRequests {
                try await api.error(uri, status: 400)
            }
            // The store still answers normally.
            let s = try await api.json("/api/summary", as: SummaryResponse.self)
            XCTAssertEqual(s.summary.frames, StoredRun.frames)
        }
        XCTAssertEqual(try run.fingerprint(), before)
        let reader = try StoreReader(path: run.database)
        XCTAssertEqual(try reader.frames().count, StoredRun.frames)
        XCTAssertEqual(try reader.columns(frame: 3).count, StoredRun.columns)
    }

    func testErrorMessagesNameTheParameter() async throws {
        let run = try StoredRun.make()
        defer { run.cleanUp() }
        try await withAPI(run.database) { api in
            let unknown = try await api.error("/api/frames?frm=1", status: 400)
            XCTAssertTrue(unknown.contains("frm") && unknown.contains("allowed"), unknown)
            let big = try await api.error("/api/frames?limit=100000", status: 400)
            XCTAssertTrue(big.contains("limit") && big.contains("5000"), big)
            let id = try await api.error("/api/frames/abc", status: 400)
            XCTAssertTrue(id.contains("frame number"), id)
            let kind = try await api.error("/api/events?kind=" + Self.injection, status: 400)
            XCTAssertTrue(kind.contains("kind"), kind)
        }
    }

    func testAddressParsing() throws {
        XCTAssertEqual(try HTTPAddress(parsing: "127.0.0.1:8080"), HTTPAddress(host: "127.0.0.1", port: 8080))
        XCTAssertEqual(try HTTPAddress(parsing: "9000"), HTTPAddress(host: "127.0.0.1", port: 9000))
        XCTAssertEqual(try HTTPAddress(parsing: "[::1]:8081"), HTTPAddress(host: "::1", port: 8081))
        XCTAssertThrowsError(try HTTPAddress(parsing: "localhost"))
        XCTAssertThrowsError(try HTTPAddress(parsing: "127.0.0.1:70000"))
        XCTAssertEqual(HTTPAddress().host, "127.0.0.1", "loopback by default")
    }
}

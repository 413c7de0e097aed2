import Foundation
import HTTPAPI
import StemCore
import TrajectoryStore
import XCTest

/// `GET /api/series` against a small stored run: values equal to the store's, the reduction
/// keeps each bucket's extremes, `since` returns only later frames.
final class SeriesEndpointTests: XCTestCase {
    var run: StoredRun!
    var reader: StoreReader!

    override func setUpWithError() throws {
        run = try StoredRun.make()
        reader = try StoreReader(path: run.database)
    }

    override func tearDown() { reader = nil; run.cleanUp() }

    func testValuesEqualTheStore() async throws {
        let ok = try reader.frames().filter { $0.status == .ok }
        try await withAPI(run.database) { api in
            let atoms = try await api.json("/api/series?y=atoms&x=frame", as: SeriesResponse.self)
            XCTAssertFalse(atoms.reduced)
            XCTAssertEqual(atoms.frames, ok.map(\.frame))
            XCTAssertEqual(atoms.xs, ok.map { Double($0.frame) })
            XCTAssertEqual(atoms.ys, ok.map { Double($0.atoms!) })
            XCTAssertEqual(atoms.total, StoredRun.frames - 1)
            XCTAssertEqual(atoms.lastFrame, StoredRun.frames - 1)
            XCTAssertEqual(atoms.finalThrough, StoredRun.frames - 1, "a finished run: every count final")
            let temperature = try await api.json("/api/series?y=columns&x=temperature&x_min=400&x_max=500", as: SeriesResponse.self)
            let inRange = ok.filter { ($0.temperature ?? -1) >= 400 && ($0.temperature ?? -1) <= 500 }
            XCTAssertEqual(temperature.frames, inRange.map(\.frame))
            XCTAssertEqual(temperature.ys, inRange.map { Double($0.columnCount) })
            XCTAssertEqual(temperature.xs, inRange.map { $0.temperature! })
            let time = try await api.json("/api/series?y=atoms", as: SeriesResponse.self)
            XCTAssertEqual(time.x, "time")
            XCTAssertEqual(time.xs, ok.map { $0.acquiredAt! })
        }
    }

    func testReductionAndPolling() async throws {
        let ok = try reader.frames().filter { $0.status == .ok }
        try await withAPI(run.database) { api in
            // 11 points into 2 buckets of [0, 11]: frames 0…5 and 6…11 (the failed frame has no point).
            let r = try await api.json("/api/series?y=atoms&x=frame&buckets=2&x_min=0&x_max=11", as: SeriesResponse.self)
            XCTAssertTrue(r.reduced)
            XCTAssertEqual(r.total, ok.count)
            var expected: [Int] = []
            for bucket in [ok.filter { $0.frame < 6 }, ok.filter { $0.frame >= 6 }] where !bucket.isEmpty {
                let low = bucket.min { $0.atoms! < $1.atoms! }!.frame, high = bucket.max { $0.atoms! < $1.atoms! }!.frame
                expected += Set([low, high]).sorted()
            }
            XCTAssertEqual(r.frames, expected.sorted())
            XCTAssertEqual(r.ys, r.frames.map { f in Double(ok.first { $0.frame == f }!.atoms!) })
            let since = try await api.json("/api/series?y=atoms&x=frame&since=8", as: SeriesResponse.self)
            XCTAssertEqual(since.frames, ok.map(\.frame).filter { $0 > 8 })
            XCTAssertFalse(since.more)
            let none = try await api.json("/api/series?y=atoms&since=11", as: SeriesResponse.self)
            XCTAssertEqual(none.frames, [])
        }
    }

    func testBadParametersAreRefused() async throws {
        try await withAPI(run.database) { api in
            let missing = try await api.error("/api/series", status: 400)
            XCTAssertTrue(missing.contains("'y' is required"), missing)
            let unknown = try await api.error("/api/series?y=colour", status: 400)
            XCTAssertTrue(unknown.contains("atoms"), unknown)
            _ = try await api.error("/api/series?y=atoms&x=pressure", status: 400)
            _ = try await api.error("/api/series?y=atoms&x_min=5&x_max=1", status: 400)
            _ = try await api.error("/api/series?y=atoms&buckets=1", status: 400)
            _ = try await api.error("/api/series?y=atoms&bucket=10", status: 400)
        }
    }

    /// Every bucket's smallest and largest y are kept, nothing else, in index order.
    func testMinMaxReductionKeepsEveryBucketsExtremes() {
        var rng = SplitMix64(seed: 5)
        let n = 50_000, buckets = 400
        let xs = (0..<n).map { Double($0) * 1.5 }
        let ys = (0..<n).map { _ in rng.normal() }
        let kept = SeriesReduction.minMax(xs: xs, ys: ys, buckets: buckets, range: 0...xs.last!)
        XCTAssertEqual(kept, kept.sorted())
        XCTAssertLessThanOrEqual(kept.count, 2 * buckets)
        let width = xs.last! / Double(buckets)
        for b in 0..<buckets {
            let members = xs.indices.filter { min(buckets - 1, Int(xs[$0] / width)) == b }
            let lo = members.min { ys[$0] < ys[$1] }!, hi = members.max { ys[$0] < ys[$1] }!
            XCTAssertTrue(kept.contains(lo) && kept.contains(hi), "bucket \(b)")
        }
        XCTAssertEqual(Set(kept).count, kept.count)
        XCTAssertEqual(SeriesReduction.minMax(xs: [1, 2, 3], ys: [3, 1, 2], buckets: 2, range: 1...3), [0, 1, 2])
    }
}

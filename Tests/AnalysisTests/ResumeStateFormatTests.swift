import XCTest
@testable import Analysis
import AtomCount
import StemCore
import TestSupport
import Tracking

/// The analysis state saved with every frame: the packed form (``BinaryPacked``) reads back
/// exactly, and a state saved before packing (fixtures/resume-state) is still read, with the
/// values its JSON holds.
final class ResumeStateFormatTests: XCTestCase {
    /// JSONSerialization parses some decimals one unit in the last place away from JSONDecoder's
    /// (correctly rounded) reading, so values read through it are compared within 4 ulp.
    private func close(_ a: Double?, _ b: Double?, file: StaticString = #filePath, line: UInt = #line) {
        guard let a, let b else { return XCTAssertEqual(a, b, file: file, line: line) }
        XCTAssertEqual(a, b, accuracy: 4 * a.ulp, file: file, line: line)
    }

    private func oldState() throws -> (data: Data, json: [String: Any]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture("resume-state/state-json-v1.json")))
        return (data, try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any]))
    }

    func testStateSavedBeforePackingIsRead() throws {
        let (data, json) = try oldState()
        let state = try JSONDecoder().decode(Pipeline.State.self, from: data)
        // Compared with the fixture's JSON, read independently.
        let tracker = try XCTUnwrap(json["tracker"] as? [String: Any])
        let tracks = try XCTUnwrap(tracker["tracks"] as? [[String: Any]])
        XCTAssertEqual(state.tracker.tracks.count, tracks.count)
        XCTAssertEqual(tracks.count, 30)
        for (t, j) in zip(state.tracker.tracks, tracks) {
            XCTAssertEqual(t.id, j["id"] as? Int)
            XCTAssertEqual(t.observations, j["observations"] as? Int)
            let p = try XCTUnwrap(j["position"] as? [String: Double])
            close(t.position.x, p["x"])
            close(t.crossSection, j["crossSection"] as? Double)
        }
        let positions = try XCTUnwrap(tracker["previousPositions"] as? [[String: Double]])
        XCTAssertEqual(state.tracker.previousPositions.count, positions.count)
        for (p, q) in zip(state.tracker.previousPositions, positions) { close(p.y, q["y"]) }
        let counter = try XCTUnwrap(json["counter"] as? [String: Any])
        let pool = try XCTUnwrap(counter["pool"] as? [[Double]])
        XCTAssertEqual(state.counter.pool.map(\.count), pool.map(\.count))
        for (a, b) in zip(state.counter.pool.joined(), pool.joined()) { close(a, b) }
        let smoother = try XCTUnwrap(json["smoother"] as? [String: Any])
        let windows = try XCTUnwrap(smoother["tracks"] as? [String: [String: Any]])
        let pending = windows.values.reduce(0) { $0 + (($1["window"] as? [Any])?.count ?? 0) }
        // The fixture is the state after the series' end: every count final, the windows empty.
        XCTAssertEqual(windows.count, 30)
        XCTAssertEqual(state.smoother.pendingObservations, pending)
        for (key, w) in windows {
            let last = try XCTUnwrap(w["lastFinal"] as? [String: Any])
            let o = try XCTUnwrap(state.smoother.lastFinal(track: Int(key)!))
            XCTAssertEqual(o.frame, last["frame"] as? Int)
            close(o.crossSection, last["crossSection"] as? Double)
            XCTAssertEqual(o.modelID, last["modelID"] as? String)
        }
        XCTAssertEqual(state.nextFrame, json["nextFrame"] as? Int)
    }

    func testPackedStateReadsBackExactly() throws {
        let state = try JSONDecoder().decode(Pipeline.State.self, from: try oldState().data)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let packed = try encoder.encode(state)
        let back = try JSONDecoder().decode(Pipeline.State.self, from: packed)
        XCTAssertEqual(back.tracker, state.tracker)
        XCTAssertEqual(back.smoother, state.smoother)
        XCTAssertEqual(back.counter.pool.map { $0.map(\.bitPattern) }, state.counter.pool.map { $0.map(\.bitPattern) })
        XCTAssertEqual(try encoder.encode(back), packed, "packing is deterministic")
        // Packed, the large parts are one string each instead of keyed objects.
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: packed) as? [String: Any])
        XCTAssertTrue((json["smoother"] as? [String: Any])?["tracks"] is String)
        XCTAssertTrue((json["tracker"] as? [String: Any])?["tracks"] is String)
        XCTAssertLessThan(packed.count, try oldState().data.count)
    }

    func testDamagedPackedStateIsRefusedWithItsReason() throws {
        let state = try JSONDecoder().decode(Pipeline.State.self, from: try oldState().data)
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: try JSONEncoder().encode(state)) as? [String: Any])
        var counter = try XCTUnwrap(json["counter"] as? [String: Any])
        let pool = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(counter["pool"] as? String)))
        counter["pool"] = pool.dropLast(3).base64EncodedString()
        json["counter"] = counter
        let damaged = try JSONSerialization.data(withJSONObject: json)
        XCTAssertThrowsError(try JSONDecoder().decode(Pipeline.State.self, from: damaged)) { error in
            guard case DecodingError.dataCorrupted(let c) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(c.debugDescription.contains("packed"), c.debugDescription)
        }
    }

    func testPrimitivesRoundTrip() throws {
        var w = BinaryWriter()
        let values: [Double] = [0, -0.0, .pi, -1e-310, .infinity, .greatestFiniteMagnitude]
        values.pack(into: &w)
        [Int.min, -1, 0, Int.max].pack(into: &w)
        [3: "a", 1: "bé", 2: ""].pack(into: &w)
        ([nil, 1.5] as [Double?]).pack(into: &w)
        Double.nan.pack(into: &w)
        var r = BinaryReader(w.bytes)
        XCTAssertEqual(try [Double](unpacking: &r).map(\.bitPattern), values.map(\.bitPattern))
        XCTAssertEqual(try [Int](unpacking: &r), [Int.min, -1, 0, Int.max])
        XCTAssertEqual(try [Int: String](unpacking: &r), [3: "a", 1: "bé", 2: ""])
        XCTAssertEqual(try [Double?](unpacking: &r), [nil, 1.5])
        XCTAssertEqual(try Double(unpacking: &r).bitPattern, Double.nan.bitPattern)
        XCTAssertTrue(r.isAtEnd)
        // A count larger than the bytes that follow is refused before allocating.
        var big = BinaryWriter()
        big.write(Int.max / 2)
        var rb = BinaryReader(big.bytes)
        XCTAssertThrowsError(try [Double](unpacking: &rb))
    }
}

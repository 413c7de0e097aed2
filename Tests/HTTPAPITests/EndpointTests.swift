import Foundation
import HTTPAPI
import Report
import TIFFFrame
import TrajectoryStore
import XCTest

/// Every endpoint against a small stored run: status, JSON shape (decoded into the API's types)
/// and values equal to what StoreReader returns.
final class EndpointTests: XCTestCase {
    var run: StoredRun!
    var reader: StoreReader!

    override func setUpWithError() throws {
        run = try StoredRun.make()
        reader = try StoreReader(path: run.database)
    }

    override func tearDown() { reader = nil; run.cleanUp() }

    func testSummary() async throws {
        let expected = try reader.summary()
        let filtered = try reader.summary(StoreFilter(frames: 2...6))
        let start = try reader.seriesStart()
        try await withAPI(run.database) { api in
            let s = try await api.json("/api/summary", as: SummaryResponse.self)
            XCTAssertEqual(s.summary, expected)
            XCTAssertEqual(s.summary.frames, StoredRun.frames)
            XCTAssertEqual(s.summary.failedFrames, 1)
            XCTAssertEqual(s.latestFrame, StoredRun.frames - 1)
            XCTAssertEqual(s.seriesStart, start)
            let f = try await api.json("/api/summary?from=2&to=6", as: SummaryResponse.self)
            XCTAssertEqual(f.summary, filtered)
            XCTAssertEqual(f.latestFrame, 6)
            // Raw shape: the documented top-level keys.
            let (_, body, _) = try await api.get("/api/summary")
            let object = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            XCTAssertEqual(Set(object?.keys.map { $0 } ?? []), ["summary", "latestFrame", "seriesStart"])
        }
    }

    func testFramesPagingAndFilters() async throws {
        let all = try reader.frames()
        let byTime = try reader.frames(StoreFilter(time: (StoredRun.start + 4)...(StoredRun.start + 10)))
        let byTemperature = try reader.frames(StoreFilter(temperature: 400...500))
        try await withAPI(run.database) { api in
            let first = try await api.json("/api/frames?limit=5", as: FramesPage.self)
            XCTAssertEqual(first.frames, Array(all[0..<5]))
            XCTAssertEqual(first.next, 4)
            let second = try await api.json("/api/frames?limit=5&after=4", as: FramesPage.self)
            XCTAssertEqual(second.frames, Array(all[5..<10]))
            let last = try await api.json("/api/frames?limit=5&after=9", as: FramesPage.self)
            XCTAssertEqual(last.frames, Array(all[10...]))
            XCTAssertNil(last.next)
            let range = try await api.json("/api/frames?from=2&to=4", as: FramesPage.self)
            XCTAssertEqual(range.frames.map(\.frame), [2, 3, 4])
            let t0 = Int(StoredRun.start) + 4, t1 = Int(StoredRun.start) + 10
            let time = try await api.json("/api/frames?time_from=\(t0)&time_to=\(t1)", as: FramesPage.self)
            XCTAssertEqual(time.frames, byTime)
            XCTAssertEqual(time.frames.map(\.frame), [2, 3, 4, 5])
            let temperature = try await api.json("/api/frames?temp_min=400&temp_max=500", as: FramesPage.self)
            XCTAssertEqual(temperature.frames, byTemperature)
            XCTAssertEqual(temperature.frames.map(\.frame), [4, 5, 6, 7, 8])
            let failed = try await api.json("/api/frames?status=failed", as: FramesPage.self)
            XCTAssertEqual(failed.frames.map(\.frame), [StoredRun.failedFrame])
            XCTAssertEqual(failed.frames.first?.error, "truncated TIFF")
        }
    }

    func testOneFrameAndItsColumns() async throws {
        let frame3 = try reader.frame(3)
        let columns3 = try reader.columns(frame: 3)
        let columns8 = try reader.columns(frame: 8)
        try await withAPI(run.database) { api in
            let f = try await api.json("/api/frames/3", as: FrameRecord.self)
            XCTAssertEqual(f, frame3)
            XCTAssertEqual(f.columnCount, StoredRun.columns)
            let c = try await api.json("/api/frames/3/columns", as: FrameColumns.self)
            XCTAssertEqual(c.frame, 3)
            XCTAssertEqual(c.imageWidth, StoredRun.imageSide)
            XCTAssertEqual(c.pixelSize, 0.2)
            XCTAssertEqual(c.columns.count, StoredRun.columns)
            XCTAssertEqual(c.columns, columns3.enumerated().map { ColumnJSON(index: $0.offset, $0.element) })
            XCTAssertEqual(c.columns.map(\.count), columns3.map(\.count))
            XCTAssertEqual(c.columns[10].x, columns3[10].x)
            XCTAssertEqual(c.columns[10].width, 2.5)
            let c8 = try await api.json("/api/frames/8/columns", as: FrameColumns.self)
            XCTAssertEqual(c8.columns.count, StoredRun.columns - 1)
            XCTAssertEqual(c8.columns.map(\.track), columns8.map(\.track))
            let failed = try await api.json("/api/frames/\(StoredRun.failedFrame)/columns", as: FrameColumns.self)
            XCTAssertEqual(failed.columns, [])
            try await api.error("/api/frames/999", status: 404)
            try await api.error("/api/frames/999/columns", status: 404)
        }
    }

    func testICLCurveOfAFrame() async throws {
        let xs = try reader.columns(frame: 11).map(\.crossSection)
        let expected = ICLCurve.compute(frame: 11, crossSections: xs)
        try await withAPI(run.database) { api in
            let curve = try await api.json("/api/frames/11/icl", as: ICLCurve.self)
            XCTAssertEqual(curve, expected)
            XCTAssertEqual(curve.columns, StoredRun.columns - 1)
            XCTAssertEqual(curve.selected, 8, "eight well-separated counts")
            XCTAssertGreaterThanOrEqual(curve.points.count, 8)
            XCTAssertEqual(curve.points.map(\.components), Array(1...curve.points.count))
            let again = try await api.json("/api/frames/11/icl", as: ICLCurve.self)   // cached
            XCTAssertEqual(again, curve)
            let none = try await api.json("/api/frames/\(StoredRun.failedFrame)/icl", as: ICLCurve.self)
            XCTAssertNil(none.selected)
            XCTAssertNotNil(none.note)
            try await api.error("/api/frames/77/icl", status: 404)
        }
    }

    func testFrameImage() async throws {
        let expected = FrameImage(frame: try TIFFReader.readFirst(path: run.directory.appendingPathComponent("frame_011.tif").path))
        try await withAPI(run.database) { api in
            let (status, png, type) = try await api.get("/api/frames/11/image.png")
            XCTAssertEqual(status, 200)
            XCTAssertEqual(type, "image/png")
            XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            XCTAssertEqual(Array(png[12..<16]), Array("IHDR".utf8))
            XCTAssertEqual(Array(png[16..<24]), [0, 0, 0, 160, 0, 0, 0, 160])
            // Deflated, and decoding to the frame's display image.
            let decoded = try PNGDecoder.decode(png)
            XCTAssertEqual(decoded.pixels, expected.pixels)
            XCTAssertLessThan(png.count, 160 * 160)
            let message = try await api.error("/api/frames/10/image.png", status: 404)
            XCTAssertTrue(message.contains("frame_010.tif"), message)
        }
    }

    func testTrackPaths() async throws {
        let columns = try [9, 10, 11].map { try reader.columns(frame: $0) }
        try await withAPI(run.database) { api in
            let p = try await api.json("/api/frames/11/paths?length=3", as: TrackPaths.self)
            XCTAssertEqual(p.length, 3)
            XCTAssertEqual(p.paths.count, StoredRun.columns - 1, "track 63 vanished at frame 7")
            let t9 = try XCTUnwrap(p.paths.first { $0.track == 9 })
            XCTAssertEqual(t9.frames, [9, 10, 11])
            XCTAssertEqual(t9.x, columns.map { $0[9].x })
            XCTAssertEqual(t9.y, columns.map { $0[9].y })
            let across = try await api.json("/api/frames/6/paths?length=3", as: TrackPaths.self)
            XCTAssertEqual(across.paths.first?.frames, [4, 6], "the failed frame 5 has no columns")
            try await api.error("/api/frames/11/paths?length=0", status: 400)
            try await api.error("/api/frames/11/paths?length=100000", status: 400)
        }
    }

    func testTracksPagedAndOneTrack() async throws {
        let all = try reader.tracks()
        let history = try reader.track(63, withTimes: true)
        try await withAPI(run.database) { api in
            let page1 = try await api.json("/api/tracks?limit=10", as: TracksPage.self)
            XCTAssertEqual(page1.tracks, Array(all[0..<10]))
            XCTAssertEqual(page1.next, 9)
            let page2 = try await api.json("/api/tracks?limit=60&after=9", as: TracksPage.self)
            XCTAssertEqual(page2.tracks, Array(all[10..<64]))
            XCTAssertNil(page2.next)
            let short = try await api.json("/api/tracks?min_observations=11", as: TracksPage.self)
            XCTAssertEqual(short.tracks.count, StoredRun.columns - 1)
            let late = try await api.json("/api/tracks?from=8&to=11", as: TracksPage.self)
            XCTAssertFalse(late.tracks.contains { $0.id == 63 })
            let t = try await api.json("/api/tracks/63", as: TrackHistory.self)
            XCTAssertEqual(t.observations, history)
            XCTAssertEqual(t.track.lastFrame, 6)
            XCTAssertEqual(t.observations.map(\.frame), [0, 1, 2, 3, 4, 6])
            XCTAssertEqual(t.observations.first?.acquiredAt, StoredRun.start)
            let part = try await api.json("/api/tracks/63?from=2&to=3", as: TrackHistory.self)
            XCTAssertEqual(part.observations.map(\.frame), [2, 3])
            try await api.error("/api/tracks/9999", status: 404)
        }
    }

    func testEventsFacetsAndModels() async throws {
        let hopsAndChanges = try reader.events(StoreFilter(frames: 2...4, kinds: ["hop", "count_change"]))
        let facets111 = try reader.facets(StoreFilter(kinds: ["{111}"]))
        let allFacets = try reader.facets()
        let models = try reader.models()
        try await withAPI(run.database) { api in
            let all = try await api.json("/api/events", as: EventsList.self)
            XCTAssertEqual(all.events.count, StoredRun.frames)   // 11 ok frames, one has two events
            XCTAssertFalse(all.truncated)
            let vanish = try await api.json("/api/events?kind=vanish", as: EventsList.self)
            XCTAssertEqual(vanish.events.map(\.track), [63])
            XCTAssertEqual(vanish.events.first?.acquiredAt, StoredRun.start + 14)
            let some = try await api.json("/api/events?kind=hop,count_change&from=2&to=4", as: EventsList.self)
            XCTAssertEqual(some.events, hopsAndChanges)
            let limited = try await api.json("/api/events?limit=3", as: EventsList.self)
            XCTAssertEqual(limited.events.count, 3)
            XCTAssertTrue(limited.truncated)
            let f = try await api.json("/api/facets?family=%7B111%7D", as: FacetsList.self)
            XCTAssertEqual(f.facets, facets111)
            XCTAssertEqual(f.facets.count, 11 + 4)
            let everything = try await api.json("/api/facets", as: FacetsList.self)
            XCTAssertEqual(everything.facets, allFacets)
            let range = try await api.json("/api/facets?from=3&to=3", as: FacetsList.self)
            XCTAssertEqual(range.facets.map(\.index), [0, 1, 2])
            let m = try await api.json("/api/models", as: ModelsList.self)
            XCTAssertEqual(m.models, models)
            XCTAssertEqual(m.models.map(\.id), ["gmm-8-a", "gmm-8-b"])
        }
    }

    func testLivePageAndUnknownRoutes() async throws {
        try await withAPI(run.database) { api in
            let (status, body, type) = try await api.get("/")
            XCTAssertEqual(status, 200)
            XCTAssertEqual(type, "text/html; charset=utf-8")
            let html = String(decoding: body, as: UTF8.self)
            XCTAssertTrue(html.contains("<script>"), "the page's script is inline")
            for external in ["src=\"http", "href=\"http", "<link", "@import", "url(http", "fetch(\"http"] {
                XCTAssertFalse(html.contains(external), "no external resources: found \(external)")
            }
            try await api.error("/api/nothing", status: 404)
            try await api.error("/api/frames/3/nothing", status: 404)
        }
    }

    func testDatabaseNotThereYetAnswers503() async throws {
        let missing = run.directory.appendingPathComponent("not-yet.sqlite").path
        try await withAPI(missing) { api in
            let message = try await api.error("/api/summary", status: 503)
            XCTAssertTrue(message.contains("not-yet.sqlite"), message)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing), "the API never creates a database")
    }
}

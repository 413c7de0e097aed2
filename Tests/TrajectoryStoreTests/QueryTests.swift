import Foundation
import GRDB
import XCTest
@testable import StorePresentation
@testable import TrajectoryStore

final class QueryTests: XCTestCase {
    var directory: URL!
    var path: String { directory.appendingPathComponent("store.sqlite").path }
    let series = SyntheticSeries(columns: 25, trackLife: 10)
    let frameCount = 40

    override func setUpWithError() throws {
        directory = temporaryDirectory(name)
        let store = try FrameStore(path: path, options: .init(trackIndexBlock: 8))
        let run = try store.beginSession(SessionRecord(softwareVersion: "test"))
        for k in 0..<frameCount { try store.write(series.result(k), run: run.id!) }
        var failed = FrameRecord(frame: frameCount, path: series.path(frameCount), contentHash: "bad", status: .failed,
                                 error: "not a TIFF")
        failed.acquiredAt = series.time(frameCount)
        try store.write(FrameResult(frame: failed), run: run.id!)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    func testSummaryOfAFrameRange() throws {
        let reader = try StoreReader(path: path)
        let s = try reader.summary(StoreFilter(frames: 10...19))
        XCTAssertEqual(s.frames, 10)
        XCTAssertEqual(s.okFrames, 10)
        XCTAssertEqual(s.columns, 250)
        let columns = (10...19).flatMap { k in (0..<25).map { series.column(k, $0) } }
        XCTAssertEqual(s.atoms, columns.compactMap(\.count).reduce(0, +))
        XCTAssertEqual(s.countedColumns, columns.compactMap(\.count).count)
        assertClose(s.meanCrossSection, columns.map(\.crossSection).reduce(0, +) / 250, 1e-7)
        XCTAssertEqual(s.events, ["appear": 2, "vanish": 2, "hop": 3, "count_change": 3])
        XCTAssertEqual(s.models, ["gmm-12-test0": 10])
        XCTAssertEqual(s.firstAcquiredAt, series.time(10))
        XCTAssertEqual(s.maxTemperature, series.temperature(19))

        let all = try reader.summary()
        XCTAssertEqual(all.frames, 41)
        XCTAssertEqual(all.failedFrames, 1)
        XCTAssertEqual(all.columns, 1000)
        XCTAssertEqual(all.events.values.reduce(0, +), 40)

        let warm = try reader.summary(StoreFilter(temperature: 330...340))   // frames 15…20
        XCTAssertEqual(warm.frames, 6)
        XCTAssertEqual(warm.firstFrame, 15)
        XCTAssertEqual(warm.events.values.reduce(0, +), 6)
    }

    func testFrameFilters() throws {
        let reader = try StoreReader(path: path)
        XCTAssertEqual(try reader.frames(StoreFilter(frames: 3...5)).map(\.frame), [3, 4, 5])
        let t0 = try XCTUnwrap(reader.seriesStart())
        XCTAssertEqual(t0, series.time(0))
        XCTAssertEqual(try reader.frames(StoreFilter(time: (t0 + 10)...(t0 + 14))).map(\.frame), [5, 6, 7])
        XCTAssertEqual(try reader.frames(StoreFilter(temperature: 301...305)).map(\.frame), [1, 2])
        XCTAssertEqual(try reader.frames(StoreFilter(status: .failed)).map(\.frame), [40])
        XCTAssertEqual(try reader.frames(StoreFilter(limit: 2)).map(\.frame), [0, 1])
        XCTAssertEqual(try reader.frames(StoreFilter(frames: 0...39, temperature: 370...1000)).map(\.frame), [35, 36, 37, 38, 39])
    }

    func testTrackAndEventAndFacetFilters() throws {
        let reader = try StoreReader(path: path)
        // Tracks overlapping frames 12…13: the ones of generation 1 (frames 10–19) and track 0.
        let overlapping = try reader.tracks(StoreFilter(frames: 12...13))
        XCTAssertEqual(overlapping.map(\.id), [0] + (26...49).map { $0 })
        let region = Region(x0: 0, y0: 0, x1: 45, y1: 45)
        let inRegion = try reader.tracks(StoreFilter(region: region))
        XCTAssertFalse(inRegion.isEmpty)
        XCTAssertTrue(inRegion.allSatisfy { region.contains(x: $0.meanX, y: $0.meanY) })
        XCTAssertEqual(try reader.tracks(StoreFilter(minObservations: 40)).map(\.id), [0])
        XCTAssertEqual(try reader.tracks(StoreFilter(track: 0)).first?.observations, 40)
        let byTime = try reader.tracks(StoreFilter(time: series.time(0)...series.time(5)))
        XCTAssertEqual(byTime.map(\.id), [0] + (1...24).map { $0 })

        let hops = try reader.events(StoreFilter(kinds: ["hop"]))
        XCTAssertEqual(hops.map(\.frame), stride(from: 2, to: 40, by: 4).map { $0 })
        XCTAssertTrue(hops.allSatisfy { $0.otherTrack != nil })
        XCTAssertEqual(try reader.events(StoreFilter(frames: 0...7, kinds: ["hop", "vanish"])).map(\.frame), [1, 2, 5, 6])
        let eventRegion = Region(x0: 25, y0: 35, x1: 45, y1: 45)
        let near = try reader.events(StoreFilter(region: eventRegion))
        XCTAssertTrue(near.allSatisfy { eventRegion.contains(x: $0.x, y: $0.y) })
        XCTAssertEqual(near.count, (0..<40).filter { eventRegion.contains(x: 30 + Double($0 % 10) * 10, y: 40 + Double($0 % 7) * 10) }.count)
        XCTAssertEqual(try reader.events(StoreFilter(temperature: 300...303)).map(\.frame), [0, 1])
        let trackEvents = try reader.events(StoreFilter(track: series.track(0, 2)))
        XCTAssertEqual(trackEvents.map(\.frame), [2, 6])

        XCTAssertEqual(try reader.facets(StoreFilter(frames: 3...4)).count, 4)
        XCTAssertEqual(try reader.facets(StoreFilter(kinds: ["{100}"])).count, 40)
        XCTAssertEqual(try reader.facets(StoreFilter(region: Region(x0: 0, y0: 0, x1: 60, y1: 60))).map(\.index),
                       Array(repeating: 0, count: 40))
    }

    func testFilterValuesAreBoundNotSpliced() throws {
        let reader = try StoreReader(path: path)
        for hostile in ["hop' OR '1'='1", "x'); DROP TABLE frames; --", "hop\" OR 1=1 --"] {
            XCTAssertEqual(try reader.events(StoreFilter(kinds: [hostile])), [])
            XCTAssertEqual(try reader.facets(StoreFilter(kinds: [hostile])), [])
        }
        XCTAssertEqual(try reader.frames().count, 41)
    }

    func testReaderIsReadOnly() throws {
        let reader = try StoreReader(path: path)
        XCTAssertThrowsError(try reader.reader.unsafeReentrantRead { try $0.execute(sql: "DELETE FROM frames") })
        XCTAssertThrowsError(try (reader.reader as! DatabaseQueue).write { try $0.execute(sql: "DELETE FROM frames") })
        XCTAssertEqual(try reader.frames().count, 41)
    }

    func testColumnExportContract() throws {
        let reader = try StoreReader(path: path)
        XCTAssertEqual(Array(StoreTables.columnHeaders.prefix(7)), ["frame", "file", "track", "x_px", "y_px", "count", "cross_section"])
        var text = ""
        let writer = try RowWriter(headers: StoreTables.columnHeaders, format: .csv) { text += $0 }
        try reader.forEachColumn(StoreFilter(frames: 2...3)) { try writer.write(StoreTables.columnRow($0, $1, $2)) }
        try writer.finish()
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 1 + 50)
        XCTAssertTrue(lines[0].hasPrefix("frame,file,track,x_px,y_px,count,cross_section,"))
        let first = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let c = series.column(2, 0)
        XCTAssertEqual(first[0], "2")
        XCTAssertEqual(first[1], series.path(2))
        XCTAssertEqual(first[2], "0")
        XCTAssertEqual(Double(first[3])!, c.x, accuracy: 0.0005)
        XCTAssertEqual(Double(first[4])!, c.y, accuracy: 0.0005)
        XCTAssertEqual(Int(first[5]), c.count)
        XCTAssertEqual(Double(first[6])!, c.crossSection, accuracy: SyntheticSeries.crossSectionTolerance)
        // Columns without a count have an empty count field.
        let uncounted = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }.filter { $0[5].isEmpty }
        XCTAssertEqual(uncounted.count, 2 * (0..<25).filter { $0 % 13 == 5 }.count)

        // Region and track filters; JSON export is an array of objects with the same fields.
        var json = ""
        let jw = try RowWriter(headers: StoreTables.columnHeaders, format: .json) { json += $0 }
        try reader.forEachColumn(StoreFilter(frames: 0...39, region: Region(x0: 0, y0: 0, x1: 35, y1: 35))) {
            try jw.write(StoreTables.columnRow($0, $1, $2))
        }
        try jw.finish()
        let objects = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [[String: Any]]
        XCTAssertEqual(objects.count, 40)
        XCTAssertTrue(objects.allSatisfy { ($0["track"] as? Int) == 0 })
        var track5 = 0
        try reader.forEachColumn(StoreFilter(track: 5)) { _, _, c in XCTAssertEqual(c.track, 5); track5 += 1 }
        XCTAssertEqual(track5, 10)
    }

    func testEventAndFacetExportHeaders() throws {
        let reader = try StoreReader(path: path)
        let events = StoreTables.events(try reader.events(), seriesStart: try reader.seriesStart())
        let csv = events.render(.csv)
        XCTAssertTrue(csv.hasPrefix("frame,kind,x_px,y_px,track,other_track,before,after,delta,confidence,time_s,acquired\n"))
        XCTAssertTrue(csv.contains("\n1,vanish,40,50,1,,,,,0.75,2,2023-11-14T22:13:22.000Z\n"), csv)
        let facets = StoreTables.facets(try reader.facets(StoreFilter(frames: 0...0))).render(.csv)
        XCTAssertEqual(facets, """
            frame,idx,family,x0,y0,x1,y1,columns,length,angle
            0,0,{111},10,10,50,12,4,4.7,2.9
            0,1,{100},100,100,120,140,3,5.4,63.4

            """)
    }

    func testRenderingTableCSVAndJSON() throws {
        let t = ResultTable(headers: ["frame", "file", "x"], rows: [
            [.int(1), .text("a,b.tif"), .fixed(1.5, places: 3)],
            [.int(12), .text("say \"hi\""), .null],
        ])
        XCTAssertEqual(t.render(.table), """
            frame  file        x
            -----  --------  ---
                1  a,b.tif   1.5
               12  say "hi"

            """)
        XCTAssertEqual(t.render(.csv), "frame,file,x\n1,\"a,b.tif\",1.5\n12,\"say \"\"hi\"\"\",\n")
        let parsed = try JSONSerialization.jsonObject(with: Data(t.render(.json).utf8)) as! [[String: Any]]
        XCTAssertEqual(parsed.count, 2)
        XCTAssertEqual(parsed[1]["file"] as? String, "say \"hi\"")
        XCTAssertTrue(parsed[1]["x"] is NSNull)

        let summary = StoreTables.summary(try StoreReader(path: path).summary(StoreFilter(frames: 0...9)))
        let object = try JSONSerialization.jsonObject(with: Data(summary.render(.json).utf8)) as! [String: Any]
        XCTAssertEqual(object["frames"] as? Int, 10)
        XCTAssertEqual(object["columns"] as? Int, 250)
        XCTAssertTrue(summary.render(.table).split(separator: "\n").contains { $0.hasPrefix("columns ") && $0.hasSuffix(" 250") })

        XCTAssertEqual(ResultTable.format(0.11773681640625, digits: 7), "0.1177368")
        XCTAssertEqual(ResultTable.format(123_456_789, digits: 4), "123500000")
        XCTAssertEqual(ResultTable.format(2.5e-7, digits: 7), "2.5e-07")
        XCTAssertEqual(ResultTable.format(-3.0, digits: 7), "-3")
        XCTAssertEqual(ResultTable.format(12.3456, places: 3), "12.346")
        XCTAssertEqual(ResultTable.format(-0.0004, places: 3), "0")
        XCTAssertEqual(ResultTable.format(-0.05, places: 3), "-0.05")
        XCTAssertEqual(ResultTable.format(7, places: 3), "7")
    }
}

import Foundation
import XCTest
@testable import PostgresStore
import StorePresentation
import TrajectoryStore

/// Everything a reader can answer about a run, gathered through `StoreQuerying` (and the writer's
/// own queries) over a set of filters: compared between the two stores.
struct Answers: Equatable {
    var sessions: [SessionRecord] = []
    var models: [CountingModelRecord] = []
    var seriesStart: Double?
    var frames: [[FrameRecord]] = []
    var single: [FrameRecord?] = []
    var summaries: [StoreSummary] = []
    var columnsOfFrames: [[ColumnRecord]] = []
    var eachColumn: [[String]] = []
    var histories: [[TrackObservation]] = []
    var tracks: [[TrackRecord]] = []
    var events: [[EventRecord]] = []
    var facets: [[FacetRecord]] = []
    var particles: [[ParticleRecord]] = []
    var heartbeat: Heartbeat?
    var committed: [CommittedFrame] = []
    var committedSecond: [CommittedFrame] = []
    var resume: ResumePoint?
    var known: KnownFiles?
    var inProgress: [InProgressFrame] = []
    var stored: [StoredFrame?] = []
    var awaiting: [[Int]] = []
    /// CSV exports (StorePresentation), by table.
    var csv: [String: String] = [:]
}

/// The stored write time (`t_store`) and the time a temperature was filled in are the clock's when
/// each store wrote: the values that legitimately differ (kept as nil or not nil).
func normalised(_ f: FrameRecord) -> FrameRecord {
    var f = f
    f.timings.store = 0.001
    if f.temperatureFilledAt != nil { f.temperatureFilledAt = 1 }
    return f
}

/// The filters every query is asked with.
func conformanceFilters(_ s: ConformanceSeries) -> [StoreFilter] {
    [
        StoreFilter(),
        StoreFilter(frames: 5...20),
        StoreFilter(frames: 55...70),
        StoreFilter(time: s.time(10)...s.time(30)),
        StoreFilter(temperature: 320...380),
        StoreFilter(region: Region(x0: 25, y0: 25, x1: 70, y1: 60)),
        StoreFilter(kinds: ["hop"]),
        StoreFilter(kinds: ["appear", "vanish", "{111}"]),
        StoreFilter(track: 1),
        StoreFilter(track: 0, limit: 10),
        StoreFilter(status: .failed),
        StoreFilter(status: .ok, limit: 7),
        StoreFilter(limit: 7),
        StoreFilter(minObservations: 20),
        StoreFilter(limit: 5, afterTrack: 30),
        StoreFilter(afterTrack: 100),
        StoreFilter(frames: 20...45, region: Region(x0: 40, y0: 30, x1: 90, y1: 90), minObservations: 3, limit: 12),
        StoreFilter(frames: 2...40, time: s.time(0)...s.time(35), temperature: 300...360, kinds: ["hop", "count_change"], track: 3),
    ]
}

func gather(_ store: any StoreWriting, _ s: ConformanceSeries) throws -> Answers {
    let r = store.reader
    var a = Answers()
    a.sessions = try r.sessions()
    a.models = try r.models()
    a.seriesStart = try r.seriesStart()
    let filters = conformanceFilters(s)
    for f in filters {
        a.frames.append(try r.frames(f).map(normalised))
        a.summaries.append(try r.summary(f))
        var cols: [String] = []
        try r.forEachColumn(f) { frame, i, c in cols.append("\(frame.frame) \(i) \(c)") }
        a.eachColumn.append(cols)
        a.tracks.append(try r.tracks(f))
        a.events.append(try r.events(f))
        a.facets.append(try r.facets(f))
        a.particles.append(try r.particles(f))
    }
    for k in [0, 7, 12, 33, 45, 59, 60] {
        a.single.append(try r.frame(k).map(normalised))
        a.columnsOfFrames.append(try r.columns(frame: k))
    }
    for (id, range, times) in [(0, nil, false), (0, 10...30, true), (1, nil, true), (41, nil, false), (121, 49...59, true),
                               (10, nil, false), (9999, nil, true)] as [(Int, ClosedRange<Int>?, Bool)] {
        a.histories.append(try r.track(id, frames: range, withTimes: times))
    }
    a.heartbeat = try r.heartbeat()
    a.committed = try store.committedFrames()
    a.committedSecond = try store.committedFrames(run: 2)
    a.resume = try store.resumePoint()
    a.known = try store.knownFiles()
    a.inProgress = try store.inProgress()
    a.stored = try [(s.path(3), s.hash(3)), (s.path(3), "other"), ("/elsewhere.tif", s.hash(4)), (s.path(7), "x"),
                    ("/new.tif", "new")].map { try store.storedFrame(identity: $0.0, contentHash: $0.1) }
    a.awaiting = [try store.framesAwaitingTemperature(in: s.time(0)...s.time(59)).map(\.frame)]

    // Exports as the CLI renders them.
    let start = a.seriesStart
    a.csv["frames"] = StoreTables.frames(try r.frames().map(normalised), seriesStart: start).render(.csv)
    var rows: [[Cell]] = []
    try r.forEachColumn { f, i, c in rows.append(StoreTables.columnRow(f, i, c)) }
    a.csv["columns"] = ResultTable(headers: StoreTables.columnHeaders, rows: rows).render(.csv)
    a.csv["tracks"] = StoreTables.tracks(try r.tracks()).render(.csv)
    a.csv["history"] = StoreTables.trackHistory(try r.track(0, withTimes: true), seriesStart: start).render(.csv)
    a.csv["events"] = StoreTables.events(try r.events(), seriesStart: start).render(.csv)
    a.csv["facets"] = StoreTables.facets(try r.facets()).render(.csv)
    a.csv["particles"] = StoreTables.particles(try r.particles()).render(.csv)
    a.csv["summary"] = StoreTables.summary(try r.summary()).render(.csv)
    return a
}

final class ConformanceTests: XCTestCase {
    /// The same series written through `StoreWriting` into a SQLite file and into a PostgreSQL run
    /// answers every query identically, and exports byte-identical CSV.
    func testBothStoresAnswerTheSame() throws {
        let url = try testPostgresURL()
        let series = ConformanceSeries()
        let path = temporaryFile()
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let sqlite = try FrameStore(path: path, options: .init(trackIndexBlock: 8))
        let postgres = try PostgresFrameStore(url: url, run: RunKey(instrument: "microscope-1", name: uniqueRunName()),
                                              options: .init(trackIndexBlock: 8))
        try series.write(to: sqlite)
        try series.write(to: postgres)
        let expected = try gather(sqlite, series)
        let actual = try gather(postgres, series)

        // The series must exercise what it claims to (else the comparison proves little).
        XCTAssertEqual(expected.sessions.count, 2)
        XCTAssertGreaterThan(expected.tracks[0].count, 50)
        XCTAssertTrue(expected.frames[0].contains { $0.status == .failed })
        XCTAssertTrue(expected.frames[0].contains { $0.temperatureSource == "holder log" })
        XCTAssertFalse(expected.histories[0].isEmpty)
        XCTAssertEqual(expected.summaries[0].frames, series.frames)

        func check<T: Equatable>(_ name: String, _ a: T, _ b: T) {
            if a != b { XCTFail("\(name) differs between SQLite and PostgreSQL: \(firstDifference(a, b))") }
        }
        check("sessions", expected.sessions, actual.sessions)
        check("models", expected.models, actual.models)
        check("seriesStart", expected.seriesStart, actual.seriesStart)
        let filters = conformanceFilters(series)
        for (i, f) in filters.enumerated() {
            check("frames(\(f))", expected.frames[i], actual.frames[i])
            check("summary(\(f))", expected.summaries[i], actual.summaries[i])
            check("forEachColumn(\(f))", expected.eachColumn[i], actual.eachColumn[i])
            check("tracks(\(f))", expected.tracks[i], actual.tracks[i])
            check("events(\(f))", expected.events[i], actual.events[i])
            check("facets(\(f))", expected.facets[i], actual.facets[i])
            check("particles(\(f))", expected.particles[i], actual.particles[i])
        }
        check("frame(k)", expected.single, actual.single)
        check("columns(frame:)", expected.columnsOfFrames, actual.columnsOfFrames)
        check("track histories", expected.histories, actual.histories)
        check("heartbeat", expected.heartbeat, actual.heartbeat)
        check("committedFrames", expected.committed, actual.committed)
        check("committedFrames(run: 2)", expected.committedSecond, actual.committedSecond)
        check("resumePoint", expected.resume, actual.resume)
        check("knownFiles", expected.known, actual.known)
        check("inProgress", expected.inProgress, actual.inProgress)
        check("storedFrame", expected.stored, actual.stored)
        check("framesAwaitingTemperature", expected.awaiting, actual.awaiting)
        for key in expected.csv.keys.sorted() {
            XCTAssertEqual(expected.csv[key], actual.csv[key], "CSV export of \(key) differs")
            XCTAssertGreaterThan(expected.csv[key]?.count ?? 0, 100, "CSV export of \(key) is nearly empty")
        }
        XCTAssertTrue(expected == actual)
    }

    /// Writing the same frame twice is a duplicate on both stores.
    func testDuplicateFrame() throws {
        let url = try testPostgresURL()
        let series = ConformanceSeries(frames: 3, columns: 5)
        let path = temporaryFile()
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let stores: [any StoreWriting] = [
            try FrameStore(path: path),
            try PostgresFrameStore(url: url, run: RunKey(instrument: "m", name: uniqueRunName())),
        ]
        for store in stores {
            let s = try store.beginSession(SessionRecord(softwareVersion: "t"))
            XCTAssertEqual(try store.write(series.result(0), run: s.id!), .inserted)
            XCTAssertEqual(try store.write(series.result(0), run: s.id!), .duplicate)
            XCTAssertEqual(try store.reader.columns(frame: 0).count, 5)
            XCTAssertEqual(try store.reader.summary().frames, 1)
            XCTAssertThrowsError(try store.write(FrameResult(frame: FrameRecord(frame: 0, path: "/other.tif", contentHash: "o")),
                                                 run: s.id!)) { error in
                guard case StoreError.frameNumberTaken = error else { return XCTFail("\(error)") }
            }
        }
    }
}

/// Where two values first differ (path, SQLite's value, PostgreSQL's value), through their mirrors.
func firstDifference(_ a: Any, _ b: Any, path: String = "") -> String {
    let ma = Mirror(reflecting: a), mb = Mirror(reflecting: b)
    let ca = Array(ma.children), cb = Array(mb.children)
    if ca.isEmpty || cb.isEmpty || ca.count != cb.count {
        return "\(path): \(String(describing: a).prefix(300)) vs \(String(describing: b).prefix(300))"
    }
    for (i, (x, y)) in zip(ca, cb).enumerated() where String(describing: x.value) != String(describing: y.value) {
        return firstDifference(x.value, y.value, path: path + "." + (x.label ?? "\(i)"))
    }
    return "\(path): equal descriptions"
}

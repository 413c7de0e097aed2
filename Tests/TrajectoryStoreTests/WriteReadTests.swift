import Foundation
import GRDB
import XCTest
@testable import TrajectoryStore
import StemCore

final class WriteReadTests: XCTestCase {
    var directory: URL!
    var path: String { directory.appendingPathComponent("store.sqlite").path }

    override func setUp() { directory = temporaryDirectory(name) }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    func makeStore(block: Int = 8) throws -> (FrameStore, Int64) {
        let store = try FrameStore(path: path, options: .init(trackIndexBlock: block))
        let run = try store.beginSession(SessionRecord(softwareVersion: "test", settings: #"{"a":1}"#, directory: "/data/series"))
        return (store, run.id!)
    }

    func testParticlesRoundTripAndValidation() throws {
        let (store, run) = try makeStore()
        var r = FrameResult(frame: FrameRecord(frame: 0, path: "/d/f0.tif", contentHash: "h0"))
        r.particles = [
            ParticleRecord(frame: 0, index: 0, columns: 131, surfaceColumns: 41, atoms: 786, area: 669.02, perimeter: 90.52,
                           centreX: 195.61, centreY: 166.45, radiusOfGyration: 9.32, aspectRatio: 1.111),
            ParticleRecord(frame: 0, index: 1, columns: 3, surfaceColumns: 3, atoms: nil, area: 15.3, perimeter: 4.8,
                           centreX: 20, centreY: 30, radiusOfGyration: 1.2, aspectRatio: .infinity),
        ]
        XCTAssertEqual(try store.write(r, run: run), .inserted)
        let read = try StoreReader(path: path).particles()
        XCTAssertEqual(read, r.particles, "a straight line of columns (aspect ∞) is stored as NULL and read back as ∞")
        var bad = FrameResult(frame: FrameRecord(frame: 1, path: "/d/f1.tif", contentHash: "h1"))
        bad.particles = [r.particles[0]]
        XCTAssertThrowsError(try store.write(bad, run: run)) { error in
            XCTAssertEqual(error as? StoreError, .invalidFrame(frame: 1, reason: "particle 0 belongs to frame 0"))
        }
        XCTAssertEqual(try StoreReader(path: path).particles(StoreFilter(frames: 1...1)), [])
    }

    /// The quantum of heights and cross-sections is set by the first frame; a first frame with
    /// tiny values (10⁻³⁰) must not make later normal frames unstorable, nor values 10¹³ × the
    /// first frame's: beyond the integer range they are stored as REAL multiples of the quantum.
    /// Every value reads back within 10⁻⁶ (relative) or half a quantum, tracks included.
    func testAnyFiniteHeightIsStored() throws {
        let (store, run) = try makeStore(block: 1)
        let scales = [1e-30, 1.0, 1e13, 1e-30, 3e250]
        for (k, scale) in scales.enumerated() {
            var r = FrameResult(frame: FrameRecord(frame: k, path: "/d/f\(k).tif", contentHash: "h\(k)"))
            r.columns = (0..<5).map { i in
                ColumnRecord(x: 10 + Double(i), y: 20, sigmaX: 0.01, sigmaY: 0.01, width: 2.5, height: scale * Double(i + 1),
                             sigmaHeight: scale * 0.01, crossSection: scale * 39.3 * Double(i + 1), crlbX: nil, crlbY: nil,
                             count: nil, track: i)
            }
            XCTAssertEqual(try store.write(r, run: run), .inserted, "scale \(scale)")
        }
        let reader = store.reader
        let quantum = try XCTUnwrap(try reader.frames().first.map { _ in 0x1p-20 * 1e-30 })   // ≈ the first frame's quantum
        for (k, scale) in scales.enumerated() {
            let cols = try reader.columns(frame: k)
            XCTAssertEqual(cols.count, 5)
            for (i, c) in cols.enumerated() {
                let want = scale * Double(i + 1)
                XCTAssertEqual(c.height, want, accuracy: max(1e-6 * want, quantum * 4), "frame \(k) column \(i)")
                XCTAssertEqual(c.crossSection, scale * 39.3 * Double(i + 1), accuracy: max(1e-6 * want * 39.3, quantum * 200))
            }
        }
        let t = try XCTUnwrap(try reader.tracks(StoreFilter(track: 2)).first)
        XCTAssertEqual(t.observations, 5)
        let mean = scales.map { $0 * 39.3 * 3 }.reduce(0, +) / 5
        XCTAssertEqual(try XCTUnwrap(t.meanCrossSection), mean, accuracy: 1e-6 * mean)
    }

    func testSchemaMigrationsAndPragmas() throws {
        let (store, _) = try makeStore()
        try store.pool.writeWithoutTransaction { db in
            XCTAssertEqual(try String.fetchOne(db, sql: "PRAGMA journal_mode"), "wal")
            XCTAssertEqual(try Int.fetchOne(db, sql: "PRAGMA synchronous"), 1, "NORMAL on the writer connection")
            XCTAssertEqual(try Int32.fetchOne(db, sql: "PRAGMA application_id"), StoreSchema.applicationID)
            XCTAssertEqual(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid"),
                           ["v1-tables", "v1-indexes", "v1-views", "v2-particles", "v3-service", "v4-smoothing"])
            let tables = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"))
            for t in ["runs", "frames", "columns", "track_points", "tracks", "events", "facets", "particles", "counting_models",
                      "store_meta", "resume_state", "column_values", "track_history", "track_summary"] {
                XCTAssertTrue(tables.contains(t), t)
            }
        }
        // Re-opening migrates nothing and keeps the data.
        _ = try FrameStore(path: path)
    }

    func testRefusesForeignDatabase() throws {
        let other = directory.appendingPathComponent("other.sqlite").path
        try DatabaseQueue(path: other).write { try $0.execute(sql: "CREATE TABLE t (a)") }
        XCTAssertThrowsError(try FrameStore(path: other)) { XCTAssertEqual($0 as? StoreError, .notAStore(other)) }
        XCTAssertThrowsError(try StoreReader(path: other))
        XCTAssertThrowsError(try StoreReader(path: directory.appendingPathComponent("missing.sqlite").path)) {
            guard case .fileNotFound = $0 as? StoreError else { return XCTFail("\($0)") }
        }
        let text = directory.appendingPathComponent("text.csv").path
        try Data("frame,x\n".utf8).write(to: URL(fileURLWithPath: text))
        XCTAssertThrowsError(try StoreReader(path: text)) { XCTAssertEqual($0 as? StoreError, .notAStore(text)) }
        XCTAssertThrowsError(try FrameStore(path: text)) { XCTAssertEqual($0 as? StoreError, .notAStore(text)) }
    }

    func testRoundTripOfEveryRecord() throws {
        let (store, run) = try makeStore()
        let series = SyntheticSeries(columns: 37)
        var r = series.result(0, resumeState: Data("state 0".utf8))
        r.columns[3].width = 3.4567          // a per-column width in a shared-width frame
        r.columns[4].sigmaX = nil
        r.columns[5].track = nil
        XCTAssertEqual(try store.write(r, run: run), .inserted)
        let reader = try StoreReader(path: path)

        let frame = try XCTUnwrap(reader.frame(0))
        XCTAssertEqual(frame.path, series.path(0))
        XCTAssertEqual(frame.contentHash, series.hash(0))
        XCTAssertEqual(frame.runID, run)
        XCTAssertEqual(frame.status, .ok)
        XCTAssertEqual(frame.acquiredAt, series.time(0))
        XCTAssertEqual(frame.temperature, 300)
        XCTAssertEqual(frame.modelID, "gmm-12-test0")
        XCTAssertEqual(frame.timings.fit, 0.2)
        XCTAssertNotNil(frame.timings.store)
        XCTAssertEqual(frame.columnCount, 37)
        let counted = r.columns.compactMap(\.count)
        XCTAssertEqual(frame.countedColumns, counted.count)
        XCTAssertEqual(frame.atoms, counted.reduce(0, +))
        assertClose(frame.meanCrossSection, r.columns.map(\.crossSection).reduce(0, +) / 37, 1e-7)

        let columns = try reader.columns(frame: 0)
        XCTAssertEqual(columns.count, 37)
        for (a, b) in zip(columns, r.columns) {
            assertClose(a.x, b.x, 0.0005); assertClose(a.y, b.y, 0.0005)
            assertClose(a.sigmaX, b.sigmaX, 0.00005); assertClose(a.sigmaY, b.sigmaY, 0.00005)
            assertClose(a.width, b.width, 0.00005)
            assertClose(a.crlbX, b.crlbX, 0.00005); assertClose(a.crlbY, b.crlbY, 0.00005)
            XCTAssertLessThanOrEqual(abs(a.crossSection - b.crossSection), SyntheticSeries.crossSectionTolerance)
            XCTAssertLessThanOrEqual(abs(a.height - b.height), 2e-6 * abs(b.height))
            assertClose(a.sigmaHeight, b.sigmaHeight, 1e-6 * 4 * b.height)
            XCTAssertEqual(a.count, b.count)
            XCTAssertEqual(a.track, b.track)
        }
        XCTAssertEqual(columns[3].width, 3.4567, accuracy: 1e-9)
        XCTAssertEqual(columns[0].width, 3.3)

        XCTAssertEqual(try reader.events().map(\.kind), ["appear"])
        XCTAssertEqual(try reader.events().first?.acquiredAt, series.time(0))
        XCTAssertEqual(try reader.facets(), r.facets)
        let models = try reader.models()
        XCTAssertEqual(models.count, 1)
        XCTAssertEqual(models[0].means, r.model!.means)
        XCTAssertEqual(models[0].firstFrame, 0)
        XCTAssertEqual(try reader.sessions().map(\.settings), [#"{"a":1}"#])

        let resume = try store.resumePoint()
        XCTAssertEqual(resume.frameCount, 1)
        XCTAssertEqual(resume.lastFrame, 0)
        XCTAssertEqual(resume.nextFrame, 1)
        XCTAssertEqual(resume.state, Data("state 0".utf8))
        XCTAssertEqual(resume.stateFrame, 0)
        XCTAssertNil(resume.lastSession?.stoppedAt)
        try store.endSession(run)
        XCTAssertNotNil(try store.resumePoint().lastSession?.stoppedAt)
    }

    func testRewritingTheSameFramesAddsNothing() throws {
        let (store, run) = try makeStore(block: 4)
        let series = SyntheticSeries(columns: 20)
        for k in 0..<10 { XCTAssertEqual(try store.write(series.result(k), run: run), .inserted) }
        func counts() throws -> [Int] {
            try store.pool.read { db in
                try ["frames", "columns", "track_points", "tracks", "events", "facets", "counting_models"].map {
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)")!
                }
            }
        }
        try store.flushTrackIndex()
        let before = try counts()
        let run2 = try store.beginSession(SessionRecord(softwareVersion: "test")).id!
        for k in 0..<10 { XCTAssertEqual(try store.write(series.result(k), run: run2), .duplicate) }
        try store.flushTrackIndex()
        XCTAssertEqual(try counts(), before)
        XCTAssertEqual(before[0], 10)
        XCTAssertEqual(before[1], 200)
        XCTAssertTrue(try store.contains(path: series.path(3), contentHash: series.hash(3)))
        XCTAssertFalse(try store.contains(path: series.path(3), contentHash: series.hash(4)))
        XCTAssertEqual(try store.committedFrames().map(\.frame), Array(0..<10))
        XCTAssertEqual(try store.committedFrames(run: run2), [])
    }

    func testFailedFramesAreReplacedButOkFramesAreNot() throws {
        let (store, run) = try makeStore()
        let series = SyntheticSeries(columns: 10)
        var failed = FrameRecord(frame: 0, path: series.path(0), contentHash: "truncated", status: .failed,
                                 error: "frame_0000.tif: truncated TIFF, 1.2 MB of 2.1 MB read")
        failed.acquiredAt = series.time(0)
        XCTAssertEqual(try store.write(FrameResult(frame: failed), run: run), .inserted)
        XCTAssertEqual(try store.write(FrameResult(frame: failed), run: run), .duplicate)
        var reader = store.reader
        XCTAssertEqual(try reader.frame(0)?.status, .failed)
        XCTAssertEqual(try reader.frame(0)?.error, failed.error)
        XCTAssertEqual(try reader.summary().failedFrames, 1)

        // The complete file arrives: same path, new content.
        XCTAssertEqual(try store.write(series.result(0), run: run), .replaced)
        reader = store.reader
        XCTAssertEqual(try reader.frame(0)?.status, .ok)
        XCTAssertEqual(try reader.frames().count, 1)
        XCTAssertEqual(try reader.columns(frame: 0).count, 10)

        // Another file under an ok frame's number is refused; nothing is written.
        var other = series.result(1)
        other.frame.frame = 0
        other.facets = []
        XCTAssertThrowsError(try store.write(other, run: run)) {
            guard case .frameNumberTaken(0, _, _) = $0 as? StoreError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try reader.frames().count, 1)
        XCTAssertThrowsError(try store.write(series.result(1), run: 999)) { XCTAssertEqual($0 as? StoreError, .unknownRun(999)) }
    }

    func testInvalidFramesAreRefusedWhole() throws {
        let (store, run) = try makeStore()
        let series = SyntheticSeries(columns: 10)
        var twice = series.result(0)
        twice.columns[2].track = twice.columns[1].track
        XCTAssertThrowsError(try store.write(twice, run: run))
        var nan = series.result(0)
        nan.columns[9].x = .nan
        XCTAssertThrowsError(try store.write(nan, run: run))
        var failedWithColumns = series.result(0)
        failedWithColumns.frame.status = .failed
        XCTAssertThrowsError(try store.write(failedWithColumns, run: run))
        var unknownModel = series.result(0)
        unknownModel.model = nil
        unknownModel.frame.modelID = "never-stored"
        XCTAssertThrowsError(try store.write(unknownModel, run: run), "foreign key to counting_models")
        try store.pool.read { db in
            for t in ["frames", "columns", "events", "facets"] {
                XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM \(t)"), 0, t)
            }
        }
        XCTAssertEqual(try store.write(series.result(0), run: run), .inserted)
    }

    /// Track histories and summaries agree with the generated data whether frames are indexed
    /// (block written) or pending, and when frames arrive out of order (live mode backfill).
    func testTrackHistoryAndSummariesIndexedPendingAndOutOfOrder() throws {
        let (store, run) = try makeStore(block: 8)
        let series = SyntheticSeries(columns: 12, trackLife: 15)
        let order = [40, 41, 42] + Array(0..<40) + [43, 44, 45]   // newest first, then backfill
        for k in order { try store.write(series.result(k), run: run) }
        let pending = try store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM frames WHERE track_indexed = 0")! }
        XCTAssertGreaterThan(pending, 0, "some frames must still be pending")
        XCTAssertLessThan(pending, 8)
        let reader = try StoreReader(path: path)

        // Brute force from the generator.
        var expected: [Int: [(frame: Int, column: ColumnRecord, index: Int)]] = [:]
        for k in 0..<46 { for i in 0..<12 { expected[series.track(k, i), default: []].append((k, series.column(k, i), i)) } }

        for id in [0, 1, 5, 12 + 3, 36 + 7] {
            let points = try reader.track(id, withTimes: true)
            let truth = expected[id]!
            XCTAssertEqual(points.map(\.frame), truth.map(\.frame), "track \(id)")
            for (p, t) in zip(points, truth) {
                assertClose(p.x, t.column.x, 0.0005); assertClose(p.y, t.column.y, 0.0005)
                XCTAssertEqual(p.count, t.column.count)
                XCTAssertEqual(p.index, t.index)
                XCTAssertEqual(p.acquiredAt, series.time(p.frame))
                XCTAssertLessThanOrEqual(abs(p.crossSection! - t.column.crossSection), SyntheticSeries.crossSectionTolerance)
            }
            XCTAssertEqual(try reader.track(id, frames: 10...20).map(\.frame), truth.map(\.frame).filter { (10...20).contains($0) })
        }
        XCTAssertEqual(try reader.track(123_456), [])

        let tracks = try reader.tracks()
        XCTAssertEqual(tracks.map(\.id), expected.keys.sorted())
        for t in tracks {
            let truth = expected[t.id]!
            XCTAssertEqual(t.firstFrame, truth.first!.frame)
            XCTAssertEqual(t.lastFrame, truth.last!.frame)
            XCTAssertEqual(t.observations, truth.count)
            assertClose(t.meanX, truth.map(\.column.x).reduce(0, +) / Double(truth.count), 0.0005)
            let counts = truth.compactMap(\.column.count)
            XCTAssertEqual(t.countedObservations, counts.count)
            XCTAssertEqual(t.minCount, counts.min())
            XCTAssertEqual(t.maxCount, counts.max())
            assertClose(t.meanCount, counts.isEmpty ? nil : Double(counts.reduce(0, +)) / Double(counts.count), 1e-9)
        }
        // The SQL views give the same answers to people using sqlite3.
        try store.pool.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT frame, x_px, count FROM track_history WHERE track = ? ORDER BY frame", arguments: [5])
            XCTAssertEqual(rows.map { $0[0] as Int }, expected[5]!.map(\.frame))
            assertClose(rows[3][1], expected[5]![3].column.x, 0.0005)
            let summary = try Row.fetchAll(db, sql: "SELECT id, first_frame, last_frame, observations, min_count FROM track_summary ORDER BY id")
            XCTAssertEqual(summary.map { $0[0] as Int }, tracks.map(\.id))
            XCTAssertEqual(summary.map { $0[3] as Int }, tracks.map(\.observations))
            XCTAssertEqual(summary.map { $0[4] as Int? }, tracks.map(\.minCount))
            let values = try Row.fetchAll(db, sql: "SELECT idx, x_px, x_A, width_px, cross_section FROM column_values WHERE frame = 7 ORDER BY idx")
            XCTAssertEqual(values.count, 12)
            assertClose(values[2][1], series.column(7, 2).x, 0.0005)
            assertClose(values[2][2], series.column(7, 2).x * 0.1211, 0.0005 * 0.1211)
            assertClose(values[2][3], 3.3, 1e-12)
        }
        // After flushing everything, nothing is pending and answers are unchanged.
        try store.flushTrackIndex()
        XCTAssertEqual(try store.reader.tracks(), tracks)
        XCTAssertEqual(try store.reader.track(5).map(\.frame), expected[5]!.map(\.frame))
    }

    /// A read-only reader polling while frames are written sees whole frames only.
    func testReadsDuringWritesSeeWholeFrames() throws {
        let (store, run) = try makeStore(block: 4)
        let series = SyntheticSeries(columns: 300)
        try store.write(series.result(0), run: run)
        let reader = try StoreReader(path: path)
        let done = Atomic(false)
        let writer = Thread {
            for k in 1..<60 { _ = try? store.write(series.result(k), run: run) }
            done.set(true)
        }
        writer.start()
        var polls = 0, sizes = Set<Int>()
        while !done.get() || polls < 3 {
            let s = try reader.summary()
            XCTAssertEqual(s.columns, s.frames * 300, "a snapshot holds whole frames")
            let history = try reader.track(0)
            XCTAssertEqual(history.map(\.frame), Array(0..<history.count))
            XCTAssertGreaterThanOrEqual(history.count, s.frames, "later snapshot, never fewer")
            sizes.insert(s.frames)
            polls += 1
        }
        XCTAssertEqual(try reader.summary().frames, 60)
        XCTAssertGreaterThan(sizes.count, 1, "the reader saw the store grow")
    }

    func testQuantaComeFromTheFirstFrameWithColumns() throws {
        let (store, run) = try makeStore()
        let failed = FrameRecord(frame: 0, path: "/a/0.tif", contentHash: "x", status: .failed, error: "unreadable")
        try store.write(FrameResult(frame: failed), run: run)
        let series = SyntheticSeries(columns: 30)
        try store.write(series.result(1), run: run)
        try store.pool.read { db in
            let q = try StoreReader.quantizer(db)
            let median = series.result(1).columns.map(\.crossSection).sorted()[15]
            XCTAssertLessThanOrEqual(q.crossSectionQuantum, median * 0x1p-20)
            XCTAssertGreaterThan(q.crossSectionQuantum, median * 0x1p-21)
            XCTAssertEqual(q.crossSectionQuantum.significand, 1, "a power of two")
        }
        // Much larger values later are still stored exactly enough (just with more bytes).
        var big = series.result(2)
        big.columns[0].crossSection = 1e6
        try store.write(big, run: run)
        XCTAssertEqual(try store.reader.columns(frame: 2)[0].crossSection, 1e6, accuracy: 1e-6)
    }

    func testContentHash() throws {
        let a = ContentHash.of(Data("abc".utf8)), b = ContentHash.of(Data("abd".utf8))
        XCTAssertEqual(a.count, 32)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a, ContentHash.of(Data("abc".utf8)))
        XCTAssertNotEqual(ContentHash.of(Data()), ContentHash.of(Data([0])))
        let file = directory.appendingPathComponent("f.bin")
        let bytes = Data((0..<100_003).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try bytes.write(to: file)
        XCTAssertEqual(try ContentHash.ofFile(file.path), ContentHash.of(bytes))
    }
}

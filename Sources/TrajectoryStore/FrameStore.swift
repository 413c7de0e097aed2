import Foundation
// GRDB is an internal dependency: no GRDB type appears in a public declaration or in the stored
// layout of a public type (see WriterConnection, ReaderConnection). Clients still load GRDB (this
// module is not built for library evolution), and without the MemberImportVisibility feature
// GRDB's operator overloads reach their type checker (long `+` string chains can time out).
internal import GRDB
#if canImport(GRDBSQLite)
internal import GRDBSQLite
#else
internal import SQLite3
#endif

/// The writer side of the trajectory store: one SQLite file (WAL mode) that the pipeline writes
/// one frame at a time, each frame with all its results in one transaction.
///
/// Durability: WAL with `synchronous = NORMAL`. A committed frame survives a crash or kill of
/// the process (it is in the WAL file); after a power loss or OS crash the last frames committed
/// before the WAL was synced may be missing, but the file is never corrupt and never holds part
/// of a frame. Writers in other processes are serialised by SQLite (immediate transactions).
///
/// Tracks: columns are appended in frame order; a copy of each tracked column's position, count
/// and cross-section is kept in `track_points`, clustered by (track, frame), so that a track's
/// whole history is one contiguous range. That copy (and the per-track aggregates in `tracks`) is
/// written for a block of ``Options/trackIndexBlock`` frames at a time, inside the transaction of
/// the frame that completes the block; until then a frame is "pending" and readers take its
/// columns from `columns` directly (``StoreReader`` and the SQL views do so).
public final class FrameStore: StoreWriting {
    public struct Options: Sendable {
        /// Frames whose tracked columns are copied to `track_points` together.
        public var trackIndexBlock: Int
        /// SQLite page cache of the writer connection, MiB.
        public var cacheSizeMiB: Int
        /// WAL size (pages) that triggers an automatic checkpoint.
        public var walAutocheckpointPages: Int
        /// Seconds to wait for a lock held by another process.
        public var busyTimeout: Double
        /// Test hook: called inside the frame's transaction after its columns are inserted.
        var afterColumnsInserted: (@Sendable (Int) -> Void)?

        public init(trackIndexBlock: Int = 32, cacheSizeMiB: Int = 64, walAutocheckpointPages: Int = 16_384,
                    busyTimeout: Double = 10) {
            self.trackIndexBlock = max(1, trackIndexBlock)
            self.cacheSizeMiB = cacheSizeMiB
            self.walAutocheckpointPages = walAutocheckpointPages
            self.busyTimeout = busyTimeout
        }
    }

    /// The database file.
    public var path: String { connection.path }
    let options: Options
    let connection: WriterConnection
    var pool: DatabasePool { connection.pool }

    /// Opens (creating it if needed) the store at `path` and brings its schema up to date.
    public init(path: String, options: Options = Options()) throws {
        self.options = options
        var config = Configuration()
        config.busyMode = .timeout(options.busyTimeout)
        config.label = "stemtrack.store"
        let cachePages = options.cacheSizeMiB * 1024
        let walPages = options.walAutocheckpointPages
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -\(cachePages)")
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(walPages)")
            }
        }
        let migrator = StoreSchema.migrator
        do {
            let pool = try DatabasePool(path: path, configuration: config)
            connection = WriterConnection(path: path, pool: pool)
            try pool.read { db in
                let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM sqlite_master
                    WHERE type = 'table' AND name NOT LIKE 'grdb_%' AND name NOT LIKE 'sqlite_%'
                    """) ?? 0
                if appID != StoreSchema.applicationID && (appID != 0 || tables > 0) { throw StoreError.notAStore(path) }
                if try migrator.hasBeenSuperseded(db) { throw StoreError.notAStore(path) }
            }
            try migrator.migrate(pool)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreError.notAStore(path)
        }
    }

    /// Read access to the same file through this store's connection pool.
    public var reader: any StoreQuerying { StoreReader(reader: connection.pool) }

    public var location: StoreLocation { .sqlite(path: path) }

    // MARK: Runs

    /// Records the start of a processing session; returns it with its id.
    public func beginSession(_ run: SessionRecord) throws -> SessionRecord {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO runs (started_at, stopped_at, software_version, settings, directory, host)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [run.startedAt, run.stoppedAt, run.softwareVersion, run.settings, run.directory, run.host])
            var r = run
            r.id = db.lastInsertedRowID
            return r
        }
    }

    /// Records the end of a run (and indexes the pending frames' tracks).
    public func endSession(_ id: Int64, at time: Double) throws {
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try db.execute(sql: "UPDATE runs SET stopped_at = ? WHERE id = ?", arguments: [time, id])
                guard db.changesCount == 1 else { throw StoreError.unknownRun(id) }
                try self.indexPendingTracks(db)
                return .commit
            }
        }
    }

    // MARK: Writing frames

    /// Writes a frame and all its results in one transaction.
    ///
    /// A frame whose (content hash, path) is already stored is skipped (``WriteOutcome/duplicate``).
    /// A failed frame with the same number or path is replaced (``WriteOutcome/replaced``); another
    /// frame under the same number is an error.
    @discardableResult
    public func write(_ result: FrameResult, run: Int64) throws -> WriteOutcome {
        try Self.validate(result)
        let start = DispatchTime.now().uptimeNanoseconds
        return try pool.writeWithoutTransaction { db in
            var outcome = WriteOutcome.inserted
            try db.inTransaction(.immediate) {
                outcome = try self.write(result, run: run, db: db, start: start)
                return .commit
            }
            return outcome
        }
    }

    /// Checks a frame result before it is written (shared with the PostgreSQL store).
    package static func validate(_ r: FrameResult) throws {
        let k = r.frame.frame
        func fail(_ reason: String) -> StoreError { .invalidFrame(frame: k, reason: reason) }
        guard k >= 0 && k < (1 << 48) else { throw fail("frame number out of range") }
        guard r.columns.count <= StoreSchema.maxColumnsPerFrame else {
            throw fail("\(r.columns.count) columns; at most \(StoreSchema.maxColumnsPerFrame) per frame")
        }
        if r.frame.status == .failed && !r.columns.isEmpty { throw fail("a failed frame cannot have columns") }
        var tracks = Set<Int>()
        for (i, c) in r.columns.enumerated() {
            guard c.x.isFinite, c.y.isFinite, c.width.isFinite, c.height.isFinite, c.crossSection.isFinite else {
                throw fail("column \(i): position, width, height and cross-section must be finite")
            }
            if let t = c.track, !tracks.insert(t).inserted { throw fail("track \(t) appears twice") }
        }
        for v in r.revisions {
            guard v.frame >= 0, v.frame < k else { throw fail("a revision of frame \(v.frame) can only come with a later frame") }
            guard v.index >= 0, v.index < StoreSchema.maxColumnsPerFrame, v.count >= 0 else {
                throw fail("revision of column \(v.index) of frame \(v.frame): index or count out of range")
            }
        }
        var facetIndices = Set<Int>()
        for f in r.facets {
            guard f.frame == k else { throw fail("facet \(f.index) belongs to frame \(f.frame)") }
            guard facetIndices.insert(f.index).inserted else { throw fail("facet index \(f.index) appears twice") }
        }
        var particleIndices = Set<Int>()
        for p in r.particles {
            guard p.frame == k else { throw fail("particle \(p.index) belongs to frame \(p.frame)") }
            guard particleIndices.insert(p.index).inserted else { throw fail("particle index \(p.index) appears twice") }
            guard p.area.isFinite, p.perimeter.isFinite, p.centreX.isFinite, p.centreY.isFinite,
                  p.radiusOfGyration.isFinite else { throw fail("particle \(p.index): measures must be finite") }
        }
        if let m = r.model, let id = r.frame.modelID, m.id != id {
            throw fail("model \(m.id) given for a frame counted by \(id)")
        }
    }

    private func write(_ r: FrameResult, run: Int64, db: Database, start: UInt64) throws -> WriteOutcome {
        let f = r.frame
        let k = f.frame
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM frames WHERE content_hash = ? AND path = ?",
                             arguments: [f.contentHash, f.path]) == true {
            // Nothing new, but the analysis is over and this version of the file is known.
            try db.execute(sql: "DELETE FROM in_progress WHERE identity = ?", arguments: [f.path])
            if f.completesFile {
                try Self.insertFileKey(db, identity: f.path, size: f.fileSize, modified: f.modified, device: f.device,
                                       inode: f.inode, failed: f.status == .failed)
            }
            return .duplicate
        }
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [run]) == true else {
            throw StoreError.unknownRun(run)
        }
        var outcome = WriteOutcome.inserted
        if let row = try Row.fetchOne(db, sql: "SELECT path, status FROM frames WHERE id = ?", arguments: [k]) {
            guard row["status"] as String == FrameStatus.failed.rawValue else {
                throw StoreError.frameNumberTaken(frame: k, storedPath: row["path"], newPath: f.path)
            }
            try deleteFrame(db, k)
            outcome = .replaced
        }
        let failedSamePath = try Int.fetchAll(db, sql: "SELECT id FROM frames WHERE path = ? AND status = 'failed'",
                                              arguments: [f.path])
        for id in failedSamePath { try deleteFrame(db, id); outcome = .replaced }

        if let m = r.model {
            try db.execute(sql: """
                INSERT INTO counting_models (id, source, components, counts, means, proportions, sigma, poisson_scale, first_frame)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING
                """, arguments: [m.id, m.source, m.means.count, jsonText(m.counts), jsonText(m.means),
                                 jsonText(m.proportions), m.sigma, m.poissonScale, m.firstFrame ?? k])
        }

        // Columns.
        var aggregates = (counted: 0, atoms: 0, crossSection: 0.0, tracked: 0, pending: 0)
        if !r.columns.isEmpty {
            let q = try quantizer(db, columns: r.columns)
            let sharedWidth = f.sharedWidth.flatMap { Quantizer.fixed($0, StoreSchema.errorScale) }
            let sql = """
                INSERT INTO columns (id, track, x, y, sigma_x, sigma_y, width, height, sigma_height, cross_section, count, crlb_x, crlb_y,
                                     raw_count, count_final)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
            let statement = try db.cachedStatement(sql: sql)
            let s = statement.sqliteStatement
            defer { sqlite3_reset(s); sqlite3_clear_bindings(s) }
            let base = Int64(k) << Int64(StoreSchema.frameShift)
            let ps = StoreSchema.positionScale, es = StoreSchema.errorScale
            for (i, c) in r.columns.enumerated() {
                // Heights and cross-sections beyond the integer range of this store's quantum (a
                // frame 10¹³ × brighter than the first) are stored as REAL multiples of the quantum:
                // readers multiply either by the quantum.
                let cs = Quantizer.stored(c.crossSection, q.crossSectionQuantum)
                guard let x = Quantizer.fixed(c.x, ps), let y = Quantizer.fixed(c.y, ps),
                      let height = Quantizer.stored(c.height, q.heightQuantum), let cs else {
                    throw StoreError.invalidFrame(frame: k, reason: "column \(i): position (\(c.x), \(c.y)) px, height \(c.height) "
                        + "or cross-section \(c.crossSection) lies outside what this store can hold (heights up to about "
                        + "\(q.heightQuantum * 9e18), set by its first frame)")
                }
                var width = Quantizer.fixed(c.width, es)
                if width == sharedWidth { width = nil }
                sqlite3_bind_int64(s, 1, base | Int64(i))
                bind(s, 2, c.track.map(Int64.init))
                sqlite3_bind_int64(s, 3, x)
                sqlite3_bind_int64(s, 4, y)
                bind(s, 5, c.sigmaX.flatMap { Quantizer.fixed($0, es) })
                bind(s, 6, c.sigmaY.flatMap { Quantizer.fixed($0, es) })
                bind(s, 7, width)
                bind(s, 8, height)
                bind(s, 9, c.sigmaHeight.flatMap { Quantizer.stored($0, q.heightQuantum) })
                bind(s, 10, cs)
                bind(s, 11, c.count.map(Int64.init))
                bind(s, 12, c.crlbX.flatMap { Quantizer.fixed($0, es) })
                bind(s, 13, c.crlbY.flatMap { Quantizer.fixed($0, es) })
                bind(s, 14, (c.rawCount ?? c.count).map(Int64.init))
                sqlite3_bind_int64(s, 15, c.countFinal ? 1 : 0)
                let rc = sqlite3_step(s)
                guard rc == SQLITE_DONE else {
                    let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
                    throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: message, sql: sql)
                }
                sqlite3_reset(s)
                if let n = c.count { aggregates.counted += 1; aggregates.atoms += n }
                if c.track != nil { aggregates.tracked += 1 }
                if !c.countFinal { aggregates.pending += 1 }
                aggregates.crossSection += cs.value * q.crossSectionQuantum
            }
        }
        options.afterColumnsInserted?(k)

        for e in r.events {
            try db.cachedStatement(sql: """
                INSERT INTO events (frame, kind, x, y, track, other_track, before, after, delta, confidence, written_with)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [e.frame, e.kind, e.x, e.y, e.track, e.otherTrack, e.before, e.after,
                                         e.delta, e.confidence, k])
        }
        for c in r.facets {
            try db.cachedStatement(sql: """
                INSERT INTO facets (frame, idx, family, x0, y0, x1, y1, columns, length, angle, extra)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [c.frame, c.index, c.family, c.x0, c.y0, c.x1, c.y1, c.columns,
                                         c.length, c.angle, c.extra])
        }
        for c in r.particles {
            let sql = "INSERT INTO particles (frame, idx, columns, surface_columns, atoms, area, perimeter, cx, cy, "
                + "radius_of_gyration, aspect_ratio) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            try db.cachedStatement(sql: sql).execute(arguments: [
                c.frame, c.index, c.columns, c.surfaceColumns, c.atoms, c.area, c.perimeter, c.centreX, c.centreY,
                c.radiusOfGyration, c.aspectRatio.isFinite ? c.aspectRatio : nil])
        }
        try db.execute(sql: "DELETE FROM in_progress WHERE identity = ?", arguments: [f.path])
        if f.completesFile {
            try Self.insertFileKey(db, identity: f.path, size: f.fileSize, modified: f.modified, device: f.device,
                                   inode: f.inode, failed: f.status == .failed)
        }
        if let state = r.resumeState {
            try db.execute(sql: """
                INSERT INTO resume_state (id, frame, run_id, state) VALUES (1, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET frame = excluded.frame, run_id = excluded.run_id, state = excluded.state
                """, arguments: [k, run, state])
        }

        let t = f.timings
        let n = r.columns.count
        var arguments: StatementArguments = [
            k, run, f.path, f.fileSize, f.modified, f.contentHash, f.acquiredAt, f.temperature, f.status.rawValue, f.error,
            f.imageWidth, f.imageHeight, f.pixelSize, f.background, f.sharedWidth, f.estimator, f.iterations,
            f.converged, f.driftX, f.driftY, f.modelID,
        ]
        arguments += [t.read, t.find, t.fit, t.count, t.track, t.total,
                      f.processedAt ?? Date().timeIntervalSince1970, f.extra,
                      n, aggregates.counted, aggregates.counted > 0 ? aggregates.atoms : nil,
                      n > 0 ? aggregates.crossSection : nil, aggregates.tracked > 0 ? 0 : 1,
                      f.device, f.inode, f.changed, f.quality, aggregates.pending, f.rotation, f.scale, f.timeSource, f.temperatureSource, f.holder]
        try db.cachedStatement(sql: """
            INSERT INTO frames (id, run_id, path, file_size, mtime, content_hash, acquired_at, temperature, status, error,
                image_width, image_height, pixel_size, background, shared_width, estimator, iterations,
                converged, drift_x, drift_y, model_id,
                t_read, t_find, t_fit, t_count, t_track, t_total, processed_at, extra,
                column_count, counted_columns, atoms, cross_section_sum, track_indexed, device, inode, ctime, quality,
                counts_pending, rotation, scale, time_source, temperature_source, holder)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: arguments)

        let revised = try applyRevisions(r.revisions, db: db)
        let now = Date().timeIntervalSince1970
        for fill in r.temperatureFills where fill.frame != k {
            try db.cachedStatement(sql: """
                UPDATE frames SET temperature = ?, temperature_source = ?, temperature_filled_at = ?, holder = ?
                WHERE id = ? AND temperature IS NULL
                """).execute(arguments: [fill.celsius, fill.source, now, fill.holder, fill.frame])
        }
        if aggregates.tracked > 0 || revised {
            let pending = try Int.fetchOne(db.cachedStatement(
                sql: "SELECT count(*) FROM frames WHERE track_indexed = 0 AND counts_pending = 0")) ?? 0
            if pending >= options.trackIndexBlock { try indexPendingTracks(db) }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try db.cachedStatement(sql: "UPDATE frames SET t_store = ? WHERE id = ?").execute(arguments: [elapsed, k])
        return outcome
    }

    /// Writes revised counts of earlier frames and keeps their aggregates (atoms, pending counts)
    /// right; true when a frame's counts became final.
    private func applyRevisions(_ revisions: [CountRevision], db: Database) throws -> Bool {
        guard !revisions.isEmpty else { return false }
        let update = try db.cachedStatement(sql: "UPDATE columns SET count = ?, count_final = ? WHERE id = ?")
        var frames = Set<Int>()
        for v in revisions {
            try update.execute(arguments: [v.count, v.final ? 1 : 0, (Int64(v.frame) << Int64(StoreSchema.frameShift)) | Int64(v.index)])
            frames.insert(v.frame)
        }
        var finished = false
        let refresh = try db.cachedStatement(sql: """
            UPDATE frames SET
                atoms = (SELECT sum(count) FROM columns WHERE id BETWEEN ?1 AND ?2),
                counted_columns = (SELECT count(count) FROM columns WHERE id BETWEEN ?1 AND ?2),
                counts_pending = (SELECT count(*) FROM columns WHERE id BETWEEN ?1 AND ?2 AND count_final = 0)
            WHERE id = ?3 RETURNING counts_pending
            """)
        for k in frames.sorted() {
            let base = Int64(k) << Int64(StoreSchema.frameShift)
            if let left = try Int.fetchOne(refresh, arguments: [base, base + Int64(StoreSchema.maxColumnsPerFrame - 1), k]),
               left == 0 { finished = true }
        }
        return finished
    }

    /// Writes temperatures of stored frames that had none (the holder log caught up while no new
    /// frame came), in one transaction.
    public func writeTemperatureFills(_ fills: [TemperatureFill]) throws {
        guard !fills.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                for fill in fills {
                    try db.cachedStatement(sql: """
                        UPDATE frames SET temperature = ?, temperature_source = ?, temperature_filled_at = ?, holder = ?
                        WHERE id = ? AND temperature IS NULL
                        """).execute(arguments: [fill.celsius, fill.source, now, fill.holder, fill.frame])
                }
                return .commit
            }
        }
    }

    /// Frames without a temperature acquired within `range` (Unix s), oldest first: those stored
    /// before the holder log reached them.
    public func framesAwaitingTemperature(in range: ClosedRange<Double>) throws -> [(frame: Int, acquiredAt: Double)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, acquired_at FROM frames WHERE acquired_at BETWEEN ? AND ? AND temperature IS NULL ORDER BY id
                """, arguments: [range.lowerBound, range.upperBound]).map { (frame: $0["id"], acquiredAt: $0["acquired_at"]) }
        }
    }

    /// Stores revised counts and events that no new frame brings (the end of a series: the
    /// analysis made its last counts final), with the resume state, in one transaction.
    public func writeCompletion(revisions: [CountRevision], events: [EventRecord], writtenWith frame: Int,
                                resumeState: Data?, run: Int64) throws {
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                _ = try self.applyRevisions(revisions, db: db)
                for e in events {
                    try db.cachedStatement(sql: """
                        INSERT INTO events (frame, kind, x, y, track, other_track, before, after, delta, confidence, written_with)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [e.frame, e.kind, e.x, e.y, e.track, e.otherTrack, e.before, e.after,
                                                 e.delta, e.confidence, frame])
                }
                if let resumeState {
                    try db.execute(sql: """
                        INSERT INTO resume_state (id, frame, run_id, state) VALUES (1, ?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET frame = excluded.frame, run_id = excluded.run_id, state = excluded.state
                        """, arguments: [frame, run, resumeState])
                }
                try self.indexPendingTracks(db)
                return .commit
            }
        }
    }

    @inline(__always)
    private func bind(_ s: SQLiteStatement, _ i: Int32, _ v: Quantizer.Stored?) {
        switch v {
        case .integer(let n): sqlite3_bind_int64(s, i, n)
        case .real(let d): sqlite3_bind_double(s, i, d)
        case nil: sqlite3_bind_null(s, i)
        }
    }

    @inline(__always)
    private func bind(_ s: SQLiteStatement, _ i: Int32, _ v: Int64?) {
        if let v { sqlite3_bind_int64(s, i, v) } else { sqlite3_bind_null(s, i) }
    }

    private func jsonText<T: Encodable>(_ v: T) -> String {
        String(decoding: (try? JSONEncoder().encode(v)) ?? Data("null".utf8), as: UTF8.self)
    }

    /// The store's quanta for heights and cross-sections, chosen from the first frame with columns.
    private func quantizer(_ db: Database, columns: [ColumnRecord]) throws -> Quantizer {
        let h = try Double.fetchOne(db.cachedStatement(sql: "SELECT value FROM store_meta WHERE key = 'height_quantum'"))
        let c = try Double.fetchOne(db.cachedStatement(sql: "SELECT value FROM store_meta WHERE key = 'cross_section_quantum'"))
        if let h, let c { return Quantizer(heightQuantum: h, crossSectionQuantum: c) }
        let q = Quantizer(heightQuantum: Quantizer.quantum(for: columns.map(\.height)),
                          crossSectionQuantum: Quantizer.quantum(for: columns.map(\.crossSection)))
        try db.execute(sql: "INSERT OR REPLACE INTO store_meta (key, value) VALUES ('height_quantum', ?), ('cross_section_quantum', ?)",
                       arguments: [q.heightQuantum, q.crossSectionQuantum])
        return q
    }

    /// Removes a frame and its results (used to replace failed frames, which have no columns and
    /// so nothing in `track_points` or `tracks`).
    private func deleteFrame(_ db: Database, _ k: Int) throws {
        let base = Int64(k) << Int64(StoreSchema.frameShift)
        try db.execute(sql: "DELETE FROM columns WHERE id BETWEEN ? AND ?",
                       arguments: [base, base + Int64(StoreSchema.maxColumnsPerFrame - 1)])
        try db.execute(sql: "DELETE FROM events WHERE written_with = ?", arguments: [k])
        try db.execute(sql: "DELETE FROM facets WHERE frame = ?", arguments: [k])
        try db.execute(sql: "DELETE FROM particles WHERE frame = ?", arguments: [k])
        try db.execute(sql: "DELETE FROM frames WHERE id = ?", arguments: [k])
    }

    static let pendingSource = """
        FROM frames f CROSS JOIN columns c ON c.id BETWEEN f.id * 16384 AND f.id * 16384 + 16383
        WHERE f.track_indexed = 0 AND c.track IS NOT NULL
        """

    /// Copies the tracked columns of pending frames whose counts are final to `track_points` and `tracks`.
    private func indexPendingTracks(_ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO track_points (track, frame, idx, x, y, count, cross_section)
            SELECT c.track, c.id >> 14, c.id & 16383, c.x, c.y, c.count, c.cross_section
            \(Self.pendingSource) AND f.counts_pending = 0
            ORDER BY c.track, c.id
            """)
        try db.execute(sql: """
            INSERT INTO tracks (id, first_frame, last_frame, observations, sum_x, sum_y, counted, sum_count,
                                min_count, max_count, sum_cross_section)
            SELECT c.track, min(c.id >> 14), max(c.id >> 14), count(*), sum(c.x), sum(c.y), count(c.count),
                   sum(c.count), min(c.count), max(c.count), total(c.cross_section)
            \(Self.pendingSource) AND f.counts_pending = 0
            GROUP BY c.track
            ON CONFLICT(id) DO UPDATE SET
                first_frame = min(first_frame, excluded.first_frame),
                last_frame = max(last_frame, excluded.last_frame),
                observations = observations + excluded.observations,
                sum_x = sum_x + excluded.sum_x,
                sum_y = sum_y + excluded.sum_y,
                counted = counted + excluded.counted,
                sum_count = coalesce(sum_count + excluded.sum_count, sum_count, excluded.sum_count),
                min_count = coalesce(min(min_count, excluded.min_count), min_count, excluded.min_count),
                max_count = coalesce(max(max_count, excluded.max_count), max_count, excluded.max_count),
                sum_cross_section = sum_cross_section + excluded.sum_cross_section
            """)
        try db.execute(sql: "UPDATE frames SET track_indexed = 1 WHERE track_indexed = 0 AND counts_pending = 0")
    }

    /// Indexes the tracks of all pending frames now (normally done every ``Options/trackIndexBlock`` frames).
    public func flushTrackIndex() throws {
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) { try self.indexPendingTracks(db); return .commit }
        }
    }

    // MARK: Resuming

    /// Whether this frame is stored already, in one query: the same identity with the same pixels
    /// (ok or failed), the same pixels under another identity (ok), or the same identity with other
    /// pixels (ok, or recorded as having crashed the analysis). Nil: it is new.
    public func storedFrame(identity: String, contentHash: String) throws -> StoredFrame? {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, path, content_hash, status FROM frames WHERE content_hash = ?
                UNION ALL
                SELECT id, path, content_hash, status FROM frames WHERE path = ?
                """, arguments: [contentHash, identity])
            let found = rows.map { (frame: $0[0] as Int, path: $0[1] as String, hash: $0[2] as String, ok: ($0[3] as String) == "ok") }
            if let f = found.first(where: { $0.path == identity && $0.hash == contentHash }) { return .same(frame: f.frame) }
            if let f = found.first(where: { $0.hash == contentHash && $0.ok }) { return .samePixels(frame: f.frame, identity: f.path) }
            if let f = found.first(where: { $0.path == identity && ($0.ok || $0.hash == "crashed") }) {
                return .sameIdentity(frame: f.frame, crashed: !f.ok)
            }
            return nil
        }
    }

    /// Records that this version of a file is done (all its pages stored or skipped), in its own
    /// transaction: for stacks, whose pages are written with ``FrameRecord/completesFile`` false.
    public func recordFile(path: String, size: Int, modified: Double, device: Int64?, inode: Int64?, failed: Bool) throws {
        try pool.write { db in
            try Self.insertFileKey(db, identity: path, size: size, modified: modified, device: device, inode: inode,
                                   failed: failed)
        }
    }

    /// What a restart must skip, compactly: the ``FileKey``s of every stored file version, and
    /// the failed files with their reasons (for retrying permission problems after a chmod).
    public func knownFiles() throws -> KnownFiles {
        try pool.read { db in
            var k = KnownFiles()
            let rows = try Row.fetchCursor(db, sql: "SELECT key, inode_key, failed FROM file_keys")
            while let row = try rows.next() {
                let key: Int64 = row[0]
                if (row[2] as Int) != 0 { k.failedKeys.insert(key) } else { k.storedKeys.insert(key) }
                if let i: Int64 = row[1], (row[2] as Int) == 0 { k.inodeKeys.insert(i) }
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT path, file_size, mtime, ctime, error FROM frames INDEXED BY frames_failed WHERE status = 'failed'
                """) {
                let path = Self.filePath(ofIdentity: row[0])
                k.failures[path] = KnownFile(path: path, size: row[1], modified: row[2], changed: row[3], failed: true,
                                             error: row[4])
            }
            return k
        }
    }

    static func insertFileKey(_ db: Database, identity: String, size: Int?, modified: Double?, device: Int64?,
                              inode: Int64?, failed: Bool) throws {
        guard let size, let modified else { return }
        let key = FileKey.of(path: filePath(ofIdentity: identity), size: size, modified: modified)
        let inodeKey = device.flatMap { d in inode.map { FileKey.inode(device: d, inode: $0, size: size, modified: modified) } }
        try db.execute(sql: """
            INSERT INTO file_keys (key, inode_key, failed) VALUES (?, ?, ?)
            ON CONFLICT(key) DO UPDATE SET failed = failed AND excluded.failed
            """, arguments: [key, inodeKey, failed ? 1 : 0])
    }

    /// Stores from before version 3 have frames but no file keys: computed once, in the migration.
    static func backfillFileKeys(_ db: Database) throws {
        let rows = try Row.fetchAll(db, sql: "SELECT path, file_size, mtime, device, inode, status FROM frames")
        for r in rows {
            try insertFileKey(db, identity: r[0], size: r[1], modified: r[2], device: r[3], inode: r[4],
                              failed: (r[5] as String) == FrameStatus.failed.rawValue)
        }
    }

    /// The file of a frame identity: `path#k` (page k of a multi-page file) → `path`.
    public static func filePath(ofIdentity identity: String) -> String {
        guard let hash = identity.lastIndex(of: "#"), identity.index(after: hash) < identity.endIndex,
              identity[identity.index(after: hash)...].allSatisfy(\.isNumber) else { return identity }
        return String(identity[..<hash])
    }

    // MARK: In progress and heartbeat

    /// Records, in its own committed transaction, that `frame` is about to be analysed, and
    /// returns how many times it has been (1 the first time). The commit of its results
    /// (``write(_:run:)``) removes the record; a record found at the next start means the process
    /// died during the analysis: killed from outside (SIGKILL, power cut) or by the frame itself.
    @discardableResult
    public func markInProgress(_ frame: InProgressFrame) throws -> Int {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO in_progress (identity, path, attempts, file_size, mtime, device, inode, ctime, started_at, pid)
                VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(identity) DO UPDATE SET attempts = attempts + 1, started_at = excluded.started_at,
                    pid = excluded.pid, file_size = excluded.file_size, mtime = excluded.mtime
                """, arguments: [frame.identity, frame.path, frame.size, frame.modified, frame.device, frame.inode,
                                 frame.changed, frame.startedAt, frame.pid])
            return try Int.fetchOne(db, sql: "SELECT attempts FROM in_progress WHERE identity = ?",
                                    arguments: [frame.identity]) ?? 1
        }
    }

    /// Frames left in progress by processes that died, oldest first.
    public func inProgress() throws -> [InProgressFrame] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM in_progress ORDER BY started_at").map {
                var f = InProgressFrame(path: $0["path"], identity: $0["identity"], size: $0["file_size"], modified: $0["mtime"],
                                        device: $0["device"], inode: $0["inode"], changed: $0["ctime"],
                                        startedAt: $0["started_at"], pid: $0["pid"])
                f.attempts = $0["attempts"]
                return f
            }
        }
    }

    /// Forgets the in-progress record of `identity` (all of them when nil).
    public func clearInProgress(_ identity: String?) throws {
        try pool.write { db in
            if let identity {
                try db.execute(sql: "DELETE FROM in_progress WHERE identity = ?", arguments: [identity])
            } else {
                try db.execute(sql: "DELETE FROM in_progress")
            }
        }
    }

    /// Writes the daemon's heartbeat.
    public func writeHeartbeat(_ h: Heartbeat) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO daemon_heartbeat
                    (id, pid, host, started_at, updated_at, state, backlog, frames, failed, last_frame_at, message)
                VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [h.pid, h.host, h.startedAt, h.updatedAt, h.state, h.backlog, h.frames, h.failed,
                                 h.lastFrameAt, h.message])
        }
    }

    /// The stored frames (of one run, or all), in frame order.
    public func committedFrames(run: Int64?) throws -> [CommittedFrame] {
        try pool.read { db in
            var sql = "SELECT id, path, content_hash, status, run_id FROM frames"
            var arguments = StatementArguments()
            if let run { sql += " WHERE run_id = ?"; arguments += [run] }
            sql += " ORDER BY id"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map {
                CommittedFrame(frame: $0[0], path: $0[1], contentHash: $0[2],
                               status: FrameStatus(rawValue: $0[3]) ?? .failed, runID: $0[4])
            }
        }
    }

    /// Where to resume after a restart: the last committed frame and the pipeline's saved state.
    public func resumePoint() throws -> ResumePoint {
        try pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT count(*), max(id) FROM frames")
            let state = try Row.fetchOne(db, sql: "SELECT frame, state FROM resume_state WHERE id = 1")
            let run = try Row.fetchOne(db, sql: "SELECT * FROM runs ORDER BY id DESC LIMIT 1").map(StoreReader.sessionRecord)
            return ResumePoint(frameCount: row?[0] ?? 0, lastFrame: row?[1], state: state?["state"],
                               stateFrame: state?["frame"], lastSession: run)
        }
    }

    /// Runs a WAL checkpoint (TRUNCATE: also empties the WAL file).
    public func checkpoint(truncate: Bool) throws {
        try pool.writeWithoutTransaction { db in
            _ = try Row.fetchOne(db, sql: truncate ? "PRAGMA wal_checkpoint(TRUNCATE)" : "PRAGMA wal_checkpoint(PASSIVE)")
        }
    }
}

/// The GRDB side of a ``FrameStore``, kept out of the public types' layout (so that GRDB could
/// even become an implementation-only dependency).
final class WriterConnection: Sendable {
    let path: String
    let pool: DatabasePool
    init(path: String, pool: DatabasePool) { self.path = path; self.pool = pool }
}

extension FrameStore {
    /// Whether `error` comes from the machine rather than from the data: the disk is full, the
    /// database is locked by another process or cannot be opened or written (I/O error, read-only
    /// or vanished file). Writing the same frame again later can succeed.
    public static func isEnvironmental(_ error: any Error) -> Bool {
        guard let e = error as? DatabaseError else { return false }
        switch e.resultCode {
        case .SQLITE_FULL, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_READONLY,
             .SQLITE_NOMEM, .SQLITE_PROTOCOL, .SQLITE_PERM:
            return true
        default:
            return false
        }
    }

    public func isEnvironmental(_ error: any Error) -> Bool { Self.isEnvironmental(error) }
    public func describe(_ error: any Error) -> String { Self.describe(error) }

    /// A one-line description of a store error for a microscopist.
    public static func describe(_ error: any Error) -> String {
        guard let e = error as? DatabaseError else { return "\(error)" }
        switch e.resultCode {
        case .SQLITE_FULL: return "the disk holding the database is full"
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "the database is locked by another process"
        case .SQLITE_READONLY: return "the database is read-only"
        case .SQLITE_CANTOPEN: return "the database file cannot be opened (deleted, moved or unmounted?)"
        case .SQLITE_IOERR: return "an I/O error on the database (disk full, removed or failing?)"
        default: return "database error: \(e.message ?? "\(e.resultCode)")"
        }
    }
}

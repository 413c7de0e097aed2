import Foundation
import PostgresNIO
import TrajectoryStore

/// The writer of one run in a PostgreSQL database, with the SQLite store's semantics
/// (``FrameStore``): one transaction per frame, duplicates by (content hash, path), failed frames
/// replaced, count revisions, temperature fills, completion, blocks of frames added to the
/// per-track aggregates, in-progress marks, heartbeat, resume point and known files.
///
/// One writer per run: the writer holds the session-level advisory lock
/// `pg_try_advisory_lock(writerLockClass, run_id)` on its own connection, and writes on that same
/// connection, so it never writes without holding the lock. When the connection dies (the server
/// restarted) the next call reconnects and takes the lock again; a second writer meanwhile gets
/// ``StoreError/runInUse(run:holder:)``. A transaction that died at its commit may or may not have
/// committed: writing the frame again either stores it or finds it (``WriteOutcome/duplicate``).
///
/// Column rows go in as one `INSERT … SELECT FROM unnest(…)` of binary arrays per frame (NULLs as
/// sentinels turned back into NULL by `NULLIF`); every committed frame sends
/// `NOTIFY stemtrack_frames, '{"instrument":…,"run":…,"frame":N}'`, delivered at commit.
public final class PostgresFrameStore: StoreWriting, @unchecked Sendable {
    public struct Options: Sendable {
        /// Frames whose tracks are added to the per-track aggregates together (as SQLite's).
        public var trackIndexBlock: Int
        public init(trackIndexBlock: Int = 32) { self.trackIndexBlock = max(1, trackIndexBlock) }
    }

    public let url: PostgresURL
    public let run: RunKey
    /// The run's row id in `runs`.
    public let runID: Int32
    let options: Options
    let connector: Connector
    let pool: ConnectionPool
    var logger: Logger { connector.logger }

    /// Serialises the writer's calls (the protocol's writer is called from one queue, but may be
    /// shared); guards `connection` and `cachedQuantizer`.
    private let lock = NSRecursiveLock()
    private var connection: PostgresConnection?
    private var cachedQuantizer: Quantizer?
    /// Counting models this writer has committed (each model is inserted once, not with every frame).
    private var storedModels: Set<String> = []
    /// Committed frames ready for the track index (tracked, counts final, not indexed), when known;
    /// nil after anything that may have changed it unseen (an error, a completion): counted again.
    private var readyFrames: Int?
    /// The stored track, x, y, count and cross-section values of frames this writer stored and
    /// whose tracks are not indexed yet (dropped when their counts are revised; cleared when a
    /// transaction fails, so that it never holds what was not committed).
    private var trackColumns: [Int64: TrackColumns] = [:]
    /// Test hook: called inside the frame's transaction after its columns are inserted.
    var afterColumnsInserted: (@Sendable (Int, PostgresConnection) throws -> Void)?

    /// Connects, brings the schema up to date, creates the run (or finds it) and takes its writer lock.
    public init(url: PostgresURL, run: RunKey, options: Options = Options()) throws {
        self.url = url
        self.run = run
        self.options = options
        connector = try Connector(url: url)
        pool = ConnectionPool(connector: connector, capacity: url.poolSize)
        let logger = connector.logger
        runID = try pool.with { c in
            try PostgresSchema.migrate(c, logger: logger)
            return try PostgresSchema.runID(c, run, logger: logger)
        }
        _ = try writerConnection()
    }

    deinit {
        connection?.close().whenComplete { _ in }
        pool.close()
    }

    public var location: StoreLocation { .postgres(url) }

    public var reader: any StoreQuerying { PostgresReader(pool: pool, runID: runID) }

    // MARK: The writer's connection and its lock

    /// The connection holding this run's writer lock, reconnecting (and locking again) if it died.
    private func writerConnection() throws -> PostgresConnection {
        lock.lock(); defer { lock.unlock() }
        if let c = connection, !c.isClosed { return c }
        connection = nil
        // A new connection: what this writer remembers of uncommitted-or-not state is counted again.
        readyFrames = nil
        trackColumns = [:]
        let c = try connector.connect(role: "writer of \(run)")
        do {
            let rows = try c.run("SELECT pg_try_advisory_lock(\(PostgresSchema.writerLockClass), \(runID))", logger)
            guard try rows.first.map({ try Cells($0)(0, as: Bool.self) }) == true else {
                let holder = try Self.lockHolder(c, runID: runID, logger: logger)
                try? c.close().wait()
                throw StoreError.runInUse(run: run.description, holder: holder)
            }
        } catch {
            if !c.isClosed { try? c.close().wait() }
            throw error
        }
        connection = c
        return c
    }

    /// Who holds the writer lock of `runID`: its application name, client address and backend pid.
    static func lockHolder(_ c: PostgresConnection, runID: Int32, logger: Logger) throws -> String {
        let rows = try c.run("""
            SELECT a.application_name, coalesce(host(a.client_addr), 'local socket'), a.pid, a.backend_start::text
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.classid = \(Int64(PostgresSchema.writerLockClass)) AND l.objid = \(Int64(runID))
              AND l.objsubid = 2 AND l.granted
            """, logger)
        guard let row = rows.first else { return "another writer (it has just stopped?)" }
        let cells = Cells(row)
        let name: String? = try cells(0), address: String = try cells(1), pid: Int = try cells(2)
        let since: String = try cells(3)
        return "\(name.map { $0.isEmpty ? "a client" : $0 } ?? "a client") (from \(address), server pid \(pid), connected \(since))"
    }

    /// Runs `body` in one transaction on the writer's connection. The connection is dropped when
    /// it broke, so that the next call reconnects.
    private func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try transaction { c, p in
            try p.settle()
            return try body(c)
        }
    }

    /// As ``transaction(_:)``, with BEGIN sent but not waited for: `body` gets the pipeline holding
    /// it and must settle it before anything it writes (its first statement may only read).
    private func transaction<T>(_ body: (PostgresConnection, inout Pipeline) throws -> T) throws -> T {
        lock.lock(); defer { lock.unlock() }
        let c = try writerConnection()
        do {
            var p = Pipeline(c)
            c.send(PostgresQuery(unsafeSQL: "BEGIN"), logger, into: &p)
            let value = try body(c, &p)
            try p.settle()
            try c.simple("COMMIT")
            return value
        } catch {
            readyFrames = nil
            trackColumns = [:]
            if c.isClosed || PostgresErrors.isConnectionLoss(error) {
                c.close().whenComplete { _ in }
                connection = nil
            } else {
                try? c.simple("ROLLBACK")
            }
            throw error
        }
    }

    /// Runs `body` outside a transaction on the writer's connection (single statements).
    private func single<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        lock.lock(); defer { lock.unlock() }
        let c = try writerConnection()
        do { return try body(c) } catch {
            if c.isClosed || PostgresErrors.isConnectionLoss(error) {
                c.close().whenComplete { _ in }
                connection = nil
            }
            throw error
        }
    }

    // MARK: Sessions

    public func beginSession(_ session: SessionRecord) throws -> SessionRecord {
        try transaction { c in
            let rows = try c.run("""
                INSERT INTO sessions (run_id, id, started_at, stopped_at, software_version, settings, directory, host)
                SELECT \(runID), coalesce(max(id), 0) + 1, \(session.startedAt), \(session.stoppedAt), \(session.softwareVersion),
                       \(session.settings), \(session.directory), \(session.host)
                FROM sessions WHERE run_id = \(runID)
                RETURNING id
                """, logger)
            if let d = session.directory {
                _ = try c.run("UPDATE runs SET directory = \(d) WHERE id = \(runID)", logger)
            }
            var s = session
            s.id = try Cells(rows[0])(0, as: Int64.self)
            return s
        }
    }

    public func endSession(_ id: Int64, at time: Double) throws {
        try transaction { c in
            let rows = try c.run("UPDATE sessions SET stopped_at = \(time) WHERE run_id = \(runID) AND id = \(id) RETURNING id", logger)
            guard rows.count == 1 else { throw StoreError.unknownRun(id) }
            try indexPendingTracks(c)
        }
    }

    // MARK: Frames

    @discardableResult
    public func write(_ result: FrameResult, run session: Int64) throws -> WriteOutcome {
        try FrameStore.validate(result)
        let start = DispatchTime.now().uptimeNanoseconds
        var learned: Quantizer?
        var ready: Int?
        // The lock (recursive) spans the transaction and the caches' update after its commit.
        lock.lock(); defer { lock.unlock() }
        let outcome = try transaction { c, p in
            try write(result, session: session, c: c, pipeline: &p, start: start, learned: &learned, ready: &ready)
        }
        if let learned { cachedQuantizer = learned }
        if outcome != .duplicate {
            readyFrames = ready
            if let m = result.model { storedModels.insert(m.id) }
        }
        return outcome
    }

    /// Whether the model `id` is known to be stored (committed by this writer earlier).
    private func knownModel(_ id: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return storedModels.contains(id)
    }

    private func write(_ r: FrameResult, session: Int64, c: PostgresConnection, pipeline p: inout Pipeline, start: UInt64,
                       learned: inout Quantizer?, ready readyAfter: inout Int?) throws -> WriteOutcome {
        let f = r.frame
        let k = f.frame
        // The checks in one round trip: a duplicate, the session, the frame number's holder, failed
        // frames of the same path.
        let checks = Cells(try c.run("""
            SELECT EXISTS (SELECT 1 FROM frames WHERE run_id = \(runID) AND content_hash = \(f.contentHash) AND path = \(f.path)),
                   EXISTS (SELECT 1 FROM sessions WHERE run_id = \(runID) AND id = \(session)),
                   (SELECT path FROM frames WHERE run_id = \(runID) AND id = \(k)),
                   (SELECT status FROM frames WHERE run_id = \(runID) AND id = \(k)),
                   ARRAY(SELECT id FROM frames WHERE run_id = \(runID) AND path = \(f.path) AND status = 'failed' ORDER BY id)
            """, logger)[0])
        try p.settle()  // BEGIN, sent with the checks
        if try checks(0, as: Bool.self) {
            // Nothing new, but the analysis is over and this version of the file is known.
            _ = try c.run("DELETE FROM in_progress WHERE run_id = \(runID) AND identity = \(f.path)", logger)
            if f.completesFile {
                try insertFileKey(c, identity: f.path, size: f.fileSize, modified: f.modified, device: f.device,
                                  inode: f.inode, failed: f.status == .failed)
            }
            return .duplicate
        }
        guard try checks(1, as: Bool.self) else { throw StoreError.unknownRun(session) }
        var outcome = WriteOutcome.inserted
        if let storedPath: String = try checks(2), let status: String = try checks(3) {
            guard status == FrameStatus.failed.rawValue else {
                throw StoreError.frameNumberTaken(frame: k, storedPath: storedPath, newPath: f.path)
            }
            try deleteFrame(c, k)
            outcome = .replaced
        }
        for failed in try checks(4, as: [Int64].self) where failed != Int64(k) {
            try deleteFrame(c, Int(failed))
            outcome = .replaced
        }
        if let m = r.model, !knownModel(m.id) {
            _ = try c.run("""
                INSERT INTO counting_models (run_id, id, source, components, counts, means, proportions, sigma, poisson_scale, first_frame)
                VALUES (\(runID), \(m.id), \(m.source), \(m.means.count), \(jsonText(m.counts)), \(jsonText(m.means)),
                        \(jsonText(m.proportions)), \(zeroed(m.sigma)), \(zeroed(m.poissonScale)), \(m.firstFrame ?? k))
                ON CONFLICT (run_id, id) DO NOTHING
                """, logger)
        }

        // Columns.
        var aggregates = (counted: 0, atoms: 0, crossSection: 0.0, tracked: 0, pending: 0)
        if !r.columns.isEmpty {
            let q = try quantizer(c, columns: r.columns, learned: &learned)
            aggregates = try insertColumns(c, r, q, into: &p)
        }
        try afterColumnsInserted?(k, c)

        if !r.events.isEmpty { c.send(eventsInsert(r.events, writtenWith: k), logger, into: &p) }
        if !r.facets.isEmpty {
            c.send("""
                INSERT INTO facets (run_id, frame, idx, family, x0, y0, x1, y1, columns, length, angle, extra)
                SELECT \(runID), frame, idx, family, x0, y0, x1, y1, columns, length, angle, extra
                FROM json_populate_recordset(NULL::facets, \(jsonText(r.facets.map(FacetRow.init)))::json)
                """, logger, into: &p)
        }
        if !r.particles.isEmpty {
            c.send("""
                INSERT INTO particles (run_id, frame, idx, columns, surface_columns, atoms, area, perimeter, cx, cy,
                                       radius_of_gyration, aspect_ratio)
                SELECT \(runID), frame, idx, columns, surface_columns, atoms, area, perimeter, cx, cy, radius_of_gyration, aspect_ratio
                FROM json_populate_recordset(NULL::particles, \(jsonText(r.particles.map(ParticleRow.init)))::json)
                """, logger, into: &p)
        }
        // Sent too (never waited for before the final statement), so that the first failure of
        // any of them is the one reported (a later statement would only say the transaction aborted).
        if let state = r.resumeState { c.send(try resumeStateUpsert(frame: k, session: session, state: state), logger, into: &p) }
        let now = Date().timeIntervalSince1970
        for fill in r.temperatureFills where fill.frame != k { c.send(fillUpdate(fill, now: now), logger, into: &p) }

        // The frame's row, the in-progress mark and file key, and the notification in one statement
        // (data-modifying CTEs run exactly once whether or not they are referenced).
        let t = f.timings
        let n = r.columns.count
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var b = QueryBuilder()
        let values: [String] = [
            b.bind(runID), b.bind(k), b.bind(session), b.bind(f.path), b.bind(f.fileSize), b.bind(f.modified), b.bind(f.contentHash),
            b.bind(f.acquiredAt), b.bind(f.temperature), b.bind(f.status.rawValue), b.bind(f.error), b.bind(f.imageWidth),
            b.bind(f.imageHeight), b.bind(f.pixelSize), b.bind(f.background), b.bind(f.sharedWidth), b.bind(f.estimator),
            b.bind(f.iterations), b.bind(f.converged), b.bind(f.driftX), b.bind(f.driftY), b.bind(f.modelID),
            b.bind(t.read), b.bind(t.find), b.bind(t.fit), b.bind(t.count), b.bind(t.track), b.bind(t.total),
            b.bind(f.processedAt ?? Date().timeIntervalSince1970), b.bind(f.extra),
            b.bind(n), b.bind(aggregates.counted), b.bind(aggregates.counted > 0 ? aggregates.atoms : nil),
            b.bind(n > 0 ? aggregates.crossSection : nil), b.bind(aggregates.tracked == 0),
            b.bind(f.device), b.bind(f.inode), b.bind(f.changed), b.bind(f.quality), b.bind(aggregates.pending),
            b.bind(f.rotation), b.bind(f.scale), b.bind(f.timeSource), b.bind(f.temperatureSource), b.bind(f.holder),
            b.bind(elapsed),
        ]
        var fileKey = ""
        if f.completesFile, let key = fileKeys(identity: f.path, size: f.fileSize, modified: f.modified, device: f.device,
                                               inode: f.inode) {
            fileKey = """
                , file_key AS (
                    INSERT INTO file_keys AS k (run_id, key, inode_key, failed)
                    VALUES (\(b.bind(runID)), \(b.bind(key.key)), \(b.bind(key.inode)), \(b.bind(f.status == .failed)))
                    ON CONFLICT (run_id, key) DO UPDATE SET failed = k.failed AND excluded.failed)
                """
        }
        let payload = Self.notification(instrument: run.instrument, run: run.name, frame: k)
        // This frame is ready for the track index when it has tracked columns whose counts are final.
        let ready = aggregates.tracked > 0 && aggregates.pending == 0 ? 1 : 0
        let known = readyFrames
        b.sql = """
            WITH frame AS (
                INSERT INTO frames (run_id, id, session_id, path, file_size, mtime, content_hash, acquired_at, temperature, status, error,
                    image_width, image_height, pixel_size, background, shared_width, estimator, iterations,
                    converged, drift_x, drift_y, model_id,
                    t_read, t_find, t_fit, t_count, t_track, t_total, processed_at, extra,
                    column_count, counted_columns, atoms, cross_section_sum, track_indexed, device, inode, ctime, quality,
                    counts_pending, rotation, scale, time_source, temperature_source, holder, t_store)
                VALUES (\(values.joined(separator: ", "))))
            , done AS (DELETE FROM in_progress WHERE run_id = \(b.bind(runID)) AND identity = \(b.bind(f.path)))
            \(fileKey)
            SELECT pg_notify('stemtrack_frames', \(b.bind(payload))),
                   \(known == nil ? "(SELECT count(*) FROM frames WHERE run_id = \(b.bind(runID)) AND NOT track_indexed AND counts_pending = 0)" : "0::int8")
            """
        let answer = c.query(b.query, logger: logger)
        try p.settle()  // the statements sent before, in order: their first failure is the frame's
        let counted = try Cells(try c.bounded(answer).rows[0])(1, as: Int.self)
        var readyCount = (known ?? counted) + ready
        // Revisions (after the frame's row, as in SQLite: one may concern this frame) change which
        // frames are ready; counted again then.
        let revised = try applyRevisions(c, r.revisions)
        if !r.revisions.isEmpty, aggregates.tracked > 0 || revised {
            readyCount = try Cells(try c.run("""
                SELECT count(*) FROM frames WHERE run_id = \(runID) AND NOT track_indexed AND counts_pending = 0
                """, logger)[0])(0, as: Int.self)
        }
        if (aggregates.tracked > 0 || revised) && readyCount >= options.trackIndexBlock {
            try indexPendingTracks(c)
            readyCount = 0
        }
        readyAfter = readyCount
        return outcome
    }

    /// The notification payload of a committed frame (JSON of a ``StoreChange``).
    static func notification(instrument: String, run: String, frame: Int) -> String {
        let data = (try? JSONEncoder().encode(StoreChange(instrument: instrument, run: run, frame: frame))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Sentinels for NULL in the binary arrays of `unnest` (never a stored value: fixed-point values
    /// are within ±9·10¹⁸, and stored doubles are finite).
    static let nullInteger = Int64.min

    private func insertColumns(_ c: PostgresConnection, _ r: FrameResult, _ q: Quantizer, into p: inout Pipeline) throws
        -> (counted: Int, atoms: Int, crossSection: Double, tracked: Int, pending: Int) {
        let f = r.frame, k = f.frame
        let n = r.columns.count
        let sharedWidth = f.sharedWidth.flatMap { Quantizer.fixed($0, StoreSchema.errorScale) }
        let ps = StoreSchema.positionScale, es = StoreSchema.errorScale
        let none = Self.nullInteger
        var track = [Int64](), xs = [Int64](), ys = [Int64](), sx = [Int64](), sy = [Int64](), width = [Int64]()
        var height = [Double](), sh = [Double](), cs = [Double](), count = [Int64](), cx = [Int64](), cy = [Int64](), raw = [Int64]()
        var final = [Bool]()
        track.reserveCapacity(n); xs.reserveCapacity(n); ys.reserveCapacity(n); sx.reserveCapacity(n)
        sy.reserveCapacity(n); width.reserveCapacity(n); count.reserveCapacity(n); cx.reserveCapacity(n); cy.reserveCapacity(n)
        raw.reserveCapacity(n)
        height.reserveCapacity(n); sh.reserveCapacity(n); cs.reserveCapacity(n); final.reserveCapacity(n)
        var aggregates = (counted: 0, atoms: 0, crossSection: 0.0, tracked: 0, pending: 0)
        for (i, col) in r.columns.enumerated() {
            let storedCS = Quantizer.stored(col.crossSection, q.crossSectionQuantum)
            guard let x = Quantizer.fixed(col.x, ps), let y = Quantizer.fixed(col.y, ps),
                  let h = Quantizer.stored(col.height, q.heightQuantum), let storedCS else {
                throw StoreError.invalidFrame(frame: k, reason: "column \(i): position (\(col.x), \(col.y)) px, height \(col.height) "
                    + "or cross-section \(col.crossSection) lies outside what this store can hold (heights up to about "
                    + "\(q.heightQuantum * 9e18), set by its first frame)")
            }
            var w = Quantizer.fixed(col.width, es)
            if w == sharedWidth { w = nil }
            track.append(col.track.map(Int64.init) ?? none)
            xs.append(x); ys.append(y)
            sx.append(col.sigmaX.flatMap { Quantizer.fixed($0, es) } ?? none)
            sy.append(col.sigmaY.flatMap { Quantizer.fixed($0, es) } ?? none)
            width.append(w ?? none)
            height.append(h.value)
            sh.append(col.sigmaHeight.flatMap { Quantizer.stored($0, q.heightQuantum) }?.value ?? .nan)
            cs.append(storedCS.value)
            count.append(col.count.map(Int64.init) ?? none)
            cx.append(col.crlbX.flatMap { Quantizer.fixed($0, es) } ?? none)
            cy.append(col.crlbY.flatMap { Quantizer.fixed($0, es) } ?? none)
            raw.append((col.rawCount ?? col.count).map(Int64.init) ?? none)
            final.append(col.countFinal)
            if let m = col.count { aggregates.counted += 1; aggregates.atoms += m }
            if col.track != nil { aggregates.tracked += 1 }
            if !col.countFinal { aggregates.pending += 1 }
            aggregates.crossSection += storedCS.value * q.crossSectionQuantum
        }
        c.send("""
            INSERT INTO frame_columns (run_id, frame, track, x, y, sigma_x, sigma_y, width, height, sigma_height, cross_section,
                                       count, crlb_x, crlb_y, raw_count, count_final)
            VALUES (\(runID), \(Int64(k)), \(Int8Array(track))::int8[], \(Int8Array(xs))::int8[], \(Int8Array(ys))::int8[], \(Int8Array(sx))::int8[], \(Int8Array(sy))::int8[],
                    \(Int8Array(width))::int8[], \(Float8Array(height))::float8[], \(Float8Array(sh))::float8[], \(Float8Array(cs))::float8[], \(Int8Array(count))::int8[],
                    \(Int8Array(cx))::int8[], \(Int8Array(cy))::int8[], \(Int8Array(raw))::int8[], \(BoolArray(final))::bool[])
            """, logger, into: &p)
        if aggregates.tracked > 0 {
            if trackColumns.count > 4096 { trackColumns = [:] }  // frames whose counts never became final: read back later
            trackColumns[Int64(k)] = TrackColumns(track: track, x: xs, y: ys, count: count, crossSection: cs)
        }
        return aggregates
    }

    /// Events get ids 1, 2, … per run (max + 1, as SQLite's row ids), in the order given.
    private func insertEvents(_ c: PostgresConnection, _ events: [EventRecord], writtenWith k: Int) throws {
        _ = try c.run(eventsInsert(events, writtenWith: k), logger)
    }

    private func eventsInsert(_ events: [EventRecord], writtenWith k: Int) -> PostgresQuery {
        """
            INSERT INTO events (run_id, id, frame, kind, x, y, track, other_track, before, after, delta, confidence, written_with)
            SELECT \(runID), coalesce((SELECT id FROM events WHERE run_id = \(runID) ORDER BY id DESC LIMIT 1), 0) + e.n,
                   e.frame, e.kind, e.x, e.y, e.track, e.other_track, e.before, e.after, e.delta, e.confidence, \(k)
            FROM ROWS FROM (json_populate_recordset(NULL::events, \(jsonText(events.map(EventRow.init)))::json))
                 WITH ORDINALITY AS e(run_id, id, frame, kind, x, y, track, other_track, before, after, delta, confidence,
                                      written_with, n)
            """
    }

    private func saveResumeState(_ c: PostgresConnection, frame: Int, session: Int64, state: Data) throws {
        _ = try c.run(try resumeStateUpsert(frame: frame, session: session, state: state), logger)
    }

    private func resumeStateUpsert(frame: Int, session: Int64, state: Data) throws -> PostgresQuery {
        try """
        INSERT INTO resume_state (run_id, frame, session_id, state) VALUES (\(runID), \(frame), \(session), \(state))
        ON CONFLICT (run_id) DO UPDATE SET frame = excluded.frame, session_id = excluded.session_id, state = excluded.state
        """
    }

    private func applyFill(_ c: PostgresConnection, _ fill: TemperatureFill, now: Double) throws {
        _ = try c.run(fillUpdate(fill, now: now), logger)
    }

    private func fillUpdate(_ fill: TemperatureFill, now: Double) -> PostgresQuery {
        """
        UPDATE frames SET temperature = \(zeroed(fill.celsius)), temperature_source = \(fill.source), temperature_filled_at = \(now),
                          holder = \(fill.holder)
        WHERE run_id = \(runID) AND id = \(fill.frame) AND temperature IS NULL
        """
    }

    /// Writes revised counts of earlier frames and keeps their aggregates right; true when a
    /// frame's counts became final. (Several revisions of one column: the last wins, as in SQLite.)
    private func applyRevisions(_ c: PostgresConnection, _ revisions: [CountRevision]) throws -> Bool {
        guard !revisions.isEmpty else { return false }
        var last: [Int64: Int] = [:]
        for (i, v) in revisions.enumerated() { last[Int64(v.frame) << 14 | Int64(v.index)] = i }
        let kept = revisions.indices.filter { last[Int64(revisions[$0].frame) << 14 | Int64(revisions[$0].index)] == $0 }
            .map { revisions[$0] }
        let frames = kept.map { Int64($0.frame) }, idx = kept.map { Int64($0.index) }
        let counts = kept.map { Int64($0.count) }, finals = kept.map(\.final)
        let touched = Array(Set(frames)).sorted()
        for f in touched { trackColumns[f] = nil }  // read back with the revised counts when indexed
        // The revised frames' count arrays rebuilt with the revisions in place (one row per frame).
        _ = try c.run("""
            UPDATE frame_columns fc SET count = r.counts, count_final = r.finals
            FROM (SELECT e.frame, array_agg(coalesce(v.n, e.n) ORDER BY e.i) AS counts,
                         array_agg(coalesce(v.final, e.final) ORDER BY e.i) AS finals
                  FROM (SELECT f.frame, u.n, u.final, u.i
                        FROM frame_columns f, unnest(f.count, f.count_final) WITH ORDINALITY AS u(n, final, i)
                        WHERE f.run_id = \(runID) AND f.frame = ANY(\(touched)::int8[])) e
                  LEFT JOIN unnest(\(frames)::int8[], \(idx)::int8[], \(counts)::int8[], \(finals)::bool[]) AS v(frame, idx, n, final)
                         ON v.frame = e.frame AND v.idx = e.i - 1
                  GROUP BY e.frame) r
            WHERE fc.run_id = \(runID) AND fc.frame = r.frame
            """, logger)
        let rows = try c.run("""
            UPDATE frames f SET atoms = a.atoms, counted_columns = a.counted, counts_pending = a.pending
            FROM (SELECT frame, sum(count) AS atoms, count(count) AS counted, count(*) FILTER (WHERE NOT count_final) AS pending
                  FROM columns WHERE run_id = \(runID) AND frame = ANY(\(touched)::int8[]) GROUP BY frame) a
            WHERE f.run_id = \(runID) AND f.id = a.frame
            RETURNING f.counts_pending
            """, logger)
        return try rows.contains { try Cells($0)(0, as: Int.self) == 0 }
    }

    public func writeTemperatureFills(_ fills: [TemperatureFill]) throws {
        guard !fills.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        try transaction { c in for fill in fills { try applyFill(c, fill, now: now) } }
    }

    public func framesAwaitingTemperature(in range: ClosedRange<Double>) throws -> [(frame: Int, acquiredAt: Double)] {
        try pool.with { c in
            try c.run("""
                SELECT id, acquired_at FROM frames
                WHERE run_id = \(runID) AND acquired_at BETWEEN \(range.lowerBound) AND \(range.upperBound) AND temperature IS NULL
                ORDER BY id
                """, logger).map { row in
                let cells = Cells(row)
                return (frame: try cells(0, as: Int.self), acquiredAt: try cells(1, as: Double.self))
            }
        }
    }

    public func writeCompletion(revisions: [CountRevision], events: [EventRecord], writtenWith frame: Int,
                                resumeState: Data?, run session: Int64) throws {
        try transaction { c in
            _ = try applyRevisions(c, revisions)
            if !events.isEmpty { try insertEvents(c, events, writtenWith: frame) }
            if let resumeState { try saveResumeState(c, frame: frame, session: session, state: resumeState) }
            try indexPendingTracks(c)
        }
    }

    public func flushTrackIndex() throws {
        try transaction { c in try indexPendingTracks(c) }
    }

    /// Adds the tracked columns of pending frames whose counts are final to the track blocks and
    /// the per-track aggregates.
    ///
    /// The pending frames are asked for by number; the five arrays a track needs come from what
    /// this writer stored in this session (``trackColumns``) or, for frames it did not write or
    /// whose counts were revised since, are read back (the database stays the source of truth).
    /// They are grouped by track here and written in one statement: a block row per track
    /// (slices of flat packed values), the aggregates upserted, the frames marked. (Grouping 32,000
    /// observations in SQL, a sort plus ordered `array_agg`, took about 45 ms per block of 32
    /// frames; sending the arrays back costs the server ~80 ns per element.)
    private func indexPendingTracks(_ c: PostgresConnection) throws {
        readyFrames = nil  // a frame write sets it (to 0) after its commit; other callers count again
        let none = Self.nullInteger
        var frameIDs: [Int64] = []
        var byTrack: [Int64: TrackBlock] = [:]
        let pending = try c.run("""
            SELECT id FROM frames WHERE run_id = \(runID) AND NOT track_indexed AND counts_pending = 0 ORDER BY id
            """, logger).map { try Cells($0)(0, as: Int64.self) }
        let missing = pending.filter { trackColumns[$0] == nil }
        var fetched: [Int64: TrackColumns] = [:]
        if !missing.isEmpty {
            for row in try c.run("""
                SELECT fc.frame, fc.track, fc.x, fc.y, fc.count, fc.cross_section FROM frame_columns fc
                WHERE fc.run_id = \(runID) AND fc.frame = ANY(\(Int8Array(missing))::int8[])
                """, logger) {
                let (k, tb, xb, yb, nb, cb) = try row.decode((Int64, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer).self)
                fetched[k] = TrackColumns(track: try BinaryArray.int64s(tb), x: try BinaryArray.int64s(xb), y: try BinaryArray.int64s(yb),
                                          count: try BinaryArray.int64s(nb), crossSection: try BinaryArray.doubles(cb))
            }
        }
        for k in pending {
            guard let f = trackColumns[k] ?? fetched[k] else { continue }  // a frame without columns
            let tracks = f.track, xs = f.x, ys = f.y, ns = f.count, cs = f.crossSection
            guard [xs.count, ys.count, ns.count, cs.count].allSatisfy({ $0 == tracks.count }) else {
                throw PostgresStoreError.malformedArray("frame \(k)'s column arrays have different lengths")
            }
            frameIDs.append(k)
            for i in tracks.indices where tracks[i] != none {
                byTrack[tracks[i], default: TrackBlock()].add(frame: k, index: Int64(i), x: xs[i], y: ys[i], count: ns[i],
                                                               crossSection: cs[i], none: none)
            }
        }
        guard !frameIDs.isEmpty else {
            if !pending.isEmpty {
                _ = try c.run("UPDATE frames SET track_indexed = true WHERE run_id = \(runID) AND id = ANY(\(Int8Array(pending))::int8[])",
                              logger)
            }
            return
        }
        let ids = byTrack.keys.sorted()
        var starts: [Int32] = [], lengths: [Int32] = []
        var first: [Int64] = [], last: [Int64] = [], sumX: [Int64] = [], sumY: [Int64] = [], counted: [Int64] = []
        var sumCount: [Int64] = [], minCount: [Int64] = [], maxCount: [Int64] = [], sumCS: [Double] = []
        var frames: [Int64] = [], idx: [Int64] = [], x: [Int64] = [], y: [Int64] = [], count: [Int64] = [], cs: [Double] = []
        for id in ids {
            let t = byTrack[id]!
            starts.append(Int32(frames.count + 1)); lengths.append(Int32(t.frames.count))
            first.append(t.frames.first!); last.append(t.frames.last!)
            sumX.append(t.sumX); sumY.append(t.sumY); counted.append(t.counted)
            sumCount.append(t.counted > 0 ? t.sumCount : none)
            minCount.append(t.counted > 0 ? t.minCount : none); maxCount.append(t.counted > 0 ? t.maxCount : none)
            sumCS.append(t.sumCrossSection)
            frames += t.frames; idx += t.idx; x += t.x; y += t.y; count += t.count; cs += t.crossSection
        }
        _ = try c.run("""
            WITH t AS (
                SELECT * FROM unnest(\(Int8Array(ids))::int8[], \(starts)::int4[], \(lengths)::int4[], \(Int8Array(first))::int8[], \(Int8Array(last))::int8[],
                                     \(Int8Array(sumX))::int8[], \(Int8Array(sumY))::int8[], \(Int8Array(counted))::int8[], \(Int8Array(sumCount))::int8[],
                                     \(Int8Array(minCount))::int8[], \(Int8Array(maxCount))::int8[], \(Float8Array(sumCS))::float8[])
                    AS t(track, s, n, first, last, sx, sy, counted, sc, mn, mx, scs)
            ), a AS (
                SELECT \(PackedValues.bytes(frames))::bytea AS frames, \(PackedValues.bytes(idx))::bytea AS idx,
                       \(PackedValues.bytes(x))::bytea AS x, \(PackedValues.bytes(y))::bytea AS y,
                       \(PackedValues.bytes(count))::bytea AS count, \(PackedValues.bytes(cs))::bytea AS cs
            ), blocks AS (
                INSERT INTO track_blocks (run_id, track, first_frame, last_frame, frames, idx, x, y, count, cross_section)
                SELECT \(runID), t.track, t.first, t.last, substring(a.frames FROM 8 * t.s - 7 FOR 8 * t.n),
                       substring(a.idx FROM 8 * t.s - 7 FOR 8 * t.n), substring(a.x FROM 8 * t.s - 7 FOR 8 * t.n),
                       substring(a.y FROM 8 * t.s - 7 FOR 8 * t.n), substring(a.count FROM 8 * t.s - 7 FOR 8 * t.n),
                       substring(a.cs FROM 8 * t.s - 7 FOR 8 * t.n)
                FROM t, a
            ), marked AS (
                UPDATE frames SET track_indexed = true WHERE run_id = \(runID) AND id = ANY(\(Int8Array(pending))::int8[])
            )
            INSERT INTO tracks AS t (run_id, id, first_frame, last_frame, observations, sum_x, sum_y, counted, sum_count,
                                     min_count, max_count, sum_cross_section)
            SELECT \(runID), track, first, last, n, sx, sy, counted, NULLIF(sc, \(none)), NULLIF(mn, \(none)), NULLIF(mx, \(none)), scs
            FROM t
            ON CONFLICT (run_id, id) DO UPDATE SET
                first_frame = least(t.first_frame, excluded.first_frame),
                last_frame = greatest(t.last_frame, excluded.last_frame),
                observations = t.observations + excluded.observations,
                sum_x = t.sum_x + excluded.sum_x,
                sum_y = t.sum_y + excluded.sum_y,
                counted = t.counted + excluded.counted,
                sum_count = coalesce(t.sum_count + excluded.sum_count, t.sum_count, excluded.sum_count),
                min_count = least(t.min_count, excluded.min_count),
                max_count = greatest(t.max_count, excluded.max_count),
                sum_cross_section = t.sum_cross_section + excluded.sum_cross_section
            """, logger)
        for k in pending { trackColumns[k] = nil }
    }

    /// Removes a frame and its results (failed frames, which have no columns, are replaced).
    private func deleteFrame(_ c: PostgresConnection, _ k: Int) throws {
        _ = try c.run("DELETE FROM frame_columns WHERE run_id = \(runID) AND frame = \(k)", logger)
        _ = try c.run("DELETE FROM events WHERE run_id = \(runID) AND written_with = \(k)", logger)
        _ = try c.run("DELETE FROM facets WHERE run_id = \(runID) AND frame = \(k)", logger)
        _ = try c.run("DELETE FROM particles WHERE run_id = \(runID) AND frame = \(k)", logger)
        _ = try c.run("DELETE FROM frames WHERE run_id = \(runID) AND id = \(k)", logger)
    }

    /// The run's quanta for heights and cross-sections, chosen from its first frame with columns.
    private func quantizer(_ c: PostgresConnection, columns: [ColumnRecord], learned: inout Quantizer?) throws -> Quantizer {
        lock.lock()
        let cached = cachedQuantizer
        lock.unlock()
        if let cached { return cached }
        if let q = try PostgresReader.quantizer(c, runID: runID, logger: logger, orNil: true) {
            learned = q
            return q
        }
        let q = Quantizer(heightQuantum: Quantizer.quantum(for: columns.map(\.height)),
                          crossSectionQuantum: Quantizer.quantum(for: columns.map(\.crossSection)))
        _ = try c.run("""
            INSERT INTO store_meta (run_id, key, value) VALUES (\(runID), 'height_quantum', \(q.heightQuantum)),
                (\(runID), 'cross_section_quantum', \(q.crossSectionQuantum))
            ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value
            """, logger)
        learned = q
        return q
    }

    private func jsonText<T: Encodable>(_ v: T) -> String {
        String(decoding: (try? JSONEncoder().encode(v)) ?? Data("null".utf8), as: UTF8.self)
    }

    // MARK: Resuming

    public func storedFrame(identity: String, contentHash: String) throws -> StoredFrame? {
        try pool.with { c in
            let rows = try c.run("""
                SELECT id, path, content_hash, status FROM frames WHERE run_id = \(runID) AND content_hash = \(contentHash)
                UNION ALL
                SELECT id, path, content_hash, status FROM frames WHERE run_id = \(runID) AND path = \(identity)
                """, logger)
            let found = try rows.map { row in
                let x = Cells(row)
                return (frame: try x(0, as: Int.self), path: try x(1, as: String.self), hash: try x(2, as: String.self),
                        ok: try x(3, as: String.self) == "ok")
            }
            if let f = found.first(where: { $0.path == identity && $0.hash == contentHash }) { return .same(frame: f.frame) }
            if let f = found.first(where: { $0.hash == contentHash && $0.ok }) { return .samePixels(frame: f.frame, identity: f.path) }
            if let f = found.first(where: { $0.path == identity && ($0.ok || $0.hash == "crashed") }) {
                return .sameIdentity(frame: f.frame, crashed: !f.ok)
            }
            return nil
        }
    }

    public func recordFile(path: String, size: Int, modified: Double, device: Int64?, inode: Int64?, failed: Bool) throws {
        try single { c in
            try insertFileKey(c, identity: path, size: size, modified: modified, device: device, inode: inode, failed: failed)
        }
    }

    /// A file version's keys (path, size and time; device and inode), nil without size or time.
    private func fileKeys(identity: String, size: Int?, modified: Double?, device: Int64?, inode: Int64?)
        -> (key: Int64, inode: Int64?)? {
        guard let size, let modified else { return nil }
        let key = FileKey.of(path: FrameStore.filePath(ofIdentity: identity), size: size, modified: modified)
        let inodeKey = device.flatMap { d in inode.map { FileKey.inode(device: d, inode: $0, size: size, modified: modified) } }
        return (key, inodeKey)
    }

    private func insertFileKey(_ c: PostgresConnection, identity: String, size: Int?, modified: Double?, device: Int64?,
                               inode: Int64?, failed: Bool) throws {
        guard let (key, inodeKey) = fileKeys(identity: identity, size: size, modified: modified, device: device, inode: inode)
        else { return }
        _ = try c.run("""
            INSERT INTO file_keys AS k (run_id, key, inode_key, failed) VALUES (\(runID), \(key), \(inodeKey), \(failed))
            ON CONFLICT (run_id, key) DO UPDATE SET failed = k.failed AND excluded.failed
            """, logger)
    }

    public func knownFiles() throws -> KnownFiles {
        try pool.snapshot { c in
            var k = KnownFiles()
            for row in try c.run("SELECT key, inode_key, failed FROM file_keys WHERE run_id = \(runID)", logger) {
                let x = Cells(row)
                let key: Int64 = try x(0), inode: Int64? = try x(1), failed: Bool = try x(2)
                if failed { k.failedKeys.insert(key) } else { k.storedKeys.insert(key) }
                if let inode, !failed { k.inodeKeys.insert(inode) }
            }
            for row in try c.run("""
                SELECT path, file_size, mtime, ctime, error FROM frames WHERE run_id = \(runID) AND status = 'failed'
                """, logger) {
                let x = Cells(row)
                let path = FrameStore.filePath(ofIdentity: try x(0))
                k.failures[path] = KnownFile(path: path, size: try x(1), modified: try x(2), changed: try x(3), failed: true,
                                             error: try x(4))
            }
            return k
        }
    }

    // MARK: In progress and heartbeat

    @discardableResult
    public func markInProgress(_ frame: InProgressFrame) throws -> Int {
        try single { c in
            let rows = try c.run("""
                INSERT INTO in_progress AS p (run_id, identity, path, attempts, file_size, mtime, device, inode, ctime, started_at, pid)
                VALUES (\(runID), \(frame.identity), \(frame.path), 1, \(frame.size), \(frame.modified), \(frame.device),
                        \(frame.inode), \(frame.changed), \(frame.startedAt), \(frame.pid))
                ON CONFLICT (run_id, identity) DO UPDATE SET attempts = p.attempts + 1, started_at = excluded.started_at,
                    pid = excluded.pid, file_size = excluded.file_size, mtime = excluded.mtime
                RETURNING attempts
                """, logger)
            return try rows.first.map { try Cells($0)(0, as: Int.self) } ?? 1
        }
    }

    public func inProgress() throws -> [InProgressFrame] {
        try pool.with { c in
            try c.run("SELECT * FROM in_progress WHERE run_id = \(runID) ORDER BY started_at", logger).map { row in
                let x = Cells(row)
                var f = InProgressFrame(path: try x("path"), identity: try x("identity"), size: try x("file_size"),
                                        modified: try x("mtime"), device: try x("device"), inode: try x("inode"),
                                        changed: try x("ctime"), startedAt: try x("started_at"), pid: try x("pid"))
                f.attempts = try x("attempts")
                return f
            }
        }
    }

    public func clearInProgress(_ identity: String?) throws {
        try single { c in
            if let identity {
                _ = try c.run("DELETE FROM in_progress WHERE run_id = \(runID) AND identity = \(identity)", logger)
            } else {
                _ = try c.run("DELETE FROM in_progress WHERE run_id = \(runID)", logger)
            }
        }
    }

    public func writeHeartbeat(_ h: Heartbeat) throws {
        try single { c in
            _ = try c.run("""
                INSERT INTO daemon_heartbeat (run_id, pid, host, started_at, updated_at, state, backlog, frames, failed,
                                              last_frame_at, message)
                VALUES (\(runID), \(h.pid), \(h.host), \(h.startedAt), \(h.updatedAt), \(h.state), \(h.backlog), \(h.frames),
                        \(h.failed), \(h.lastFrameAt), \(h.message))
                ON CONFLICT (run_id) DO UPDATE SET pid = excluded.pid, host = excluded.host, started_at = excluded.started_at,
                    updated_at = excluded.updated_at, state = excluded.state, backlog = excluded.backlog,
                    frames = excluded.frames, failed = excluded.failed, last_frame_at = excluded.last_frame_at,
                    message = excluded.message
                """, logger)
        }
    }

    public func committedFrames(run session: Int64?) throws -> [CommittedFrame] {
        try pool.with { c in
            var b = QueryBuilder()
            b.sql = "SELECT id, path, content_hash, status, session_id FROM frames WHERE run_id = \(b.bind(runID))"
            if let session { b.sql += " AND session_id = \(b.bind(session))" }
            b.sql += " ORDER BY id"
            return try c.run(b.query, logger).map { row in
                let x = Cells(row)
                return CommittedFrame(frame: try x(0), path: try x(1), contentHash: try x(2),
                                      status: FrameStatus(rawValue: try x(3)) ?? .failed, runID: try x(4))
            }
        }
    }

    public func resumePoint() throws -> ResumePoint {
        try pool.snapshot { c in
            let row = Cells(try c.run("SELECT count(*), max(id) FROM frames WHERE run_id = \(runID)", logger)[0])
            let state = try c.run("SELECT frame, state FROM resume_state WHERE run_id = \(runID)", logger).first.map { Cells($0) }
            let session = try c.run("SELECT * FROM sessions WHERE run_id = \(runID) ORDER BY id DESC LIMIT 1", logger)
                .first.map { try PostgresReader.sessionRecord(Cells($0)) }
            return ResumePoint(frameCount: try row(0), lastFrame: try row(1), state: try state.map { try $0(1, as: Data.self) },
                               stateFrame: try state.map { try $0(0, as: Int.self) }, lastSession: session)
        }
    }

    /// Nothing to do: PostgreSQL checkpoints by itself.
    public func checkpoint(truncate: Bool) throws {}

    public func isEnvironmental(_ error: any Error) -> Bool { PostgresErrors.isEnvironmental(error) }

    public func describe(_ error: any Error) -> String {
        PostgresErrors.describe(error, url: url) ?? FrameStore.describe(error)
    }
}

/// One track's observations within the frames being indexed, with its aggregates (sums of the
/// stored fixed-point values, exact in integers; cross-sections are whole quanta, exact in doubles).
private struct TrackBlock {
    var frames: [Int64] = [], idx: [Int64] = [], x: [Int64] = [], y: [Int64] = [], count: [Int64] = []
    var crossSection: [Double] = []
    var sumX: Int64 = 0, sumY: Int64 = 0, counted: Int64 = 0, sumCount: Int64 = 0
    var minCount = Int64.max, maxCount = Int64.min
    var sumCrossSection = 0.0

    mutating func add(frame: Int64, index: Int64, x: Int64, y: Int64, count: Int64, crossSection: Double, none: Int64) {
        frames.append(frame); idx.append(index); self.x.append(x); self.y.append(y); self.count.append(count)
        self.crossSection.append(crossSection)
        sumX += x; sumY += y; sumCrossSection += crossSection
        if count != none {
            counted += 1; sumCount += count
            minCount = min(minCount, count); maxCount = max(maxCount, count)
        }
    }
}

/// Rows for `json_populate_recordset`: keys are the tables' column names.
private struct FacetRow: Encodable {
    let frame: Int, idx: Int, family: String?, x0: JSONFloat, y0: JSONFloat, x1: JSONFloat, y1: JSONFloat
    let columns: Int?, length: JSONFloat?, angle: JSONFloat?, extra: String?
    init(_ x: FacetRecord) {
        frame = x.frame; idx = x.index; family = x.family
        x0 = JSONFloat(x.x0); y0 = JSONFloat(x.y0); x1 = JSONFloat(x.x1); y1 = JSONFloat(x.y1)
        columns = x.columns; length = x.length.json; angle = x.angle.json; extra = x.extra
    }
}

private struct ParticleRow: Encodable {
    let frame: Int, idx: Int, columns: Int, surface_columns: Int, atoms: Int?
    let area: JSONFloat, perimeter: JSONFloat, cx: JSONFloat, cy: JSONFloat, radius_of_gyration: JSONFloat
    let aspect_ratio: JSONFloat?
    init(_ p: ParticleRecord) {
        frame = p.frame; idx = p.index; columns = p.columns; surface_columns = p.surfaceColumns; atoms = p.atoms
        area = JSONFloat(p.area); perimeter = JSONFloat(p.perimeter); cx = JSONFloat(p.centreX); cy = JSONFloat(p.centreY)
        radius_of_gyration = JSONFloat(p.radiusOfGyration)
        aspect_ratio = p.aspectRatio.isFinite ? JSONFloat(p.aspectRatio) : nil
    }
}

private struct EventRow: Encodable {
    let frame: Int, kind: String, x: JSONFloat, y: JSONFloat, track: Int?, other_track: Int?
    let before: Int?, after: Int?, delta: Int?, confidence: JSONFloat
    init(_ e: EventRecord) {
        frame = e.frame; kind = e.kind; x = JSONFloat(e.x); y = JSONFloat(e.y); track = e.track; other_track = e.otherTrack
        before = e.before; after = e.after; delta = e.delta; confidence = JSONFloat(e.confidence)
    }
}

/// What the track index needs of one frame's columns: the stored (fixed-point) values.
private struct TrackColumns {
    var track: [Int64], x: [Int64], y: [Int64], count: [Int64]
    var crossSection: [Double]
}

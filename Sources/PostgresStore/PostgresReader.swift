import Foundation
import PostgresNIO
import TrajectoryStore

/// Read-only queries on one run of a PostgreSQL store, answering exactly what ``StoreReader``
/// answers for the same series: the same records in the same order, the same floating-point
/// values (decoded from the same fixed-point integers with the same arithmetic) and the same nils.
/// Calls that need several queries run them in one repeatable-read transaction (one snapshot).
public final class PostgresReader: StoreQuerying, @unchecked Sendable {
    let pool: ConnectionPool
    /// The run's row id in `runs`.
    public let runID: Int32
    var logger: Logger { pool.logger }

    init(pool: ConnectionPool, runID: Int32) {
        self.pool = pool
        self.runID = runID
    }

    // MARK: Small tables

    public func sessions() throws -> [SessionRecord] {
        try pool.with { c in
            try c.run("SELECT * FROM sessions WHERE run_id = \(runID) ORDER BY id", logger).map { try Self.sessionRecord(Cells($0)) }
        }
    }

    public func models() throws -> [CountingModelRecord] {
        try pool.with { c in
            try c.run("""
                SELECT * FROM counting_models WHERE run_id = \(runID) ORDER BY first_frame NULLS FIRST, id COLLATE "C"
                """, logger).map { row in
                let x = Cells(row)
                return CountingModelRecord(id: try x("id"), source: try x("source"), counts: Self.decode(try x("counts")) ?? [],
                                           means: Self.decode(try x("means")) ?? [],
                                           proportions: Self.decode(try x("proportions")) ?? [],
                                           sigma: try x("sigma"), poissonScale: try x("poisson_scale"),
                                           firstFrame: try x("first_frame"))
            }
        }
    }

    public func seriesStart() throws -> Double? {
        try pool.with { c in
            try Cells(c.run("SELECT min(acquired_at) FROM frames WHERE run_id = \(runID)", logger)[0])(0)
        }
    }

    // MARK: Frames

    /// Conditions on `frames f` (as ``StoreFilter``'s for SQLite), bound into `b`.
    func frameConditions(_ filter: StoreFilter, _ b: inout QueryBuilder, includeStatus: Bool = true) -> [String] {
        var sql = ["f.run_id = \(b.bind(runID))"]
        if let r = filter.frames { sql.append("f.id BETWEEN \(b.bind(r.lowerBound)) AND \(b.bind(r.upperBound))") }
        if let r = filter.time { sql.append("f.acquired_at BETWEEN \(b.bind(r.lowerBound)) AND \(b.bind(r.upperBound))") }
        if let r = filter.temperature { sql.append("f.temperature BETWEEN \(b.bind(r.lowerBound)) AND \(b.bind(r.upperBound))") }
        if includeStatus, let s = filter.status { sql.append("f.status = \(b.bind(s.rawValue))") }
        return sql
    }

    static func framesOnly(_ filter: StoreFilter) -> Bool {
        filter.time == nil && filter.temperature == nil && filter.status == nil
    }

    public func frames(_ filter: StoreFilter) throws -> [FrameRecord] {
        try pool.with { c in
            var b = QueryBuilder()
            let conditions = frameConditions(filter, &b)
            b.sql = "SELECT * FROM frames f WHERE " + conditions.joined(separator: " AND ") + " ORDER BY f.id"
            if let limit = filter.limit { b.sql += " LIMIT \(b.bind(limit))" }
            return try c.run(b.query, logger).map { try Self.frameRecord(Cells($0)) }
        }
    }

    public func frame(_ number: Int) throws -> FrameRecord? {
        try pool.with { c in
            try c.run("SELECT * FROM frames WHERE run_id = \(runID) AND id = \(number)", logger).first
                .map { try Self.frameRecord(Cells($0)) }
        }
    }

    /// Aggregates over the selected frames from the per-frame aggregates. The cross-section sum is
    /// summed in frame order (`sum(… ORDER BY id)`), as SQLite's `total` over its index does, so
    /// that the mean is bit-identical.
    public func summary(_ filter: StoreFilter) throws -> StoreSummary {
        try pool.snapshot { c in
            var b = QueryBuilder()
            let conditions = frameConditions(filter, &b)
            let whereSQL = " WHERE " + conditions.joined(separator: " AND ")
            b.sql = """
                SELECT count(*), count(*) FILTER (WHERE f.status = 'ok'), count(*) FILTER (WHERE f.status = 'failed'),
                       min(f.id), max(f.id), min(f.acquired_at), max(f.acquired_at), min(f.temperature), max(f.temperature),
                       coalesce(sum(f.column_count), 0)::int8, coalesce(sum(f.counted_columns), 0)::int8,
                       coalesce(sum(f.atoms), 0)::int8, coalesce(sum(f.cross_section_sum ORDER BY f.id), 0)::float8,
                       count(f.atoms)
                FROM frames f\(whereSQL)
                """
            let row = Cells(try c.run(b.query, logger)[0])
            let ok: Int = try row(1), failed: Int = try row(2)
            let columns: Int = try row(9), counted: Int = try row(10), atoms: Int = try row(11)
            let csSum: Double = try row(12)
            let framesWithAtoms: Int = try row(13)
            var events: [String: Int] = [:]
            var e = QueryBuilder()
            if Self.framesOnly(filter) {
                let r = filter.frames ?? 0...(1 << 48)
                e.sql = """
                    SELECT kind, count(*) FROM events
                    WHERE run_id = \(e.bind(runID)) AND frame BETWEEN \(e.bind(r.lowerBound)) AND \(e.bind(r.upperBound))
                    GROUP BY kind
                    """
            } else {
                let frameWhere = frameConditions(filter, &e).joined(separator: " AND ")
                e.sql = """
                    SELECT kind, count(*) FROM events
                    WHERE run_id = \(e.bind(runID)) AND frame IN (SELECT f.id FROM frames f WHERE \(frameWhere)) GROUP BY kind
                    """
            }
            for r in try c.run(e.query, logger) {
                let x = Cells(r)
                events[try x(0)] = try x(1)
            }
            var models: [String: Int] = [:]
            var m = QueryBuilder()
            let modelConditions = frameConditions(filter, &m) + ["f.model_id IS NOT NULL"]
            m.sql = "SELECT f.model_id, count(*) FROM frames f WHERE " + modelConditions.joined(separator: " AND ")
                + " GROUP BY f.model_id"
            for r in try c.run(m.query, logger) {
                let x = Cells(r)
                models[try x(0)] = try x(1)
            }
            return StoreSummary(
                frames: try row(0), okFrames: ok, failedFrames: failed, firstFrame: try row(3), lastFrame: try row(4),
                firstAcquiredAt: try row(5), lastAcquiredAt: try row(6), minTemperature: try row(7), maxTemperature: try row(8),
                columns: columns, countedColumns: counted, atoms: atoms,
                meanColumnsPerFrame: ok > 0 ? Double(columns) / Double(ok) : nil,
                meanAtomsPerFrame: framesWithAtoms > 0 ? Double(atoms) / Double(framesWithAtoms) : nil,
                meanCrossSection: columns > 0 ? csSum / Double(columns) : nil,
                events: events, models: models)
        }
    }

    // MARK: Columns

    public func columns(frame: Int) throws -> [ColumnRecord] {
        try pool.snapshot { c in
            guard let f = try c.run("SELECT * FROM frames WHERE run_id = \(runID) AND id = \(frame)", logger).first
                .map({ try Self.frameRecord(Cells($0)) }) else { return [] }
            let q = try Self.quantizer(c, runID: runID, logger: logger)
            return try columnRows(c, frames: [f], track: nil, quantizer: q).map(\.column)
        }
    }

    /// Frames whose columns are read in one query by ``forEachColumn(_:_:)``.
    static let columnBatch = 32

    public func forEachColumn(_ filter: StoreFilter, _ body: (FrameRecord, Int, ColumnRecord) throws -> Void) throws {
        try pool.snapshot { c in
            let q = try Self.quantizer(c, runID: runID, logger: logger)
            var b = QueryBuilder()
            let conditions = frameConditions(filter, &b) + ["f.column_count > 0"]
            b.sql = "SELECT * FROM frames f WHERE " + conditions.joined(separator: " AND ") + " ORDER BY f.id"
            let frames = try c.run(b.query, logger).map { try Self.frameRecord(Cells($0)) }
            var emitted = 0
            let limit = filter.limit ?? Int.max
            var start = 0
            while start < frames.count {
                let batch = Array(frames[start..<min(frames.count, start + Self.columnBatch)])
                start += batch.count
                let rows = try columnRows(c, frames: batch, track: filter.track, quantizer: q)
                for (f, i, col) in rows {
                    if let t = filter.track, col.track != t { continue }
                    if let r = filter.region, !r.contains(x: col.x, y: col.y) { continue }
                    try body(f, i, col)
                    emitted += 1
                    if emitted >= limit { return }
                }
            }
        }
    }

    /// The columns of `frames` (in frame order, then column order), decoded as SQLite's reader does.
    private func columnRows(_ c: PostgresConnection, frames: [FrameRecord], track: Int?, quantizer q: Quantizer) throws
        -> [(frame: FrameRecord, index: Int, column: ColumnRecord)] {
        guard !frames.isEmpty else { return [] }
        var b = QueryBuilder()
        let ids = frames.map { Int64($0.frame) }
        b.sql = """
            SELECT frame, idx, track, x, y, sigma_x, sigma_y, width, height, sigma_height, cross_section, count, crlb_x, crlb_y,
                   raw_count, count_final
            FROM columns WHERE run_id = \(b.bind(runID)) AND frame = ANY(\(b.bind(ids))::int8[])
            """
        if let track { b.sql += " AND track = \(b.bind(track))" }
        b.sql += " ORDER BY frame, idx"
        let es = 1 / StoreSchema.errorScale, ps = 1 / StoreSchema.positionScale
        var byNumber: [Int: FrameRecord] = [:]
        for f in frames { byNumber[f.frame] = f }
        var out: [(frame: FrameRecord, index: Int, column: ColumnRecord)] = []
        for row in try c.run(b.query, logger) {
            let (k, i, t, x, y, sx, sy, w, h, sh, cs, n, cx, cy, raw, final) = try row.decode(
                (Int, Int, Int?, Int64, Int64, Int64?, Int64?, Int64?, Double, Double?, Double, Int?, Int64?, Int64?, Int?, Bool).self)
            let f = byNumber[k]!
            let col = ColumnRecord(
                x: Double(x) * ps, y: Double(y) * ps,
                sigmaX: sx.map { Double($0) * es }, sigmaY: sy.map { Double($0) * es },
                width: w.map { Double($0) * es } ?? f.sharedWidth ?? .nan,
                height: h * q.heightQuantum, sigmaHeight: sh.map { $0 * q.heightQuantum },
                crossSection: cs * q.crossSectionQuantum,
                crlbX: cx.map { Double($0) * es }, crlbY: cy.map { Double($0) * es },
                count: n, track: t, rawCount: raw ?? n, countFinal: final)
            out.append((f, i, col))
        }
        return out
    }

    // MARK: Tracks

    /// One track's history in frame order: its blocks (one index range) and the pending frames.
    public func track(_ id: Int, frames range: ClosedRange<Int>?, withTimes: Bool) throws -> [TrackObservation] {
        try pool.snapshot { c in
            let q = try Self.quantizer(c, runID: runID, logger: logger)
            let lo = range?.lowerBound ?? 0, hi = range?.upperBound ?? Int(Int64.max >> 15)
            let ps = 1 / StoreSchema.positionScale
            var points: [TrackObservation] = []
            let none = PostgresSchema.nullInteger
            // The indexed frames from the track's blocks (one index range), then the pending frames'
            // columns (at most a block and the smoothing lag), as SQLite's reader merges them.
            // Blocks come as arrays (about 1,600 rows for 5·10⁴ frames; decoding arrays is much cheaper
            // than decoding one row per observation), packed big-endian values copied as they are.
            let blocks = Collector<TrackObservation>()
            let csQuantum = q.crossSectionQuantum
            try c.forEachRow("""
                SELECT frames, idx, x, y, count, cross_section FROM track_blocks
                WHERE run_id = \(runID) AND track = \(id) AND last_frame >= \(lo) AND first_frame <= \(hi)
                ORDER BY first_frame
                """, logger) { row in
                let cells = try row.decode((ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer).self)
                let ks = try PackedValues.int64s(cells.0), ix = try PackedValues.int64s(cells.1)
                let xs = try PackedValues.int64s(cells.2), ys = try PackedValues.int64s(cells.3)
                let ns = try PackedValues.int64s(cells.4), css = try PackedValues.doubles(cells.5)
                guard [ix.count, xs.count, ys.count, ns.count, css.count].allSatisfy({ $0 == ks.count }) else {
                    throw PostgresStoreError.malformedArray("a track block of track \(id) with arrays of different lengths")
                }
                blocks.append { points in
                    for j in ks.indices where ks[j] >= Int64(lo) && ks[j] <= Int64(hi) {
                        points.append(TrackObservation(frame: Int(ks[j]), index: Int(ix[j]), x: Double(xs[j]) * ps, y: Double(ys[j]) * ps,
                                                       count: ns[j] == none ? nil : Int(ns[j]),
                                                       crossSection: css[j] * csQuantum))
                    }
                }
            }
            points = blocks.take()
            for row in try c.run("""
                SELECT fc.frame, (u.i - 1)::int, u.x, u.y, NULLIF(u.n, \(none))::int, u.cs
                FROM frames f JOIN frame_columns fc ON fc.run_id = f.run_id AND fc.frame = f.id,
                     unnest(fc.track, fc.x, fc.y, fc.count, fc.cross_section) WITH ORDINALITY AS u(t, x, y, n, cs, i)
                WHERE f.run_id = \(runID) AND NOT f.track_indexed AND f.id BETWEEN \(lo) AND \(hi) AND u.t = \(id)
                ORDER BY 1
                """, logger) {
                let (k, i, x, y, n, cs) = try row.decode((Int, Int, Int64, Int64, Int?, Double).self)
                points.append(TrackObservation(frame: k, index: i, x: Double(x) * ps, y: Double(y) * ps, count: n,
                                               crossSection: cs * q.crossSectionQuantum))
            }
            // Pending frames can precede indexed ones (frames written out of order): frame order.
            if zip(points, points.dropFirst()).contains(where: { $0.frame > $1.frame }) {
                points.sort { $0.frame < $1.frame }
            }
            if withTimes, let first = points.first?.frame, let last = points.last?.frame {
                var times = [Double?](repeating: nil, count: last - first + 1)
                // One row of two arrays (not a row per frame: postgres-nio's per-row cost dominated);
                // acquisition times are finite or NULL, NULL sent as NaN.
                let row = try c.run("""
                    SELECT coalesce(array_agg(id ORDER BY id), '{}'), coalesce(array_agg(coalesce(acquired_at, 'NaN'::float8) ORDER BY id), '{}')
                    FROM frames WHERE run_id = \(runID) AND id BETWEEN \(first) AND \(last)
                    """, logger)[0]
                let (ib, tb) = try row.decode((ByteBuffer, ByteBuffer).self)
                let ids = try BinaryArray.int64s(ib), ts = try BinaryArray.doubles(tb)
                for (k, t) in zip(ids, ts) where !t.isNaN { times[Int(k) - first] = t }
                for i in points.indices { points[i].acquiredAt = times[points[i].frame - first] }
            }
            return points
        }
    }

    /// Track summaries (per-track aggregates merged with the pending frames'), in id order, with
    /// SQLite's filter semantics and arithmetic.
    public func tracks(_ filter: StoreFilter) throws -> [TrackRecord] {
        try pool.snapshot { c in
            let q = try Self.quantizer(c, runID: runID, logger: logger)
            var span: ClosedRange<Int>? = filter.frames
            if filter.time != nil || filter.temperature != nil {
                var b = QueryBuilder()
                let conditions = frameConditions(filter, &b, includeStatus: false)
                b.sql = "SELECT min(f.id), max(f.id) FROM frames f WHERE " + conditions.joined(separator: " AND ")
                let row = Cells(try c.run(b.query, logger)[0])
                guard let a: Int = try row(0), let z: Int = try row(1) else { return [] }
                span = a...z
            }
            func read(_ row: PostgresRow) throws -> (Int, TrackAggregate) {
                let (id, first, last, n, sx, sy, counted, sc, minC, maxC, scs) = try row.decode(
                    (Int, Int, Int, Int, Int64, Int64, Int, Int64?, Int64?, Int64?, Double).self)
                return (id, TrackAggregate(first: first, last: last, n: n, sx: sx, sy: sy, counted: counted, sc: sc, minC: minC,
                                           maxC: maxC, scs: scs))
            }
            var pending: [Int: TrackAggregate] = [:]
            for row in try c.run("""
                SELECT c.track, min(c.frame), max(c.frame), count(*), sum(c.x)::int8, sum(c.y)::int8, count(c.count),
                       sum(c.count)::int8, min(c.count)::int8, max(c.count)::int8, sum(c.cross_section)::float8
                FROM frames f JOIN columns c ON c.run_id = f.run_id AND c.frame = f.id
                WHERE f.run_id = \(runID) AND NOT f.track_indexed AND c.track IS NOT NULL
                GROUP BY c.track
                """, logger) {
                let (id, a) = try read(row)
                pending[id] = a
            }
            var page = TrackPage(filter: filter, span: span, crossSectionQuantum: q.crossSectionQuantum, pending: pending)
            var b = QueryBuilder()
            b.sql = """
                SELECT id, first_frame, last_frame, observations, sum_x, sum_y, counted, sum_count, min_count, max_count,
                       sum_cross_section FROM tracks WHERE run_id = \(b.bind(runID))
                """
            if let t = filter.track { b.sql += " AND id = \(b.bind(t))" } else {
                if let after = filter.afterTrack { b.sql += " AND id > \(b.bind(after))" }
                b.sql += " ORDER BY id"
            }
            // Rows are read in chunks by the id order, so that a limited page does not read every track.
            for row in try c.run(b.query, logger) {
                guard page.wantsMore else { break }
                let (id, a) = try read(row)
                page.add(id, a)
            }
            return page.finish()
        }
    }

    // MARK: Events, facets, particles

    public func events(_ filter: StoreFilter) throws -> [EventRecord] {
        try pool.with { c in
            var b = QueryBuilder()
            var conditions = ["e.run_id = \(b.bind(runID))"]
            if let r = filter.frames { conditions.append("e.frame BETWEEN \(b.bind(r.lowerBound)) AND \(b.bind(r.upperBound))") }
            if let r = filter.time { conditions.append("f.acquired_at BETWEEN \(b.bind(r.lowerBound)) AND \(b.bind(r.upperBound))") }
            if let r = filter.temperature {
                conditions.append("f.temperature BETWEEN \(b.bind(r.lowerBound)) AND \(b.bind(r.upperBound))")
            }
            if let r = filter.region {
                conditions.append("e.x BETWEEN \(b.bind(r.x0)) AND \(b.bind(r.x1)) AND e.y BETWEEN \(b.bind(r.y0)) AND \(b.bind(r.y1))")
            }
            if let kinds = filter.kinds, !kinds.isEmpty { conditions.append("e.kind = ANY(\(b.bind(kinds))::text[])") }
            if let t = filter.track { conditions.append("(e.track = \(b.bind(t)) OR e.other_track = \(b.bind(t)))") }
            b.sql = """
                SELECT e.id, e.kind, e.frame, e.x, e.y, e.track, e.other_track, e.before, e.after, e.delta, e.confidence,
                       f.acquired_at
                FROM events e LEFT JOIN frames f ON f.run_id = e.run_id AND f.id = e.frame
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY e.frame, e.id
                """
            if let limit = filter.limit { b.sql += " LIMIT \(b.bind(limit))" }
            return try c.run(b.query, logger).map { row in
                let (id, kind, frame, x, y, track, other, before, after, delta, confidence, time) = try row.decode(
                    (Int64, String, Int, Double, Double, Int?, Int?, Int?, Int?, Int?, Double, Double?).self)
                var e = EventRecord(id: id, kind: kind, frame: frame, x: x, y: y, track: track, otherTrack: other,
                                    before: before, after: after, delta: delta, confidence: confidence)
                e.acquiredAt = time
                return e
            }
        }
    }

    public func facets(_ filter: StoreFilter) throws -> [FacetRecord] {
        try pool.with { c in
            var b = QueryBuilder()
            var conditions = ["c.run_id = \(b.bind(runID))"]
            if let r = filter.frames { conditions.append("c.frame BETWEEN \(b.bind(r.lowerBound)) AND \(b.bind(r.upperBound))") }
            if let r = filter.time { conditions.append("f.acquired_at BETWEEN \(b.bind(r.lowerBound)) AND \(b.bind(r.upperBound))") }
            if let r = filter.temperature {
                conditions.append("f.temperature BETWEEN \(b.bind(r.lowerBound)) AND \(b.bind(r.upperBound))")
            }
            if let r = filter.region {
                conditions.append("(c.x0 + c.x1) / 2 BETWEEN \(b.bind(r.x0)) AND \(b.bind(r.x1)) "
                                  + "AND (c.y0 + c.y1) / 2 BETWEEN \(b.bind(r.y0)) AND \(b.bind(r.y1))")
            }
            if let kinds = filter.kinds, !kinds.isEmpty { conditions.append("c.family = ANY(\(b.bind(kinds))::text[])") }
            b.sql = """
                SELECT c.frame, c.idx, c.family, c.x0, c.y0, c.x1, c.y1, c.columns, c.length, c.angle, c.extra
                FROM facets c LEFT JOIN frames f ON f.run_id = c.run_id AND f.id = c.frame
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY c.frame, c.idx
                """
            if let limit = filter.limit { b.sql += " LIMIT \(b.bind(limit))" }
            return try c.run(b.query, logger).map { row in
                let (frame, idx, family, x0, y0, x1, y1, columns, length, angle, extra) = try row.decode(
                    (Int, Int, String?, Double, Double, Double, Double, Int?, Double?, Double?, String?).self)
                return FacetRecord(frame: frame, index: idx, family: family, x0: x0, y0: y0, x1: x1, y1: y1, columns: columns,
                                   length: length, angle: angle, extra: extra)
            }
        }
    }

    public func particles(_ filter: StoreFilter) throws -> [ParticleRecord] {
        try pool.with { c in
            var b = QueryBuilder()
            var conditions = ["p.run_id = \(b.bind(runID))"]
            if let r = filter.frames { conditions.append("p.frame BETWEEN \(b.bind(r.lowerBound)) AND \(b.bind(r.upperBound))") }
            if let r = filter.time { conditions.append("f.acquired_at BETWEEN \(b.bind(r.lowerBound)) AND \(b.bind(r.upperBound))") }
            if let r = filter.temperature {
                conditions.append("f.temperature BETWEEN \(b.bind(r.lowerBound)) AND \(b.bind(r.upperBound))")
            }
            b.sql = """
                SELECT p.frame, p.idx, p.columns, p.surface_columns, p.atoms, p.area, p.perimeter, p.cx, p.cy,
                       p.radius_of_gyration, p.aspect_ratio
                FROM particles p LEFT JOIN frames f ON f.run_id = p.run_id AND f.id = p.frame
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY p.frame, p.idx
                """
            if let limit = filter.limit { b.sql += " LIMIT \(b.bind(limit))" }
            return try c.run(b.query, logger).map { row in
                let (frame, idx, columns, surface, atoms, area, perimeter, cx, cy, rg, aspect) = try row.decode(
                    (Int, Int, Int, Int, Int?, Double, Double, Double, Double, Double, Double?).self)
                return ParticleRecord(frame: frame, index: idx, columns: columns, surfaceColumns: surface, atoms: atoms,
                                      area: area, perimeter: perimeter, centreX: cx, centreY: cy, radiusOfGyration: rg,
                                      aspectRatio: aspect ?? .infinity)
            }
        }
    }

    public func heartbeat() throws -> Heartbeat? {
        try pool.with { c in
            try c.run("SELECT * FROM daemon_heartbeat WHERE run_id = \(runID)", logger).first.map { row in
                let x = Cells(row)
                return Heartbeat(pid: try x("pid") ?? 0, host: try x("host") ?? "", startedAt: try x("started_at") ?? 0,
                                 updatedAt: try x("updated_at"), state: try x("state"), backlog: try x("backlog") ?? 0,
                                 frames: try x("frames") ?? 0, failed: try x("failed") ?? 0,
                                 lastFrameAt: try x("last_frame_at"), message: try x("message"))
            }
        }
    }

    /// Bytes of each table and index of the store (`pg_total_relation_size` of each table, with its
    /// indexes and TOAST, and `pg_relation_size` of each index), for the whole database: every run.
    public func spaceUsed() throws -> [String: Int] {
        try pool.with { c in
            var out: [String: Int] = [:]
            for row in try c.run("""
                SELECT c.relname, CASE WHEN c.relkind = 'i' THEN pg_relation_size(c.oid) ELSE pg_total_relation_size(c.oid) END
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                LEFT JOIN pg_index i ON i.indexrelid = c.oid
                LEFT JOIN pg_class t ON t.oid = i.indrelid
                WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i')
                  AND coalesce(t.relname, c.relname) = ANY(\(PostgresSchema.tableNames)::text[])
                """, logger) {
                let (name, bytes) = try row.decode((String, Int).self)
                out[name] = bytes
            }
            return out
        }
    }

    /// Bytes this run takes: for each table of the store, its `pg_total_relation_size` (heap,
    /// indexes, TOAST) × this run's fraction of its rows (counted; a scan of each table).
    public func spaceUsedByRun() throws -> Int {
        try pool.snapshot { c in
            var total = 0.0
            // Tables only: the `columns` view has no storage of its own (and counting it unnests every array).
            for table in PostgresSchema.tableNames where table != "columns" {
                let key = table == "runs" ? "id" : "run_id"
                let row = try c.run(PostgresQuery(unsafeSQL: """
                    SELECT pg_total_relation_size('\(table)'), count(*), count(*) FILTER (WHERE \(key) = \(runID)) FROM \(table)
                    """), logger)[0]
                let (bytes, all, mine) = try row.decode((Int, Int, Int).self)
                if all > 0 { total += Double(bytes) * Double(mine) / Double(all) }
            }
            return Int(total)
        }
    }

    // MARK: Helpers

    /// The run's quanta (1 when none stored yet; nil then if `orNil`).
    static func quantizer(_ c: PostgresConnection, runID: Int32, logger: Logger, orNil: Bool) throws -> Quantizer? {
        var h: Double?, cs: Double?
        for row in try c.run("SELECT key, value FROM store_meta WHERE run_id = \(runID)", logger) {
            let (key, value) = try row.decode((String, Double?).self)
            if key == "height_quantum" { h = value }
            if key == "cross_section_quantum" { cs = value }
        }
        if orNil { guard let h, let cs else { return nil }; return Quantizer(heightQuantum: h, crossSectionQuantum: cs) }
        return Quantizer(heightQuantum: h ?? 1, crossSectionQuantum: cs ?? 1)
    }

    static func quantizer(_ c: PostgresConnection, runID: Int32, logger: Logger) throws -> Quantizer {
        try quantizer(c, runID: runID, logger: logger, orNil: false)!
    }

    static func decode<T: Decodable>(_ text: String?) -> T? {
        text.flatMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }

    static func sessionRecord(_ x: Cells) throws -> SessionRecord {
        SessionRecord(id: try x("id"), startedAt: try x("started_at"), stoppedAt: try x("stopped_at"),
                      softwareVersion: try x("software_version"), settings: try x("settings"), directory: try x("directory"),
                      host: try x("host"))
    }

    static func frameRecord(_ x: Cells) throws -> FrameRecord {
        var f = FrameRecord(
            frame: try x("id"), path: try x("path"), contentHash: try x("content_hash"), fileSize: try x("file_size"),
            modified: try x("mtime"), acquiredAt: try x("acquired_at"), temperature: try x("temperature"),
            status: FrameStatus(rawValue: try x("status")) ?? .failed, error: try x("error"),
            imageWidth: try x("image_width"), imageHeight: try x("image_height"), pixelSize: try x("pixel_size"),
            background: try x("background"), sharedWidth: try x("shared_width"), estimator: try x("estimator"),
            iterations: try x("iterations"), converged: try x("converged"), driftX: try x("drift_x"), driftY: try x("drift_y"),
            modelID: try x("model_id"),
            timings: StageTimings(read: try x("t_read"), find: try x("t_find"), fit: try x("t_fit"), count: try x("t_count"),
                                  track: try x("t_track"), store: try x("t_store"), total: try x("t_total")),
            processedAt: try x("processed_at"), extra: try x("extra"))
        f.runID = try x("session_id")
        f.device = try x("device")
        f.inode = try x("inode")
        f.changed = try x("ctime")
        f.quality = try x("quality")
        f.rotation = try x("rotation")
        f.scale = try x("scale")
        f.timeSource = try x("time_source")
        f.temperatureSource = try x("temperature_source")
        f.temperatureFilledAt = try x("temperature_filled_at")
        f.holder = try x("holder")
        f.columnCount = try x("column_count")
        f.countedColumns = try x("counted_columns")
        f.atoms = try x("atoms")
        f.countsPending = try x("counts_pending")
        let sum: Double? = try x("cross_section_sum")
        f.meanCrossSection = f.columnCount > 0 ? sum.map { $0 / Double(f.columnCount) } : nil
        return f
    }
}

/// Values gathered by a row callback (which runs on the connection's event loop) and taken once
/// the query's future completed.
final class Collector<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [T] = []
    func append(_ body: (inout [T]) -> Void) { lock.lock(); body(&values); lock.unlock() }
    func take() -> [T] { lock.lock(); defer { values = []; lock.unlock() }; return values }
}

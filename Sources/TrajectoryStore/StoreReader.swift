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

/// A rectangle in image coordinates, px (inclusive bounds).
public struct Region: Sendable, Equatable, Codable {
    public var x0: Double
    public var y0: Double
    public var x1: Double
    public var y1: Double

    public init(x0: Double, y0: Double, x1: Double, y1: Double) {
        self.x0 = min(x0, x1); self.y0 = min(y0, y1); self.x1 = max(x0, x1); self.y1 = max(y0, y1)
    }

    public func contains(x: Double, y: Double) -> Bool { x >= x0 && x <= x1 && y >= y0 && y <= y1 }
}

/// Which rows a query returns. Every condition is optional; values are always bound as SQL
/// parameters, never spliced into SQL text.
public struct StoreFilter: Sendable, Equatable {
    /// Frame numbers (0-based acquisition order), inclusive.
    public var frames: ClosedRange<Int>?
    /// Acquisition time, Unix s, inclusive (frames without a time are excluded when set).
    public var time: ClosedRange<Double>?
    /// Temperature, °C, inclusive (frames without a temperature are excluded when set).
    public var temperature: ClosedRange<Double>?
    /// Image region, px: columns and events inside it, tracks whose mean position is inside it,
    /// facets whose midpoint is inside it.
    public var region: Region?
    /// Event kinds (events) or plane families (facets).
    public var kinds: [String]?
    /// Only this track (events: as either track; columns: this track).
    public var track: Int?
    /// Frame status (frames).
    public var status: FrameStatus?
    /// Tracks observed in at least this many frames.
    public var minObservations: Int?
    /// At most this many rows.
    public var limit: Int?
    /// Only tracks with a larger id (tracks: paging through them in id order).
    public var afterTrack: Int?

    public init(frames: ClosedRange<Int>? = nil, time: ClosedRange<Double>? = nil,
                temperature: ClosedRange<Double>? = nil, region: Region? = nil, kinds: [String]? = nil,
                track: Int? = nil, status: FrameStatus? = nil, minObservations: Int? = nil, limit: Int? = nil,
                afterTrack: Int? = nil) {
        self.frames = frames; self.time = time; self.temperature = temperature; self.region = region
        self.kinds = kinds; self.track = track; self.status = status; self.minObservations = minObservations
        self.limit = limit; self.afterTrack = afterTrack
    }

    /// Whether only the frame-number range restricts frames.
    var framesOnly: Bool { time == nil && temperature == nil && status == nil }

    /// SQL conditions on the frames table (alias `f`) and their arguments.
    func frameConditions(includeStatus: Bool = true) -> (sql: [String], arguments: StatementArguments) {
        var sql: [String] = []
        var arguments = StatementArguments()
        if let r = frames { sql.append("f.id BETWEEN ? AND ?"); arguments += [r.lowerBound, r.upperBound] }
        if let r = time { sql.append("f.acquired_at BETWEEN ? AND ?"); arguments += [r.lowerBound, r.upperBound] }
        if let r = temperature { sql.append("f.temperature BETWEEN ? AND ?"); arguments += [r.lowerBound, r.upperBound] }
        if includeStatus, let s = status { sql.append("f.status = ?"); arguments += [s.rawValue] }
        return (sql, arguments)
    }
}

/// Read-only queries on a trajectory store. Safe to use while a ``FrameStore`` writes the file
/// (WAL: each query reads one consistent snapshot).
public final class StoreReader: StoreQuerying {
    let connection: ReaderConnection
    var reader: any DatabaseReader { connection.reader }

    /// Opens `path` read-only.
    public convenience init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.fileNotFound(path) }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(10)
        config.label = "stemtrack.store.read"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            try queue.read { db in
                let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                guard appID == StoreSchema.applicationID,
                      try StoreSchema.migrator.hasCompletedMigrations(db) else { throw StoreError.notAStore(path) }
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreError.notAStore(path)
        }
        self.init(reader: queue)
    }

    init(reader: any DatabaseReader) { connection = ReaderConnection(reader: reader) }

    // MARK: Small tables

    public func sessions() throws -> [SessionRecord] {
        try reader.read { db in try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id").map(Self.sessionRecord) }
    }

    public func models() throws -> [CountingModelRecord] {
        try reader.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM counting_models ORDER BY first_frame, id").map { row in
                CountingModelRecord(id: row["id"], source: row["source"], counts: Self.decode(row["counts"]) ?? [],
                                    means: Self.decode(row["means"]) ?? [], proportions: Self.decode(row["proportions"]) ?? [],
                                    sigma: row["sigma"], poissonScale: row["poisson_scale"], firstFrame: row["first_frame"])
            }
        }
    }

    /// Acquisition time of the earliest frame, Unix s.
    public func seriesStart() throws -> Double? {
        try reader.read { db in try Double.fetchOne(db, sql: "SELECT min(acquired_at) FROM frames") }
    }

    // MARK: Frames

    public func frames(_ filter: StoreFilter) throws -> [FrameRecord] {
        try reader.read { db in
            let (conditions, arguments) = filter.frameConditions()
            var sql = "SELECT * FROM frames f"
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY f.id"
            var args = arguments
            if let limit = filter.limit { sql += " LIMIT ?"; args += [limit] }
            return try Row.fetchAll(db, sql: sql, arguments: args).map(Self.frameRecord)
        }
    }

    public func frame(_ number: Int) throws -> FrameRecord? {
        try reader.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM frames WHERE id = ?", arguments: [number]).map(Self.frameRecord)
        }
    }

    /// Aggregates over the selected frames, from the per-frame aggregates (never scans columns).
    public func summary(_ filter: StoreFilter) throws -> StoreSummary {
        try reader.read { db in
            let (conditions, arguments) = filter.frameConditions()
            let whereSQL = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            let row = try Row.fetchOne(db, sql: """
                SELECT count(*), total(f.status = 'ok'), total(f.status = 'failed'), min(f.id), max(f.id),
                       min(f.acquired_at), max(f.acquired_at), min(f.temperature), max(f.temperature),
                       total(f.column_count), total(f.counted_columns), total(f.atoms), total(f.cross_section_sum),
                       count(f.atoms)
                FROM frames f\(whereSQL)
                """, arguments: arguments)!
            let frames: Int = row[0]
            let ok = Int(row[1] as Double), failed = Int(row[2] as Double)
            let columns = Int(row[9] as Double), counted = Int(row[10] as Double), atoms = Int(row[11] as Double)
            let csSum: Double = row[12]
            let framesWithAtoms: Int = row[13]
            var events: [String: Int] = [:]
            if filter.framesOnly {
                // Per kind: a count over the covering index (kind, frame); the kinds by skip-scan.
                let r = filter.frames ?? 0...(1 << 48)
                var kind = ""
                while let next = try String.fetchOne(db, sql: "SELECT kind FROM events WHERE kind > ? ORDER BY kind LIMIT 1",
                                                     arguments: [kind]) {
                    let n = try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE kind = ? AND frame BETWEEN ? AND ?",
                                             arguments: [next, r.lowerBound, r.upperBound]) ?? 0
                    if n > 0 { events[next] = n }
                    kind = next
                }
            } else {
                for r in try Row.fetchAll(db, sql: "SELECT kind, count(*) FROM events WHERE frame IN (SELECT f.id FROM frames f\(whereSQL)) GROUP BY kind",
                                          arguments: arguments) {
                    events[r[0]] = r[1]
                }
            }
            var models: [String: Int] = [:]
            let modelConditions = conditions + ["f.model_id IS NOT NULL"]
            for r in try Row.fetchAll(db, sql: "SELECT f.model_id, count(*) FROM frames f WHERE "
                                      + modelConditions.joined(separator: " AND ") + " GROUP BY f.model_id",
                                      arguments: arguments) {
                models[r[0]] = r[1]
            }
            return StoreSummary(
                frames: frames, okFrames: ok, failedFrames: failed, firstFrame: row[3], lastFrame: row[4],
                firstAcquiredAt: row[5], lastAcquiredAt: row[6], minTemperature: row[7], maxTemperature: row[8],
                columns: columns, countedColumns: counted, atoms: atoms,
                meanColumnsPerFrame: ok > 0 ? Double(columns) / Double(ok) : nil,
                meanAtomsPerFrame: framesWithAtoms > 0 ? Double(atoms) / Double(framesWithAtoms) : nil,
                meanCrossSection: columns > 0 ? csSum / Double(columns) : nil,
                events: events, models: models)
        }
    }

    // MARK: Columns

    /// The columns of one frame, in order.
    public func columns(frame: Int) throws -> [ColumnRecord] {
        var out: [ColumnRecord] = []
        try reader.read { db in
            guard let f = try Row.fetchOne(db, sql: "SELECT * FROM frames WHERE id = ?", arguments: [frame]).map(Self.frameRecord) else { return }
            let q = try Self.quantizer(db)
            try Self.scanColumns(db, frame: f, quantizer: q) { _, c in out.append(c) }
        }
        return out
    }

    /// Calls `body` for every column of the selected frames (in frame order, then column order)
    /// inside the region and of the track, if set. Frames without columns are skipped.
    public func forEachColumn(_ filter: StoreFilter,
                              _ body: (FrameRecord, Int, ColumnRecord) throws -> Void) throws {
        try reader.read { db in
            let q = try Self.quantizer(db)
            var (conditions, arguments) = filter.frameConditions()
            conditions.append("f.column_count > 0")
            let frames = try Row.fetchCursor(db, sql: "SELECT * FROM frames f WHERE " + conditions.joined(separator: " AND ")
                                             + " ORDER BY f.id", arguments: arguments)
            var emitted = 0
            let limit = filter.limit ?? Int.max
            while let row = try frames.next() {
                let f = Self.frameRecord(row)
                var stop = false
                try Self.scanColumns(db, frame: f, quantizer: q) { i, c in
                    guard !stop else { return }
                    if let t = filter.track, c.track != t { return }
                    if let r = filter.region, !r.contains(x: c.x, y: c.y) { return }
                    try body(f, i, c)
                    emitted += 1
                    if emitted >= limit { stop = true }
                }
                if stop { break }
            }
        }
    }

    static func scanColumns(_ db: Database, frame f: FrameRecord, quantizer q: Quantizer,
                            _ body: (Int, ColumnRecord) throws -> Void) throws {
        let base = Int64(f.frame) << Int64(StoreSchema.frameShift)
        let es = 1 / StoreSchema.errorScale, ps = 1 / StoreSchema.positionScale
        try eachRow(db, """
            SELECT id, track, x, y, sigma_x, sigma_y, width, height, sigma_height, cross_section, count, crlb_x, crlb_y,
                   raw_count, count_final
            FROM columns WHERE id BETWEEN ? AND ?
            """, [base, base + Int64(StoreSchema.maxColumnsPerFrame - 1)]) { s in
            let c = ColumnRecord(
                x: Double(sqlite3_column_int64(s, 2)) * ps, y: Double(sqlite3_column_int64(s, 3)) * ps,
                sigmaX: int(s, 4).map { Double($0) * es }, sigmaY: int(s, 5).map { Double($0) * es },
                width: int(s, 6).map { Double($0) * es } ?? f.sharedWidth ?? .nan,
                height: sqlite3_column_double(s, 7) * q.heightQuantum,
                sigmaHeight: sqlite3_column_type(s, 8) == SQLITE_NULL ? nil : sqlite3_column_double(s, 8) * q.heightQuantum,
                crossSection: sqlite3_column_double(s, 9) * q.crossSectionQuantum,
                crlbX: int(s, 11).map { Double($0) * es }, crlbY: int(s, 12).map { Double($0) * es },
                count: int(s, 10).map(Int.init), track: int(s, 1).map(Int.init),
                rawCount: (int(s, 13) ?? int(s, 10)).map(Int.init), countFinal: int(s, 14).map { $0 != 0 } ?? true)
            try body(Int(sqlite3_column_int64(s, 0) - base), c)
        }
    }

    // MARK: Tracks

    /// One track's history in frame order (optionally within a frame range, with acquisition times).
    public func track(_ id: Int, frames range: ClosedRange<Int>?, withTimes: Bool) throws -> [TrackObservation] {
        try reader.read { db in
            let q = try Self.quantizer(db)
            let lo = Int64(range?.lowerBound ?? 0), hi = Int64(range?.upperBound ?? Int(Int64.max >> 15))
            var points: [TrackObservation] = []
            let indexed = try Int.fetchOne(db, sql: "SELECT observations FROM tracks WHERE id = ?", arguments: [id]) ?? 0
            points.reserveCapacity(indexed + 64)
            let ps = 1 / StoreSchema.positionScale
            try Self.eachRow(db, """
                SELECT frame, idx, x, y, count, cross_section FROM track_points
                WHERE track = ? AND frame BETWEEN ? AND ? ORDER BY frame
                """, [Int64(id), lo, hi]) { s in
                points.append(TrackObservation(frame: Int(sqlite3_column_int64(s, 0)), index: Int(sqlite3_column_int64(s, 1)),
                                         x: Double(sqlite3_column_int64(s, 2)) * ps, y: Double(sqlite3_column_int64(s, 3)) * ps,
                                         count: Self.int(s, 4).map(Int.init),
                                         crossSection: sqlite3_column_double(s, 5) * q.crossSectionQuantum))
            }
            let indexedCount = points.count
            let pending = try Int.fetchAll(db, sql: "SELECT id FROM frames WHERE track_indexed = 0 AND id BETWEEN ? AND ? ORDER BY id",
                                           arguments: [lo, hi])
            for k in pending {
                let base = Int64(k) << Int64(StoreSchema.frameShift)
                try Self.eachRow(db, """
                    SELECT id, x, y, count, cross_section FROM columns WHERE id BETWEEN ? AND ? AND track = ?
                    """, [base, base + Int64(StoreSchema.maxColumnsPerFrame - 1), Int64(id)]) { s in
                    points.append(TrackObservation(frame: k, index: Int(sqlite3_column_int64(s, 0) - base),
                                             x: Double(sqlite3_column_int64(s, 1)) * ps, y: Double(sqlite3_column_int64(s, 2)) * ps,
                                             count: Self.int(s, 3).map(Int.init),
                                             crossSection: sqlite3_column_double(s, 4) * q.crossSectionQuantum))
                }
            }
            if points.count > indexedCount, let last = points[..<indexedCount].last, let first = points.dropFirst(indexedCount).first,
               first.frame < last.frame {
                points.sort { $0.frame < $1.frame }   // frames written out of order (backfill)
            }
            if withTimes, let first = points.first?.frame, let last = points.last?.frame {
                var times = [Double?](repeating: nil, count: last - first + 1)
                try Self.eachRow(db, "SELECT id, acquired_at FROM frames WHERE id BETWEEN ? AND ?", [Int64(first), Int64(last)]) { s in
                    if sqlite3_column_type(s, 1) != SQLITE_NULL {
                        times[Int(sqlite3_column_int64(s, 0)) - first] = sqlite3_column_double(s, 1)
                    }
                }
                for i in points.indices { points[i].acquiredAt = times[points[i].frame - first] }
            }
            return points
        }
    }

    /// Track summaries (per-track aggregates merged with the pending frames'), in id order.
    ///
    /// The frame range selects tracks whose [first, last] frames overlap it; time and temperature
    /// ranges are turned into the frame span of the frames that match them.
    public func tracks(_ filter: StoreFilter) throws -> [TrackRecord] {
        try reader.read { db in
            let q = try Self.quantizer(db)
            var span: ClosedRange<Int>? = filter.frames
            if filter.time != nil || filter.temperature != nil {
                let (conditions, arguments) = filter.frameConditions(includeStatus: false)
                let row = try Row.fetchOne(db, sql: "SELECT min(f.id), max(f.id) FROM frames f WHERE "
                                           + conditions.joined(separator: " AND "), arguments: arguments)
                guard let a: Int = row?[0], let b: Int = row?[1] else { return [] }
                span = a...b
            }
            func read(_ s: SQLiteStatement) -> (Int, TrackAggregate) {
                (Int(sqlite3_column_int64(s, 0)),
                 TrackAggregate(first: Int(sqlite3_column_int64(s, 1)), last: Int(sqlite3_column_int64(s, 2)),
                                n: Int(sqlite3_column_int64(s, 3)), sx: sqlite3_column_int64(s, 4), sy: sqlite3_column_int64(s, 5),
                                counted: Int(sqlite3_column_int64(s, 6)), sc: Self.int(s, 7), minC: Self.int(s, 8),
                                maxC: Self.int(s, 9), scs: sqlite3_column_double(s, 10)))
            }
            var pending: [Int: TrackAggregate] = [:]
            try Self.eachRow(db, """
                SELECT c.track, min(c.id >> 14), max(c.id >> 14), count(*), sum(c.x), sum(c.y), count(c.count),
                       sum(c.count), min(c.count), max(c.count), total(c.cross_section)
                \(FrameStore.pendingSource) GROUP BY c.track
                """, []) { s in let (id, a) = read(s); pending[id] = a }
            var page = TrackPage(filter: filter, span: span, crossSectionQuantum: q.crossSectionQuantum, pending: pending)
            let columns = "SELECT id, first_frame, last_frame, observations, sum_x, sum_y, counted, sum_count, min_count, max_count, sum_cross_section FROM tracks"
            let sql = filter.track != nil ? columns + " WHERE id = ?" : columns + " WHERE id > ? ORDER BY id"
            let trackArguments = filter.track.map { [Int64($0)] } ?? [filter.afterTrack.map { Int64($0) } ?? Int64.min]
            try Self.eachRow(db, sql, trackArguments) { s in
                guard page.wantsMore else { return }
                let (id, a) = read(s)
                page.add(id, a)
            }
            return page.finish()
        }
    }

    // MARK: Events and facets

    public func events(_ filter: StoreFilter) throws -> [EventRecord] {
        try reader.read { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let r = filter.frames { conditions.append("e.frame BETWEEN ? AND ?"); arguments += [r.lowerBound, r.upperBound] }
            if let r = filter.time { conditions.append("f.acquired_at BETWEEN ? AND ?"); arguments += [r.lowerBound, r.upperBound] }
            if let r = filter.temperature { conditions.append("f.temperature BETWEEN ? AND ?"); arguments += [r.lowerBound, r.upperBound] }
            if let r = filter.region {
                conditions.append("e.x BETWEEN ? AND ? AND e.y BETWEEN ? AND ?"); arguments += [r.x0, r.x1, r.y0, r.y1]
            }
            if let kinds = filter.kinds, !kinds.isEmpty {
                conditions.append("e.kind IN (" + Array(repeating: "?", count: kinds.count).joined(separator: ", ") + ")")
                arguments += StatementArguments(kinds)
            }
            if let t = filter.track { conditions.append("(e.track = ? OR e.other_track = ?)"); arguments += [t, t] }
            var sql = "SELECT e.*, f.acquired_at AS frame_acquired_at FROM events e LEFT JOIN frames f ON f.id = e.frame"
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY e.frame, e.id"
            if let limit = filter.limit { sql += " LIMIT ?"; arguments += [limit] }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { r in
                var e = EventRecord(id: r["id"], kind: r["kind"], frame: r["frame"], x: r["x"], y: r["y"], track: r["track"],
                                    otherTrack: r["other_track"], before: r["before"], after: r["after"], delta: r["delta"],
                                    confidence: r["confidence"])
                e.acquiredAt = r["frame_acquired_at"]
                return e
            }
        }
    }

    public func facets(_ filter: StoreFilter) throws -> [FacetRecord] {
        try reader.read { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let r = filter.frames { conditions.append("c.frame BETWEEN ? AND ?"); arguments += [r.lowerBound, r.upperBound] }
            if let r = filter.time { conditions.append("f.acquired_at BETWEEN ? AND ?"); arguments += [r.lowerBound, r.upperBound] }
            if let r = filter.temperature { conditions.append("f.temperature BETWEEN ? AND ?"); arguments += [r.lowerBound, r.upperBound] }
            if let r = filter.region {
                conditions.append("(c.x0 + c.x1) / 2 BETWEEN ? AND ? AND (c.y0 + c.y1) / 2 BETWEEN ? AND ?")
                arguments += [r.x0, r.x1, r.y0, r.y1]
            }
            if let kinds = filter.kinds, !kinds.isEmpty {
                conditions.append("c.family IN (" + Array(repeating: "?", count: kinds.count).joined(separator: ", ") + ")")
                arguments += StatementArguments(kinds)
            }
            var sql = "SELECT c.* FROM facets c LEFT JOIN frames f ON f.id = c.frame"
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY c.frame, c.idx"
            if let limit = filter.limit { sql += " LIMIT ?"; arguments += [limit] }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { r in
                FacetRecord(frame: r["frame"], index: r["idx"], family: r["family"], x0: r["x0"], y0: r["y0"],
                            x1: r["x1"], y1: r["y1"], columns: r["columns"], length: r["length"], angle: r["angle"],
                            extra: r["extra"])
            }
        }
    }

    /// Particles per frame (largest first within a frame), filtered by frames, time and
    /// temperature; `limit` caps the rows.
    public func particles(_ filter: StoreFilter) throws -> [ParticleRecord] {
        try reader.read { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let r = filter.frames { conditions.append("p.frame BETWEEN ? AND ?"); arguments += [r.lowerBound, r.upperBound] }
            if let r = filter.time { conditions.append("f.acquired_at BETWEEN ? AND ?"); arguments += [r.lowerBound, r.upperBound] }
            if let r = filter.temperature { conditions.append("f.temperature BETWEEN ? AND ?"); arguments += [r.lowerBound, r.upperBound] }
            var sql = "SELECT p.* FROM particles p LEFT JOIN frames f ON f.id = p.frame"
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY p.frame, p.idx"
            if let limit = filter.limit { sql += " LIMIT ?"; arguments += [limit] }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { r in
                let aspect: Double? = r["aspect_ratio"]
                return ParticleRecord(frame: r["frame"], index: r["idx"], columns: r["columns"],
                                      surfaceColumns: r["surface_columns"], atoms: r["atoms"], area: r["area"],
                                      perimeter: r["perimeter"], centreX: r["cx"], centreY: r["cy"],
                                      radiusOfGyration: r["radius_of_gyration"], aspectRatio: aspect ?? .infinity)
            }
        }
    }

    /// Bytes used by each table and index (needs SQLite's dbstat table; reads the whole file).
    public func spaceUsed() throws -> [String: Int] {
        try reader.read { db in
            var out: [String: Int] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT name, sum(pgsize) FROM dbstat GROUP BY name") { out[r[0]] = r[1] }
            return out
        }
    }

    // MARK: Helpers

    static func quantizer(_ db: Database) throws -> Quantizer {
        Quantizer(
            heightQuantum: try Double.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'height_quantum'") ?? 1,
            crossSectionQuantum: try Double.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'cross_section_quantum'") ?? 1)
    }

    @inline(__always)
    static func int(_ s: SQLiteStatement, _ i: Int32) -> Int64? {
        sqlite3_column_type(s, i) == SQLITE_NULL ? nil : sqlite3_column_int64(s, i)
    }

    /// Runs a cached statement with integer arguments, calling `body` for each row (raw SQLite
    /// access: the hot paths read tens of thousands of rows).
    static func eachRow(_ db: Database, _ sql: String, _ arguments: [Int64],
                        _ body: (SQLiteStatement) throws -> Void) throws {
        let statement = try db.cachedStatement(sql: sql)
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        sqlite3_clear_bindings(s)
        defer { sqlite3_reset(s) }
        for (i, a) in arguments.enumerated() { sqlite3_bind_int64(s, Int32(i + 1), a) }
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_ROW { try body(s); continue }
            if rc == SQLITE_DONE { return }
            throw DatabaseError(resultCode: ResultCode(rawValue: rc),
                                message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
        }
    }

    static func decode<T: Decodable>(_ text: String?) -> T? {
        text.flatMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }

    /// The daemon's last heartbeat (nil: no daemon has written one, or a store older than version 3).
    public func heartbeat() throws -> Heartbeat? {
        try connection.reader.read { db in
            guard try db.tableExists("daemon_heartbeat") else { return nil }
            return try Row.fetchOne(db, sql: "SELECT * FROM daemon_heartbeat WHERE id = 1").map {
                Heartbeat(pid: $0["pid"] ?? 0, host: $0["host"] ?? "", startedAt: $0["started_at"] ?? 0,
                          updatedAt: $0["updated_at"], state: $0["state"], backlog: $0["backlog"] ?? 0,
                          frames: $0["frames"] ?? 0, failed: $0["failed"] ?? 0, lastFrameAt: $0["last_frame_at"],
                          message: $0["message"])
            }
        }
    }

    static func sessionRecord(_ row: Row) -> SessionRecord {
        SessionRecord(id: row["id"], startedAt: row["started_at"], stoppedAt: row["stopped_at"],
                  softwareVersion: row["software_version"], settings: row["settings"], directory: row["directory"],
                  host: row["host"])
    }

    static func frameRecord(_ row: Row) -> FrameRecord {
        var f = FrameRecord(
            frame: row["id"], path: row["path"], contentHash: row["content_hash"], fileSize: row["file_size"],
            modified: row["mtime"], acquiredAt: row["acquired_at"], temperature: row["temperature"],
            status: FrameStatus(rawValue: row["status"]) ?? .failed, error: row["error"],
            imageWidth: row["image_width"], imageHeight: row["image_height"], pixelSize: row["pixel_size"],
            background: row["background"], sharedWidth: row["shared_width"], estimator: row["estimator"],
            iterations: row["iterations"], converged: row["converged"], driftX: row["drift_x"], driftY: row["drift_y"],
            modelID: row["model_id"],
            timings: StageTimings(read: row["t_read"], find: row["t_find"], fit: row["t_fit"], count: row["t_count"],
                                  track: row["t_track"], store: row["t_store"], total: row["t_total"]),
            processedAt: row["processed_at"], extra: row["extra"])
        f.runID = row["run_id"]
        f.device = row["device"]
        f.inode = row["inode"]
        f.changed = row["ctime"]
        f.quality = row["quality"]
        f.rotation = row["rotation"]
        f.scale = row["scale"]
        f.timeSource = row["time_source"]
        f.temperatureSource = row["temperature_source"]
        f.temperatureFilledAt = row["temperature_filled_at"]
        f.holder = row["holder"]
        f.columnCount = row["column_count"]
        f.countedColumns = row["counted_columns"]
        f.atoms = row["atoms"]
        f.countsPending = row["counts_pending"]
        let sum: Double? = row["cross_section_sum"]
        f.meanCrossSection = f.columnCount > 0 ? sum.map { $0 / Double(f.columnCount) } : nil
        return f
    }
}

/// The GRDB side of a ``StoreReader`` (see ``WriterConnection``).
final class ReaderConnection: Sendable {
    let reader: any DatabaseReader
    init(reader: any DatabaseReader) { self.reader = reader }
}

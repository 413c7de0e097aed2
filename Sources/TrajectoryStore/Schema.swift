// GRDB is an internal dependency: no GRDB type appears in a public declaration or in the stored
// layout of a public type (see WriterConnection, ReaderConnection). Clients still load GRDB (this
// module is not built for library evolution), and without the MemberImportVisibility feature
// GRDB's operator overloads reach their type checker (long `+` string chains can time out).
internal import GRDB

/// The store's SQLite schema (documented in SCHEMA.md) and its fixed-point encodings.
public enum StoreSchema {
    /// `PRAGMA application_id` of a trajectory store ("STRK").
    public static let applicationID: Int32 = 0x5354_524B

    /// A column's row id is `frame << frameShift | index`: up to 16,384 columns per frame.
    public static let frameShift = 14
    public static let maxColumnsPerFrame = 1 << frameShift

    /// Stored integer = value × scale: positions in 0.001 px, widths, standard errors and
    /// Cramér–Rao bounds in 0.0001 px.
    public static let positionScale = 1_000.0
    public static let errorScale = 10_000.0

    /// Migrations, in order. Named so that later versions can add their own.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-tables") { db in try db.execute(sql: tables) }
        m.registerMigration("v1-indexes") { db in try db.execute(sql: indexes) }
        m.registerMigration("v1-views") { db in try db.execute(sql: viewsV1) }
        m.registerMigration("v2-particles") { db in try db.execute(sql: particles) }
        m.registerMigration("v3-service") { db in
            try db.execute(sql: service)
            try FrameStore.backfillFileKeys(db)   // stores written before version 3
        }
        m.registerMigration("v4-smoothing") { db in
            try db.execute(sql: smoothing)
            try db.execute(sql: "DROP VIEW column_values; DROP VIEW track_history; DROP VIEW track_summary; DROP VIEW quanta")
            try db.execute(sql: views)
        }
        return m
    }

    /// Added in version 3 for running as a service: the file's identity (device, inode, ctime) so a
    /// restart recognises stored files without reading them, the fit's plausibility warnings, the
    /// frame being analysed (so that a frame that kills the process is recorded failed at the next
    /// start instead of crashing it again), the daemon's heartbeat (read by `serve`'s /healthz), and
    /// `file_keys`: 64-bit keys of (file path, size, mtime) and (device, inode, size, mtime) of every
    /// stored file, so that a restart loads what it must skip in a few hundred kilobytes.
    static let service = """
        ALTER TABLE frames ADD COLUMN device INTEGER;
        ALTER TABLE frames ADD COLUMN inode INTEGER;
        ALTER TABLE frames ADD COLUMN ctime REAL;
        ALTER TABLE frames ADD COLUMN quality TEXT;
        CREATE TABLE in_progress (
            identity TEXT PRIMARY KEY NOT NULL,
            path TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1,
            file_size INTEGER,
            mtime REAL,
            device INTEGER,
            inode INTEGER,
            ctime REAL,
            started_at REAL NOT NULL,
            pid INTEGER
        );
        CREATE TABLE file_keys (
            key INTEGER PRIMARY KEY,
            inode_key INTEGER,
            failed INTEGER NOT NULL
        );
        CREATE INDEX file_keys_inode ON file_keys(inode_key) WHERE inode_key IS NOT NULL;
        CREATE INDEX frames_failed ON frames(id) WHERE status = 'failed';
        CREATE TABLE daemon_heartbeat (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            pid INTEGER,
            host TEXT,
            started_at REAL,
            updated_at REAL NOT NULL,
            state TEXT NOT NULL,
            backlog INTEGER,
            frames INTEGER,
            failed INTEGER,
            last_frame_at REAL,
            message TEXT
        );
        """

    /// Added in version 4 for fixed-lag smoothing of the counts: `columns.count` is the smoothed
    /// count (revised for `lag` frames, then final), `raw_count` the counting model's count and
    /// `count_final` 0 while the count may still be revised (NULL or 1: final); `frames.counts_pending`
    /// the number of the frame's columns whose count is not final (a frame's tracks are copied to
    /// the track index only once it is 0); `frames.rotation` (degrees) and `frames.scale`, the
    /// frame's cumulative rotation and scale relative to the first (with `drift_x`, `drift_y`).
    static let smoothing = """
        ALTER TABLE columns ADD COLUMN raw_count INTEGER;
        ALTER TABLE columns ADD COLUMN count_final INTEGER;
        ALTER TABLE frames ADD COLUMN counts_pending INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE frames ADD COLUMN rotation REAL;
        ALTER TABLE frames ADD COLUMN scale REAL;
        ALTER TABLE frames ADD COLUMN time_source TEXT;
        ALTER TABLE frames ADD COLUMN temperature_source TEXT;
        ALTER TABLE frames ADD COLUMN temperature_filled_at REAL;
        ALTER TABLE frames ADD COLUMN holder TEXT;
        CREATE INDEX frames_counts_pending ON frames(id) WHERE counts_pending > 0;
        """

    /// Per-frame particles (connected groups of columns), added in version 2.
    static let particles = """
        CREATE TABLE particles (
            frame INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            columns INTEGER NOT NULL,
            surface_columns INTEGER NOT NULL,
            atoms INTEGER,
            area REAL NOT NULL,
            perimeter REAL NOT NULL,
            cx REAL NOT NULL,
            cy REAL NOT NULL,
            radius_of_gyration REAL NOT NULL,
            aspect_ratio REAL,
            PRIMARY KEY (frame, idx)
        ) WITHOUT ROWID;
        """

    static let tables = """
        PRAGMA application_id = \(applicationID);

        CREATE TABLE store_meta (
            key TEXT PRIMARY KEY NOT NULL,
            value
        ) WITHOUT ROWID;

        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at REAL NOT NULL,
            stopped_at REAL,
            software_version TEXT NOT NULL,
            settings TEXT NOT NULL DEFAULT '{}',
            directory TEXT,
            host TEXT
        );

        CREATE TABLE counting_models (
            id TEXT PRIMARY KEY NOT NULL,
            source TEXT NOT NULL,
            components INTEGER NOT NULL,
            counts TEXT NOT NULL,
            means TEXT NOT NULL,
            proportions TEXT NOT NULL,
            sigma REAL NOT NULL,
            poisson_scale REAL,
            first_frame INTEGER
        );

        CREATE TABLE frames (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            path TEXT NOT NULL,
            file_size INTEGER,
            mtime REAL,
            content_hash TEXT NOT NULL,
            acquired_at REAL,
            temperature REAL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
            error TEXT,
            image_width INTEGER,
            image_height INTEGER,
            pixel_size REAL,
            background REAL,
            shared_width REAL,
            estimator TEXT,
            iterations INTEGER,
            converged INTEGER,
            drift_x REAL,
            drift_y REAL,
            model_id TEXT REFERENCES counting_models(id),
            t_read REAL,
            t_find REAL,
            t_fit REAL,
            t_count REAL,
            t_track REAL,
            t_store REAL,
            t_total REAL,
            processed_at REAL,
            extra TEXT,
            column_count INTEGER NOT NULL DEFAULT 0,
            counted_columns INTEGER NOT NULL DEFAULT 0,
            atoms INTEGER,
            cross_section_sum REAL,
            track_indexed INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE columns (
            id INTEGER PRIMARY KEY,
            track INTEGER,
            x INTEGER NOT NULL,
            y INTEGER NOT NULL,
            sigma_x INTEGER,
            sigma_y INTEGER,
            width INTEGER,
            height INTEGER NOT NULL,
            sigma_height INTEGER,
            cross_section INTEGER NOT NULL,
            count INTEGER,
            crlb_x INTEGER,
            crlb_y INTEGER,
            frame INTEGER GENERATED ALWAYS AS (id >> 14) VIRTUAL,
            idx INTEGER GENERATED ALWAYS AS (id & 16383) VIRTUAL
        );

        CREATE TABLE track_points (
            track INTEGER NOT NULL,
            frame INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            x INTEGER NOT NULL,
            y INTEGER NOT NULL,
            count INTEGER,
            cross_section INTEGER NOT NULL,
            PRIMARY KEY (track, frame)
        ) WITHOUT ROWID;

        CREATE TABLE tracks (
            id INTEGER PRIMARY KEY,
            first_frame INTEGER NOT NULL,
            last_frame INTEGER NOT NULL,
            observations INTEGER NOT NULL,
            sum_x INTEGER NOT NULL,
            sum_y INTEGER NOT NULL,
            counted INTEGER NOT NULL,
            sum_count INTEGER,
            min_count INTEGER,
            max_count INTEGER,
            sum_cross_section INTEGER NOT NULL
        );

        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            frame INTEGER NOT NULL,
            kind TEXT NOT NULL,
            x REAL NOT NULL,
            y REAL NOT NULL,
            track INTEGER,
            other_track INTEGER,
            before INTEGER,
            after INTEGER,
            delta INTEGER,
            confidence REAL NOT NULL,
            written_with INTEGER NOT NULL
        );

        CREATE TABLE facets (
            frame INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            family TEXT,
            x0 REAL NOT NULL,
            y0 REAL NOT NULL,
            x1 REAL NOT NULL,
            y1 REAL NOT NULL,
            columns INTEGER,
            length REAL,
            angle REAL,
            extra TEXT,
            PRIMARY KEY (frame, idx)
        ) WITHOUT ROWID;

        CREATE TABLE resume_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            frame INTEGER NOT NULL,
            run_id INTEGER NOT NULL,
            state BLOB NOT NULL
        );
        """

    static let indexes = """
        CREATE UNIQUE INDEX frames_identity ON frames(content_hash, path);
        CREATE INDEX frames_path ON frames(path);
        CREATE INDEX frames_acquired ON frames(acquired_at);
        CREATE INDEX frames_run ON frames(run_id, id);
        CREATE INDEX frames_pending ON frames(id) WHERE track_indexed = 0;
        CREATE INDEX frames_summary ON frames(id, status, acquired_at, temperature, column_count, counted_columns,
                                              atoms, cross_section_sum, model_id);
        CREATE INDEX events_frame ON events(frame);
        CREATE INDEX events_kind ON events(kind, frame);
        CREATE INDEX events_track ON events(track) WHERE track IS NOT NULL;
        CREATE INDEX events_other_track ON events(other_track) WHERE other_track IS NOT NULL;
        """

    /// Decoded views for people querying the file with SQL (sqlite3, Python, …). `+c.track`
    /// keeps SQLite from building an automatic index on `columns.track` (a scan of every row)
    /// when a condition on the track is pushed into a view; the pending frames' row-id ranges
    /// are read instead.
    static let views = """
        CREATE VIEW quanta AS
        SELECT (SELECT value FROM store_meta WHERE key = 'height_quantum') AS height_quantum,
               (SELECT value FROM store_meta WHERE key = 'cross_section_quantum') AS cross_section_quantum;

        CREATE VIEW column_values AS
        SELECT f.id AS frame, c.id & 16383 AS idx, f.path AS file, +c.track AS track,
               c.x * 0.001 AS x_px, c.y * 0.001 AS y_px,
               c.x * 0.001 * f.pixel_size AS x_A, c.y * 0.001 * f.pixel_size AS y_A,
               c.sigma_x * 0.0001 AS sigma_x_px, c.sigma_y * 0.0001 AS sigma_y_px,
               COALESCE(c.width * 0.0001, f.shared_width) AS width_px,
               c.height * q.height_quantum AS height, c.sigma_height * q.height_quantum AS sigma_height,
               c.cross_section * q.cross_section_quantum AS cross_section, c.count,
               c.crlb_x * 0.0001 AS crlb_x_px, c.crlb_y * 0.0001 AS crlb_y_px,
               COALESCE(c.raw_count, c.count) AS raw_count, COALESCE(c.count_final, 1) AS count_final
        FROM frames f CROSS JOIN columns c ON c.id BETWEEN f.id * 16384 AND f.id * 16384 + 16383
        CROSS JOIN quanta q;

        CREATE VIEW track_history AS
        SELECT p.track, p.frame, p.idx, p.x * 0.001 AS x_px, p.y * 0.001 AS y_px, p.count,
               p.cross_section * (SELECT cross_section_quantum FROM quanta) AS cross_section
        FROM track_points p
        UNION ALL
        SELECT +c.track, c.id >> 14, c.id & 16383, c.x * 0.001, c.y * 0.001, c.count,
               c.cross_section * (SELECT cross_section_quantum FROM quanta)
        FROM frames f CROSS JOIN columns c ON c.id BETWEEN f.id * 16384 AND f.id * 16384 + 16383
        WHERE f.track_indexed = 0 AND c.track IS NOT NULL;

        CREATE VIEW track_summary AS
        SELECT id, min(first_frame) AS first_frame, max(last_frame) AS last_frame,
               sum(observations) AS observations,
               sum(sum_x) * 0.001 / sum(observations) AS mean_x_px,
               sum(sum_y) * 0.001 / sum(observations) AS mean_y_px,
               sum(counted) AS counted, 1.0 * sum(sum_count) / sum(counted) AS mean_count,
               min(min_count) AS min_count, max(max_count) AS max_count,
               sum(sum_cross_section) * (SELECT cross_section_quantum FROM quanta) / sum(observations)
                   AS mean_cross_section
        FROM (SELECT id, first_frame, last_frame, observations, sum_x, sum_y, counted, sum_count,
                     min_count, max_count, sum_cross_section FROM tracks
              UNION ALL
              SELECT +c.track, min(c.id >> 14), max(c.id >> 14), count(*), sum(c.x), sum(c.y), count(c.count),
                     sum(c.count), min(c.count), max(c.count), sum(c.cross_section)
              FROM frames f CROSS JOIN columns c ON c.id BETWEEN f.id * 16384 AND f.id * 16384 + 16383
              WHERE f.track_indexed = 0 AND c.track IS NOT NULL GROUP BY c.track)
        GROUP BY id;
        """

    /// The views as version 1 created them (a migration never changes): without the columns added
    /// in version 4.
    static var viewsV1: String { views.replacingOccurrences(of: smoothingViewColumns, with: "") }
    static let smoothingViewColumns = """
        ,
               COALESCE(c.raw_count, c.count) AS raw_count, COALESCE(c.count_final, 1) AS count_final
        """
}

/// Fixed-point encoding of stored values (shared with the PostgreSQL store, so that both decode
/// bit-identical values).
package struct Quantizer {
    package var heightQuantum: Double
    package var crossSectionQuantum: Double

    package init(heightQuantum: Double, crossSectionQuantum: Double) {
        self.heightQuantum = heightQuantum; self.crossSectionQuantum = crossSectionQuantum
    }

    package static func fixed(_ v: Double, _ scale: Double) -> Int64? {
        guard v.isFinite else { return nil }
        let s = (v * scale).rounded()
        guard abs(s) < 9.0e18 else { return nil }
        return Int64(s)
    }

    package static func quantized(_ v: Double, _ q: Double) -> Int64? { fixed(v, 1 / q) }

    /// A stored multiple of a quantum: an integer when it fits, else the exact ratio as REAL.
    package enum Stored: Equatable {
        case integer(Int64)
        case real(Double)
        package var value: Double {
            switch self {
            case .integer(let n): return Double(n)
            case .real(let d): return d
            }
        }
    }

    /// `v / q` rounded to an integer when within ±9·10¹⁸, else as a REAL; nil only for non-finite values.
    package static func stored(_ v: Double, _ q: Double) -> Stored? {
        guard v.isFinite else { return nil }
        if let n = quantized(v, q) { return .integer(n) }
        let r = v / q
        return r.isFinite ? .real(r) : nil
    }

    /// A power of two about 2⁻²⁰ of the typical magnitude of `values` (median of |v|, else the largest).
    package static func quantum(for values: [Double]) -> Double {
        let mags = values.map(abs).filter { $0.isFinite && $0 > 0 }.sorted()
        guard !mags.isEmpty else { return 0x1p-20 }
        let typical = mags[mags.count / 2]
        return Double(sign: .plus, exponent: typical.exponent - 20, significand: 1)
    }
}

import Foundation
import PostgresNIO
import TrajectoryStore

/// The PostgreSQL schema: the SQLite store's tables (SCHEMA.md) for many runs in one database,
/// every table keyed by `run_id` first. Values keep the SQLite fixed-point encodings (positions in
/// 0.001 px, widths, errors and bounds in 0.0001 px as integers; heights and cross-sections as
/// multiples of the run's quanta in `store_meta`), so that both stores decode bit-identical values.
///
/// Differences from SQLite, all invisible to readers:
/// - `sessions` is SQLite's `runs` table (ids 1, 2, … per run); `runs` names the runs.
/// - A frame's columns are one row of arrays in `frame_columns` (one insert per frame instead of
///   one per column); the view `columns` decodes them to one row per (run_id, frame, idx).
/// - `track_blocks` is SQLite's `track_points` copy as one row per track per block of frames
///   whose counts are final (arrays in frame order), written with the per-track aggregates
///   `tracks`; readers merge the pending frames' columns, as in SQLite.
/// - Heights and cross-sections are stored as float8 multiples of the quantum (SQLite stores an
///   integer, or a REAL beyond the integer range; readers convert both to a double anyway).
///
/// Migrations are recorded in `stemtrack_migrations` and run in one transaction under
/// `pg_advisory_xact_lock`, so that several daemons starting together apply each exactly once.
enum PostgresSchema {
    /// Advisory-lock class of the migrations (`pg_advisory_xact_lock(class, 0)`) and of the
    /// writers' run locks (`pg_try_advisory_lock(class + 1, run_id)`): "STRK".
    static let lockClass: Int32 = 0x5354_524B
    static let writerLockClass: Int32 = 0x5354_524C

    static let migrations: [(name: String, sql: String)] = [
        ("v1-tables", tables),
        ("v1-indexes", indexes),
        ("v2-no-array-statistics", noArrayStatistics),
        ("v3-shards", shards),
        ("v4-packed-track-blocks", packedTrackBlocks),
    ]

    /// Track blocks as packed big-endian 8-byte values (bytea) instead of arrays: sending an array
    /// in binary calls the element's send function per element (about 80 ns each: 25 ms of server
    /// time for a 50,000-point history), a bytea is copied. `stemtrack_pack_int8/float8` convert
    /// arrays (int8send/float8send, so the bytes are the values' network order).
    static let packedTrackBlocks = """
        CREATE OR REPLACE FUNCTION stemtrack_pack_int8(a int8[]) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT AS
            $$ SELECT coalesce(string_agg(int8send(e), ''::bytea ORDER BY o), ''::bytea) FROM unnest(a) WITH ORDINALITY AS u(e, o) $$;
        CREATE OR REPLACE FUNCTION stemtrack_pack_float8(a float8[]) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT AS
            $$ SELECT coalesce(string_agg(float8send(e), ''::bytea ORDER BY o), ''::bytea) FROM unnest(a) WITH ORDINALITY AS u(e, o) $$;
        ALTER TABLE track_blocks ALTER COLUMN frames TYPE bytea USING stemtrack_pack_int8(frames),
            ALTER COLUMN idx TYPE bytea USING stemtrack_pack_int8(idx),
            ALTER COLUMN x TYPE bytea USING stemtrack_pack_int8(x),
            ALTER COLUMN y TYPE bytea USING stemtrack_pack_int8(y),
            ALTER COLUMN count TYPE bytea USING stemtrack_pack_int8(count),
            ALTER COLUMN cross_section TYPE bytea USING stemtrack_pack_float8(cross_section);
        """

    /// `process --slurm`: an archive's shards (ranges of its files in natural order) and the fits
    /// their tasks stored (one transaction per shard; a retried task replaces its shard's rows).
    static let shards = """
        CREATE TABLE shards (
            run_id int NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            shard int NOT NULL,
            shard_count int NOT NULL,
            listing text NOT NULL,
            first_file text NOT NULL,
            last_file text NOT NULL,
            files int NOT NULL,
            status text NOT NULL CHECK (status IN ('planned', 'running', 'done', 'failed')),
            attempts int NOT NULL DEFAULT 0,
            frames int,
            failed_frames int,
            host text,
            job text,
            started_at float8,
            finished_at float8,
            error text,
            PRIMARY KEY (run_id, shard)
        );
        CREATE TABLE shard_fits (
            run_id int NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            shard int NOT NULL,
            identity text NOT NULL,
            content_hash text NOT NULL,
            fit bytea COMPRESSION lz4 NOT NULL,
            PRIMARY KEY (run_id, identity, content_hash)
        );
        CREATE INDEX shard_fits_shard ON shard_fits (run_id, shard);
        """

    /// No planner statistics on the array columns. The queries select these tables' rows by key
    /// only, and ANALYZE's element statistics hash every element of up to 30,000 sampled arrays of
    /// 1,000 elements each, per column: autovacuum's analyses of `frame_columns` took most of a CPU
    /// core during ingest (measured with perf), every time the table had grown by a tenth.
    static let noArrayStatistics: String = {
        let frameArrays = ["track", "x", "y", "sigma_x", "sigma_y", "width", "height", "sigma_height", "cross_section", "count",
                           "crlb_x", "crlb_y", "raw_count", "count_final"]
        let blockArrays = ["frames", "idx", "x", "y", "count", "cross_section"]
        return frameArrays.map { "ALTER TABLE frame_columns ALTER COLUMN \($0) SET STATISTICS 0;\n" }.joined()
            + blockArrays.map { "ALTER TABLE track_blocks ALTER COLUMN \($0) SET STATISTICS 0;\n" }.joined()
    }()

    static let nullInteger = Int64.min

    static let tables = """
        CREATE TABLE runs (
            id serial PRIMARY KEY,
            instrument text NOT NULL,
            name text NOT NULL,
            directory text,
            created_at float8 NOT NULL,
            UNIQUE (instrument, name)
        );
        CREATE TABLE sessions (
            run_id int NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            id bigint NOT NULL,
            started_at float8 NOT NULL,
            stopped_at float8,
            software_version text NOT NULL,
            settings text NOT NULL DEFAULT '{}',
            directory text,
            host text,
            PRIMARY KEY (run_id, id)
        );
        CREATE TABLE store_meta (
            run_id int NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            key text NOT NULL,
            value float8,
            PRIMARY KEY (run_id, key)
        );
        CREATE TABLE counting_models (
            run_id int NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            id text NOT NULL,
            source text NOT NULL,
            components int NOT NULL,
            counts text NOT NULL,
            means text NOT NULL,
            proportions text NOT NULL,
            sigma float8 NOT NULL,
            poisson_scale float8,
            first_frame bigint,
            PRIMARY KEY (run_id, id)
        );
        CREATE TABLE frames (
            run_id int NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            id bigint NOT NULL,
            session_id bigint NOT NULL,
            path text NOT NULL,
            file_size bigint,
            mtime float8,
            content_hash text NOT NULL,
            acquired_at float8,
            temperature float8,
            status text NOT NULL CHECK (status IN ('ok', 'failed')),
            error text,
            image_width bigint,
            image_height bigint,
            pixel_size float8,
            background float8,
            shared_width float8,
            estimator text,
            iterations bigint,
            converged boolean,
            drift_x float8,
            drift_y float8,
            model_id text,
            t_read float8, t_find float8, t_fit float8, t_count float8, t_track float8, t_store float8, t_total float8,
            processed_at float8,
            extra text,
            column_count int NOT NULL DEFAULT 0,
            counted_columns int NOT NULL DEFAULT 0,
            atoms bigint,
            cross_section_sum float8,
            track_indexed boolean NOT NULL DEFAULT false,
            device bigint,
            inode bigint,
            ctime float8,
            quality text,
            counts_pending int NOT NULL DEFAULT 0,
            rotation float8,
            scale float8,
            time_source text,
            temperature_source text,
            temperature_filled_at float8,
            holder text,
            PRIMARY KEY (run_id, id)
        );
        -- A frame's columns as one row of arrays (element i = column i): one row per frame to insert,
        -- 2·10⁵+ column rows/s. NULL elements are sentinels: the smallest int8 for integers, NaN for
        -- sigma_height. The view `columns` below has one decoded row per column. lz4: fast to compress.
        CREATE TABLE frame_columns (
            run_id int NOT NULL,
            frame bigint NOT NULL,
            track int8[] COMPRESSION lz4 NOT NULL,
            x int8[] COMPRESSION lz4 NOT NULL,
            y int8[] COMPRESSION lz4 NOT NULL,
            sigma_x int8[] COMPRESSION lz4 NOT NULL,
            sigma_y int8[] COMPRESSION lz4 NOT NULL,
            width int8[] COMPRESSION lz4 NOT NULL,
            height float8[] COMPRESSION lz4 NOT NULL,
            sigma_height float8[] COMPRESSION lz4 NOT NULL,
            cross_section float8[] COMPRESSION lz4 NOT NULL,
            count int8[] COMPRESSION lz4 NOT NULL,
            crlb_x int8[] COMPRESSION lz4 NOT NULL,
            crlb_y int8[] COMPRESSION lz4 NOT NULL,
            raw_count int8[] COMPRESSION lz4 NOT NULL,
            count_final bool[] COMPRESSION lz4 NOT NULL,
            PRIMARY KEY (run_id, frame)
        );
        CREATE VIEW columns AS
            SELECT fc.run_id, fc.frame, (u.i - 1)::int AS idx, NULLIF(u.track, \(nullInteger)) AS track, u.x, u.y,
                   NULLIF(u.sx, \(nullInteger)) AS sigma_x, NULLIF(u.sy, \(nullInteger)) AS sigma_y,
                   NULLIF(u.w, \(nullInteger)) AS width, u.h AS height, NULLIF(u.sh, 'NaN'::float8) AS sigma_height,
                   u.cs AS cross_section, NULLIF(u.n, \(nullInteger))::int AS count, NULLIF(u.cx, \(nullInteger)) AS crlb_x,
                   NULLIF(u.cy, \(nullInteger)) AS crlb_y, NULLIF(u.raw, \(nullInteger))::int AS raw_count, u.final AS count_final
            FROM frame_columns fc,
                 unnest(fc.track, fc.x, fc.y, fc.sigma_x, fc.sigma_y, fc.width, fc.height, fc.sigma_height, fc.cross_section,
                        fc.count, fc.crlb_x, fc.crlb_y, fc.raw_count, fc.count_final)
                 WITH ORDINALITY AS u(track, x, y, sx, sy, w, h, sh, cs, n, cx, cy, raw, final, i);
        -- A track's indexed history in blocks (one row per track per block of frames whose counts
        -- are final): a 5·10⁴-frame history is ~1,600 rows of one index range.
        CREATE TABLE track_blocks (
            run_id int NOT NULL,
            track bigint NOT NULL,
            first_frame bigint NOT NULL,
            last_frame bigint NOT NULL,
            frames int8[] COMPRESSION lz4 NOT NULL,
            idx int8[] COMPRESSION lz4 NOT NULL,
            x int8[] COMPRESSION lz4 NOT NULL,
            y int8[] COMPRESSION lz4 NOT NULL,
            count int8[] COMPRESSION lz4 NOT NULL,
            cross_section float8[] COMPRESSION lz4 NOT NULL,
            PRIMARY KEY (run_id, track, first_frame)
        );
        CREATE TABLE tracks (
            run_id int NOT NULL,
            id bigint NOT NULL,
            first_frame bigint NOT NULL,
            last_frame bigint NOT NULL,
            observations bigint NOT NULL,
            sum_x bigint NOT NULL,
            sum_y bigint NOT NULL,
            counted bigint NOT NULL,
            sum_count bigint,
            min_count bigint,
            max_count bigint,
            sum_cross_section float8 NOT NULL,
            PRIMARY KEY (run_id, id)
        );
        CREATE TABLE events (
            run_id int NOT NULL,
            id bigint NOT NULL,
            frame bigint NOT NULL,
            kind text NOT NULL,
            x float8 NOT NULL,
            y float8 NOT NULL,
            track bigint,
            other_track bigint,
            before bigint,
            after bigint,
            delta bigint,
            confidence float8 NOT NULL,
            written_with bigint NOT NULL,
            PRIMARY KEY (run_id, id)
        );
        CREATE TABLE facets (
            run_id int NOT NULL,
            frame bigint NOT NULL,
            idx bigint NOT NULL,
            family text,
            x0 float8 NOT NULL, y0 float8 NOT NULL, x1 float8 NOT NULL, y1 float8 NOT NULL,
            columns bigint,
            length float8,
            angle float8,
            extra text,
            PRIMARY KEY (run_id, frame, idx)
        );
        CREATE TABLE particles (
            run_id int NOT NULL,
            frame bigint NOT NULL,
            idx bigint NOT NULL,
            columns bigint NOT NULL,
            surface_columns bigint NOT NULL,
            atoms bigint,
            area float8 NOT NULL,
            perimeter float8 NOT NULL,
            cx float8 NOT NULL,
            cy float8 NOT NULL,
            radius_of_gyration float8 NOT NULL,
            aspect_ratio float8,
            PRIMARY KEY (run_id, frame, idx)
        );
        CREATE TABLE resume_state (
            run_id int PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
            frame bigint NOT NULL,
            session_id bigint NOT NULL,
            state bytea NOT NULL
        );
        CREATE TABLE file_keys (
            run_id int NOT NULL,
            key bigint NOT NULL,
            inode_key bigint,
            failed boolean NOT NULL,
            PRIMARY KEY (run_id, key)
        );
        CREATE TABLE in_progress (
            run_id int NOT NULL,
            identity text NOT NULL,
            path text NOT NULL,
            attempts int NOT NULL DEFAULT 1,
            file_size bigint,
            mtime float8,
            device bigint,
            inode bigint,
            ctime float8,
            started_at float8 NOT NULL,
            pid bigint,
            PRIMARY KEY (run_id, identity)
        );
        CREATE TABLE daemon_heartbeat (
            run_id int PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
            pid bigint,
            host text,
            started_at float8,
            updated_at float8 NOT NULL,
            state text NOT NULL,
            backlog bigint,
            frames bigint,
            failed bigint,
            last_frame_at float8,
            message text
        );
        """

    /// Indexes for the same queries as SQLite's (SCHEMA.md), each led by `run_id`.
    static let indexes = """
        CREATE UNIQUE INDEX frames_identity ON frames (run_id, content_hash, path);
        CREATE INDEX frames_path ON frames (run_id, path);
        CREATE INDEX frames_acquired ON frames (run_id, acquired_at);
        CREATE INDEX frames_pending ON frames (run_id, id) WHERE NOT track_indexed;
        CREATE INDEX frames_failed ON frames (run_id, id) WHERE status = 'failed';
        CREATE INDEX frames_summary ON frames (run_id, id) INCLUDE (status, acquired_at, temperature, column_count,
            counted_columns, atoms, cross_section_sum, model_id);
        CREATE INDEX events_frame ON events (run_id, frame);
        CREATE INDEX events_kind ON events (run_id, kind, frame);
        CREATE INDEX events_written_with ON events (run_id, written_with);
        CREATE INDEX file_keys_inode ON file_keys (run_id, inode_key) WHERE inode_key IS NOT NULL;
        """

    /// The tables (for `spaceUsed` and the reader role's grants).
    static let tableNames = ["runs", "sessions", "store_meta", "counting_models", "frames", "frame_columns", "columns", "track_blocks", "tracks", "events",
                             "facets", "particles", "resume_state", "file_keys", "in_progress", "daemon_heartbeat", "shards", "shard_fits"]

    /// Brings the schema up to date on `connection`: creates `stemtrack_migrations` if needed, then,
    /// under the migration lock, applies the migrations not yet recorded; finally (when the user
    /// may) creates the read-only role `stemtrack_reader` and grants it SELECT on every table.
    static func migrate(_ connection: PostgresConnection, logger: Logger) throws {
        // Fast path: everything applied (no lock). Otherwise all of it, including creating the
        // migrations table (concurrent CREATE TABLE IF NOT EXISTS can fail on pg_type's unique
        // index), under the migration lock: several daemons starting on a new database migrate once.
        let exists = try connection.run("SELECT to_regclass('stemtrack_migrations') IS NOT NULL", logger)
        if try exists.first.map({ try Cells($0)(0, as: Bool.self) }) == true {
            let applied = Set(try connection.run("SELECT name FROM stemtrack_migrations", logger).map { try Cells($0)(0, as: String.self) })
            if migrations.allSatisfy({ applied.contains($0.name) }) { return }
        }
        try connection.simple("BEGIN")
        do {
            _ = try connection.run("SELECT pg_advisory_xact_lock(\(lockClass), 0)", logger)
            try connection.simple("""
                CREATE TABLE IF NOT EXISTS stemtrack_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                """)
            // Read under the lock: another process may have migrated meanwhile.
            let done = Set(try connection.run("SELECT name FROM stemtrack_migrations", logger).map { try Cells($0)(0, as: String.self) })
            for m in migrations where !done.contains(m.name) {
                try connection.script(m.sql + "\n")
                _ = try connection.run("INSERT INTO stemtrack_migrations (name) VALUES (\(m.name))", logger)
            }
            try grantReader(connection, logger: logger)
            try connection.simple("COMMIT")
        } catch {
            if !connection.isClosed { try? connection.simple("ROLLBACK") }
            throw error
        }
    }

    /// The row id of `run` in `runs`, creating the run if it is new (several processes may do so at once).
    static func runID(_ c: PostgresConnection, _ run: RunKey, logger: Logger) throws -> Int32 {
        _ = try c.run("""
            INSERT INTO runs (instrument, name, created_at) VALUES (\(run.instrument), \(run.name), \(Date().timeIntervalSince1970))
            ON CONFLICT (instrument, name) DO NOTHING
            """, logger)
        let rows = try c.run("SELECT id FROM runs WHERE instrument = \(run.instrument) AND name = \(run.name)", logger)
        guard let row = rows.first else { throw StoreError.unavailable("the run \(run) could not be created") }
        return try Cells(row)(0, as: Int32.self)
    }

    /// Creates `stemtrack_reader` (NOLOGIN: grant it to the users of `serve`) if the connecting user
    /// may create roles, and grants it SELECT on the store's tables; silently skipped otherwise.
    static func grantReader(_ connection: PostgresConnection, logger: Logger) throws {
        let rows = try connection.run("""
            SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user
            """, logger)
        guard let may = try rows.first.map({ try Cells($0)(0, as: Bool.self) }), may else { return }
        try connection.simple("""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'stemtrack_reader') THEN
                    CREATE ROLE stemtrack_reader NOLOGIN;
                END IF;
            END $$
            """)
        try connection.simple("GRANT SELECT ON \((tableNames + ["stemtrack_migrations"]).joined(separator: ", ")) TO stemtrack_reader")
    }
}

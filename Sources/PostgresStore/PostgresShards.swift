import Foundation
import PostgresNIO
import TrajectoryStore

/// One shard of an archive processed on a cluster: a range of its files (natural order) and
/// how far its task got.
public struct ShardRecord: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        /// Not run yet (or re-planned).
        case planned
        /// A task is fitting it (or died while doing so: see ``startedAt``).
        case running
        /// Its fits are stored.
        case done
        /// Its task failed (``error``); submitting again runs it again.
        case failed
    }
    public var shard: Int
    public var shardCount: Int
    /// Index of the first and one past the last file of the archive's listing.
    public var firstFile: Int
    public var endFile: Int
    public var status: Status
    public var attempts: Int
    /// Frames fitted and frames whose fit failed (done shards).
    public var frames: Int?
    public var failedFrames: Int?
    public var host: String?
    /// The Slurm job (`ARRAYID_TASK`) of the last attempt.
    public var job: String?
    /// Unix seconds.
    public var startedAt: Double?
    public var finishedAt: Double?
    public var error: String?

    public var files: Int { endFile - firstFile }
}

/// The shard table of one run in a PostgreSQL store and the fits the shards' tasks stored.
///
/// A plan is a number of shards over one listing of the archive (its files' names in natural
/// order, identified by a hash). Planning again with the same listing and count keeps what is
/// done; with another it starts over (stored fits stay: they are keyed by frame identity and
/// pixel hash, valid whatever the shards). A shard's fits go in one transaction that first
/// removes the shard's earlier rows, so a retried task replaces its shard and never doubles it.
public final class PostgresShards: @unchecked Sendable {
    public let run: RunKey
    public let runID: Int32
    let connector: Connector
    let pool: ConnectionPool
    var logger: Logger { connector.logger }

    /// Connects, brings the schema up to date and creates the run (or finds it).
    public init(url: PostgresURL, run: RunKey) throws {
        self.run = run
        connector = try Connector(url: url)
        pool = ConnectionPool(connector: connector, capacity: 2)
        let logger = connector.logger
        runID = try pool.with { c in
            try PostgresSchema.migrate(c, logger: logger)
            return try PostgresSchema.runID(c, run, logger: logger)
        }
    }

    deinit { pool.close() }

    /// A listing's identity: a hash of its names in order.
    public static func listingHash(_ files: [String]) -> String {
        ContentHash.of(Data(files.joined(separator: "\n").utf8))
    }

    /// The ranges of `n` files cut into `count` shards as evenly as possible (sizes differ by at most one).
    public static func ranges(files n: Int, shards count: Int) -> [Range<Int>] {
        (0..<count).map { i in (i * n / count)..<((i + 1) * n / count) }
    }

    /// The plan for `files` in `count` shards: kept when the same `identity` (a hash of the listing
    /// and the analysis settings) is already planned in as many shards, else made anew (every
    /// shard `planned`).
    @discardableResult
    public func plan(files: [String], identity listing: String, shards count: Int) throws -> [ShardRecord] {
        precondition(count >= 1 && count <= files.count)
        return try transaction { c in
            _ = try c.run("SELECT pg_advisory_xact_lock(\(PostgresSchema.writerLockClass + 1), \(runID))", logger)
            let same = try c.run("""
                SELECT count(*) FROM shards WHERE run_id = \(runID) AND listing = \(listing) AND shard_count = \(count)
                """, logger)
            let existing = try c.run("SELECT count(*) FROM shards WHERE run_id = \(runID)", logger)
            if try Cells(same[0])(0, as: Int.self) != count || Cells(existing[0])(0, as: Int.self) != count {
                _ = try c.run("DELETE FROM shards WHERE run_id = \(runID)", logger)
                for (i, r) in Self.ranges(files: files.count, shards: count).enumerated() {
                    _ = try c.run("""
                        INSERT INTO shards (run_id, shard, shard_count, listing, first_file, last_file, files, status)
                        VALUES (\(runID), \(i), \(count), \(listing), \(files[r.lowerBound]), \(files[r.upperBound - 1]), \(r.count),
                                'planned')
                        """, logger)
                }
            }
            return try Self.shards(c, runID: runID, files: files, logger: logger)
        }
    }

    /// The run's shards in order (file ranges from `files`, the listing they were planned on).
    public func shards(files: [String]? = nil) throws -> [ShardRecord] {
        try pool.with { c in try Self.shards(c, runID: runID, files: files, logger: logger) }
    }

    static func shards(_ c: PostgresConnection, runID: Int32, files: [String]?, logger: Logger) throws -> [ShardRecord] {
        var start = 0
        return try c.run("""
            SELECT shard, shard_count, files, status, attempts, frames, failed_frames, host, job, started_at, finished_at, error
            FROM shards WHERE run_id = \(runID) ORDER BY shard
            """, logger).map { row in
            let x = Cells(row)
            let n: Int = try x(2)
            defer { start += n }
            return ShardRecord(shard: try x(0), shardCount: try x(1), firstFile: start, endFile: start + n,
                               status: ShardRecord.Status(rawValue: try x(3)) ?? .failed, attempts: try x(4), frames: try x(5),
                               failedFrames: try x(6), host: try x(7), job: try x(8), startedAt: try x(9), finishedAt: try x(10),
                               error: try x(11))
        }
    }

    /// The listing hash `shard` was planned on (nil: not planned).
    public func listing(shard: Int) throws -> String? {
        try pool.with { c in
            try c.run("SELECT listing FROM shards WHERE run_id = \(runID) AND shard = \(shard)", logger).first
                .map { try Cells($0)(0, as: String.self) }
        }
    }

    /// A task starts on `shard`: `running`, one more attempt.
    public func start(shard: Int, listing: String, shardCount: Int, host: String, job: String?) throws {
        try transaction { c in
            let rows = try c.run("""
                UPDATE shards SET status = 'running', attempts = attempts + 1, host = \(host), job = \(job),
                                  started_at = \(Date().timeIntervalSince1970), finished_at = NULL, error = NULL
                WHERE run_id = \(runID) AND shard = \(shard) AND listing = \(listing) AND shard_count = \(shardCount)
                RETURNING shard
                """, logger)
            guard !rows.isEmpty else { throw StoreError.unavailable("shard \(shard) of run \(run) is not planned (planned again since?)") }
        }
    }

    /// A shard's fits, in one transaction that replaces whatever the shard stored before.
    public func complete(shard: Int, listing: String, shardCount: Int, fits: [(identity: String, contentHash: String, fit: Data)],
                         failedFrames: Int) throws {
        try transaction { c in
            // Still the plan this task was started for (not planned again meanwhile)?
            guard try !c.run("""
                SELECT 1 FROM shards WHERE run_id = \(runID) AND shard = \(shard) AND listing = \(listing) AND shard_count = \(shardCount)
                FOR UPDATE
                """, logger).isEmpty else {
                throw StoreError.unavailable("shard \(shard) of run \(run) was planned again while its task ran; submit again")
            }
            var p = Pipeline(c)
            c.send("DELETE FROM shard_fits WHERE run_id = \(runID) AND shard = \(shard)", logger, into: &p)
            for f in fits {
                c.send("""
                    INSERT INTO shard_fits (run_id, shard, identity, content_hash, fit)
                    VALUES (\(runID), \(shard), \(f.identity), \(f.contentHash), \(ByteBuffer(data: f.fit)))
                    ON CONFLICT (run_id, identity, content_hash) DO UPDATE SET shard = excluded.shard, fit = excluded.fit
                    """, logger, into: &p)
            }
            c.send("""
                UPDATE shards SET status = 'done', frames = \(fits.count), failed_frames = \(failedFrames),
                                  finished_at = \(Date().timeIntervalSince1970), error = NULL
                WHERE run_id = \(runID) AND shard = \(shard)
                """, logger, into: &p)
            try p.settle()
        }
    }

    /// A shard's task failed: recorded so that `query shards` shows why and a new submission runs it again.
    public func fail(shard: Int, listing: String, error: String) throws {
        try transaction { c in
            _ = try c.run("""
                UPDATE shards SET status = 'failed', error = \(error), finished_at = \(Date().timeIntervalSince1970)
                WHERE run_id = \(runID) AND shard = \(shard) AND listing = \(listing)
                """, logger)
        }
    }

    /// The stored fit of one frame (identity and pixel hash), nil if no shard stored it.
    public func fit(identity: String, contentHash: String) throws -> Data? {
        try pool.with { c in
            guard let row = try c.run("""
                SELECT fit FROM shard_fits WHERE run_id = \(runID) AND identity = \(identity) AND content_hash = \(contentHash)
                """, logger).first else { return nil }
            return Data(buffer: try Cells(row)(0, as: ByteBuffer.self))
        }
    }

    public func isEnvironmental(_ error: any Error) -> Bool { PostgresErrors.isEnvironmental(error) }

    public func describe(_ error: any Error) -> String { PostgresErrors.describe(error, url: connector.url) ?? FrameStore.describe(error) }

    private func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try pool.with { c in
            try c.simple("BEGIN")
            do {
                let v = try body(c)
                try c.simple("COMMIT")
                return v
            } catch {
                if !c.isClosed { try? c.simple("ROLLBACK") }
                throw error
            }
        }
    }
}

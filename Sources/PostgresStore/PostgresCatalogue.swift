import Foundation
import PostgresNIO
import TrajectoryStore

/// The runs of a PostgreSQL store: what `serve` and the CLI's `--run` list and open. Needs only
/// SELECT (the `stemtrack_reader` role): it never creates or migrates anything.
public final class PostgresCatalogue: RunCatalogue, @unchecked Sendable {
    public let url: PostgresURL
    let pool: ConnectionPool
    let listener: ChangeListener
    var logger: Logger { pool.logger }

    public init(url: PostgresURL) throws {
        self.url = url
        let connector = try Connector(url: url)
        pool = ConnectionPool(connector: connector, capacity: url.poolSize)
        listener = ChangeListener(connector: connector)
        // Fail now, with the server's reason, if it cannot be reached.
        try pool.with { c in _ = try c.run("SELECT 1", connector.logger) }
    }

    /// The readers handed out share the pool, which closes its connections when the last of them goes.
    deinit {
        listener.stop()
    }

    public var location: StoreLocation { .postgres(url) }

    /// Whether the store's tables exist (a database no writer has used yet has none).
    private func hasTables(_ c: PostgresConnection) throws -> Bool {
        let rows = try c.run("SELECT to_regclass('stemtrack_migrations') IS NOT NULL AND to_regclass('runs') IS NOT NULL", logger)
        return try Cells(rows[0])(0, as: Bool.self)
    }

    public func runs() throws -> [RunSummary] {
        let now = Date().timeIntervalSince1970
        return try pool.snapshot { c in
            guard try hasTables(c) else { return [] }
            // Shards: a database written by an older stemtrack has no shards table yet (readers do not migrate).
            let hasShards = try Cells(c.run("SELECT to_regclass('shards') IS NOT NULL", logger)[0])(0, as: Bool.self)
            let shardProgress = hasShards ? """
                (SELECT count(*) AS total, count(*) FILTER (WHERE status = 'done') AS done,
                        count(*) FILTER (WHERE status = 'running') AS running,
                        count(*) FILTER (WHERE status = 'failed') AS failed,
                        coalesce(sum(frames) FILTER (WHERE status = 'done'), 0)::int8 AS fitted
                 FROM shards s WHERE s.run_id = r.id)
                """ : "(SELECT 0::int8 AS total, 0::int8 AS done, 0::int8 AS running, 0::int8 AS failed, 0::int8 AS fitted)"
            return try c.run("""
                SELECT r.name, r.instrument, coalesce(last.directory, r.directory), first.started_at, last.stopped_at,
                       (SELECT count(*) FROM sessions s WHERE s.run_id = r.id),
                       fr.frames, fr.failed, fr.last_frame, fr.last_acquired_at,
                       h.pid, h.host, h.started_at, h.updated_at, h.state, h.backlog, h.frames, h.failed, h.last_frame_at, h.message,
                       sh.total, sh.done, sh.running, sh.failed, sh.fitted
                FROM runs r
                LEFT JOIN LATERAL (SELECT started_at FROM sessions s WHERE s.run_id = r.id ORDER BY id LIMIT 1) first ON true
                LEFT JOIN LATERAL (SELECT stopped_at, directory FROM sessions s WHERE s.run_id = r.id ORDER BY id DESC LIMIT 1) last ON true
                LEFT JOIN LATERAL (SELECT count(*) AS frames, count(*) FILTER (WHERE status = 'failed') AS failed,
                                          max(id) AS last_frame, max(acquired_at) AS last_acquired_at
                                   FROM frames f WHERE f.run_id = r.id) fr ON true
                LEFT JOIN daemon_heartbeat h ON h.run_id = r.id
                LEFT JOIN LATERAL \(unescaped: shardProgress) sh ON true
                ORDER BY first.started_at DESC NULLS LAST, r.created_at DESC, r.id DESC
                """, logger).map { row in
                let x = Cells(row)
                let stoppedAt: Double? = try x(4)
                let sessions: Int = try x(5)
                var heartbeat: Heartbeat?
                if let updated: Double = try x(13) {
                    heartbeat = Heartbeat(pid: try x(10) ?? 0, host: try x(11) ?? "", startedAt: try x(12) ?? 0, updatedAt: updated,
                                          state: try x(14), backlog: try x(15) ?? 0, frames: try x(16) ?? 0,
                                          failed: try x(17) ?? 0, lastFrameAt: try x(18), message: try x(19))
                }
                var summary = RunSummary(
                    name: try x(0), instrument: try x(1), directory: try x(2), startedAt: try x(3), stoppedAt: stoppedAt,
                    status: RunSummary.status(stoppedAt: stoppedAt, heartbeat: heartbeat, sessions: sessions, now: now),
                    frames: try x(6), failedFrames: try x(7), lastFrame: try x(8), lastAcquiredAt: try x(9),
                    updatedAt: heartbeat?.updatedAt)
                if let total: Int = try x(20), total > 0 {
                    summary.shards = .init(total: total, done: try x(21), running: try x(22), failed: try x(23), framesFitted: try x(24))
                }
                return summary
            }
        }
    }

    /// The run called `name` (of `instrument`, needed when several instruments have a run of that
    /// name); nil name: the most recently started run (of `instrument`, if given).
    public func reader(run name: String?, instrument: String?) throws -> any StoreQuerying {
        let all = try runs()
        let candidates = all.filter { (name == nil || $0.name == name) && (instrument == nil || $0.instrument == instrument) }
        guard let chosen = candidates.first else {
            guard let name else { throw PostgresStoreError.noRuns }
            let known = all.filter { instrument == nil || $0.instrument == instrument }.map(\.name)
            throw StoreError.unknownRunName(instrument.map { "\($0)/\(name)" } ?? name, known: Array(Set(known)).sorted())
        }
        if let name, candidates.count > 1 {
            throw PostgresStoreError.ambiguousRun(name, instruments: candidates.map(\.instrument).sorted())
        }
        let id = try pool.with { c in
            try Cells(c.run("SELECT id FROM runs WHERE instrument = \(chosen.instrument) AND name = \(chosen.name)", logger)[0])(0,
                as: Int32.self)
        }
        return PostgresReader(pool: pool, runID: id)
    }

    /// Committed frames of every run as they happen, from one `LISTEN stemtrack_frames`
    /// connection shared by every iterator (reconnecting after a server restart).
    public func changes() -> AsyncStream<StoreChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: StoreChange.self, bufferingPolicy: .bufferingNewest(10_000))
        let id = listener.subscribe(continuation)
        continuation.onTermination = { [listener] _ in listener.unsubscribe(id) }
        return stream
    }
}

/// One connection listening on `stemtrack_frames`, fanning each notification out to every
/// subscriber. Opened with the first subscriber; when it dies (server restart) it is reopened
/// every second until the server is back. Notifications sent while it is down are not seen.
final class ChangeListener: @unchecked Sendable {
    static let channel = "stemtrack_frames"
    let connector: Connector
    private let lock = NSLock()
    private var subscribers: [Int: AsyncStream<StoreChange>.Continuation] = [:]
    private var nextID = 0
    private var connection: PostgresConnection?
    private var connecting = false
    private var stopped = false
    private let queue = DispatchQueue(label: "stemtrack.postgres.listen")

    init(connector: Connector) { self.connector = connector }

    func subscribe(_ continuation: AsyncStream<StoreChange>.Continuation) -> Int {
        lock.lock()
        nextID += 1
        let id = nextID
        subscribers[id] = continuation
        let start = connection == nil && !connecting && !stopped
        if start { connecting = true }
        lock.unlock()
        if start { queue.async { self.connect() } }
        return id
    }

    func unsubscribe(_ id: Int) {
        lock.lock()
        subscribers[id] = nil
        lock.unlock()
    }

    /// Whether the listening connection is open (for tests).
    var isListening: Bool {
        lock.lock(); defer { lock.unlock() }
        return connection.map { !$0.isClosed } ?? false
    }

    /// Opens the connection and listens; retries every second until it succeeds or the listener stops.
    private func connect() {
        do {
            let c = try connector.connect(role: "listener")
            c.addListener(channel: Self.channel) { [weak self] _, message in
                guard let self, let change = try? JSONDecoder().decode(StoreChange.self, from: Data(message.payload.utf8)) else { return }
                self.deliver(change)
            }
            _ = try c.simple("LISTEN \(Self.channel)")
            lock.lock()
            if stopped {
                lock.unlock()
                c.close().whenComplete { _ in }
                return
            }
            connection = c
            connecting = false
            lock.unlock()
            c.closeFuture.whenComplete { [weak self] _ in self?.lost(c) }
        } catch {
            lock.lock()
            let again = !stopped
            if !again { connecting = false }
            lock.unlock()
            if again { queue.asyncAfter(deadline: .now() + 1) { self.connect() } }
        }
    }

    private func lost(_ c: PostgresConnection) {
        lock.lock()
        guard connection === c, !stopped else { lock.unlock(); return }
        connection = nil
        connecting = true
        lock.unlock()
        queue.asyncAfter(deadline: .now() + 1) { self.connect() }
    }

    private func deliver(_ change: StoreChange) {
        lock.lock()
        let targets = subscribers.sorted { $0.key < $1.key }.map(\.value)
        lock.unlock()
        for t in targets { t.yield(change) }
    }

    func stop() {
        lock.lock()
        stopped = true
        let c = connection
        connection = nil
        let subs = subscribers.values
        subscribers = [:]
        lock.unlock()
        c?.close().whenComplete { _ in }
        for s in subs { s.finish() }
    }
}

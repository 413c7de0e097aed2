import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import TrajectoryStore

// The synchronous bridge.
//
// The store protocols are synchronous: the daemon calls them from dispatch queues and threads,
// `serve` from async request handlers. postgres-nio runs every connection on a NIO event loop
// (its own threads, never Swift concurrency's cooperative pool), and offers EventLoopFuture
// versions of connect, query and close. The store uses only those and waits on the futures with
// `wait()`: the waiting thread blocks, the event-loop threads do the work and fulfil the future.
// Nothing waited for ever needs a cooperative thread, so a caller on a cooperative thread (2 cores:
// 2 of them) cannot deadlock the pool by waiting; it only holds its own thread for the query's
// duration, as any blocking I/O would. (COPY is async-only in postgres-nio; column rows go in as
// `unnest` of binary arrays instead, see PostgresFrameStore.)

/// Opens connections to one PostgreSQL server as a `PostgresURL` describes it (TLS as libpq's
/// `sslmode`, the password from `PostgresURL.password()`).
final class Connector: Sendable {
    let url: PostgresURL
    let logger: Logger
    private let configuration: PostgresConnection.Configuration
    private let ids = IDCounter()

    /// The event loops every connection runs on (NIO's shared group: two or more threads of its own).
    var group: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    init(url: PostgresURL) throws {
        self.url = url
        var logger = Logger(label: "stemtrack.postgres")
        logger.logLevel = .critical
        self.logger = logger
        let password = try url.password()
        var config: PostgresConnection.Configuration
        if url.isSocket {
            config = .init(unixSocketPath: url.host + "/.s.PGSQL.\(url.port)", username: url.user, password: password,
                           database: url.database)
        } else {
            config = .init(host: url.host, port: url.port, username: url.user, password: password, database: url.database,
                           tls: try Self.tls(url))
        }
        config.options.connectTimeout = .milliseconds(Int64(url.connectTimeout * 1000))
        if url.sslMode == .verifyFull { config.options.tlsServerName = url.host }
        configuration = config
    }

    /// TLS as libpq's sslmode means it: disable; allow and prefer try TLS without verification and
    /// fall back to plain; require insists on TLS without verification; verify-ca verifies the chain
    /// against `sslrootcert`; verify-full also the host name.
    static func tls(_ url: PostgresURL) throws -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch url.sslMode {
        case .disable: return .disable
        case .allow, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if url.sslMode == .verifyCA || url.sslMode == .verifyFull {
            guard let ca = url.sslRootCert, FileManager.default.isReadableFile(atPath: ca) else {
                throw StoreError.badLocation("the CA certificate \(url.sslRootCert ?? "(none)") for sslmode \(url.sslMode.rawValue) cannot be read")
            }
            tls.trustRoots = .file(ca)
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: tls) } catch {
            throw StoreError.badLocation("TLS for the database cannot be set up: \(error)")
        }
        switch url.sslMode {
        case .allow, .prefer: return .prefer(context)
        default: return .require(context)
        }
    }

    /// A new connection, named `application_name` `<url's name> <role> on <host> pid <pid>` (what
    /// another writer of the same run is told).
    func connect(role: String) throws -> PostgresConnection {
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection.connect(on: group.next(), configuration: configuration,
                                                        id: ids.next(), logger: logger).wait()
        } catch {
            throw PostgresConnectError(url: url, underlying: error)
        }
        let name = "\(url.applicationName) pid \(getpid()) on \(ProcessInfo.processInfo.hostName): \(role)"
        do {
            _ = try connection.query("SELECT set_config('application_name', \(String(name.prefix(63))), false)",
                                     logger: logger).wait()
        } catch {
            try? connection.close().wait()
            throw error
        }
        return connection
    }
}

/// Connection ids for postgres-nio's log metadata.
final class IDCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}

extension PostgresConnection {
    /// Seconds one statement may take before its connection is given up (closed: the caller sees a
    /// lost connection, an environmental error, and reconnects). Far above any statement's time
    /// (the largest, a block's track index, takes ~50 ms); it turns a reply that never comes into a
    /// retry instead of a hang.
    static let statementTimeout: Int64 = 60

    /// Runs `query` and waits for all its rows (at most ``statementTimeout`` seconds).
    @discardableResult
    func run(_ query: PostgresQuery, _ logger: Logger) throws -> [PostgresRow] {
        try bounded(self.query(query, logger: logger)).rows
    }

    /// Runs `query` and hands each row to `body` as it arrives (on the connection's event loop),
    /// without collecting them: postgres-nio's collected results copy the row array as it grows
    /// (two thirds of a 1,600-row read's time went to retain/release of those copies).
    func forEachRow(_ query: PostgresQuery, _ logger: Logger, _ body: @escaping @Sendable (PostgresRow) throws -> Void) throws {
        _ = try bounded(self.query(query, logger: logger, body))
    }

    /// Runs one statement without parameters.
    func simple(_ sql: String) throws {
        _ = try bounded(query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "stemtrack.postgres")))
    }

    /// Sends `query` without waiting for its answer (a connection runs its queries in the order
    /// sent); ``Pipeline/settle()`` waits for it later. For statements whose answer the caller does
    /// not need before sending the next one: it saves a wake-up of the waiting thread per statement.
    func send(_ query: PostgresQuery, _ logger: Logger, into pipeline: inout Pipeline) {
        pipeline.pending.append(self.query(query, logger: logger).map { _ in () })
    }

    /// Waits for `future`: fails when no answer came within ``statementTimeout`` (closing the
    /// connection) or when the connection closed under it.
    func bounded<T: Sendable>(_ future: EventLoopFuture<T>) throws -> T {
        let loop = future.eventLoop
        let promise = loop.makePromise(of: T.self)
        let done = NIOLockedValueBox(false)
        let started = NIODeadline.now()
        // Checked four times a second: the time limit, and whether the connection closed under a
        // statement still unanswered. (postgres-nio writes a query to its channel without a
        // promise for the write: a query sent on a channel that has just closed, because the server
        // terminated the backend, is never answered. A closed connection answers nothing more;
        // answers that arrived before the close were delivered first, as reads precede the close.)
        let watch = loop.scheduleRepeatedTask(initialDelay: .milliseconds(250), delay: .milliseconds(250)) { task in
            let timedOut = NIODeadline.now() - started >= .seconds(Self.statementTimeout)
            guard timedOut || self.isClosed else { return }
            task.cancel()
            guard done.withLockedValue({ let was = $0; $0 = true; return !was }) else { return }
            if timedOut {
                promise.fail(PostgresStoreError.statementTimedOut(seconds: Self.statementTimeout))
                self.close().whenComplete { _ in }
            } else {
                promise.fail(PostgresStoreError.connectionClosed)
            }
        }
        future.whenComplete { result in
            guard done.withLockedValue({ let was = $0; $0 = true; return !was }) else { return }
            watch.cancel()
            promise.completeWith(result)
        }
        return try promise.futureResult.wait()
    }

    /// Runs a script of statements each ending in `;` at the end of a line (none inside a statement).
    func script(_ sql: String) throws {
        for statement in sql.components(separatedBy: ";\n") {
            let text = statement.trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { try simple(text) }
        }
    }
}

/// Statements sent on one connection whose answers are still to be collected.
struct Pipeline {
    fileprivate(set) var pending: [EventLoopFuture<Void>] = []
    let connection: PostgresConnection
    init(_ connection: PostgresConnection) { self.connection = connection }

    /// Waits for every statement sent, in order, and throws the first failure (later statements
    /// of a failed transaction fail only because it aborted).
    mutating func settle() throws {
        defer { pending = [] }
        var first: (any Error)?
        for f in pending {
            // After a failure on a closed connection the rest will not be answered either: no waiting.
            if first != nil && connection.isClosed { break }
            do { try connection.bounded(f) } catch { if first == nil { first = error } }
        }
        if let first { throw first }
    }
}

/// A small pool of connections for readers, at most `PostgresURL.poolSize` open at once. A
/// connection that died (server restarted) is dropped and replaced by a new one on next use.
final class ConnectionPool: @unchecked Sendable {
    let connector: Connector
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var closed = false
    let capacity: Int

    init(connector: Connector, capacity: Int) {
        self.connector = connector
        self.capacity = max(1, capacity)
    }

    var logger: Logger { connector.logger }

    private func acquire() throws -> PostgresConnection {
        condition.lock()
        while true {
            if closed { condition.unlock(); throw StoreError.unavailable("the database connection pool is closed") }
            while let c = idle.popLast() {
                if !c.isClosed { condition.unlock(); return c }
                open -= 1
            }
            if open < capacity { open += 1; break }
            condition.wait()
        }
        condition.unlock()
        do { return try connector.connect(role: "reader") } catch {
            condition.lock(); open -= 1; condition.signal(); condition.unlock()
            throw error
        }
    }

    private func release(_ c: PostgresConnection, broken: Bool) {
        condition.lock()
        if broken || c.isClosed || closed {
            open -= 1
            condition.unlock()
            c.close().whenComplete { _ in }
        } else {
            idle.append(c)
            condition.unlock()
        }
        condition.signal()
    }

    /// Runs `body` on a pooled connection. A read that fails because its connection died (the
    /// server restarted since the connection was opened) is run once more on a new connection.
    func with<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            let c = try acquire()
            do {
                let value = try body(c)
                release(c, broken: false)
                return value
            } catch {
                let broken = PostgresErrors.isConnectionLoss(error) || c.isClosed
                release(c, broken: broken)
                if broken && attempt == 1 { continue }
                throw error
            }
        }
    }

    /// Runs `body` in a read-only repeatable-read transaction: every query sees one snapshot.
    func snapshot<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try with { c in
            // BEGIN and COMMIT go without a wait of their own (collected with the COMMIT): the body
            // only reads, so nothing is lost if BEGIN failed, and the failure is still reported.
            var p = Pipeline(c)
            c.send(PostgresQuery(unsafeSQL: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"), logger, into: &p)
            do {
                let value = try body(c)
                c.send(PostgresQuery(unsafeSQL: "COMMIT"), logger, into: &p)
                try p.settle()
                return value
            } catch {
                if !c.isClosed { try? c.simple("ROLLBACK") }
                throw error
            }
        }
    }

    func close() {
        condition.lock()
        closed = true
        let connections = idle
        idle = []
        open -= connections.count
        condition.broadcast()
        condition.unlock()
        for c in connections { c.close().whenComplete { _ in } }
    }

    deinit { for c in idle { c.close().whenComplete { _ in } } }
}

/// Builds a query with positional parameters: `bind` appends a value and returns its `$n`.
struct QueryBuilder {
    var binds = PostgresBindings()
    var sql = ""

    /// Doubles are bound with -0 as +0, as SQLite stores them (a REAL holding a whole number is
    /// stored as an integer), so that both stores read back the same bits.
    mutating func bind(_ value: Double?) -> String {
        try! binds.append(value.map(zeroed))
        return "$\(binds.count)"
    }

    mutating func bind<T: PostgresThrowingDynamicTypeEncodable>(_ value: T?) -> String {
        // The store binds only integers, floats, strings, booleans, bytes and their arrays, which never throw.
        try! binds.append(value)
        return "$\(binds.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}

/// Typed access to a row's cells by column name.
struct Cells {
    let row: PostgresRandomAccessRow
    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    func callAsFunction<T: PostgresDecodable>(_ name: String, as: T.Type = T.self) throws -> T {
        try row[name].decode(T.self)
    }
    func callAsFunction<T: PostgresDecodable>(_ index: Int, as: T.Type = T.self) throws -> T {
        try row[index].decode(T.self)
    }
}

/// `v` with -0 replaced by +0 (SQLite's REAL storage does the same).
@inline(__always) func zeroed(_ v: Double) -> Double { v == 0 ? 0 : v }
@inline(__always) func zeroed(_ v: Double?) -> Double? { v.map(zeroed) }

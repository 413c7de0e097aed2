import Dispatch
import Foundation
import TrajectoryStore

/// Which run a request reads: by name (and instrument when names repeat across instruments);
/// nil name: the store's only run, or its most recently started one.
public struct RunSelection: Sendable, Hashable, CustomStringConvertible {
    public var name: String?
    public var instrument: String?
    public init(name: String? = nil, instrument: String? = nil) { self.name = name; self.instrument = instrument }
    public var description: String { [instrument, name ?? "latest"].compactMap { $0 }.joined(separator: "/") }
}

/// Read-only access to the store for request handlers: a SQLite file (one run) or a PostgreSQL
/// database (many runs). The store is opened on first use (a daemon may not have created it yet:
/// then requests answer 503 until it exists) and reads run on a dispatch queue, never on the
/// async executor's threads.
public final class StoreAccess: Sendable {
    public let location: StoreLocation
    let backends: StoreBackends
    /// Path of the SQLite file ("" for PostgreSQL), for locating frame images beside it.
    public var path: String { location.path ?? "" }
    private let state = Mutex<(any RunCatalogue)?>(nil)
    private let readers = Mutex<[RunSelection: any StoreQuerying]>([:])
    private let queue = DispatchQueue(label: "stemtrack.http.store", attributes: .concurrent)

    /// The run read when a request names none (nil: the only or the latest run).
    public let defaultRun: RunSelection

    public init(location: StoreLocation, backends: StoreBackends = .sqliteOnly, defaultRun: RunSelection = RunSelection()) {
        self.location = location; self.backends = backends; self.defaultRun = defaultRun
    }

    /// A SQLite file.
    public convenience init(path: String) { self.init(location: .sqlite(path: path)) }

    /// Opens the store now (for `serve`, so that a wrong location fails at start).
    public func catalogue() throws -> any RunCatalogue {
        if let c = state.withLock({ $0 }) { return c }
        let c = try backends.openCatalogue(location)
        state.withLock { $0 = c }
        return c
    }

    /// The reader of a run (cached per named run; the latest run is looked up on each call).
    public func open(_ selection: RunSelection = RunSelection()) throws -> any StoreQuerying {
        let run = selection.name == nil && selection.instrument == nil ? defaultRun : selection
        if let r = readers.withLock({ $0[run] }) { return r }
        let r = try catalogue().reader(run: run.name, instrument: run.instrument)
        if run.name != nil { readers.withLock { if $0.count < 256 { $0[run] = r } } }
        return r
    }

    /// Runs `body` with the reader of `run` off the async executor.
    public func read<T: Sendable>(_ run: RunSelection = RunSelection(),
                                  _ body: @escaping @Sendable (any StoreQuerying) throws -> T) async throws -> T {
        try await onQueue {
            let reader: any StoreQuerying
            do { reader = try self.open(run) } catch let e as StoreError {
                if case .unknownRunName = e { throw APIError.notFound(e.description) }
                throw APIError.unavailable("database not readable yet: \(e)")
            } catch where self.backends.isEnvironmental(error) {
                throw APIError.unavailable("database not reachable: \(self.backends.describe(error))")
            }
            return try body(reader)
        }
    }

    /// Runs `body` with the catalogue of runs off the async executor.
    public func withCatalogue<T: Sendable>(_ body: @escaping @Sendable (any RunCatalogue) throws -> T) async throws -> T {
        try await onQueue {
            let c: any RunCatalogue
            do { c = try self.catalogue() } catch let e as StoreError {
                throw APIError.unavailable("database not readable yet: \(e)")
            } catch where self.backends.isEnvironmental(error) {
                throw APIError.unavailable("database not reachable: \(self.backends.describe(error))")
            }
            return try body(c)
        }
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.async {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
        }
    }

    /// Expensive answers (image decoding and rendering, mixture fits) computed at once; more wait.
    /// Bounds the server's memory whatever the number of clients (a 4096² frame is ~70 MB to render).
    public static let maxConcurrentComputations = 2
    private let computations = AsyncLimiter(StoreAccess.maxConcurrentComputations)

    /// Runs blocking work (image decoding, mixture fits) off the async executor, at most
    /// ``maxConcurrentComputations`` at a time.
    public func compute<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        await computations.acquire()
        defer { Task { await computations.release() } }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.async {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
        }
    }
}

/// A value guarded by a lock (small, local: Synchronization's Mutex is not Sendable-friendly to
/// store in a final class on all toolchains this project supports).
final class Mutex<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        return try body(&value)
    }
}

/// A counting semaphore for async code (waiters resumed in arrival order).
actor AsyncLimiter {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ limit: Int) { available = max(1, limit) }

    func acquire() async {
        if available > 0 { available -= 1; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { available += 1 } else { waiters.removeFirst().resume() }
    }
}

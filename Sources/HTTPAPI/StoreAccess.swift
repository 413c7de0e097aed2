import Dispatch
import Foundation
import TrajectoryStore

/// Read-only access to the trajectory store for request handlers. The file is opened read-only
/// on first use (a daemon may not have created it yet: then requests answer 503 until it exists)
/// and reads run on a dispatch queue, never on the async executor's threads.
public final class StoreAccess: Sendable {
    /// Path of the SQLite file.
    public let path: String
    private let state = Mutex<(any StoreQuerying)?>(nil)
    private let queue = DispatchQueue(label: "stemtrack.http.store", attributes: .concurrent)

    public init(path: String) { self.path = path }

    /// Opens the store now (for `serve`, so that a wrong path fails at start).
    public func open() throws -> any StoreQuerying {
        if let r = state.withLock({ $0 }) { return r }
        let r: any StoreQuerying = try StoreReader(path: path)
        state.withLock { $0 = r }
        return r
    }

    /// Runs `body` with the reader off the async executor.
    public func read<T: Sendable>(_ body: @escaping @Sendable (any StoreQuerying) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.async {
                do {
                    let reader: any StoreQuerying
                    do { reader = try self.open() } catch let e as StoreError {
                        throw APIError.unavailable("database not readable yet: \(e)")
                    }
                    continuation.resume(returning: try body(reader))
                } catch {
                    continuation.resume(throwing: error)
                }
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

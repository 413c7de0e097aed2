import Dispatch
import Foundation

/// A raw buffer that parallel loops write into at disjoint indices (one slot per column), so
/// results do not depend on scheduling.
public struct SharedSlots<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
    public let count: Int

    public init(repeating value: T, count: Int) {
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: value, count: max(count, 1))
        self.count = count
    }

    public subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }

    /// Copies the slots out and frees the buffer.
    public func drain() -> [T] {
        let out = Array(UnsafeBufferPointer(start: base, count: count))
        base.deinitialize(count: max(count, 1))
        base.deallocate()
        return out
    }
}

/// Runs `body(i)` for i in 0..<n on all cores, in contiguous chunks.
public func parallelFor(_ n: Int, minimumChunk: Int = 8, _ body: @Sendable (Int) -> Void) {
    if n <= minimumChunk {
        for i in 0..<n { body(i) }
        return
    }
    let chunks = min(max(1, n / minimumChunk), 64)
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        let lo = c * n / chunks, hi = (c + 1) * n / chunks
        for i in lo..<hi { body(i) }
    }
}

/// A value behind a lock, shared between tasks or threads: `Sendable` exactly when its value is.
public final class LockedBox<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    public init(_ value: Value) { self.value = value }

    /// Runs `body` with exclusive access to the value.
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// A copy of the value.
    public var snapshot: Value { withLock { $0 } }
}

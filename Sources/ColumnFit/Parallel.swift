import Dispatch

/// A raw buffer that parallel loops write into at disjoint indices (one slot per column), so
/// results do not depend on scheduling.
struct SharedSlots<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
    let count: Int

    init(repeating value: T, count: Int) {
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: value, count: max(count, 1))
        self.count = count
    }

    subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }

    /// Copies the slots out and frees the buffer.
    func drain() -> [T] {
        let out = Array(UnsafeBufferPointer(start: base, count: count))
        base.deinitialize(count: max(count, 1))
        base.deallocate()
        return out
    }
}

/// Runs `body(i)` for i in 0..<n on all cores, in contiguous chunks.
func parallelFor(_ n: Int, minimumChunk: Int = 8, _ body: @Sendable (Int) -> Void) {
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

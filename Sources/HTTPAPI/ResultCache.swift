import Foundation

/// A small cache of computed per-frame results (ICL curves, rendered images), keeping the most
/// recently used `capacity` entries. Computations of the same key that overlap run once.
actor ResultCache<Key: Hashable & Sendable, Value: Sendable> {
    private var entries: [Key: Value] = [:]
    private var order: [Key] = []
    private var running: [Key: Task<Value, any Error>] = [:]
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func value(for key: Key, compute: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let v = entries[key] {
            order.removeAll { $0 == key }; order.append(key)
            return v
        }
        if let t = running[key] { return try await t.value }
        let task = Task { try await compute() }
        running[key] = task
        defer { running[key] = nil }
        let v = try await task.value
        entries[key] = v
        order.append(key)
        while order.count > capacity { entries[order.removeFirst()] = nil }
        return v
    }

    /// Drops one entry (e.g. a frame that was replaced).
    func remove(_ key: Key) { entries[key] = nil; order.removeAll { $0 == key } }
}

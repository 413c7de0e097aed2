import Foundation
import TrajectoryStore

/// One change stream of the store per server process, fanned out to every subscriber (each
/// browser's `GET /api/changes`). The store's stream is opened with the first subscriber
/// (PostgreSQL: one LISTEN connection; SQLite: one poller) and kept while the server runs.
actor ChangeHub {
    private let store: StoreAccess
    private var subscribers: [UUID: AsyncStream<StoreChange>.Continuation] = [:]
    private var pump: Task<Void, Never>?

    init(store: StoreAccess) { self.store = store }

    /// Subscribers right now (for tests and metrics).
    var subscriberCount: Int { subscribers.count }

    /// The committed frames from now on, of `run` (nil name: of every run).
    func subscribe(_ run: RunSelection) -> AsyncStream<StoreChange> {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: StoreChange.self, bufferingPolicy: .bufferingNewest(1_000))
        let filtered = run
        subscribers[id] = continuation
        continuation.onTermination = { [weak self] _ in Task { await self?.remove(id) } }
        startIfNeeded()
        guard filtered.name != nil || filtered.instrument != nil else { return stream }
        return AsyncStream { out in
            let t = Task {
                for await c in stream where (filtered.name == nil || c.run == filtered.name)
                    && (filtered.instrument == nil || c.instrument == filtered.instrument) {
                    out.yield(c)
                }
                out.finish()
            }
            out.onTermination = { _ in t.cancel() }
        }
    }

    private func remove(_ id: UUID) { subscribers[id] = nil }

    private func broadcast(_ change: StoreChange) {
        for c in subscribers.values { c.yield(change) }
    }

    private func startIfNeeded() {
        guard pump == nil else { return }
        let store = self.store
        pump = Task { [weak self] in
            // The catalogue may not be there yet (no daemon has created the store): retry.
            while !Task.isCancelled {
                guard let catalogue = try? store.catalogue() else {
                    try? await Task.sleep(nanoseconds: 1_000_000_000)
                    continue
                }
                for await change in catalogue.changes() { await self?.broadcast(change) }
                try? await Task.sleep(nanoseconds: 500_000_000)
            }
        }
    }
}

import Foundation

/// The one run of a SQLite file as a ``RunCatalogue``: its name is the file's name without the
/// extension, its instrument the host of its last session.
public final class SQLiteCatalogue: RunCatalogue {
    public let path: String
    let store: StoreReader
    public var location: StoreLocation { .sqlite(path: path) }

    /// Opens `path` read-only (it must exist and be a store).
    public init(path: String) throws {
        self.path = path
        store = try StoreReader(path: path)
    }

    /// The run's name: the file name without its extension.
    public var runName: String { ((path as NSString).lastPathComponent as NSString).deletingPathExtension }

    public func runs() throws -> [RunSummary] {
        let sessions = try store.sessions()
        let summary = try store.summary()
        let heartbeat = try store.heartbeat()
        let last = sessions.last
        return [RunSummary(
            name: runName, instrument: last?.host ?? heartbeat?.host ?? "local", directory: last?.directory,
            startedAt: sessions.first?.startedAt, stoppedAt: last?.stoppedAt,
            status: RunSummary.status(stoppedAt: last?.stoppedAt, heartbeat: heartbeat, sessions: sessions.count,
                                      now: Date().timeIntervalSince1970),
            frames: summary.frames, failedFrames: summary.failedFrames, lastFrame: summary.lastFrame,
            lastAcquiredAt: summary.lastAcquiredAt, updatedAt: heartbeat?.updatedAt)]
    }

    public func reader(run name: String?, instrument: String?) throws -> any StoreQuerying {
        if let name, name != runName { throw StoreError.unknownRunName(name, known: [runName]) }
        return store
    }

    /// New frames, found by polling the file twice a second (frame numbers above the last seen).
    public func changes() -> AsyncStream<StoreChange> {
        let store = self.store, name = runName
        return AsyncStream { continuation in
            let task = Task {
                var last = (try? store.summary().lastFrame) ?? -1
                let instrument = (try? store.sessions().last?.host) ?? "local"
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: 500_000_000)
                    guard let latest = try? store.summary().lastFrame, latest > last else { continue }
                    let new = (try? store.frames(StoreFilter(frames: (last + 1)...latest))) ?? []
                    for f in new { continuation.yield(StoreChange(instrument: instrument, run: name, frame: f.frame)) }
                    last = latest
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

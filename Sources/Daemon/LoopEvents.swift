import Foundation
import Logging

/// What wakes the daemon's frame loop: a file to look at, a periodic tick (retry deferred files,
/// apply a pending SIGHUP), a rescan after the inotify queue overflowed, the directory vanishing.
enum LoopEvent: Sendable, Equatable {
    case file(String)
    case tick
    case rescan
    case reload
    case directoryGone(String)
}

/// SIGHUPs received and not yet applied (the signal task and the frame loop share it).
final class ReloadRequests: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = 0
    func request() { lock.lock(); pending += 1; lock.unlock() }
    /// Whether a reload was requested since the last call.
    func take() -> Bool { lock.lock(); defer { pending = 0; lock.unlock() }; return pending > 0 }
}

/// The watcher (inotify, or polling), merged with a tick every `tickInterval` seconds.
final class LoopEvents: @unchecked Sendable {
    let stream: AsyncStream<LoopEvent>
    private let tasks: [Task<Void, Never>]
    private let inotify: InotifyWatcher?

    static let tickInterval = 0.25

    init(scan: DirectoryScan, poll: Bool, pollInterval: Double, logger: Logger, reloads: ReloadRequests) {
        let (stream, continuation) = AsyncStream<LoopEvent>.makeStream(bufferingPolicy: .unbounded)
        self.stream = stream
        var watcher: InotifyWatcher? = nil
        let source: AsyncStream<InotifyWatcher.WatchEvent>
        if poll {
            source = PollingWatcher(scan: scan, interval: pollInterval).events()
        } else {
            do {
                let w = try InotifyWatcher(scan: scan)
                watcher = w
                source = w.events()
            } catch {
                logger.warning("\(error); polling instead")
                source = PollingWatcher(scan: scan, interval: pollInterval).events()
            }
        }
        inotify = watcher
        let stopWatcher = watcher
        let forward = Task {
            for await e in source {
                switch e {
                case .file(let p): continuation.yield(.file(p))
                case .overflow: continuation.yield(.rescan)
                case .directoryGone(let d): continuation.yield(.directoryGone(d))
                }
            }
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(Self.tickInterval * 1e9))
                continuation.yield(reloads.take() ? .reload : .tick)
            }
        }
        tasks = [forward, ticker]
        continuation.onTermination = { _ in forward.cancel(); ticker.cancel(); stopWatcher?.stop() }
    }

    func cancel() {
        for t in tasks { t.cancel() }
        inotify?.stop()
    }
}

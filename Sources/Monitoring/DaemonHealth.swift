import Foundation

/// What the daemon is doing, shared between its frame loop and the HTTP server (`/healthz`) in
/// the same process. Thread-safe; every update also refreshes the heartbeat.
public final class DaemonHealth: @unchecked Sendable {
    /// The daemon's state.
    public enum State: String, Sendable, Codable {
        /// Resuming and scanning the backlog.
        case starting
        /// Processing frames or waiting for them.
        case ready
        /// An environmental failure (disk full, store locked or gone): frames are kept and retried.
        case paused
        /// Stopped (shut down, or the frame loop ended).
        case stopped
    }

    /// A consistent copy of the health values.
    public struct Snapshot: Sendable, Codable, Equatable {
        public var state: State
        /// Unix s of the last sign of life of the frame loop.
        public var heartbeat: Double
        /// Unix s since which the loop has been busy with one frame (nil: idle).
        public var busySince: Double?
        public var backlog: Int
        public var frames: Int
        public var failed: Int
        /// Unix s of the last stored frame.
        public var lastFrameAt: Double?
        /// Why the daemon is paused, or the last environmental error.
        public var message: String?
        public var startedAt: Double
    }

    private let lock = NSLock()
    private var value: Snapshot

    public init(now: Double = Date().timeIntervalSince1970) {
        value = Snapshot(state: .starting, heartbeat: now, busySince: nil, backlog: 0, frames: 0, failed: 0,
                         lastFrameAt: nil, message: nil, startedAt: now)
    }

    public var snapshot: Snapshot { lock.lock(); defer { lock.unlock() }; return value }

    /// Changes the snapshot under the lock and refreshes the heartbeat.
    public func update(now: Double = Date().timeIntervalSince1970, _ change: (inout Snapshot) -> Void) {
        lock.lock(); defer { lock.unlock() }
        change(&value)
        value.heartbeat = now
    }

    public func beat(now: Double = Date().timeIntervalSince1970) { update(now: now) { _ in } }

    /// Healthy: ready (or starting), and the loop neither silent for `staleAfter` seconds nor busy
    /// with one frame for more than `maxBusy` seconds. Returns the reason when not healthy.
    public static func problem(_ s: Snapshot, now: Double, staleAfter: Double, maxBusy: Double) -> String? {
        switch s.state {
        case .paused: return "paused: " + (s.message ?? "an environmental failure")
        case .stopped: return "the daemon is stopped"
        case .starting, .ready: break
        }
        if let busy = s.busySince, now - busy > maxBusy {
            return "one frame has been analysed for \(Int(now - busy)) s (more than \(Int(maxBusy)) s)"
        }
        if s.busySince == nil, now - s.heartbeat > staleAfter {
            return "no heartbeat for \(Int(now - s.heartbeat)) s"
        }
        return nil
    }
}

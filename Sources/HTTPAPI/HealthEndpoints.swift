import Foundation
import Monitoring
import TrajectoryStore

/// Where `/healthz` and `/metrics` get the daemon's state: from the daemon in the same process
/// (`watch --http`), or from the heartbeat it writes into the store every 2 s (`serve`).
public enum HealthSource: Sendable {
    case inProcess(DaemonHealth, DaemonMetrics, frameTimeout: Double)
    case heartbeat(StoreAccess)
}

/// The answer of `/healthz` (200 when healthy, 503 otherwise).
public struct HealthResponse: Codable, Sendable, Equatable {
    /// "ok" or "unhealthy".
    public var status: String
    /// Why not healthy.
    public var reason: String?
    /// The daemon's state: starting, ready, paused, stopped, hung; "none" when no daemon ever wrote here.
    public var state: String
    public var heartbeat_age_s: Double?
    public var backlog: Int
    public var frames: Int
    public var failed: Int
    public var last_frame_age_s: Double?
}

enum HealthEndpoints {
    /// A heartbeat older than this (s) means the daemon is gone (it writes one every 2 s).
    static let heartbeatStale = 30.0

    static func health(_ source: HealthSource, now: Double = Date().timeIntervalSince1970) async -> HealthResponse {
        switch source {
        case .inProcess(let health, _, let timeout):
            let s = health.snapshot
            let problem = DaemonHealth.problem(s, now: now, staleAfter: 60, maxBusy: timeout)
            return HealthResponse(status: problem == nil ? "ok" : "unhealthy", reason: problem, state: s.state.rawValue,
                                  heartbeat_age_s: now - s.heartbeat, backlog: s.backlog, frames: s.frames,
                                  failed: s.failed, last_frame_age_s: s.lastFrameAt.map { now - $0 })
        case .heartbeat(let store):
            let beat: Heartbeat?
            do { beat = try await store.read { try $0.heartbeat() } } catch {
                return HealthResponse(status: "unhealthy", reason: "store not readable: \(error)", state: "none",
                                      backlog: 0, frames: 0, failed: 0)
            }
            guard let b = beat else {
                return HealthResponse(status: "unhealthy", reason: "no daemon has written to this store", state: "none",
                                      backlog: 0, frames: 0, failed: 0)
            }
            let age = now - b.updatedAt
            var reason: String? = nil
            if b.state == "stopped" { reason = "the daemon is stopped" }
            else if age > heartbeatStale { reason = "no heartbeat for \(Int(age)) s (the daemon is not running)" }
            else if b.state == "paused" || b.state == "hung" { reason = "\(b.state): \(b.message ?? "")" }
            return HealthResponse(status: reason == nil ? "ok" : "unhealthy", reason: reason, state: b.state,
                                  heartbeat_age_s: age, backlog: b.backlog, frames: b.frames, failed: b.failed,
                                  last_frame_age_s: b.lastFrameAt.map { now - $0 })
        }
    }

    /// Prometheus text exposition.
    static func metrics(_ source: HealthSource, now: Double = Date().timeIntervalSince1970) async -> String {
        switch source {
        case .inProcess(let health, let metrics, let timeout):
            return metrics.exposition(health: health.snapshot, now: now, maxBusy: timeout)
        case .heartbeat:
            // Another process's daemon: gauges from its heartbeat.
            let h = await health(source, now: now)
            func gauge(_ name: String, _ help: String, _ v: Double) -> String {
                "# HELP \(name) \(help)\n# TYPE \(name) gauge\n\(name) \(v)\n"
            }
            return gauge("stemtrack_up", "1 while the daemon writing this store is healthy", h.status == "ok" ? 1 : 0)
                + gauge("stemtrack_heartbeat_age_seconds", "Seconds since the daemon's last heartbeat (-1: none)", h.heartbeat_age_s ?? -1)
                + gauge("stemtrack_backlog_frames", "Files waiting to be processed", Double(h.backlog))
                + gauge("stemtrack_session_frames", "Frames stored in the daemon's current session", Double(h.frames))
                + gauge("stemtrack_session_failed_frames", "Frames stored as failed in the daemon's current session", Double(h.failed))
                + gauge("stemtrack_last_frame_age_seconds", "Seconds since the last stored frame (-1: none yet)", h.last_frame_age_s ?? -1)
                + gauge("stemtrack_paused", "1 while the daemon is paused on an environmental failure", h.state == "paused" ? 1 : 0)
        }
    }
}

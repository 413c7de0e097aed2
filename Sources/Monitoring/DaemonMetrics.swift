import Foundation
import Prometheus

/// The daemon's Prometheus metrics (text exposition format at `/metrics`).
///
/// | metric | type | meaning |
/// |---|---|---|
/// | `stemtrack_frames_processed_total` | counter | frames stored with results |
/// | `stemtrack_frames_failed_total` | counter | frames stored as failed (bad file, failed fit) |
/// | `stemtrack_frames_skipped_total` | counter | files recognised as already stored or duplicates |
/// | `stemtrack_backlog_frames` | gauge | files waiting to be processed |
/// | `stemtrack_stage_seconds{stage}` | histogram | time per stage: read, fit, count, track, store, total |
/// | `stemtrack_last_frame_age_seconds` | gauge | seconds since the last stored frame (−1: none yet) |
/// | `stemtrack_model_refits_total` | counter | counting models fitted |
/// | `stemtrack_paused` | gauge | 1 while paused on an environmental failure |
/// | `stemtrack_store_retries_total` | counter | store writes retried after an environmental failure |
/// | `stemtrack_up` | gauge | 1 while the frame loop is healthy |
public final class DaemonMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let processed: Counter
    public let failed: Counter
    public let skipped: Counter
    public let backlog: Gauge
    public let lastFrameAge: Gauge
    public let modelRefits: Counter
    public let paused: Gauge
    public let storeRetries: Counter
    public let up: Gauge
    private let stages: [String: ValueHistogram]

    /// Stage names with a latency histogram.
    public static let stageNames = ["read", "fit", "count", "track", "store", "total"]
    /// Histogram buckets, s (frames take milliseconds to minutes).
    public static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        processed = registry.makeCounter(descriptor: Self.name("stemtrack_frames_processed_total", "Frames stored with results"))
        failed = registry.makeCounter(descriptor: Self.name("stemtrack_frames_failed_total", "Frames stored as failed"))
        skipped = registry.makeCounter(descriptor: Self.name("stemtrack_frames_skipped_total", "Files recognised as already stored, or duplicates of stored frames"))
        backlog = registry.makeGauge(descriptor: Self.name("stemtrack_backlog_frames", "Files waiting to be processed"))
        lastFrameAge = registry.makeGauge(descriptor: Self.name("stemtrack_last_frame_age_seconds", "Seconds since the last stored frame (-1: none yet)"))
        modelRefits = registry.makeCounter(descriptor: Self.name("stemtrack_model_refits_total", "Counting models fitted"))
        paused = registry.makeGauge(descriptor: Self.name("stemtrack_paused", "1 while paused on an environmental failure"))
        storeRetries = registry.makeCounter(descriptor: Self.name("stemtrack_store_retries_total", "Store writes retried after an environmental failure"))
        up = registry.makeGauge(descriptor: Self.name("stemtrack_up", "1 while the frame loop is healthy"))
        var h: [String: ValueHistogram] = [:]
        for s in Self.stageNames {
            let d = MetricNameDescriptor(namespace: "stemtrack", metricName: "stage", unitName: "seconds",
                                         helpText: "Seconds per frame in each stage")
            h[s] = registry.makeValueHistogram(descriptor: d, labels: [("stage", s)], buckets: Self.buckets)
        }
        stages = h
        lastFrameAge.set(to: -1.0)
    }

    /// A descriptor whose fully qualified name is `name` (no namespace or unit parts added).
    static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: nil, subsystem: nil, metricName: name, unitName: "", helpText: help)
    }

    /// Records one stage's duration, s.
    public func record(stage: String, seconds: Double?) {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return }
        stages[stage]?.record(seconds)
    }

    /// The exposition text, with the time-dependent gauges brought up to date from `health`.
    public func exposition(health: DaemonHealth.Snapshot?, now: Double = Date().timeIntervalSince1970,
                           staleAfter: Double = 60, maxBusy: Double = 600) -> String {
        if let health {
            lastFrameAge.set(to: health.lastFrameAt.map { max(0, now - $0) } ?? -1.0)
            backlog.set(to: Double(health.backlog))
            paused.set(to: health.state == .paused ? 1.0 : 0.0)
            up.set(to: DaemonHealth.problem(health, now: now, staleAfter: staleAfter, maxBusy: maxBusy) == nil ? 1.0 : 0.0)
        }
        return registry.emitToString()
    }
}

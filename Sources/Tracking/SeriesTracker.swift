import Foundation
import AtomCount
import StemCore

/// Offline tracking of a whole series: links every frame with the online ``Tracker``, keeps every
/// observation, then smooths each track's counts with a hidden Markov model fitted to all tracks
/// (``CountHMM``) and detects events on the smoothed counts (``EventDetector``).
///
/// ```swift
/// var series = try SeriesTracker()
/// for (i, frame) in frames.enumerated() { _ = try series.add(frame: i, detections: frame.detections, modelID: frame.model) }
/// let result = series.finish(models: models)
/// ```
public struct SeriesTracker: Sendable {
    public private(set) var tracker: Tracker
    public private(set) var frames: [LinkedFrame] = []
    private var points: [Int: [TrackPoint]] = [:]
    /// Largest count change per frame in the hidden Markov model.
    public var maxCountJump = 2
    /// Smooth counts with the hidden Markov model (else events use the raw counts).
    public var smoothCounts = true

    public init(settings: TrackerSettings = TrackerSettings()) throws(TrackingError) {
        tracker = try Tracker(settings: settings)
    }

    /// Links one frame; `modelID` names the ``CountingModel`` that produced the detections' counts.
    @discardableResult
    public mutating func add(frame: Int, time: Double? = nil, detections: [Detection], modelID: String? = nil,
                             drift: DriftInput = .estimate) throws(TrackingError) -> FrameLinks {
        let links = try tracker.link(frame: frame, time: time, detections: detections, drift: drift)
        for (j, d) in detections.enumerated() {
            let id = links.trackIDs[j]
            points[id, default: []].append(TrackPoint(frame: frame, time: time, detection: j, x: d.x, y: d.y,
                                                      xCorrected: links.corrected[j].x, yCorrected: links.corrected[j].y,
                                                      crossSection: d.crossSection, count: d.count, modelID: modelID))
        }
        frames.append(LinkedFrame(frame: frame, time: time, shift: links.shift, drift: links.drift,
                                  registrationMatched: links.registration?.matched,
                                  registrationConfidence: links.registration?.confidence,
                                  columns: detections.count, trackIDs: links.trackIDs, modelID: modelID,
                                  rotation: links.rotation, cumulativeRotation: links.transform.rotation,
                                  scale: links.scale, cumulativeScale: links.transform.scale))
        return links
    }

    /// Tracks, smoothed counts and events. `models`: the counting models by id (for the emission
    /// densities of the hidden Markov model); without them, or without counts, no smoothing.
    public func finish(models: [String: CountingModel] = [:]) -> TrackedSeries {
        var tracks = points.keys.sorted().map { ColumnTrack(id: $0, points: points[$0]!) }
        var hmm: CountHMM.Fit? = nil
        if smoothCounts {
            var observed: [(track: Int, indices: [Int], obs: [CountObservation])] = []
            for (k, t) in tracks.enumerated() {
                var idx: [Int] = [], obs: [CountObservation] = []
                for (i, p) in t.points.enumerated() {
                    if let c = p.count, let cs = p.crossSection, let m = p.modelID, models[m] != nil {
                        idx.append(i); obs.append(CountObservation(frame: p.frame, crossSection: cs, count: c, modelID: m))
                    }
                }
                if !obs.isEmpty { observed.append((k, idx, obs)) }
            }
            if !observed.isEmpty {
                let fit = CountHMM.fit(observed.map(\.obs).filter { $0.count >= 2 }, models: models,
                                       initial: CountHMM(maxJump: maxCountJump))
                hmm = fit
                for o in observed {
                    let (counts, confidence) = fit.model.decode(o.obs, models: models)
                    for (k, i) in o.indices.enumerated() {
                        tracks[o.track].points[i].smoothedCount = counts[k]
                        tracks[o.track].points[i].countConfidence = confidence[k]
                    }
                }
            }
        }
        let spacing = tracker.spacing ?? 10
        let events = EventDetector(neighbourDistance: tracker.settings.neighbourFraction * spacing)
            .events(tracks: tracks, frames: frames)
        return TrackedSeries(frames: frames, tracks: tracks, events: events, spacing: tracker.spacing,
                             countModel: hmm?.model, countModelIterations: hmm?.iterations)
    }
}

/// One linked frame of a series.
public struct LinkedFrame: Sendable, Codable, Equatable {
    public var frame: Int
    public var time: Double?
    /// Translation relative to the previous frame and cumulative drift, px.
    public var shift: Point
    public var drift: Point
    /// Columns matched by the registration and the matched fraction (nil for the first frame).
    public var registrationMatched: Int?
    public var registrationConfidence: Double?
    public var columns: Int
    /// Track of each detection.
    public var trackIDs: [Int]
    public var modelID: String?
    /// Rotation relative to the previous frame and to the first frame, degrees (positive turns +x
    /// toward +y), and the scale relative to both (nil in records saved before they were
    /// estimated). See ``FrameLinks/rotation`` and ``FrameLinks/transform``.
    public var rotation: Double? = nil
    public var cumulativeRotation: Double? = nil
    public var scale: Double? = nil
    public var cumulativeScale: Double? = nil
}

/// One observation of a track.
public struct TrackPoint: Sendable, Codable, Equatable {
    public var frame: Int
    public var time: Double?
    /// Index of the detection in its frame.
    public var detection: Int
    /// Position in the frame, px, and drift-corrected, px.
    public var x: Double
    public var y: Double
    public var xCorrected: Double
    public var yCorrected: Double
    public var crossSection: Double?
    /// Count from the counting model, and the hidden-Markov (Viterbi) count with its posterior.
    public var count: Int?
    public var smoothedCount: Int? = nil
    public var countConfidence: Double? = nil
    public var modelID: String?

    /// The smoothed count when there is one, else the raw count.
    public var bestCount: Int? { smoothedCount ?? count }
}

/// A column's history.
public struct ColumnTrack: Sendable, Codable, Equatable {
    public var id: Int
    public var points: [TrackPoint]
    public var firstFrame: Int { points.first!.frame }
    public var lastFrame: Int { points.last!.frame }
}

/// The result of offline tracking.
public struct TrackedSeries: Sendable, Codable, Equatable {
    public var frames: [LinkedFrame]
    public var tracks: [ColumnTrack]
    public var events: [TrackEvent]
    /// Spacing used by the tracker, px.
    public var spacing: Double?
    /// The fitted hidden Markov model of the counts, and Baum–Welch iterations.
    public var countModel: CountHMM?
    public var countModelIterations: Int?
}

/// Events of a tracked series, from the tracks' (smoothed) counts.
///
/// - appear: a track whose first frame is after the series' first; confidence 1 − 2⁻ⁿ for a
///   track of n observations (a one-frame track, likely a false detection, gets 0.5).
/// - vanish: a track whose last frame is before the series' last, dated at the next frame of the
///   series; position: the last drift-corrected position plus that frame's drift; confidence as
///   for appear.
/// - countChange: consecutive observations with different (smoothed) counts, dated at the later;
///   confidence: the smaller posterior probability of the two decoded counts (1 without smoothing).
/// - hop, merge, split: ``EventPairing``.
public struct EventDetector: Sendable {
    public var neighbourDistance: Double
    public init(neighbourDistance: Double) { self.neighbourDistance = neighbourDistance }

    public func events(tracks: [ColumnTrack], frames: [LinkedFrame]) -> [TrackEvent] {
        guard let first = frames.first?.frame, let last = frames.last?.frame else { return [] }
        var next: [Int: LinkedFrame] = [:]
        for k in 0..<(frames.count - 1) { next[frames[k].frame] = frames[k + 1] }
        var out: [TrackEvent] = []
        for t in tracks where !t.points.isEmpty {
            let n = Double(t.points.count)
            let lengthConfidence = 1 - pow2(-n)
            let p0 = t.points[0]
            if p0.frame > first {
                out.append(TrackEvent(kind: .appear, frame: p0.frame, time: p0.time, x: p0.x, y: p0.y, tracks: [t.id],
                                      before: 0, after: p0.bestCount, confidence: lengthConfidence))
            }
            for k in 1..<t.points.count {
                let a = t.points[k - 1], b = t.points[k]
                guard let ca = a.bestCount, let cb = b.bestCount, ca != cb else { continue }
                let conf = min(a.countConfidence ?? 1, b.countConfidence ?? 1)
                out.append(TrackEvent(kind: .countChange(cb - ca), frame: b.frame, time: b.time, x: b.x, y: b.y, tracks: [t.id],
                                      before: ca, after: cb, confidence: conf))
            }
            let pl = t.points[t.points.count - 1]
            if pl.frame < last, let f = next[pl.frame] {
                out.append(TrackEvent(kind: .vanish, frame: f.frame, time: f.time, x: pl.xCorrected + f.drift.x,
                                      y: pl.yCorrected + f.drift.y, tracks: [t.id], before: pl.bestCount, after: 0,
                                      confidence: lengthConfidence))
            }
        }
        out.sort { ($0.frame, $0.tracks.first ?? 0, $0.kind.name) < ($1.frame, $1.tracks.first ?? 0, $1.kind.name) }
        return out + EventPairing.composites(out, neighbourDistance: neighbourDistance)
    }

    private func pow2(_ x: Double) -> Double { Foundation.pow(2, x) }
}

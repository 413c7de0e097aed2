import AtomCount
import ColumnFit
import Foundation
import Structure
import TIFFFrame
import Tracking

/// The analysis of a series, one frame at a time: fit → count → link → smooth → structure →
/// events. The one place where the stages are put together: `watch` and `process` (into the
/// store), `track` (to CSV), `count` and `structure` all run it.
///
/// - **Fit**: ``ColumnFitter`` with ``AnalysisSettings/fit``.
/// - **Count**: ``TimeSeriesCounter`` (a mixture pooled over the last `window` frames, refitted
///   when a better model is supported).
/// - **Link**: ``Tracker`` (registration of the columns, globally optimal gated assignment with
///   gap closing).
/// - **Smooth**: ``FixedLagSmoother`` (the count hidden Markov model, final after `lag` frames).
///   Each frame's result carries the smoothed counts of its own columns (final only with lag 0)
///   and the revisions of earlier frames' counts; ``finish()`` makes the rest final.
/// - **Events**: appear and vanish from the tracker, count changes between consecutive *final*
///   smoothed counts of a track, and the hops, merges and splits among them (``EventPairing``),
///   released when their frame is final (max(`lag`, the tracker's lag) frames later); facet
///   events from the structure stage at once.
/// - **Structure**: ``StructureAnalyzer`` on the frame's columns with their counts as known
///   when the frame is analysed, facets followed by ``FacetTracker``.
///
/// The state that remembers the past is one `Codable` value (``State``), saved with every frame
/// by the store, so a run resumed after a crash continues exactly where it stopped.
public struct Pipeline: Sendable {
    /// What the pipeline remembers between frames.
    public struct State: Sendable, Codable {
        /// Settings the state was built with (JSON, ``AnalysisSettings/json``).
        public var settings: String
        public var counter: TimeSeriesCounter
        public var tracker: Tracker
        public var smoother: FixedLagSmoother
        public var facets: FacetTracker
        /// Primitive events waiting for their frame to be final.
        public var pendingEvents: [TrackEvent]
        /// Tracks that started after the first frame and whose first count is not final yet, and
        /// the final first counts of those whose appear event is still pending.
        public var awaitingAppear: Set<Int>
        public var firstCounts: [Int: Int]
        /// Acquisition order of the next frame.
        public var nextFrame: Int
    }

    public let settings: AnalysisSettings
    public private(set) var state: State
    private let structure: StructureAnalyzer?
    /// The settings that differ from those the resumed state was built with ("key: old → new";
    /// empty for a fresh pipeline). The state records the new settings from now on.
    public let changedSettings: [String]

    /// A fresh pipeline, or one continuing `state` (settings that differ from the state's are
    /// applied from the next frame on: see ``changedSettings``).
    public init(settings: AnalysisSettings, state: State? = nil, nextFrame: Int = 0) throws(AnalysisError) {
        try settings.validate()
        self.settings = settings
        do {
            structure = try settings.structure.map { s throws(StructureError) in try StructureAnalyzer(settings: s) }
        } catch {
            throw .invalidSetting(error.description)
        }
        if var s = state {
            changedSettings = AnalysisSettings.differences(from: s.settings, to: settings.json)
            s.settings = settings.json
            s.counter.window = settings.counting.window
            s.counter.refitThreshold = settings.counting.refitThreshold
            s.counter.counter.maxComponents = settings.counting.maxComponents
            s.counter.counter.components = settings.counting.components
            s.tracker.settings = settings.linking
            s.smoother.lag = Self.lag(settings.smoothing)
            s.smoother.enabled = settings.smoothing.enabled
            s.smoother.model = Self.hmm(settings.smoothing)
            self.state = s
        } else {
            var counter = MixtureCounter()
            counter.maxComponents = settings.counting.maxComponents
            counter.components = settings.counting.components
            let tracker: Tracker
            do { tracker = try Tracker(settings: settings.linking) } catch { throw .invalidSetting(error.description) }
            changedSettings = []
            self.state = State(settings: settings.json,
                               counter: TimeSeriesCounter(window: settings.counting.window,
                                                          refitThreshold: settings.counting.refitThreshold, counter: counter),
                               tracker: tracker,
                               smoother: FixedLagSmoother(model: Self.hmm(settings.smoothing),
                                                          lag: Self.lag(settings.smoothing),
                                                          enabled: settings.smoothing.enabled),
                               facets: FacetTracker(), pendingEvents: [], awaitingAppear: [], firstCounts: [:],
                               nextFrame: nextFrame)
        }
    }

    /// Frames a count waits before it is final: none when counts are not smoothed.
    static func lag(_ s: AnalysisSettings.Smoothing) -> Int { s.enabled ? s.lag : 0 }

    static func hmm(_ s: AnalysisSettings.Smoothing) -> CountHMM { CountHMM(maxJump: s.maxJump, stay: s.stayProbability) }

    /// Frames after which an event is final.
    public var eventLag: Int { max(state.smoother.lag, state.tracker.eventLag) }

    // MARK: One frame

    /// The fit of one frame on its own: what ``analyze(_:time:fitted:)`` does first. Frames are
    /// independent here, so fits can be made elsewhere (a cluster's tasks) and handed in later.
    public static func fit(_ frame: Frame, settings: AnalysisSettings) -> FitOutcome {
        let clock = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        let t0 = clock()
        do {
            let fit = try ColumnFitter(settings: settings.fit).fit(frame)
            return .fitted(fit, seconds: clock() - t0)
        } catch {
            return .failed("\(error)")
        }
    }

    /// Analyses the next frame (acquired at `time`, Unix s or series s; nil: unknown). `fitted`:
    /// its fit made earlier by ``fit(_:settings:)`` with the same settings (nil: fitted now); the
    /// result is the same either way.
    public mutating func analyze(_ frame: Frame, time: Double?, fitted: FitOutcome? = nil) -> FrameAnalysis {
        let order = state.nextFrame
        state.nextFrame += 1
        var out = FrameAnalysis(frame: order, time: time)
        let clock = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        let fit: FrameFit
        switch fitted ?? Self.fit(frame, settings: settings) {
        case .failed(let reason):
            out.failure = reason
            advanceWithoutColumns(&out)
            return out
        case .fitted(let f, let seconds):
            fit = f
            out.timings.fit = seconds
        }
        let t1 = clock()
        out.fit = fit
        let px = fit.pixelSize
        out.crossSections = fit.columns.map { $0.crossSection(pixelSize: px) }
        var rawCounts: [Int]? = nil
        if settings.counting.enabled {
            do {
                let r = try state.counter.count(frame: out.crossSections)
                rawCounts = r.counts
                out.model = r.model
                out.modelChanged = r.refitted
            } catch {
                out.stageFailures["counting"] = "\(error)"
            }
        }
        out.rawCounts = rawCounts
        let t2 = clock()
        out.timings.count = t2 - t1
        do {
            // Counts are not given to the tracker: its events are completed from the smoothed counts.
            out.links = try state.tracker.link(frame: order, time: time,
                                               detections: Detection.from(fit.columns, pixelSize: px, counts: nil))
        } catch {
            out.stageFailures["linking"] = error.description
        }
        let t3 = clock()
        out.timings.track = t3 - t2
        smoothAndRelease(&out, columns: fit.columns)
        out.timings.smooth = clock() - t3
        measureStructure(&out, columns: fit.columns, pixelSize: px)
        return out
    }

    /// A frame that could not be read: only the frame number and time advance.
    public mutating func skip(reason: String, time: Double? = nil) -> FrameAnalysis {
        let order = state.nextFrame
        state.nextFrame += 1
        var out = FrameAnalysis(frame: order, time: time)
        out.failure = reason
        advanceWithoutColumns(&out)
        return out
    }

    /// End of the series: every pending count and event becomes final.
    public mutating func finish() -> Completion {
        var out = FrameAnalysis(frame: max(0, state.nextFrame - 1), time: nil)
        let revisions = state.smoother.finish()
        handleFinal(revisions)
        out.revisions = revisions
        state.pendingEvents += state.tracker.finish()
        out.events = release(upTo: Int.max)
        return Completion(revisions: out.revisions, events: out.events)
    }

    /// What ``finish()`` adds: the last counts made final and the last events.
    public struct Completion: Sendable {
        public var revisions: [FixedLagSmoother.Revision]
        public var events: [TrackEvent]
    }

    private mutating func advanceWithoutColumns(_ out: inout FrameAnalysis) {
        out.revisions = state.smoother.add(frame: out.frame, observations: [], model: nil)
        handleFinal(out.revisions)
        out.events = release(upTo: out.frame - eventLag)
    }

    private mutating func smoothAndRelease(_ out: inout FrameAnalysis, columns: [Column]) {
        let n = columns.count
        out.counts = (out.rawCounts ?? []).map { Optional($0) }
        if out.counts.count != n { out.counts = [Int?](repeating: nil, count: n) }
        out.countFinal = [Bool](repeating: true, count: n)
        out.countConfidence = [Double?](repeating: nil, count: n)
        var observations: [(track: Int, observation: FixedLagSmoother.Observation)] = []
        if let raw = out.rawCounts, let links = out.links {
            for i in 0..<n {
                observations.append((links.trackIDs[i],
                                     .init(frame: out.frame, index: i, crossSection: out.crossSections[i], rawCount: raw[i],
                                           modelID: out.model?.id, x: columns[i].x, y: columns[i].y, time: out.time)))
            }
        }
        let revisions = state.smoother.add(frame: out.frame, observations: observations, model: out.model)
        handleFinal(revisions)
        for r in revisions {
            if r.frame == out.frame {
                out.counts[r.index] = r.count
                out.countFinal[r.index] = r.final
                out.countConfidence[r.index] = r.observation.confidence
            } else {
                out.revisions.append(r)
            }
        }
        if let links = out.links {
            for id in links.started where out.frame > (state.tracker.firstFrame ?? out.frame) { state.awaitingAppear.insert(id) }
            state.pendingEvents += links.events
        }
        out.events = release(upTo: out.frame - eventLag)
    }

    /// Count-change events from counts that became final, and first counts of new tracks.
    private mutating func handleFinal(_ revisions: [FixedLagSmoother.Revision]) {
        for r in revisions where r.final {
            let o = r.observation
            if let p = r.previous {
                if p.count != o.count {
                    state.pendingEvents.append(TrackEvent(kind: .countChange(o.count - p.count), frame: o.frame, time: o.time,
                                                          x: o.x, y: o.y, tracks: [r.track], before: p.count, after: o.count,
                                                          confidence: min(p.confidence, o.confidence)))
                }
            } else if state.awaitingAppear.remove(r.track) != nil {
                state.firstCounts[r.track] = o.count
            }
        }
    }

    /// Events of frames ≤ `frame`: appear/vanish completed with final counts, and the composites.
    private mutating func release(upTo frame: Int) -> [TrackEvent] {
        var ready = state.pendingEvents.filter { $0.frame <= frame }
        guard !ready.isEmpty else { return [] }
        state.pendingEvents.removeAll { $0.frame <= frame }
        for k in ready.indices {
            let id = ready[k].tracks[0]
            switch ready[k].kind {
            case .appear:
                ready[k].after = state.firstCounts.removeValue(forKey: id)
                state.awaitingAppear.remove(id)
            case .vanish:
                ready[k].before = state.smoother.lastFinal(track: id)?.count
                state.smoother.forget(track: id)
                state.firstCounts[id] = nil
            default:
                break
            }
        }
        ready = ready.filter { $0.kind != .hop && $0.kind != .merge && $0.kind != .split }
        ready.sort { ($0.frame, $0.tracks.first ?? 0, $0.kind.name) < ($1.frame, $1.tracks.first ?? 0, $1.kind.name) }
        let neighbour = state.tracker.settings.neighbourFraction * (state.tracker.spacing ?? 10)
        return ready + EventPairing.composites(ready, neighbourDistance: neighbour)
    }

    // MARK: Structure

    private mutating func measureStructure(_ out: inout FrameAnalysis, columns: [Column], pixelSize: Double?) {
        guard let structure else { return }
        let input = columns.indices.map { i in
            StructureColumn(x: columns[i].x, y: columns[i].y, count: out.counts[i], track: out.links?.trackIDs[i])
        }
        let st: FrameStructure
        do { st = try structure.analyze(input, framePixelSize: pixelSize) } catch {
            out.stageFailures["structure"] = error.description
            return
        }
        let drift = out.links?.drift
        let (ids, changes) = state.facets.update(frame: out.frame, facets: st.facets, driftX: drift?.x ?? 0, driftY: drift?.y ?? 0,
                                                 lengthScale: st.pixelSize ?? 1)
        out.structure = st
        out.facetIDs = ids
        out.facetEvents = changes
    }
}

/// Everything the pipeline found in one frame (and what it revised or released from earlier ones).
public struct FrameAnalysis: Sendable {
    /// Acquisition order (0-based).
    public var frame: Int
    /// Acquisition time, s.
    public var time: Double?
    /// The fit; nil when the frame failed (see `failure`).
    public var fit: FrameFit? = nil
    /// Why the frame has no columns (unreadable, or the fit failed).
    public var failure: String? = nil
    /// Stages after the fit that failed for this frame ("counting", "linking", "structure"), with the reason.
    public var stageFailures: [String: String] = [:]
    /// Cross-section of each column (image units × Å², × px² without a pixel size).
    public var crossSections: [Double] = []
    /// The counting model's count of each column, and the model (nil: not counted).
    public var rawCounts: [Int]? = nil
    public var model: CountingModel? = nil
    /// Whether the counter refitted its model on this frame.
    public var modelChanged = false
    /// Smoothed count of each column as known now, whether it is final, and its posterior probability.
    public var counts: [Int?] = []
    public var countFinal: [Bool] = []
    public var countConfidence: [Double?] = []
    /// Links, drift and track ids (nil: linking failed).
    public var links: FrameLinks? = nil
    /// Revised or finalised counts of earlier frames.
    public var revisions: [FixedLagSmoother.Revision] = []
    /// Events that became final with this frame (of this or earlier frames).
    public var events: [TrackEvent] = []
    /// Particles and facets (nil: stage off or no lattice), facet ids and facet events.
    public var structure: FrameStructure? = nil
    public var facetIDs: [Int] = []
    public var facetEvents: [FacetEvent] = []
    public var timings = Timings()

    public struct Timings: Sendable, Equatable {
        public var fit: Double? = nil
        public var count: Double? = nil
        public var track: Double? = nil
        public var smooth: Double? = nil
    }

    public init(frame: Int, time: Double?) { self.frame = frame; self.time = time }
}

/// A frame's fit, or why it failed (the reason as the frame's error).
public enum FitOutcome: Sendable, Codable {
    /// The fit and the seconds it took.
    case fitted(FrameFit, seconds: Double)
    case failed(String)

    /// JSON with non-finite numbers as strings (fits hold NaN standard errors where none exist);
    /// finite doubles are written with the digits that read back to the same bits.
    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try e.encode(self)
    }

    public static func decoded(_ data: Data) throws -> FitOutcome {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try d.decode(FitOutcome.self, from: data)
    }
}

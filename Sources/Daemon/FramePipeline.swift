import AtomCount
import ColumnFit
import Foundation
import Structure
import TIFFFrame
import Tracking
import TrajectoryStore

/// fit → count → link for one frame at a time, producing the store's records.
///
/// The state that remembers the past (the counting window and the tracker) is a plain
/// `Codable` value saved with every committed frame, so that after a crash the next start
/// continues exactly where the last committed frame left off and a resumed run writes the same
/// rows as an uninterrupted one.
public struct FramePipeline: Sendable {
    /// What the pipeline remembers between frames.
    public struct State: Codable, Sendable {
        public var counter: TimeSeriesCounter
        public var tracker: Tracker
        /// Facet ids across frames (absent in states saved before the structure stage existed).
        public var facets: FacetTracker?
        /// Acquisition order of the next frame.
        public var nextFrame: Int
    }

    public let fitSettings: FitSettings
    public private(set) var state: State
    public let temperatureLog: TemperatureLog?
    /// Particles and facets per frame; nil when switched off.
    public let structure: StructureAnalyzer?

    public init(configuration c: WatchConfiguration, resume: Data?, nextFrame: Int) throws {
        var s = FitSettings()
        s.pixelSize = c.pixelSize
        if let b = c.background { s.fitBackground = false; s.fixedBackground = b }
        if let g = c.gain { s.detector = .calibrated(gain: g, offset: c.offset) }
        fitSettings = s
        structure = c.structure
            ? try StructureAnalyzer(settings: StructureSettings(crystal: c.crystal, pixelSize: c.pixelSize)) : nil
        temperatureLog = try c.temperatureLog.map { path throws in try TemperatureLog.read(path: path) }
        if let resume, let saved = try? JSONDecoder().decode(State.self, from: resume), saved.nextFrame == nextFrame {
            state = saved
        } else {
            state = State(counter: TimeSeriesCounter(window: c.countWindow), tracker: try Tracker(), facets: FacetTracker(),
                          nextFrame: nextFrame)
        }
    }

    /// Analyses one frame read from `file` and returns what to store. Errors become a failed
    /// frame record with a reason; the pipeline state then advances only the frame number.
    public mutating func process(_ frame: Frame, file: FileState, identity: String, contentHash: String,
                                 readSeconds: Double) -> FrameResult {
        let order = state.nextFrame
        state.nextFrame += 1
        let acquired = file.modified
        let temperature = temperatureLog?.temperature(at: acquired)
        var record = TrajectoryStore.FrameRecord(frame: order, path: identity, contentHash: contentHash, fileSize: file.size,
                                 modified: file.modified, acquiredAt: acquired, temperature: temperature,
                                 imageWidth: frame.width, imageHeight: frame.height,
                                 pixelSize: fitSettings.pixelSize ?? frame.pixelSize)
        record.device = file.device
        record.inode = file.inode
        record.changed = file.changed
        var timings = StageTimings(read: readSeconds)
        let clock = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        let t0 = clock()
        let fit: FrameFit
        do {
            fit = try ColumnFitter(settings: fitSettings).fit(frame)
        } catch {
            return failed(record, reason: "\(error)", timings: timings)
        }
        let t1 = clock()
        timings.fit = t1 - t0
        let px = fit.pixelSize
        let crossSections = fit.columns.map { $0.crossSection(pixelSize: px) }
        var counts: [Int]? = nil
        var model: CountingModel? = nil
        if let r = try? state.counter.count(frame: crossSections) {
            counts = r.counts
            model = r.model
        }
        let t2 = clock()
        timings.count = t2 - t1
        var links: FrameLinks? = nil
        do {
            links = try state.tracker.link(frame: order, time: acquired,
                                           detections: Detection.from(fit.columns, pixelSize: px, counts: counts))
        } catch {
            // Linking failed (e.g. no columns): the frame is kept, its columns unlinked.
        }
        timings.track = clock() - t2
        timings.total = readSeconds + clock() - t0
        record.background = fit.background
        record.sharedWidth = fit.sharedWidth
        record.estimator = fit.estimator.rawValue
        record.iterations = fit.iterations
        record.converged = fit.converged
        record.driftX = links?.drift.x
        record.driftY = links?.drift.y
        record.modelID = model?.id
        record.timings = timings
        var warnings = fit.warnings
        if fit.repairedPixels.total > 0 {
            warnings.append("\(fit.repairedPixels.nonFinite) NaN/Inf and \(fit.repairedPixels.outliers) isolated outlier "
                + "pixels (hot, saturated or dead) replaced by their neighbours' median")
        }
        record.quality = warnings.isEmpty ? nil : warnings.joined(separator: "; ")
        record.processedAt = Date().timeIntervalSince1970
        let columns = fit.columns.enumerated().map { i, c in
            ColumnRecord(x: c.x, y: c.y, sigmaX: c.sigmaX.isFinite ? c.sigmaX : nil, sigmaY: c.sigmaY.isFinite ? c.sigmaY : nil,
                         width: c.width, height: c.height, sigmaHeight: c.sigmaHeight.isFinite ? c.sigmaHeight : nil,
                         crossSection: crossSections[i], crlbX: c.crlbX, crlbY: c.crlbY,
                         count: counts?[i], track: links?.trackIDs[i])
        }
        var events = (links?.events ?? []).map { e in
            EventRecord(kind: e.kind.name, frame: e.frame, x: e.x, y: e.y, track: e.tracks.first,
                        otherTrack: e.tracks.dropFirst().first, before: e.before, after: e.after,
                        delta: e.atomChange, confidence: e.confidence)
        }
        let shape = measureStructure(frame: order, columns: columns, pixelSize: px, drift: links?.drift)
        events += shape.events
        let modelRecord = model.map {
            CountingModelRecord(id: $0.id, source: $0.source.rawValue, counts: $0.counts, means: $0.means,
                                proportions: $0.proportions, sigma: $0.sigma, poissonScale: $0.poissonScale, firstFrame: order)
        }
        return FrameResult(frame: record, columns: columns, events: events, facets: shape.facets,
                           particles: shape.particles, model: modelRecord, resumeState: try? JSONEncoder().encode(state))
    }

    /// Particles, facets and facet events of a frame; nothing when the stage is off or the
    /// columns show no lattice (the facet ids then continue with the next frame that does).
    private mutating func measureStructure(frame: Int, columns: [ColumnRecord], pixelSize: Double?,
                                           drift: Tracking.Point?)
        -> (facets: [FacetRecord], particles: [ParticleRecord], events: [EventRecord]) {
        guard let structure else { return ([], [], []) }
        let input = columns.map { StructureColumn(x: $0.x, y: $0.y, count: $0.count, track: $0.track) }
        guard let st = try? structure.analyze(input, framePixelSize: pixelSize) else { return ([], [], []) }
        var tracker = state.facets ?? FacetTracker()
        let (ids, changes) = tracker.update(frame: frame, facets: st.facets, driftX: drift?.x ?? 0, driftY: drift?.y ?? 0,
                                            lengthScale: st.pixelSize ?? 1)
        state.facets = tracker
        let facets = st.facets.enumerated().map { k, f in
            FacetRecord(frame: frame, index: k, family: f.family, x0: f.x0, y0: f.y0, x1: f.x1, y1: f.y1,
                        columns: f.columns.count, length: f.length, angle: f.angle,
                        extra: FacetExtra(facet: ids[k], particle: f.particle, normal_angle: f.normalAngle,
                                          spacing: f.spacing, tracks: f.tracks).json)
        }
        let particles = st.particles.map { p in
            ParticleRecord(frame: frame, index: p.index, columns: p.columns.count, surfaceColumns: p.surfaceColumns,
                           atoms: p.atoms, area: p.area, perimeter: p.perimeter, centreX: p.centreX, centreY: p.centreY,
                           radiusOfGyration: p.radiusOfGyration, aspectRatio: p.aspectRatio)
        }
        let events = changes.map { e in
            EventRecord(kind: e.kind.rawValue, frame: frame, x: e.x, y: e.y, track: e.facet, before: e.before,
                        after: e.after, delta: (e.after ?? 0) - (e.before ?? 0), confidence: 1)
        }
        return (facets, particles, events)
    }

    /// The same frame as `result` (same number, file and state), recorded as failed with `reason`:
    /// for results the store cannot hold.
    public func failedInstead(of result: FrameResult, reason: String) -> FrameResult {
        var record = result.frame
        record.status = .failed
        record.error = reason
        record.background = nil; record.sharedWidth = nil; record.modelID = nil
        record.driftX = nil; record.driftY = nil
        // The model stays: later frames counted with it refer to it.
        return FrameResult(frame: record, model: result.model, resumeState: result.resumeState)
    }

    /// A file that could not be read: recorded as failed with its reason.
    public mutating func failedFile(_ file: FileState?, path: String, reason: String, contentHash: String) -> FrameResult {
        let order = state.nextFrame
        state.nextFrame += 1
        var record = TrajectoryStore.FrameRecord(frame: order, path: path, contentHash: contentHash, fileSize: file?.size,
                                 modified: file?.modified, status: .failed, error: reason)
        record.device = file?.device
        record.inode = file?.inode
        record.changed = file?.changed
        return FrameResult(frame: record, resumeState: try? JSONEncoder().encode(state))
    }

    private func failed(_ r: TrajectoryStore.FrameRecord, reason: String, timings: StageTimings) -> FrameResult {
        var record = r
        record.status = .failed
        record.error = reason
        record.timings = timings
        return FrameResult(frame: record, resumeState: try? JSONEncoder().encode(state))
    }
}

/// The `extra` JSON of a stored facet (keys documented in SCHEMA.md).
struct FacetExtra: Codable {
    var facet: Int
    var particle: Int
    var normal_angle: Double
    var spacing: Double
    var tracks: [Int]

    var json: String? {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return (try? e.encode(self)).flatMap { String(data: $0, encoding: .utf8) }
    }
}

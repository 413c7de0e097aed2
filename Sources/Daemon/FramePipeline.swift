import Analysis
import AtomCount
import ColumnFit
import Foundation
import Structure
import TIFFFrame
import Tracking
import TrajectoryStore
import StemCore

/// The daemon's side of the analysis: runs the ``Pipeline`` on each frame and maps what it finds
/// to the store's records (the one mapping from domain values to rows; `watch` and `process`
/// both use it).
///
/// The pipeline's state (counting window, tracker, smoother, facets, pending events) is saved
/// with every committed frame, so that after a crash the next start continues exactly where the
/// last committed frame left off and a resumed run writes the same rows as an uninterrupted one.
/// A saved state that cannot be continued is never silently replaced: the start is refused with
/// the reason (``AnalysisError/unusableState(_:)``).
public struct FramePipeline: Sendable {
    public private(set) var pipeline: Pipeline
    /// The holder log, followed while it grows.
    public private(set) var temperatureLog: LiveTemperatureLog?
    public var settings: AnalysisSettings { pipeline.settings }
    public var state: Pipeline.State { pipeline.state }
    /// Settings that differ from those of the resumed state ("key: old → new"); empty for a fresh start.
    public let changedSettings: [String]

    public init(configuration c: WatchConfiguration, resume: Data?, nextFrame: Int) throws {
        let settings = try c.analysisSettings()
        temperatureLog = try c.temperatureLog.map { path throws in try LiveTemperatureLog(path: path, clockOffset: c.holderClockOffset, timeColumn: c.holderTimeColumn, elapsedStart: c.holderElapsedStart) }
        var saved: Pipeline.State? = nil
        if let resume {
            do {
                saved = try JSONDecoder().decode(Pipeline.State.self, from: resume)
            } catch {
                throw AnalysisError.unusableState("""
                    the analysis state saved with the last stored frame cannot be read by \(StemTrackVersion.described) \
                    (\(Self.describe(error))); it was written by another version or is damaged. Nothing was changed. \
                    Continue this series with the version that wrote it, or analyse it again into a new database \
                    (--db NEW.sqlite)
                    """)
            }
            if saved!.nextFrame != nextFrame {
                throw AnalysisError.unusableState("""
                    the saved analysis state continues at frame \(saved!.nextFrame) but the store holds frames up to \
                    \(nextFrame - 1); the store was changed by something else. Nothing was changed; analyse the series \
                    into a new database (--db NEW.sqlite)
                    """)
            }
        }
        pipeline = try Pipeline(settings: settings, state: saved, nextFrame: nextFrame)
        changedSettings = saved == nil ? [] : pipeline.changedSettings
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "no '\(key.stringValue)' at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context):
            return "\(context.debugDescription) at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default:
            return "\(error)"
        }
    }

    /// Analyses one frame read from `file` and returns what to store. A failed fit becomes a
    /// failed frame record with its reason; failures of later stages are kept in the frame's
    /// `extra` JSON (`stage_failures`) and in its quality warnings.
    public mutating func process(_ frame: Frame, file: FileState, identity: String, contentHash: String,
                                 readSeconds: Double, fitted: FitOutcome? = nil) -> FrameResult {
        // The microscope's time when the file carries it, else the file's modification time.
        let acquired = frame.acquiredAt ?? file.modified
        let a = pipeline.analyze(frame, time: acquired, fitted: fitted)
        let reading = temperatureLog?.reading(at: acquired)
        var record = FrameRecord(frame: a.frame, path: identity, contentHash: contentHash, fileSize: file.size,
                                                 modified: file.modified, acquiredAt: acquired,
                                                 temperature: reading?.celsius,
                                                 imageWidth: frame.width, imageHeight: frame.height,
                                                 pixelSize: settings.fit.pixelSize ?? frame.pixelSize)
        record.device = file.device
        record.inode = file.inode
        record.changed = file.changed
        if let reading, let log = temperatureLog {
            record.temperatureSource = log.source(line: reading.line)
            record.holder = log.channelsJSON(at: acquired)
        }
        var clockWarning: String? = nil
        if reading == nil, let span = temperatureLog?.log?.span {
            // A frame before the log, or long after it: the two PCs' clocks probably disagree.
            if acquired < span.lowerBound {
                clockWarning = String(format: "no holder temperature: acquired %.0f s before the holder log's first sample "
                    + "(check the two PCs' clocks, or set holder_clock_offset)", span.lowerBound - acquired)
            } else if acquired > span.upperBound + 600 {
                clockWarning = String(format: "no holder temperature yet: acquired %.0f s after the holder log's last sample "
                    + "(is the log still written? check the clocks, or set holder_clock_offset)", acquired - span.upperBound)
            }
        }
        record.timeSource = frame.acquiredAt != nil ? Frame.TimeSource.metadata.rawValue : Frame.TimeSource.fileTime.rawValue
        record.timings = StageTimings(read: readSeconds, fit: a.timings.fit, count: a.timings.count,
                                      track: a.timings.track.map { $0 + (a.timings.smooth ?? 0) })
        record.processedAt = Date().timeIntervalSince1970
        var result = Self.result(of: a, record: record, readSeconds: readSeconds, state: encodedState())
        if let clockWarning {
            result.frame.quality = result.frame.quality.map { $0 + "; " + clockWarning } ?? clockWarning
        }
        return result
    }

    /// The store's records of one analysed frame (`record` holds the file's side).
    static func result(of a: FrameAnalysis, record base: FrameRecord, readSeconds: Double,
                       state: Data?) -> FrameResult {
        var record = base
        let revisions = a.revisions.map { CountRevision(frame: $0.frame, index: $0.index, count: $0.count, final: $0.final) }
        let events = a.events.map(eventRecord)
        guard let fit = a.fit else {
            record.status = .failed
            record.error = a.failure
            return FrameResult(frame: record, events: events, resumeState: state, revisions: revisions)
        }
        record.background = fit.background
        record.sharedWidth = fit.sharedWidth
        record.estimator = fit.estimator.rawValue
        record.iterations = fit.iterations
        record.converged = fit.converged
        record.driftX = a.links?.drift.x
        record.driftY = a.links?.drift.y
        record.rotation = a.links?.transform.rotation
        record.scale = a.links?.transform.scale
        record.modelID = a.rawCounts == nil ? nil : a.model?.id
        record.timings.total = readSeconds + (record.timings.fit ?? 0) + (record.timings.count ?? 0) + (record.timings.track ?? 0)
        var warnings = fit.warnings
        if fit.repairedPixels.total > 0 {
            warnings.append("\(fit.repairedPixels.nonFinite) NaN/Inf and \(fit.repairedPixels.outliers) isolated outlier "
                + "pixels (hot, saturated or dead) replaced by their neighbours' median")
        }
        for (stage, reason) in a.stageFailures.sorted(by: { $0.key < $1.key }) { warnings.append("\(stage) failed: \(reason)") }
        record.quality = warnings.isEmpty ? nil : warnings.joined(separator: "; ")
        if !a.stageFailures.isEmpty {
            let e = JSONEncoder()
            e.outputFormatting = .sortedKeys
            record.extra = (try? e.encode(["stage_failures": a.stageFailures])).map { String(decoding: $0, as: UTF8.self) }
        }
        let columns = fit.columns.enumerated().map { i, c in
            ColumnRecord(x: c.x, y: c.y, sigmaX: c.sigmaX.isFinite ? c.sigmaX : nil, sigmaY: c.sigmaY.isFinite ? c.sigmaY : nil,
                         width: c.width, height: c.height, sigmaHeight: c.sigmaHeight.isFinite ? c.sigmaHeight : nil,
                         crossSection: a.crossSections[i], crlbX: c.crlbX, crlbY: c.crlbY,
                         count: a.counts[i], track: a.links?.trackIDs[i], rawCount: a.rawCounts?[i],
                         countFinal: a.countFinal[i])
        }
        var allEvents = events
        var facets: [FacetRecord] = [], particles: [ParticleRecord] = []
        if let st = a.structure {
            facets = st.facets.enumerated().map { k, f in
                FacetRecord(frame: a.frame, index: k, family: f.family, x0: f.x0, y0: f.y0, x1: f.x1, y1: f.y1,
                            columns: f.columns.count, length: f.length, angle: f.angle,
                            extra: FacetExtra(facet: a.facetIDs[k], particle: f.particle, normal_angle: f.normalAngle,
                                              spacing: f.spacing, tracks: f.tracks).json)
            }
            particles = st.particles.map { p in
                ParticleRecord(frame: a.frame, index: p.index, columns: p.columns.count, surfaceColumns: p.surfaceColumns,
                               atoms: p.atoms, area: p.area, perimeter: p.perimeter, centreX: p.centreX, centreY: p.centreY,
                               radiusOfGyration: p.radiusOfGyration, aspectRatio: p.aspectRatio)
            }
            allEvents += a.facetEvents.map { e in
                EventRecord(kind: e.kind.rawValue, frame: a.frame, x: e.x, y: e.y, track: e.facet, before: e.before,
                            after: e.after, delta: (e.after ?? 0) - (e.before ?? 0), confidence: 1)
            }
        }
        let model = a.rawCounts == nil ? nil : a.model.map {
            CountingModelRecord(id: $0.id, source: $0.source.rawValue, counts: $0.counts, means: $0.means,
                                proportions: $0.proportions, sigma: $0.sigma, poissonScale: $0.poissonScale, firstFrame: a.frame)
        }
        return FrameResult(frame: record, columns: columns, events: allEvents, facets: facets, particles: particles,
                           model: model, resumeState: state, revisions: revisions)
    }

    static func eventRecord(_ e: TrackEvent) -> EventRecord {
        EventRecord(kind: e.kind.name, frame: e.frame, x: e.x, y: e.y, track: e.tracks.first,
                    otherTrack: e.tracks.dropFirst().first, before: e.before, after: e.after,
                    delta: e.atomChange, confidence: e.confidence)
    }

    private func encodedState() -> Data? { try? JSONEncoder().encode(pipeline.state) }

    /// Reads the holder log again if it changed.
    public mutating func refreshTemperatureLog() { temperatureLog?.refresh() }

    /// Temperatures for stored frames that had none (acquired after the log's end when stored),
    /// now that the log reaches them. `awaiting` lists them (frame, acquisition time).
    public mutating func temperatureFills(_ awaiting: [(frame: Int, acquiredAt: Double)]) -> [TemperatureFill] {
        guard var log = temperatureLog else { return [] }
        defer { temperatureLog = log }
        return awaiting.compactMap { f in
            guard let r = log.reading(at: f.acquiredAt) else { return nil }
            return TemperatureFill(frame: f.frame, celsius: r.celsius, source: log.source(line: r.line),
                                   holder: log.channelsJSON(at: f.acquiredAt))
        }
    }

    /// End of the series: the last counts made final and the last events, with the state.
    public mutating func finish() -> (revisions: [CountRevision], events: [EventRecord], lastFrame: Int, state: Data?) {
        let c = pipeline.finish()
        return (c.revisions.map { CountRevision(frame: $0.frame, index: $0.index, count: $0.count, final: $0.final) },
                c.events.map(Self.eventRecord), max(0, pipeline.state.nextFrame - 1), encodedState())
    }

    /// The same frame as `result` (same number, file and state), recorded as failed with `reason`:
    /// for results the store cannot hold. Its revisions and events of earlier frames are kept.
    public func failedInstead(of result: FrameResult, reason: String) -> FrameResult {
        var record = result.frame
        record.status = .failed
        record.error = reason
        record.background = nil; record.sharedWidth = nil; record.modelID = nil
        record.driftX = nil; record.driftY = nil; record.rotation = nil; record.scale = nil
        // The model stays: later frames counted with it refer to it.
        return FrameResult(frame: record, events: result.events.filter { $0.frame < record.frame },
                           model: result.model, resumeState: result.resumeState,
                           revisions: result.revisions)
    }

    /// A file that could not be read: recorded as failed with its reason.
    public mutating func failedFile(_ file: FileState?, path: String, reason: String, contentHash: String) -> FrameResult {
        let a = pipeline.skip(reason: reason, time: file?.modified)
        var record = FrameRecord(frame: a.frame, path: path, contentHash: contentHash, fileSize: file?.size,
                                                 modified: file?.modified, status: .failed, error: reason)
        record.device = file?.device
        record.inode = file?.inode
        record.changed = file?.changed
        return Self.result(of: a, record: record, readSeconds: 0, state: encodedState())
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

import AtomCount
import ColumnFit
import Foundation
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
        /// Acquisition order of the next frame.
        public var nextFrame: Int
    }

    public let fitSettings: FitSettings
    public private(set) var state: State
    public let temperatureLog: TemperatureLog?

    public init(configuration c: WatchConfiguration, resume: Data?, nextFrame: Int) throws {
        var s = FitSettings()
        s.pixelSize = c.pixelSize
        if let b = c.background { s.fitBackground = false; s.fixedBackground = b }
        if let g = c.gain { s.detector = .calibrated(gain: g, offset: c.offset) }
        fitSettings = s
        temperatureLog = try c.temperatureLog.map { path throws in try TemperatureLog.read(path: path) }
        if let resume, let saved = try? JSONDecoder().decode(State.self, from: resume), saved.nextFrame == nextFrame {
            state = saved
        } else {
            state = State(counter: TimeSeriesCounter(window: c.countWindow), tracker: try Tracker(), nextFrame: nextFrame)
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
        record.processedAt = Date().timeIntervalSince1970
        let columns = fit.columns.enumerated().map { i, c in
            ColumnRecord(x: c.x, y: c.y, sigmaX: c.sigmaX.isFinite ? c.sigmaX : nil, sigmaY: c.sigmaY.isFinite ? c.sigmaY : nil,
                         width: c.width, height: c.height, sigmaHeight: c.sigmaHeight.isFinite ? c.sigmaHeight : nil,
                         crossSection: crossSections[i], crlbX: c.crlbX, crlbY: c.crlbY,
                         count: counts?[i], track: links?.trackIDs[i])
        }
        let events = (links?.events ?? []).map { e in
            EventRecord(kind: e.kind.name, frame: e.frame, x: e.x, y: e.y, track: e.tracks.first,
                        otherTrack: e.tracks.dropFirst().first, before: e.before, after: e.after,
                        delta: e.atomChange, confidence: e.confidence)
        }
        let modelRecord = model.map {
            CountingModelRecord(id: $0.id, source: $0.source.rawValue, counts: $0.counts, means: $0.means,
                                proportions: $0.proportions, sigma: $0.sigma, poissonScale: $0.poissonScale, firstFrame: order)
        }
        return FrameResult(frame: record, columns: columns, events: events, model: modelRecord,
                           resumeState: try? JSONEncoder().encode(state))
    }

    /// A file that could not be read: recorded as failed with its reason.
    public mutating func failedFile(_ file: FileState?, path: String, reason: String, contentHash: String) -> FrameResult {
        let order = state.nextFrame
        state.nextFrame += 1
        let record = TrajectoryStore.FrameRecord(frame: order, path: path, contentHash: contentHash, fileSize: file?.size,
                                 modified: file?.modified, status: .failed, error: reason)
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

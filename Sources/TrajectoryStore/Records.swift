import Foundation

// Plain value types stored by the trajectory store. They mirror the pipeline's data (fitted
// columns, counting models, tracks, events, facets) without depending on the analysis modules;
// the pipeline maps its values to these. Units: positions and widths in pixels (x = column index,
// y = row index, centre of pixel (0,0) at (0,0)), times in seconds since 1970 (Unix time),
// temperatures in °C, cross-sections in image units × Å² (× px² without a pixel size).

/// One processing session: the settings and software that produced the frames it wrote.
public struct SessionRecord: Codable, Sendable, Equatable {
    /// Assigned by ``FrameStore/beginSession(_:)``.
    public var id: Int64?
    /// Unix time the run started and stopped, s (`stoppedAt` nil: still running, or it did not stop
    /// cleanly — a later run then resumed it).
    public var startedAt: Double
    public var stoppedAt: Double?
    /// Version of the software that processed the frames.
    public var softwareVersion: String
    /// Processing settings, as JSON text (whatever the pipeline wants to keep).
    public var settings: String
    /// Acquisition directory being processed.
    public var directory: String?
    public var host: String?

    public init(id: Int64? = nil, startedAt: Double = Date().timeIntervalSince1970, stoppedAt: Double? = nil,
                softwareVersion: String, settings: String = "{}", directory: String? = nil, host: String? = nil) {
        self.id = id; self.startedAt = startedAt; self.stoppedAt = stoppedAt
        self.softwareVersion = softwareVersion; self.settings = settings; self.directory = directory; self.host = host
    }
}

/// Outcome of processing one frame file.
public enum FrameStatus: String, Codable, Sendable, CaseIterable {
    /// Fitted (possibly with zero columns).
    case ok
    /// Could not be processed; ``FrameRecord/error`` says why. Such a frame has no columns.
    case failed
}

/// Seconds spent in each stage of processing one frame (nil: stage not run or not timed).
public struct StageTimings: Codable, Sendable, Equatable {
    public var read: Double?
    public var find: Double?
    public var fit: Double?
    public var count: Double?
    public var track: Double?
    /// Time to write the frame's results; filled in by the store (until just before the commit).
    public var store: Double?
    /// Whole processing time of the frame, as the pipeline measured it.
    public var total: Double?

    public init(read: Double? = nil, find: Double? = nil, fit: Double? = nil, count: Double? = nil,
                track: Double? = nil, store: Double? = nil, total: Double? = nil) {
        self.read = read; self.find = find; self.fit = fit; self.count = count
        self.track = track; self.store = store; self.total = total
    }
}

/// One frame: the file it came from, when it was acquired, how processing went, and per-frame
/// aggregates of its columns (filled in by the store from ``FrameResult/columns``).
public struct FrameRecord: Codable, Sendable, Equatable {
    /// 0-based acquisition order in the series: the frame's number everywhere in the store.
    public var frame: Int
    /// Run that wrote the frame (set by ``FrameStore/write(_:run:)``).
    public var runID: Int64?
    /// File path, size in bytes, modification time (Unix s) and content hash. (content hash, path)
    /// identifies a frame: writing the same pair again adds nothing.
    public var path: String
    public var fileSize: Int?
    public var modified: Double?
    public var contentHash: String
    /// Acquisition time, Unix s, and specimen temperature, °C (nil: unknown).
    public var acquiredAt: Double?
    public var temperature: Double?
    public var status: FrameStatus
    /// Why processing failed (status `failed`).
    public var error: String?
    /// Image size, px, and pixel size, Å/px (nil: unknown).
    public var imageWidth: Int?
    public var imageHeight: Int?
    public var pixelSize: Double?
    /// Fitted background ζ (image units) and shared Gaussian width ρ in "same width" mode, px.
    public var background: Double?
    public var sharedWidth: Double?
    /// Estimator ("least-squares", "ml", …), outer iterations and convergence of the fit.
    public var estimator: String?
    public var iterations: Int?
    public var converged: Bool?
    /// Cumulative stage drift of this frame relative to the first, px.
    public var driftX: Double?
    public var driftY: Double?
    /// Cumulative rotation of this frame relative to the first, degrees (positive turns +x toward
    /// +y), and the cumulative scale (1: none); nil when not linked.
    public var rotation: Double? = nil
    public var scale: Double? = nil
    /// Where `acquiredAt` comes from: `metadata` (the microscope's, in the file) or `file_time`
    /// (the file's modification time); nil in stores written before version 4.
    public var timeSource: String? = nil
    /// Where `temperature` comes from ("<log file>:<line>", the later of the two log lines it is
    /// interpolated between) and, for a frame stored before its log line existed, when it was filled
    /// in (Unix s; nil: known when the frame was stored).
    public var temperatureSource: String? = nil
    /// Every channel of the holder log at the frame's time, JSON {"Channel B Current (Amps)": …}
    /// (heating power/current/voltage/resistance, pressure, gas), when the log has them.
    public var holder: String? = nil
    public var temperatureFilledAt: Double? = nil
    /// Counting model that counted the frame's columns (``CountingModelRecord/id``).
    public var modelID: String?
    public var timings: StageTimings
    /// Unix time the frame was written.
    public var processedAt: Double?
    /// Anything else, as JSON text.
    public var extra: String?
    /// The file's device and inode numbers and its status-change time (Unix s): with size and
    /// modification time they recognise a stored file after a restart or a rename without reading it.
    public var device: Int64?
    public var inode: Int64?
    public var changed: Double?
    /// Why the result is implausible (the fit's warnings, "; "-separated); nil: nothing noticed.
    public var quality: String?
    /// Whether this frame completes its file (false for all but the last page of a stack): only
    /// then is the file's key written, so that a file is known as stored only once all its pages are.
    /// Not stored.
    public var completesFile: Bool = true

    // Aggregates, computed by the store when writing (inputs are ignored).
    /// Columns in the frame, columns with a count, their atoms in total, and the mean cross-section.
    public package(set) var columnCount: Int = 0
    public package(set) var countedColumns: Int = 0
    public package(set) var atoms: Int? = nil
    public package(set) var meanCrossSection: Double? = nil
    /// Columns whose count may still be revised by smoothing (0: the frame's counts are final, and
    /// its atoms never change again).
    public package(set) var countsPending: Int = 0

    public init(frame: Int, path: String, contentHash: String, fileSize: Int? = nil, modified: Double? = nil,
                acquiredAt: Double? = nil, temperature: Double? = nil, status: FrameStatus = .ok,
                error: String? = nil, imageWidth: Int? = nil, imageHeight: Int? = nil, pixelSize: Double? = nil,
                background: Double? = nil, sharedWidth: Double? = nil, estimator: String? = nil,
                iterations: Int? = nil, converged: Bool? = nil, driftX: Double? = nil, driftY: Double? = nil,
                modelID: String? = nil, timings: StageTimings = StageTimings(), processedAt: Double? = nil,
                extra: String? = nil) {
        self.frame = frame; self.path = path; self.contentHash = contentHash; self.fileSize = fileSize
        self.modified = modified; self.acquiredAt = acquiredAt; self.temperature = temperature
        self.status = status; self.error = error; self.imageWidth = imageWidth; self.imageHeight = imageHeight
        self.pixelSize = pixelSize; self.background = background; self.sharedWidth = sharedWidth
        self.estimator = estimator; self.iterations = iterations; self.converged = converged
        self.driftX = driftX; self.driftY = driftY; self.modelID = modelID; self.timings = timings
        self.processedAt = processedAt; self.extra = extra
    }
}

/// One fitted atomic column of a frame. Its index in the frame is its position in
/// ``FrameResult/columns``.
///
/// Stored compactly (see SCHEMA.md): positions to 0.001 px, widths, standard errors and bounds to
/// 0.0001 px, heights and cross-sections to a store-wide quantum of about 10⁻⁶ of the first
/// frame's median value. Values read back differ from those written by at most half of that.
public struct ColumnRecord: Codable, Sendable, Equatable {
    /// Position, px.
    public var x: Double
    public var y: Double
    /// Standard errors of the position, px.
    public var sigmaX: Double?
    public var sigmaY: Double?
    /// Gaussian width ρ, px (stored as "the frame's shared width" when equal to it).
    public var width: Double
    /// Peak height η above the background and its standard error, image units.
    public var height: Double
    public var sigmaHeight: Double?
    /// Scattering cross-section 2π·η·ρ², image units × Å² (× px² without a pixel size).
    public var crossSection: Double
    /// Cramér–Rao lower bound of the position, px.
    public var crlbX: Double?
    public var crlbY: Double?
    /// Atoms in the column (nil: not counted): the smoothed count when the counts are smoothed
    /// along tracks, else the counting model's.
    public var count: Int?
    /// Track the column belongs to (nil: not linked).
    public var track: Int?
    /// The counting model's own count (nil: same as `count`).
    public var rawCount: Int? = nil
    /// Whether `count` is final (false: a later frame may still revise it).
    public var countFinal: Bool = true

    public init(x: Double, y: Double, sigmaX: Double? = nil, sigmaY: Double? = nil, width: Double, height: Double,
                sigmaHeight: Double? = nil, crossSection: Double, crlbX: Double? = nil, crlbY: Double? = nil,
                count: Int? = nil, track: Int? = nil, rawCount: Int? = nil, countFinal: Bool = true) {
        self.x = x; self.y = y; self.sigmaX = sigmaX; self.sigmaY = sigmaY; self.width = width
        self.height = height; self.sigmaHeight = sigmaHeight; self.crossSection = crossSection
        self.crlbX = crlbX; self.crlbY = crlbY; self.count = count; self.track = track
        self.rawCount = rawCount; self.countFinal = countFinal
    }
}

/// The holder temperature of an earlier frame, known only now that the log caught up with it;
/// written in the transaction of a later frame.
public struct TemperatureFill: Codable, Sendable, Equatable {
    public var frame: Int
    public var celsius: Double
    public var source: String
    /// Every holder channel at the frame's time (JSON, as ``FrameRecord/holder``).
    public var holder: String?
    public init(frame: Int, celsius: Double, source: String, holder: String? = nil) {
        self.frame = frame; self.celsius = celsius; self.source = source; self.holder = holder
    }
}

/// A revised count of a column of an earlier frame, written in the transaction of a later frame.
public struct CountRevision: Codable, Sendable, Equatable {
    public var frame: Int
    /// Index of the column in its frame.
    public var index: Int
    public var count: Int
    /// Whether the count is now final.
    public var final: Bool

    public init(frame: Int, index: Int, count: Int, final: Bool) {
        self.frame = frame; self.index = index; self.count = count; self.final = final
    }
}

/// Something that changed in the series (see the Tracking module's `TrackEvent`).
public struct EventRecord: Codable, Sendable, Equatable {
    /// Assigned by the store.
    public var id: Int64?
    /// appear, vanish, count_change, hop, merge, split, facet_appeared, facet_vanished, facet_grew,
    /// facet_shrank (any short name is accepted).
    public var kind: String
    /// Frame at which the new state is first seen.
    public var frame: Int
    /// Position in that frame, px.
    public var x: Double
    public var y: Double
    /// Tracks involved: primary (hop: source; merge: vanishing; split: source) and other.
    public var track: Int?
    public var otherTrack: Int?
    /// Atoms before and after (primitive events) and the change.
    public var before: Int?
    public var after: Int?
    public var delta: Int?
    /// Confidence in [0, 1].
    public var confidence: Double
    /// Acquisition time of the event's frame, Unix s: filled when read back (not stored with the event).
    public var acquiredAt: Double? = nil

    public init(id: Int64? = nil, kind: String, frame: Int, x: Double, y: Double, track: Int? = nil,
                otherTrack: Int? = nil, before: Int? = nil, after: Int? = nil, delta: Int? = nil, confidence: Double) {
        self.id = id; self.kind = kind; self.frame = frame; self.x = x; self.y = y; self.track = track
        self.otherTrack = otherTrack; self.before = before; self.after = after; self.delta = delta
        self.confidence = confidence
    }
}

/// One facet of the particle in a frame: a straight run of surface columns.
public struct FacetRecord: Codable, Sendable, Equatable {
    public var frame: Int
    /// Index of the facet in its frame.
    public var index: Int
    /// Plane family, e.g. "{111}".
    public var family: String?
    /// End points, px.
    public var x0: Double
    public var y0: Double
    public var x1: Double
    public var y1: Double
    /// Surface columns on the facet.
    public var columns: Int?
    /// Length, Å (px without a pixel size), and direction, degrees from the +x axis.
    public var length: Double?
    public var angle: Double?
    /// Anything else, as JSON text.
    public var extra: String?

    public init(frame: Int, index: Int, family: String? = nil, x0: Double, y0: Double, x1: Double, y1: Double,
                columns: Int? = nil, length: Double? = nil, angle: Double? = nil, extra: String? = nil) {
        self.frame = frame; self.index = index; self.family = family; self.x0 = x0; self.y0 = y0
        self.x1 = x1; self.y1 = y1; self.columns = columns; self.length = length; self.angle = angle; self.extra = extra
    }
}

/// A counting model (mixture or scaled library): one Gaussian per atom count.
/// One particle in a frame: a connected group of columns. Lengths in Å (px without a pixel
/// size), areas in Å² (px²), centre in px.
public struct ParticleRecord: Codable, Sendable, Equatable {
    public var frame: Int
    /// Index in its frame, largest particle first.
    public var index: Int
    public var columns: Int
    public var surfaceColumns: Int
    /// Sum of its columns' counts; nil when not all are counted.
    public var atoms: Int?
    public var area: Double
    public var perimeter: Double
    public var centreX: Double
    public var centreY: Double
    public var radiusOfGyration: Double
    public var aspectRatio: Double

    public init(frame: Int, index: Int, columns: Int, surfaceColumns: Int, atoms: Int?, area: Double, perimeter: Double,
                centreX: Double, centreY: Double, radiusOfGyration: Double, aspectRatio: Double) {
        self.frame = frame; self.index = index; self.columns = columns; self.surfaceColumns = surfaceColumns
        self.atoms = atoms; self.area = area; self.perimeter = perimeter; self.centreX = centreX
        self.centreY = centreY; self.radiusOfGyration = radiusOfGyration; self.aspectRatio = aspectRatio
    }
}

public struct CountingModelRecord: Codable, Sendable, Equatable {
    /// Stable identifier ("gmm-10-…", "lib-…").
    public var id: String
    /// "mixture" or "library".
    public var source: String
    public var counts: [Int]
    public var means: [Double]
    public var proportions: [Double]
    public var sigma: Double
    public var poissonScale: Double?
    /// First frame counted with it (set by the store when the model is first written).
    public var firstFrame: Int?

    public init(id: String, source: String, counts: [Int], means: [Double], proportions: [Double], sigma: Double,
                poissonScale: Double? = nil, firstFrame: Int? = nil) {
        self.id = id; self.source = source; self.counts = counts; self.means = means
        self.proportions = proportions; self.sigma = sigma; self.poissonScale = poissonScale; self.firstFrame = firstFrame
    }
}

/// Everything measured on one frame, written by ``FrameStore/write(_:run:)`` in one transaction.
public struct FrameResult: Sendable {
    public var frame: FrameRecord
    /// Columns in the frame's order (index = position); empty for a failed frame.
    public var columns: [ColumnRecord]
    public var events: [EventRecord]
    public var facets: [FacetRecord]
    /// Particles (connected groups of columns).
    public var particles: [ParticleRecord]
    /// The model that counted this frame, stored if not yet present (must match `frame.modelID`).
    public var model: CountingModelRecord?
    /// Opaque pipeline state to resume from after a restart (e.g. the tracker), saved with the frame.
    public var resumeState: Data?
    /// Counts of earlier frames' columns revised or made final by this frame (fixed-lag smoothing).
    public var revisions: [CountRevision]
    /// Temperatures of earlier frames filled in with this frame (the holder log caught up).
    public var temperatureFills: [TemperatureFill] = []

    public init(frame: FrameRecord, columns: [ColumnRecord] = [], events: [EventRecord] = [],
                facets: [FacetRecord] = [], particles: [ParticleRecord] = [], model: CountingModelRecord? = nil,
                resumeState: Data? = nil, revisions: [CountRevision] = []) {
        self.frame = frame; self.columns = columns; self.events = events; self.facets = facets
        self.particles = particles
        self.model = model; self.resumeState = resumeState; self.revisions = revisions
    }
}

/// What ``FrameStore/write(_:run:)`` did.
public enum WriteOutcome: String, Sendable, Equatable {
    /// The frame and all its results were committed.
    case inserted
    /// A frame with the same content hash and path is already stored: nothing was written.
    case duplicate
    /// A failed frame with the same path or number was replaced by this one.
    case replaced
}

/// What a restart needs to know of a stored file to skip it without reading it.
public struct KnownFile: Sendable, Equatable {
    /// The file's path (a multi-page file's pages share it).
    public var path: String
    public var size: Int?
    public var modified: Double?
    public var device: Int64?
    public var inode: Int64?
    public var changed: Double?
    /// Whether the file failed, and why.
    public var failed: Bool
    public var error: String?

    public init(path: String, size: Int?, modified: Double?, device: Int64? = nil, inode: Int64? = nil,
                changed: Double? = nil, failed: Bool, error: String? = nil) {
        self.path = path; self.size = size; self.modified = modified; self.device = device; self.inode = inode
        self.changed = changed; self.failed = failed; self.error = error
    }
}

/// A frame already in the store, found by ``FrameStore/storedFrame(identity:contentHash:)``.
public enum StoredFrame: Sendable, Equatable {
    /// This identity with these pixels (ok or failed): nothing new.
    case same(frame: Int)
    /// These pixels under another identity (renamed, copied, re-saved).
    case samePixels(frame: Int, identity: String)
    /// This identity with other pixels: analysed already (`crashed`: the analysis killed the process).
    case sameIdentity(frame: Int, crashed: Bool)
}

/// What the store holds of the files it has seen, for a restart (see ``FrameStore/knownFiles()``).
public struct KnownFiles: Sendable, Equatable {
    /// ``FileKey/of(path:size:modified:)`` of every file version stored with results, and of those
    /// recorded only as failed.
    public var storedKeys: Set<Int64> = []
    public var failedKeys: Set<Int64> = []
    /// ``FileKey/inode(device:inode:size:modified:)`` of the stored files (renames).
    public var inodeKeys: Set<Int64> = []
    /// Failed files by path, with their reasons and status-change times.
    public var failures: [String: KnownFile] = [:]
    public init() {}
}

/// A frame a daemon was analysing; left behind in the store only if the process died during the
/// analysis (the frame's commit removes it).
public struct InProgressFrame: Sendable, Equatable {
    public var path: String
    public var identity: String
    public var size: Int?
    public var modified: Double?
    public var device: Int64?
    public var inode: Int64?
    public var changed: Double?
    /// Unix s.
    public var startedAt: Double
    public var pid: Int?
    /// Analyses begun (1: the first); a frame is given up after ``maxAttempts``.
    public var attempts: Int = 1
    /// A frame whose analysis ended with the process dying this often is recorded as failed.
    /// Two, not one: a process killed from outside (SIGKILL, power cut) leaves the same mark.
    public static let maxAttempts = 2

    public init(path: String, identity: String, size: Int?, modified: Double?, device: Int64? = nil, inode: Int64? = nil,
                changed: Double? = nil, startedAt: Double = Date().timeIntervalSince1970, pid: Int? = nil) {
        self.path = path; self.identity = identity; self.size = size; self.modified = modified
        self.device = device; self.inode = inode; self.changed = changed; self.startedAt = startedAt; self.pid = pid
    }
}

/// The daemon's state as it last wrote it (every few seconds), for /healthz of other processes.
public struct Heartbeat: Codable, Sendable, Equatable {
    public var pid: Int
    public var host: String
    /// Unix s.
    public var startedAt: Double
    public var updatedAt: Double
    /// "starting", "ready", "paused" (an environmental failure, retrying) or "stopped".
    public var state: String
    public var backlog: Int
    public var frames: Int
    public var failed: Int
    public var lastFrameAt: Double?
    public var message: String?

    public init(pid: Int, host: String, startedAt: Double, updatedAt: Double, state: String, backlog: Int = 0,
                frames: Int = 0, failed: Int = 0, lastFrameAt: Double? = nil, message: String? = nil) {
        self.pid = pid; self.host = host; self.startedAt = startedAt; self.updatedAt = updatedAt; self.state = state
        self.backlog = backlog; self.frames = frames; self.failed = failed; self.lastFrameAt = lastFrameAt
        self.message = message
    }
}

/// A frame present in the store, as far as resuming is concerned.
public struct CommittedFrame: Codable, Sendable, Equatable, Hashable {
    public var frame: Int
    public var path: String
    public var contentHash: String
    public var status: FrameStatus
    public var runID: Int64

    package init(frame: Int, path: String, contentHash: String, status: FrameStatus, runID: Int64) {
        self.frame = frame; self.path = path; self.contentHash = contentHash; self.status = status; self.runID = runID
    }
}

/// Where processing stands, for a restart.
public struct ResumePoint: Sendable, Equatable {
    /// Frames stored (ok and failed).
    public var frameCount: Int
    /// Highest frame number stored, and the next one in acquisition order.
    public var lastFrame: Int?
    public var nextFrame: Int { (lastFrame ?? -1) + 1 }
    /// The latest resume state written with a frame, and that frame.
    public var state: Data?
    public var stateFrame: Int?
    /// The most recent run (``SessionRecord/stoppedAt`` nil: it did not stop cleanly).
    public var lastSession: SessionRecord?

    package init(frameCount: Int, lastFrame: Int?, state: Data?, stateFrame: Int?, lastSession: SessionRecord?) {
        self.frameCount = frameCount; self.lastFrame = lastFrame; self.state = state; self.stateFrame = stateFrame
        self.lastSession = lastSession
    }
}

/// A column's history summarised (from the store's per-track aggregates).
public struct TrackRecord: Codable, Sendable, Equatable {
    public var id: Int
    public var firstFrame: Int
    public var lastFrame: Int
    /// Frames the track was observed in.
    public var observations: Int
    /// Mean position, px.
    public var meanX: Double
    public var meanY: Double
    /// Observations with a count; their mean, smallest and largest count.
    public var countedObservations: Int
    public var meanCount: Double?
    public var minCount: Int?
    public var maxCount: Int?
    public var meanCrossSection: Double?

    package init(id: Int, firstFrame: Int, lastFrame: Int, observations: Int, meanX: Double, meanY: Double,
                 countedObservations: Int, meanCount: Double?, minCount: Int?, maxCount: Int?, meanCrossSection: Double?) {
        self.id = id; self.firstFrame = firstFrame; self.lastFrame = lastFrame; self.observations = observations
        self.meanX = meanX; self.meanY = meanY; self.countedObservations = countedObservations; self.meanCount = meanCount
        self.minCount = minCount; self.maxCount = maxCount; self.meanCrossSection = meanCrossSection
    }
}

/// One observation of a track.
public struct TrackObservation: Codable, Sendable, Equatable {
    public var frame: Int
    /// Index of the column in its frame.
    public var index: Int
    /// Position, px.
    public var x: Double
    public var y: Double
    public var count: Int?
    public var crossSection: Double?
    /// Acquisition time of the frame, Unix s (only when asked for).
    public var acquiredAt: Double?

    package init(frame: Int, index: Int, x: Double, y: Double, count: Int?, crossSection: Double?, acquiredAt: Double? = nil) {
        self.frame = frame; self.index = index; self.x = x; self.y = y; self.count = count; self.crossSection = crossSection
        self.acquiredAt = acquiredAt
    }
}

/// Aggregates over the frames selected by a filter.
public struct StoreSummary: Codable, Sendable, Equatable {
    public var frames: Int
    public var okFrames: Int
    public var failedFrames: Int
    public var firstFrame: Int?
    public var lastFrame: Int?
    public var firstAcquiredAt: Double?
    public var lastAcquiredAt: Double?
    public var minTemperature: Double?
    public var maxTemperature: Double?
    /// Columns, columns with a count, atoms in them and the mean cross-section over all columns.
    public var columns: Int
    public var countedColumns: Int
    public var atoms: Int
    public var meanColumnsPerFrame: Double?
    public var meanAtomsPerFrame: Double?
    public var meanCrossSection: Double?
    /// Events by kind in the selected frames.
    public var events: [String: Int]
    /// Frames counted by each counting model.
    public var models: [String: Int]

    package init(frames: Int, okFrames: Int, failedFrames: Int, firstFrame: Int?, lastFrame: Int?, firstAcquiredAt: Double?,
                 lastAcquiredAt: Double?, minTemperature: Double?, maxTemperature: Double?, columns: Int, countedColumns: Int,
                 atoms: Int, meanColumnsPerFrame: Double?, meanAtomsPerFrame: Double?, meanCrossSection: Double?,
                 events: [String: Int], models: [String: Int]) {
        self.frames = frames; self.okFrames = okFrames; self.failedFrames = failedFrames; self.firstFrame = firstFrame
        self.lastFrame = lastFrame; self.firstAcquiredAt = firstAcquiredAt; self.lastAcquiredAt = lastAcquiredAt
        self.minTemperature = minTemperature; self.maxTemperature = maxTemperature; self.columns = columns
        self.countedColumns = countedColumns; self.atoms = atoms; self.meanColumnsPerFrame = meanColumnsPerFrame
        self.meanAtomsPerFrame = meanAtomsPerFrame; self.meanCrossSection = meanCrossSection; self.events = events
        self.models = models
    }
}

/// Errors of the store (database errors are GRDB's `DatabaseError`).
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// The file is not a trajectory store (or has a newer schema than this software knows).
    case notAStore(String)
    /// The frame number is taken by another frame (different path or content) that did not fail.
    case frameNumberTaken(frame: Int, storedPath: String, newPath: String)
    /// The frame result is inconsistent.
    case invalidFrame(frame: Int, reason: String)
    /// No run with this id.
    case unknownRun(Int64)
    /// No file at this path (readers never create one).
    case fileNotFound(String)
    /// The `--db` value cannot be used (a malformed URL, a password in it, an unknown option).
    case badLocation(String)
    /// No run of this name (and instrument) in the store; the names it has.
    case unknownRunName(String, known: [String])
    /// The store cannot be reached or used now (PostgreSQL down, this build without PostgreSQL).
    case unavailable(String)
    /// Another process writes this run (one writer per run); who it is.
    case runInUse(run: String, holder: String)

    public var description: String {
        switch self {
        case .notAStore(let p): "\(p): not a stemtrack trajectory store (or written by a newer version)"
        case .frameNumberTaken(let f, let s, let n):
            "frame \(f) is already stored for \(s); cannot store \(n) under the same number"
        case .invalidFrame(let f, let r): "frame \(f): \(r)"
        case .unknownRun(let id): "no run \(id) in the store"
        case .fileNotFound(let p): "\(p): no such file"
        case .badLocation(let why): "database: \(why)"
        case .unknownRunName(let n, let known):
            "no run '\(n)' in the store" + (known.isEmpty ? " (it has none yet)" : " (runs: \(known.joined(separator: ", ")))")
        case .unavailable(let why): why
        case .runInUse(let run, let holder): "run \(run) is being written by \(holder); one writer per run"
        }
    }
}

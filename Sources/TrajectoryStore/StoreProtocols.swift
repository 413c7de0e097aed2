import Foundation

// The store at the level of the domain: what the pipeline writes and what query, export, the API
// and the report read, independent of the database behind it. Two implementations: the embedded
// SQLite file (``FrameStore`` / ``StoreReader``, the default: nothing to install, one run per file)
// and the facility's PostgreSQL database (target `PostgresStore`: many runs of many instruments).
//
// Contract shared by both (checked by the conformance suite that runs against both):
// - A frame's results, its revisions of earlier frames' counts, events, facets, particles and
//   the pipeline's resume state are written in one transaction: a reader sees all of it or none.
// - Writes are idempotent by (content hash, path): writing a stored frame again changes nothing.
// - Readers never block the writer and always see a consistent snapshot.
// - Every read answers the same records for the same stored series, whatever the database.

/// The writer side of a store, for one run: one writer per run at a time.
public protocol StoreWriting: AnyObject, Sendable {
    /// Where the store is (printable: never holds a password).
    var location: StoreLocation { get }
    /// Read access to the same run.
    var reader: any StoreQuerying { get }

    /// Records the start of a processing session of this run; returns it with its id.
    func beginSession(_ session: SessionRecord) throws -> SessionRecord
    /// Records the end of a session (and indexes the pending frames' tracks).
    func endSession(_ id: Int64, at time: Double) throws

    /// Writes a frame and all its results in one transaction (see ``FrameStore/write(_:run:)``).
    @discardableResult
    func write(_ result: FrameResult, run session: Int64) throws -> WriteOutcome
    /// Temperatures of stored frames that had none, in one transaction.
    func writeTemperatureFills(_ fills: [TemperatureFill]) throws
    /// Frames without a temperature acquired within `range` (Unix s), oldest first.
    func framesAwaitingTemperature(in range: ClosedRange<Double>) throws -> [(frame: Int, acquiredAt: Double)]
    /// Revised counts and events that no new frame brings, with the resume state, in one transaction.
    func writeCompletion(revisions: [CountRevision], events: [EventRecord], writtenWith frame: Int,
                         resumeState: Data?, run session: Int64) throws
    /// Indexes the tracks of all pending frames now.
    func flushTrackIndex() throws

    /// Whether this frame is stored already (see ``StoredFrame``); nil: it is new.
    func storedFrame(identity: String, contentHash: String) throws -> StoredFrame?
    /// Records that this version of a file is done (all its pages stored or skipped).
    func recordFile(path: String, size: Int, modified: Double, device: Int64?, inode: Int64?, failed: Bool) throws
    /// What a restart must skip: the keys of every stored file version and the failed files.
    func knownFiles() throws -> KnownFiles
    /// Records, committed, that `frame` is about to be analysed; returns the attempts so far (1 the first time).
    @discardableResult
    func markInProgress(_ frame: InProgressFrame) throws -> Int
    /// Frames left in progress by processes that died, oldest first.
    func inProgress() throws -> [InProgressFrame]
    /// Forgets the in-progress record of `identity` (all of them when nil).
    func clearInProgress(_ identity: String?) throws
    /// Writes the daemon's heartbeat.
    func writeHeartbeat(_ heartbeat: Heartbeat) throws
    /// The stored frames (of one session, or all), in frame order.
    func committedFrames(run session: Int64?) throws -> [CommittedFrame]
    /// Where to resume after a restart.
    func resumePoint() throws -> ResumePoint

    /// Housekeeping after a session (SQLite: a WAL checkpoint; PostgreSQL: nothing).
    func checkpoint(truncate: Bool) throws
    /// Whether `error` comes from the machine or the network rather than from the data (disk full,
    /// database locked, unreachable or restarting): writing the same frame again later can succeed.
    func isEnvironmental(_ error: any Error) -> Bool
    /// A one-line description of a store error for a microscopist.
    func describe(_ error: any Error) -> String
}

extension StoreWriting {
    public func endSession(_ id: Int64) throws { try endSession(id, at: Date().timeIntervalSince1970) }
    public func clearInProgress() throws { try clearInProgress(nil) }
    public func committedFrames() throws -> [CommittedFrame] { try committedFrames(run: nil) }
    public func checkpoint() throws { try checkpoint(truncate: true) }
    /// Whether a frame with this path and content is stored (ok or failed).
    public func contains(path: String, contentHash: String) throws -> Bool {
        if case .same = try storedFrame(identity: path, contentHash: contentHash) { return true }
        return false
    }
}

/// Read-only queries on one run's results. Safe while a writer writes (each call reads one snapshot).
public protocol StoreQuerying: Sendable {
    /// The processing sessions of this run, oldest first.
    func sessions() throws -> [SessionRecord]
    /// The counting models, by first frame.
    func models() throws -> [CountingModelRecord]
    /// Acquisition time of the earliest frame, Unix s.
    func seriesStart() throws -> Double?
    /// The selected frames in frame order.
    func frames(_ filter: StoreFilter) throws -> [FrameRecord]
    func frame(_ number: Int) throws -> FrameRecord?
    /// Aggregates over the selected frames, from the per-frame aggregates (never scans columns).
    func summary(_ filter: StoreFilter) throws -> StoreSummary
    /// The columns of one frame, in order.
    func columns(frame: Int) throws -> [ColumnRecord]
    /// Calls `body` for every column of the selected frames (frame order, then column order).
    func forEachColumn(_ filter: StoreFilter, _ body: (FrameRecord, Int, ColumnRecord) throws -> Void) throws
    /// One track's history in frame order (optionally within a frame range, with acquisition times).
    func track(_ id: Int, frames range: ClosedRange<Int>?, withTimes: Bool) throws -> [TrackObservation]
    /// Track summaries in id order.
    func tracks(_ filter: StoreFilter) throws -> [TrackRecord]
    func events(_ filter: StoreFilter) throws -> [EventRecord]
    func facets(_ filter: StoreFilter) throws -> [FacetRecord]
    func particles(_ filter: StoreFilter) throws -> [ParticleRecord]
    /// The daemon's last heartbeat for this run (nil: none written).
    func heartbeat() throws -> Heartbeat?
    /// Bytes used by each table and index (of the whole database).
    func spaceUsed() throws -> [String: Int]
}

extension StoreQuerying {
    public func frames() throws -> [FrameRecord] { try frames(StoreFilter()) }
    public func summary() throws -> StoreSummary { try summary(StoreFilter()) }
    public func tracks() throws -> [TrackRecord] { try tracks(StoreFilter()) }
    public func events() throws -> [EventRecord] { try events(StoreFilter()) }
    public func facets() throws -> [FacetRecord] { try facets(StoreFilter()) }
    public func particles() throws -> [ParticleRecord] { try particles(StoreFilter()) }
    public func forEachColumn(_ body: (FrameRecord, Int, ColumnRecord) throws -> Void) throws {
        try forEachColumn(StoreFilter(), body)
    }
    public func track(_ id: Int, frames range: ClosedRange<Int>? = nil) throws -> [TrackObservation] {
        try track(id, frames: range, withTimes: false)
    }
    public func track(_ id: Int, withTimes: Bool) throws -> [TrackObservation] {
        try track(id, frames: nil, withTimes: withTimes)
    }
}

/// A run as the catalogue lists it: one acquisition series on one instrument (everything one
/// SQLite file holds), with where it stands.
public struct RunSummary: Codable, Sendable, Equatable {
    /// The run's name, unique per instrument (a SQLite file: its file name).
    public var name: String
    public var instrument: String
    public var directory: String?
    /// First session's start and last session's stop, Unix s (`stoppedAt` nil: running or not stopped cleanly).
    public var startedAt: Double?
    public var stoppedAt: Double?
    /// `running` (heartbeat within 30 s and not stopped), `stopped`, `stale` (heartbeat older than 30 s without a stop).
    public var status: String
    public var frames: Int
    public var failedFrames: Int
    public var lastFrame: Int?
    public var lastAcquiredAt: Double?
    /// The last heartbeat's time, Unix s.
    public var updatedAt: Double?
    /// A run processed on a cluster (`process --slurm`): how far its shards are; nil otherwise.
    public var shards: ShardProgress?

    public init(name: String, instrument: String, directory: String? = nil, startedAt: Double? = nil,
                stoppedAt: Double? = nil, status: String, frames: Int, failedFrames: Int, lastFrame: Int? = nil,
                lastAcquiredAt: Double? = nil, updatedAt: Double? = nil) {
        self.name = name; self.instrument = instrument; self.directory = directory; self.startedAt = startedAt
        self.stoppedAt = stoppedAt; self.status = status; self.frames = frames; self.failedFrames = failedFrames
        self.lastFrame = lastFrame; self.lastAcquiredAt = lastAcquiredAt; self.updatedAt = updatedAt
    }

    /// The shards of a run processed on a cluster, counted by status, and the frames fitted.
    public struct ShardProgress: Codable, Sendable, Equatable {
        public var total: Int, done: Int, running: Int, failed: Int
        public var framesFitted: Int
        public init(total: Int, done: Int, running: Int, failed: Int, framesFitted: Int) {
            self.total = total; self.done = done; self.running = running; self.failed = failed; self.framesFitted = framesFitted
        }
    }

    /// The status from the last session and heartbeat (`now` Unix s).
    public static func status(stoppedAt: Double?, heartbeat: Heartbeat?, sessions: Int, now: Double) -> String {
        if let h = heartbeat {
            if h.state == "stopped" || (stoppedAt != nil && h.updatedAt <= stoppedAt!) { return "stopped" }
            return now - h.updatedAt <= 30 ? "running" : "stale"
        }
        return stoppedAt != nil || sessions == 0 ? "stopped" : "stale"
    }
}

/// A committed frame announced by a store's change stream.
public struct StoreChange: Codable, Sendable, Equatable {
    public var instrument: String
    public var run: String
    public var frame: Int
    public init(instrument: String, run: String, frame: Int) {
        self.instrument = instrument; self.run = run; self.frame = frame
    }
}

/// Many runs behind one location: what `serve` and the CLI's `--run` use to list runs and open one.
public protocol RunCatalogue: Sendable {
    var location: StoreLocation { get }
    /// Every run, most recently started first.
    func runs() throws -> [RunSummary]
    /// A reader for the run called `name` (of `instrument` when the name is not unique); nil
    /// name: the only run, or the most recently started one.
    func reader(run name: String?, instrument: String?) throws -> any StoreQuerying
    /// Committed frames as they happen, of every run (PostgreSQL: LISTEN/NOTIFY on one connection;
    /// SQLite: the file polled twice a second). Ends when the task that iterates it is cancelled.
    func changes() -> AsyncStream<StoreChange>
}

extension RunCatalogue {
    public func reader(run name: String? = nil) throws -> any StoreQuerying { try reader(run: name, instrument: nil) }
}

/// Which run a writer writes: the instrument (microscope) and the run's name, unique per instrument.
/// A SQLite file holds one run, whatever the key.
public struct RunKey: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var instrument: String
    public var name: String
    public init(instrument: String, name: String) { self.instrument = instrument; self.name = name }
    public var description: String { "\(instrument)/\(name)" }
}

/// Opens stores by location. The SQLite store is always there; the PostgreSQL store is added by
/// the `PostgresStore` target (`StoreBackends.standard` in builds with the PostgreSQL trait).
public struct StoreBackends: Sendable {
    public typealias WriterOpener = @Sendable (PostgresURL, RunKey) throws -> any StoreWriting
    public typealias CatalogueOpener = @Sendable (PostgresURL) throws -> any RunCatalogue
    public typealias ErrorClassifier = @Sendable (any Error) -> Bool
    public typealias ErrorDescriber = @Sendable (any Error) -> String?
    public var postgresWriter: WriterOpener?
    public var postgresCatalogue: CatalogueOpener?
    /// Whether an error of the PostgreSQL store is environmental (server down, restarting, unreachable).
    public var postgresIsEnvironmental: ErrorClassifier?
    /// A microscopist's description of a PostgreSQL error (nil: not one).
    public var postgresDescribe: ErrorDescriber?

    public init(postgresWriter: WriterOpener? = nil, postgresCatalogue: CatalogueOpener? = nil,
                postgresIsEnvironmental: ErrorClassifier? = nil, postgresDescribe: ErrorDescriber? = nil) {
        self.postgresWriter = postgresWriter; self.postgresCatalogue = postgresCatalogue
        self.postgresIsEnvironmental = postgresIsEnvironmental; self.postgresDescribe = postgresDescribe
    }

    /// Whether `error`, from opening or using any of the stores, is environmental (retry later).
    public func isEnvironmental(_ error: any Error) -> Bool {
        FrameStore.isEnvironmental(error) || (postgresIsEnvironmental?(error) ?? false)
    }

    /// A one-line description of a store error, whichever store raised it.
    public func describe(_ error: any Error) -> String {
        if let e = error as? StoreError { return e.description }
        return postgresDescribe?(error) ?? FrameStore.describe(error)
    }

    /// SQLite files only.
    public static let sqliteOnly = StoreBackends()

    static let noPostgres = StoreError.unavailable(
        "this stemtrack was built without PostgreSQL support (swift build --disable-default-traits): "
        + "use a SQLite file for --db, or a build with the default traits")

    /// The writer of `run` at `location` (created if new).
    public func openWriter(_ location: StoreLocation, run: RunKey) throws -> any StoreWriting {
        switch location {
        case .sqlite(let path): return try FrameStore(path: path)
        case .postgres(let url):
            guard let open = postgresWriter else { throw Self.noPostgres }
            return try open(url, run)
        }
    }

    /// The runs at `location` (a SQLite file: its one run; it must exist).
    public func openCatalogue(_ location: StoreLocation) throws -> any RunCatalogue {
        switch location {
        case .sqlite(let path): return try SQLiteCatalogue(path: path)
        case .postgres(let url):
            guard let open = postgresCatalogue else { throw Self.noPostgres }
            return try open(url)
        }
    }
}

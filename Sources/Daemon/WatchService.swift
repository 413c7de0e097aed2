import Analysis
import Foundation
import Logging
import Monitoring
import ServiceLifecycle
import TIFFFrame
import TrajectoryStore
import UnixSignals

/// `stemtrack watch`: processes every frame already in the acquisition directory (backlog), then
/// every frame that lands, in acquisition order, until SIGTERM/SIGINT.
///
/// Contract, for a service nobody watches overnight:
/// - **No frame stops it.** A frame is marked in progress (committed) before its analysis; a start
///   that finds such a mark records that frame as failed ("the analysis crashed") and goes on, so a
///   frame that kills the process is never retried in a loop. Unreadable, implausible or
///   unstorable frames are stored as failed with the reason.
/// - **Environmental failures pause, never end the run.** A full disk, a locked, read-only or
///   vanished store: the frame's results are kept in memory, the failure is logged and reported
///   (`/healthz`, `stemtrack_paused`), and the write is retried with back-off until it succeeds.
/// - **Every frame exactly once.** The directory is canonicalised (relative and absolute paths
///   are the same directory); a file is known by path, size and modification time, or by
///   device and inode (renamed within the directory), before anything is read; a frame by the
///   hash of its decoded pixels (a renamed or re-saved file is not stored again; pages already
///   stored of a multi-page file that grows are skipped).
/// - **Restarts take seconds.** Stored and failed files are recognised by `stat` alone; failed
///   files are retried only when they change. A file still being written (changed less than
///   `quiet_period` ago) is waited for, to keep acquisition order; an unreadable file that is
///   older fails at once, so bad files in a backlog hold nothing up. Environmental read failures
///   (too many open files) are retried every tick without recording the file.
/// - **One daemon per store** (``StoreLock``); SIGHUP re-reads the configuration.
/// - **systemd**: `READY=1` after the resume and the backlog scan, `STATUS=` lines, `WATCHDOG=1`
///   while the frame loop is alive and no frame has taken longer than `frame_timeout`.
public struct WatchService: Service {
    public let configuration: WatchConfiguration
    public let logger: Logger
    /// Stop after this many frames were handled in this session (tests and benchmarks); nil: run until stopped.
    public var stopAfter: Int?
    /// `stemtrack process`: analyse what the directory holds, make every count and event final,
    /// and return (instead of watching for new frames).
    public var archive = false
    /// Called after each frame in archive mode with (frames handled, files to go), for a progress bar.
    public var progress: (@Sendable (Int, Int) -> Void)? = nil
    /// Shared with the HTTP server of `watch --http`.
    public let health: DaemonHealth
    public let metrics: DaemonMetrics
    /// Re-reads the configuration on SIGHUP (nil: SIGHUP only logs that there is nothing to reload).
    public var reloadConfiguration: (@Sendable () throws -> WatchConfiguration)?
    public var notifier: SystemdNotifier
    /// The stores this build can open (SQLite, and PostgreSQL when built with it).
    public var backends: StoreBackends = .sqliteOnly
    /// Fits made earlier (a cluster's shards): frames found there are not fitted again.
    public var fits: (any FitSource)? = nil

    /// Environment variable naming a file-name substring on which the process aborts right after
    /// marking the frame in progress. Test-only: it simulates an analysis that kills the process.
    public static let testAbortVariable = "STEMTRACK_TEST_ABORT_ON"

    public init(configuration: WatchConfiguration, logger: Logger, stopAfter: Int? = nil,
                health: DaemonHealth = DaemonHealth(), metrics: DaemonMetrics = DaemonMetrics(),
                notifier: SystemdNotifier = SystemdNotifier(),
                reloadConfiguration: (@Sendable () throws -> WatchConfiguration)? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.stopAfter = stopAfter
        self.health = health
        self.metrics = metrics
        self.notifier = notifier
        self.reloadConfiguration = reloadConfiguration
    }

    /// The database: `database` if set, else `$STATE_DIRECTORY/stemtrack.sqlite` under systemd's
    /// `StateDirectory=`, else `<directory>/stemtrack.sqlite`.
    public var databasePath: String {
        Self.databasePath(for: configuration)
    }

    public static func databasePath(for c: WatchConfiguration,
                                    environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let db = c.database { return db }
        if let state = environment["STATE_DIRECTORY"]?.split(separator: ":").first, !state.isEmpty {
            return String(state) + "/stemtrack.sqlite"
        }
        return c.directory + "/stemtrack.sqlite"
    }

    /// The canonical absolute form of a directory (symbolic links and `..` resolved); the path
    /// itself when it does not exist.
    public static func canonical(_ path: String) -> String {
        guard let r = realpath(path, nil) else { return path }
        defer { free(r) }
        return String(cString: r)
    }

    /// The store to write: the SQLite file or the PostgreSQL URL.
    public var location: StoreLocation {
        get throws { do { return try StoreLocation(parsing: databasePath) } catch { throw WatchError.configuration(error.description) } }
    }

    /// Checks what can be checked before the loop starts: a SQLite file is not on a network file
    /// system and no other daemon writes it (a PostgreSQL run is locked when it is opened).
    /// Throws ``WatchError``.
    public func preflight() throws -> StoreLock? {
        guard case .sqlite(let db) = try location else { return nil }
        let dir = (db as NSString).deletingLastPathComponent
        if let fs = FileSystemKind.networkName(of: dir.isEmpty ? "." : dir) {
            throw WatchError.networkDatabase(database: db, fileSystem: fs)
        }
        return try StoreLock(database: db)
    }

    public func run() async throws {
        let lock = try preflight()
        defer { lock?.release() }
        var loop = try await FrameLoop(service: self)
        try await loop.run()
    }
}

/// The mutable state of one `watch` session.
struct FrameLoop {
    let service: WatchService
    var c: WatchConfiguration
    var logger: Logger
    let store: any StoreWriting
    var pipeline: FramePipeline
    let runID: Int64
    var index: FrameIndex
    var status = StatusLine()
    var handled = 0
    /// Files to look at again later (environmental read failures, files still changing), with the
    /// time of the next try, and since when each has been failing for environmental reasons.
    var deferred: [String: Double] = [:]
    var deferredSince: [String: Double] = [:]
    var lastModel: String? = nil
    /// End of the holder log's span when stored frames were last given their temperatures.
    var temperatureFilledUpTo = -Double.infinity
    let directory: String
    let notifier: SystemdNotifier
    var health: DaemonHealth { service.health }
    var metrics: DaemonMetrics { service.metrics }

    init(service: WatchService) async throws {
        self.service = service
        self.notifier = service.notifier
        var c = service.configuration
        logger = service.logger
        directory = WatchService.canonical(c.directory)
        c.directory = directory
        self.c = c
        service.health.update { $0.state = .starting }
        notifier.status("starting: opening the store")
        let location = try service.location
        let path = location.description
        let backends = service.backends
        // Opening and resuming can fail for environmental reasons (locked, disk full at migration,
        // not mounted yet, PostgreSQL down or restarting): pause and retry, like a frame's write.
        var delay = 0.5
        var started: (any StoreWriting, ResumePoint, Int64, KnownFiles)? = nil
        while started == nil {
            do {
                let store = try backends.openWriter(location, run: c.runKey)
                let resume = try store.resumePoint()
                let run = try store.beginSession(SessionRecord(softwareVersion: StemTrackVersion.described, settings: c.json,
                                                       directory: directory, host: ProcessInfo.processInfo.hostName))
                started = (store, resume, run.id ?? 0, try store.knownFiles())
            } catch StoreError.notAStore(let p) {
                throw WatchError.notAStore(p)
            } catch StoreError.runInUse(let run, let holder) {
                throw WatchError.storeInUse(database: "\(path), run \(run)", holder: holder)
            } catch where backends.isEnvironmental(error) {
                let why = backends.describe(error)
                logger.error("\(path): \(why); retrying in \(delay) s")
                service.health.update { $0.state = .paused; $0.message = why }
                // Up and retrying: tell systemd so (no start timeout, watchdog fed).
                notifier.notify("READY=1\nWATCHDOG=1\nSTATUS=paused: \(why)")
                if Task.isShuttingDownGracefully || Task.isCancelled { throw CancellationError() }
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                delay = min(30, delay * 2)
            } catch let error as StoreError {
                throw WatchError.configuration(error.description)
            } catch {
                throw WatchError.store("\(path): \(backends.describe(error))")
            }
        }
        let (store, resume, runID, known) = started!
        self.store = store
        self.runID = runID
        do {
            pipeline = try FramePipeline(configuration: c, resume: resume.state, nextFrame: resume.nextFrame)
        } catch {
            try? store.endSession(runID)
            throw WatchError.configuration("\(path): \(error)")
        }
        if resume.frameCount > 0 {
            logger.info("resuming after frame \(resume.lastFrame ?? -1) (\(resume.frameCount) frames stored\(resume.lastSession?.stoppedAt == nil ? ", last run did not stop cleanly" : ""))")
        }
        if !pipeline.changedSettings.isEmpty {
            logger.warning("settings changed since the stored frames were analysed; frames from \(resume.nextFrame) on use the new ones: \(pipeline.changedSettings.joined(separator: "; "))")
        }
        index = FrameIndex(known)
        status.silent = service.archive
        try await recoverCrashedFrames()
    }

    /// Frames left in progress by processes that died. A frame that was being analysed when the
    /// process died twice is recorded as failed ("the analysis crashed") and never tried again; after
    /// the first death it is retried once (the death may have been a SIGKILL or a power cut).
    mutating func recoverCrashedFrames() async throws {
        let store = self.store
        for crashed in try await withEnvironmentalRetry("reading unfinished frames", { try store.inProgress() }) {
            let name = crashed.identity.split(separator: "/").last.map(String.init) ?? crashed.identity
            guard crashed.attempts >= InProgressFrame.maxAttempts else {
                logger.warning("\(name): the process died while analysing it; trying it once more")
                continue
            }
            let reason = "\(name): the analysis crashed (the process died \(crashed.attempts) times while analysing this frame"
                + (crashed.pid.map { ", last pid \($0)" } ?? "") + "); not retried"
            logger.error("\(reason)")
            let state = FileState(path: crashed.path, size: crashed.size ?? 0, modified: crashed.modified ?? 0,
                                  device: crashed.device, inode: crashed.inode, changed: crashed.changed)
            let result = pipeline.failedFile(state, path: crashed.identity, reason: reason, contentHash: "crashed")
            let run = runID
            _ = try await withEnvironmentalRetry("recording \(name) as crashed") { try store.write(result, run: run) }
            try await withEnvironmentalRetry("recording \(name) as crashed") { try store.clearInProgress(crashed.identity) }
            // A single-page file is settled; pages of a stack are skipped by their identity below.
            if crashed.identity == crashed.path { index.record(state, failed: true, reason: reason) }
            metrics.failed.increment()
        }
    }

    mutating func run() async throws {
        let scan = DirectoryScan(directory: directory, recursive: c.recursive, patterns: c.patterns,
                                 followSymlinks: c.followSymlinks)
        let heartbeat = startHeartbeat()
        defer { heartbeat.cancel() }
        let reloads = ReloadRequests()
        let hangups = Task { [reloads] in
            for await _ in await UnixSignalsSequence(trapping: .sighup) { reloads.request() }
        }
        defer { hangups.cancel() }
        var stopped = false
        var announcedReady = false
        while !stopped {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
                logger.error("\(directory): the acquisition directory does not exist (deleted or not mounted); waiting for it to appear")
                if !announcedReady { notifier.notify("READY=1"); announcedReady = true }
                notifier.status("waiting for \(directory) to appear")
                func isDirectory() -> Bool {
                    var d: ObjCBool = false
                    return FileManager.default.fileExists(atPath: directory, isDirectory: &d) && d.boolValue
                }
                while !isDirectory() {
                    if Task.isShuttingDownGracefully || Task.isCancelled { stopped = true; break }
                    health.beat()
                    try? await Task.sleep(nanoseconds: 1_000_000_000)
                }
                continue
            }
            // Watch first, then the backlog, so that nothing landing during the scan is missed.
            let events = LoopEvents(scan: scan, poll: c.poll, pollInterval: c.pollInterval, logger: logger, reloads: reloads)
            let shouldStop = { Task.isShuttingDownGracefully || Task.isCancelled }
            let listed = (try? scan.list(shouldStop: shouldStop)) ?? []
            var backlog: [FileState] = []
            for f in listed where index.match(f) == nil { backlog.append(f) }
            metrics.skipped.increment(by: Int64(listed.count - backlog.count))
            status.pending = backlog.count
            health.update { $0.state = .ready; $0.backlog = backlog.count; $0.message = nil }
            if !announcedReady {
                logger.info("ready: \(listed.count) files in \(directory), \(listed.count - backlog.count) already stored, \(backlog.count) to process")
                notifier.notify("READY=1\nSTATUS=ready: \(backlog.count) files to process")
                announcedReady = true
            }
            for (k, file) in backlog.enumerated() {
                if shouldStop() { stopped = true; break }
                try await handle(file.path)
                status.pending -= 1
                health.update { $0.backlog = status.pending }
                service.progress?(k + 1, backlog.count)
                if let n = service.stopAfter, handled >= n { stopped = true; break }
            }
            if stopped { events.cancel(); break }
            if service.archive {
                events.cancel()
                // Files still being written or retried: wait for them (bounded by their quiet period).
                while !deferred.isEmpty && !shouldStop() {
                    try? await Task.sleep(nanoseconds: 200_000_000)
                    try await retryDeferred()
                }
                if !shouldStop() { try await completeSeries() }
                break
            }
            status.pending = 0
            health.update { $0.backlog = deferred.count }
            status.show(force: true)
            notifier.status("watching \(directory): \(status.frames) frames this session, \(status.failed) failed")
            var gone = false
            for await event in events.stream.cancelOnGracefulShutdown() {
                switch event {
                case .file(let path):
                    try await handle(path)
                case .tick:
                    try await retryDeferred()
                    try await fillTemperaturesWhileIdle()
                case .rescan:
                    logger.warning("inotify queue overflowed; rescanning \(directory)")
                    for f in (try? scan.list(shouldStop: shouldStop)) ?? [] where index.match(f) == nil {
                        try await handle(f.path)
                    }
                case .reload:
                    reload()
                case .directoryGone(let dir):
                    logger.error("\(dir): the acquisition directory was deleted or moved; waiting for it to reappear")
                    gone = true
                }
                health.beat()
                if gone { break }
                if let n = service.stopAfter, handled >= n { stopped = true; break }
                if Task.isShuttingDownGracefully { stopped = true; break }
            }
            events.cancel()
            if !gone { stopped = true }
        }
        notifier.notify("STOPPING=1")
        health.update { $0.state = .stopped }
        status.show(force: true)
        FileHandle.standardError.write(Data("\n".utf8))
        try? store.writeHeartbeat(heartbeatRecord(state: "stopped"))
        try await withEnvironmentalRetry("closing the run") { try store.endSession(runID) }
        logger.info("stopped: \(status.frames) frames this session (\(status.failed) failed)")
    }

    // MARK: One file

    mutating func handle(_ path: String) async throws {
        guard let state = FileState.of(path) else { deferred[path] = nil; deferredSince[path] = nil; return }   // renamed away or deleted
        if state.isDirectory { return }
        switch index.match(state) {
        case .stored, .failedUnchanged:
            deferred[path] = nil; deferredSince[path] = nil
            metrics.skipped.increment()
            return
        case .renamed:
            logger.info("\(path): a stored file renamed (same device, inode, size and time); not stored again")
            index.record(state, failed: false)
            deferred[path] = nil; deferredSince[path] = nil
            metrics.skipped.increment()
            return
        case nil:
            break
        }
        let t0 = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        // A file that changed less than the quiet period ago and cannot be read yet is still being
        // written: wait for it (acquisition order is kept, which the tracker relies on). The wait
        // is bounded by the quiet period after its last change; a file that is already old fails at once.
        var readiness = FrameReadiness(quietPeriod: c.quietPeriod)
        readiness.options.emdSignal = c.emdSignal
        var attempt = readiness.attempt(path, maxPixels: c.maxPixels)
        let waitStart = Date().timeIntervalSince1970
        while case .notYet = attempt {
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            // Still changing after a long wait (a stack appended to faster than it is read): go on
            // with other files and come back to it on a later tick.
            if Date().timeIntervalSince1970 - waitStart > max(60, 4 * c.quietPeriod) {
                logger.warning("\(path): still changing after \(Int(Date().timeIntervalSince1970 - waitStart)) s; retried later")
                deferred[path] = Date().timeIntervalSince1970 + 5
                return
            }
            health.beat()
            try? await Task.sleep(nanoseconds: UInt64(readiness.retryInterval * 1e9))
            attempt = readiness.attempt(path, maxPixels: c.maxPixels)
        }
        let readSeconds = Double(DispatchTime.now().uptimeNanoseconds) / 1e9 - t0
        switch attempt {
        case .vanished, .notYet:
            deferred[path] = nil; deferredSince[path] = nil
        case .environmental(let reason, _):
            // Retry with back-off: 1 s, 2 s, … up to 5 min (deferred holds the next try's time).
            let now = Date().timeIntervalSince1970
            let waited = deferredSince[path].map { now - $0 } ?? 0
            if deferredSince[path] == nil { deferredSince[path] = now }
            deferred[path] = now + min(300, max(1, waited))
            if waited == 0 { logger.warning("\(reason); will retry") }
            health.update { $0.message = reason }
        case .failed(let reason, let st):
            deferred[path] = nil; deferredSince[path] = nil
            let hash = st.isRegular ? ((try? ContentHash.ofFile(path, maxBytes: 64 << 20)) ?? "unreadable") : "not-a-file"
            let result = pipeline.failedFile(st, path: path, reason: reason, contentHash: hash)
            try await commit(result, identity: path)
            index.record(st, failed: true, reason: reason)
            logger.warning("\(reason)")
            status.frameDone(file: path, columns: 0, atoms: nil, failed: true, latency: 0)
            status.show()
        case .frames(let frames, let st, let damaged):
            deferred[path] = nil; deferredSince[path] = nil
            if let damaged { logger.warning("\(damaged); the pages before it are kept") }
            var lastWritten = false
            for (k, frame) in frames.enumerated() {
                lastWritten = false
                // Between pages of a stack: a stop leaves the file unrecorded, so the next start
                // reads it again (its stored pages are skipped by their pixels).
                if k > 0, Task.isShuttingDownGracefully || Task.isCancelled { return }
                let identity = frame.page == 0 ? path : "\(path)#\(frame.page)"
                let hash = ContentHash.ofPixels(frame.pixels, width: frame.width, height: frame.height)
                switch try await withEnvironmentalRetry("checking for a stored copy", {
                    try store.storedFrame(identity: identity, contentHash: hash) }) {
                case nil:
                    break
                case .same:
                    metrics.skipped.increment()
                    continue
                case .samePixels(let n, let other):
                    logger.info("\(identity): same pixels as frame \(n) (\(other)); not stored again")
                    metrics.skipped.increment()
                    continue
                case .sameIdentity(let n, let crashed):
                    // Rewritten in place after it was stored (other pixels under the same name): the
                    // stored analysis stays, the frame is not stored a second time. A frame recorded
                    // as having crashed the analysis is never tried again.
                    if !crashed {
                        logger.warning("\(identity): changed after it was stored as frame \(n); the stored analysis is of the earlier version, not repeated")
                    }
                    metrics.skipped.increment()
                    continue
                }
                let started = Date().timeIntervalSince1970
                let mark = InProgressFrame(path: path, identity: identity, size: st.size, modified: st.modified,
                                           device: st.device, inode: st.inode, changed: st.changed,
                                           startedAt: started, pid: Int(getpid()))
                _ = try await withEnvironmentalRetry("marking \(identity) in progress") { try store.markInProgress(mark) }
                if let trigger = ProcessInfo.processInfo.environment[WatchService.testAbortVariable], !trigger.isEmpty,
                   identity.contains(trigger) {
                    logger.critical("\(WatchService.testAbortVariable): aborting on \(identity) (test switch)")
                    abort()
                }
                health.update { $0.busySince = started }
                var fitted: FitOutcome? = nil
                if let fits = service.fits {
                    fitted = try await withEnvironmentalRetry("reading the stored fit of \(identity)") {
                        try fits.fit(identity: identity, contentHash: hash)
                    }
                }
                var result = pipeline.process(frame, file: st, identity: identity, contentHash: hash, readSeconds: readSeconds,
                                              fitted: fitted)
                health.update { $0.busySince = nil }
                result.frame.completesFile = frames.count == 1
                if result.frame.modelID != nil, result.frame.modelID != lastModel {
                    if result.model != nil { metrics.modelRefits.increment() }
                    lastModel = result.frame.modelID
                }
                do {
                    try await commit(result, identity: identity)
                } catch let e as StoreError {
                    // The store cannot hold this result (e.g. values beyond its range): keep the frame as failed.
                    result = pipeline.failedInstead(of: result, reason: "\(identity): not stored: \(e)")
                    try await commit(result, identity: identity)
                }
                lastWritten = frames.count == 1
                let failed = result.frame.status == .failed
                if failed { logger.warning("\(result.frame.error ?? "\(identity): failed")") }
                if let q = result.frame.quality { logger.notice("\(identity): \(q)") }
                let atoms = result.columns.allSatisfy { $0.count != nil } && !result.columns.isEmpty
                    ? result.columns.reduce(0) { $0 + ($1.count ?? 0) } : nil
                let t = result.frame.timings
                for (name, v) in [("read", t.read), ("fit", t.fit), ("count", t.count), ("track", t.track), ("total", t.total)] {
                    metrics.record(stage: name, seconds: v)
                }
                status.frameDone(file: identity, columns: result.columns.count, atoms: atoms, failed: failed,
                                 latency: Date().timeIntervalSince1970 - max(started, st.modified))
                status.show()
            }
            // Stored (ok or failed analysis) or skipped: not read again while it stays unchanged.
            // A single-page frame's commit recorded the file already; otherwise record it now.
            if !lastWritten {
                _ = try await withEnvironmentalRetry("recording \(path)") {
                    try store.recordFile(path: path, size: st.size, modified: st.modified, device: st.device,
                                         inode: st.inode, failed: false)
                }
            }
            index.record(st, failed: false)
        }
    }

    /// Temperatures for stored frames that the holder log now reaches (they had none when they were
    /// stored), and the end of the log's span they were computed up to; nil when the span has not
    /// grown since the last fill. The caller sets `temperatureFilledUpTo` once they are stored.
    mutating func pendingTemperatureFills(excluding frame: Int? = nil) async throws -> (fills: [TemperatureFill], upTo: Double)? {
        guard let span = pipeline.temperatureLog?.log?.span, span.upperBound > temperatureFilledUpTo else { return nil }
        let store = self.store
        let lower = temperatureFilledUpTo == -.infinity ? span.lowerBound : max(span.lowerBound, temperatureFilledUpTo - 3600)
        let awaiting = try await withEnvironmentalRetry("reading frames without temperature") {
            try store.framesAwaitingTemperature(in: lower...span.upperBound)
        }.filter { $0.frame != frame }
        let fills = pipeline.temperatureFills(awaiting)
        if !fills.isEmpty { logger.info("holder log caught up: temperatures filled in for \(fills.count) stored frame(s)") }
        return (fills, span.upperBound)
    }

    /// The holder log read again between frames: stored frames it now reaches get their temperature.
    mutating func fillTemperaturesWhileIdle() async throws {
        guard pipeline.temperatureLog != nil else { return }
        pipeline.refreshTemperatureLog()
        guard let pending = try await pendingTemperatureFills() else { return }
        let store = self.store
        try await withEnvironmentalRetry("storing filled-in temperatures") { try store.writeTemperatureFills(pending.fills) }
        temperatureFilledUpTo = pending.upTo
    }

    /// End of an archived series: the last counts become final and the last events are stored.
    mutating func completeSeries() async throws {
        try await fillTemperaturesWhileIdle()
        let done = pipeline.finish()
        guard pipeline.state.nextFrame > 0 else { return }
        let (store, run) = (self.store, runID)
        try await withEnvironmentalRetry("storing the last counts") {
            try store.writeCompletion(revisions: done.revisions, events: done.events, writtenWith: done.lastFrame,
                                      resumeState: done.state, run: run)
        }
        logger.info("series complete: \(done.revisions.count) counts made final, \(done.events.count) last events")
    }

    /// Writes one frame's results; environmental failures pause and retry until it is stored
    /// (or the daemon is told to stop: then the frame stays unstored and is analysed again at the next start).
    mutating func commit(_ incoming: FrameResult, identity: String) async throws {
        var result = incoming
        let s0 = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        // Frames stored before the holder log reached them get their temperature with this one.
        let pending = try await pendingTemperatureFills(excluding: result.frame.frame)
        if let pending { result.temperatureFills = pending.fills }
        try await withEnvironmentalRetry("storing \(identity)") { _ = try store.write(result, run: runID) }
        if let pending { temperatureFilledUpTo = pending.upTo }
        metrics.record(stage: "store", seconds: Double(DispatchTime.now().uptimeNanoseconds) / 1e9 - s0)
        handled += 1
        if result.frame.status == .failed { metrics.failed.increment() } else { metrics.processed.increment() }
        health.update { h in
            h.frames += 1
            if result.frame.status == .failed { h.failed += 1 }
            h.lastFrameAt = Date().timeIntervalSince1970
        }
    }

    /// Runs `body`, retrying with back-off (0.5 s doubling to 30 s) while it fails for an
    /// environmental reason; the daemon is "paused" meanwhile. Other errors are rethrown.
    /// A stop request during the pause ends it with `CancellationError`.
    func withEnvironmentalRetry<T>(_ what: String, _ body: () throws -> T) async throws -> T {
        var delay = 0.5
        var paused = false
        while true {
            do {
                let v = try body()
                if paused {
                    logger.notice("store available again; resumed (\(what))")
                    health.update { $0.state = .ready; $0.message = nil }
                    notifier.status("resumed")
                }
                return v
            } catch where store.isEnvironmental(error) {
                let why = store.describe(error)
                if !paused { logger.error("paused: \(why) while \(what); the frame is kept and retried") }
                paused = true
                metrics.storeRetries.increment()
                health.update { $0.state = .paused; $0.message = why }
                notifier.status("paused: \(why)")
                if Task.isShuttingDownGracefully || Task.isCancelled {
                    logger.error("stopping while paused: \(what) did not complete; it is retried at the next start")
                    throw CancellationError()
                }
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                delay = min(30, delay * 2)
            }
        }
    }

    /// Files that could not be read yet: tried again when their quiet period ends or they changed.
    mutating func retryDeferred() async throws {
        guard !deferred.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        for (path, next) in deferred.sorted(by: { $0.value < $1.value }) where now >= next {
            try await handle(path)
        }
        health.update { $0.backlog = deferred.count }
    }

    // MARK: SIGHUP

    mutating func reload() {
        guard let read = service.reloadConfiguration else {
            logger.notice("SIGHUP: no configuration file to re-read (started without --config)")
            return
        }
        notifier.notify("RELOADING=1")
        defer { notifier.notify("READY=1") }
        do {
            var new = try read()
            new.directory = WatchService.canonical(new.directory.isEmpty ? c.directory : new.directory)
            let changes = c.changes(to: new)
            if changes.isEmpty { logger.notice("SIGHUP: configuration re-read; nothing changed"); return }
            let restartOnly: Set<String> = ["directory", "database", "recursive", "patterns", "poll", "follow_symlinks"]
            var applied: [String] = [], deferredKeys: [String] = []
            for change in changes {
                let key = String(change.prefix { $0 != ":" })
                (restartOnly.contains(key) ? { deferredKeys.append(change) } : { applied.append(change) })()
            }
            var next = new
            for key in restartOnly {   // keep what only a restart can change
                switch key {
                case "directory": next.directory = c.directory
                case "database": next.database = c.database
                case "recursive": next.recursive = c.recursive
                case "patterns": next.patterns = c.patterns
                case "poll": next.poll = c.poll
                case "follow_symlinks": next.followSymlinks = c.followSymlinks
                default: break
                }
            }
            let state = try JSONEncoder().encode(pipeline.state)
            pipeline = try FramePipeline(configuration: next, resume: state, nextFrame: pipeline.state.nextFrame)
            if !pipeline.changedSettings.isEmpty {
                logger.notice("SIGHUP: analysis settings from frame \(pipeline.state.nextFrame) on: \(pipeline.changedSettings.joined(separator: "; "))")
            }
            c = next
            if let level = Logger.Level(name: c.logLevel) { logger.logLevel = level }
            if !applied.isEmpty { logger.notice("SIGHUP: applied \(applied.joined(separator: "; "))") }
            if !deferredKeys.isEmpty { logger.warning("SIGHUP: takes effect at the next start: \(deferredKeys.joined(separator: "; "))") }
        } catch {
            logger.error("SIGHUP: configuration not reloaded, keeping the running one: \(error)")
        }
    }

    // MARK: Heartbeat and watchdog

    func heartbeatRecord(state: String) -> Heartbeat {
        let h = health.snapshot
        return Heartbeat(pid: Int(getpid()), host: ProcessInfo.processInfo.hostName, startedAt: h.startedAt,
                         updatedAt: Date().timeIntervalSince1970, state: state, backlog: h.backlog, frames: h.frames,
                         failed: h.failed, lastFrameAt: h.lastFrameAt, message: h.message)
    }

    /// Every 2 s (and at most every half watchdog interval): the heartbeat row in the store, and
    /// `WATCHDOG=1` to systemd while the frame loop is healthy.
    func startHeartbeat() -> Task<Void, Never> {
        let store = self.store, health = self.health, notifier = self.notifier
        let timeout = c.frameTimeout
        let period = min(2.0, (notifier.watchdogInterval ?? 4) / 2)
        return Task.detached {
            while !Task.isCancelled {
                let now = Date().timeIntervalSince1970
                let h = health.snapshot
                let problem = DaemonHealth.problem(h, now: now, staleAfter: max(60, 10 * period), maxBusy: timeout)
                // Paused is healthy for systemd (the daemon is alive and retrying); hung is not.
                let hung = problem != nil && h.state != .paused
                if !hung { notifier.notify("WATCHDOG=1") }
                let record = Heartbeat(pid: Int(getpid()), host: ProcessInfo.processInfo.hostName, startedAt: h.startedAt,
                                       updatedAt: now, state: hung ? "hung" : h.state.rawValue, backlog: h.backlog,
                                       frames: h.frames, failed: h.failed, lastFrameAt: h.lastFrameAt,
                                       message: problem ?? h.message)
                try? store.writeHeartbeat(record)
                try? await Task.sleep(nanoseconds: UInt64(period * 1e9))
            }
        }
    }
}

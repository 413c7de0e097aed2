import Foundation
import Logging
import ServiceLifecycle
import TIFFFrame
import TrajectoryStore

/// `stemtrack watch`: processes every frame already in the acquisition directory (backlog), then
/// every frame that lands, in acquisition order, until SIGTERM/SIGINT. Each frame's results are
/// committed in one transaction; on graceful shutdown the current frame is finished first, and after
/// SIGKILL the next start resumes after the last committed frame (nothing committed is lost, nothing
/// is stored twice: a frame is identified by path and content hash).
public struct WatchService: Service {
    public let configuration: WatchConfiguration
    public let logger: Logger
    /// Stop after this many frames were handled in this session (tests and benchmarks); nil: run until stopped.
    public var stopAfter: Int?

    public init(configuration: WatchConfiguration, logger: Logger, stopAfter: Int? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.stopAfter = stopAfter
    }

    public var databasePath: String { configuration.database ?? configuration.directory + "/stemtrack.sqlite" }

    public func run() async throws {
        let c = configuration
        let store = try FrameStore(path: databasePath)
        let resume = try store.resumePoint()
        var pipeline = try FramePipeline(configuration: c, resume: resume.state, nextFrame: resume.nextFrame)
        if resume.frameCount > 0 {
            logger.info("resuming after frame \(resume.lastFrame ?? -1) (\(resume.frameCount) frames stored\(resume.lastRun?.stoppedAt == nil ? ", last run did not stop cleanly" : ""))")
        }
        let settingsJSON = String(describing: c)
        let run = try store.beginRun(RunRecord(softwareVersion: "stemtrack 0.1.0", settings: settingsJSON, directory: c.directory))
        guard let runID = run.id else { return }
        var status = StatusLine()
        var handled = 0
        let readiness = FrameReadiness(quietPeriod: c.quietPeriod)
        let scan = DirectoryScan(directory: c.directory, recursive: c.recursive, patterns: c.patterns)

        func handle(_ path: String) async throws -> Bool {
            let started = Date().timeIntervalSince1970
            let t0 = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            let outcome = await readiness.read(path)
            let readSeconds = Double(DispatchTime.now().uptimeNanoseconds) / 1e9 - t0
            let hash = (try? ContentHash.ofFile(path)) ?? "unreadable"
            if try store.contains(path: path, contentHash: hash) { return false }
            switch outcome {
            case .frames(let frames, let state):
                for frame in frames {
                    let identity = frame.page == 0 ? path : "\(path)#\(frame.page)"
                    let result = pipeline.process(frame, file: state, identity: identity, contentHash: hash, readSeconds: readSeconds)
                    _ = try store.write(result, run: runID)
                    let failed = result.frame.status == .failed
                    if failed { logger.warning("\(identity): \(result.frame.error ?? "failed")") }
                    let atoms = result.columns.allSatisfy { $0.count != nil } && !result.columns.isEmpty
                        ? result.columns.reduce(0) { $0 + ($1.count ?? 0) } : nil
                    status.frameDone(file: identity, columns: result.columns.count, atoms: atoms, failed: failed,
                                     latency: Date().timeIntervalSince1970 - max(started, state.modified))
                }
            case .failed(let reason, let state):
                let result = pipeline.failedFile(state, path: path, reason: reason, contentHash: hash)
                _ = try store.write(result, run: runID)
                logger.warning("\(reason)")
                status.frameDone(file: path, columns: 0, atoms: nil, failed: true, latency: 0)
            }
            status.show()
            return true
        }

        var stopped = false
        while !stopped {
            // Watch first, then the backlog, so that nothing landing during the scan is missed.
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: c.directory, isDirectory: &isDir), isDir.boolValue else {
                logger.error("\(c.directory): the acquisition directory does not exist (deleted or not mounted); waiting for it to appear")
                while !FileManager.default.fileExists(atPath: c.directory) {
                    if Task.isShuttingDownGracefully || Task.isCancelled { stopped = true; break }
                    try? await Task.sleep(nanoseconds: 1_000_000_000)
                }
                continue
            }
            let events: AsyncStream<InotifyWatcher.WatchEvent>
            if c.poll {
                events = PollingWatcher(scan: scan, interval: c.pollInterval).events()
            } else {
                do { events = try InotifyWatcher(scan: scan).events() } catch {
                    logger.warning("\(error); polling instead")
                    events = PollingWatcher(scan: scan, interval: c.pollInterval).events()
                }
            }
            let backlog = try scan.list()
            status.pending = backlog.count
            for file in backlog {
                if Task.isShuttingDownGracefully || Task.isCancelled { stopped = true; break }
                if try await handle(file.path) { handled += 1 }
                status.pending -= 1
                if let n = stopAfter, handled >= n { stopped = true; break }
            }
            if stopped { break }
            status.pending = 0
            status.show(force: true)
            // Shutdown signals end the event loop between frames.
            let stream = events.cancelOnGracefulShutdown()
            var gone = false
            for await event in stream {
                switch event {
                case .file(let path):
                    if try await handle(path) { handled += 1 }
                case .directoryGone(let dir):
                    logger.error("\(dir): the acquisition directory was deleted or moved; waiting for it to reappear")
                    gone = true
                }
                if gone { break }
                if let n = stopAfter, handled >= n { stopped = true; break }
                if Task.isShuttingDownGracefully { stopped = true; break }
            }
            if !gone { stopped = true }
        }
        status.show(force: true)
        FileHandle.standardError.write(Data("\n".utf8))
        try store.endRun(runID)
        logger.info("stopped: \(status.frames) frames this session (\(status.failed) failed)")
    }
}

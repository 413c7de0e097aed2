import ArgumentParser
import Daemon
import Foundation
import Logging
import Monitoring
import ServiceLifecycle
import StemCore

/// `stemtrack process`: an archived series analysed into the store, the same way `watch` does live.
struct ProcessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "Analyse an archived series into the store (what 'watch' does live), then exit.",
        discussion: """
            Every frame of DIR (or of the FILES given, which must lie in one directory; taken in the \
            natural order of their names, as 'watch' does) is fitted, counted, linked, smoothed and \
            measured exactly as 'watch' would, and committed to the database one frame per \
            transaction. At the end every count and event is made final. Killed or stopped, it resumes \
            where it stopped when run again with the same database; on a complete store it only makes \
            the last counts final. The same options as 'watch' (and the same --config file) apply. \
            Then 'stemtrack query', 'export', 'serve' and 'report' read the store. Example:
              stemtrack process /data/series --db /data/series.sqlite --pixel-size 0.2
            """)

    @OptionGroup var options: DaemonOptions

    #if PostgreSQL
    @OptionGroup(title: "Slurm (an archive on a cluster)") var slurm: SlurmOptions
    #endif

    @Argument(help: "More frame files (with the first argument: files in one directory).")
    var files: [String] = []

    func run() async throws {
        let c: WatchConfiguration
        do { c = try options.configuration() } catch { throw configurationFailure("\(error)") }
        if options.analysis.showSettings { try options.analysis.printSettings(c); return }
        #if PostgreSQL
        do {
            if let shard = slurm.shardTask { try SlurmProcessing.runTask(c, shard: shard); return }
            if slurm.slurm {
                guard files.isEmpty else { throw SlurmError("--slurm takes the archive's directory, not single files") }
                try SlurmProcessing.submit(c, slurm)
                return
            }
            if slurm.fromShards {
                try await Self.analyse(c, inputs: [c.directory] + files, fits: try SlurmProcessing.fitsForAssembly(c))
                return
            }
        } catch let e as SlurmError {
            throw RuntimeError(e.description)
        }
        #endif
        try await Self.analyse(c, inputs: [c.directory] + files)
    }

    /// Runs the daemon's analysis over `inputs` (a directory, or files of one directory) into the
    /// store of `c`, making everything final at the end.
    static func analyse(_ configuration: WatchConfiguration, inputs given: [String], fits: (any FitSource)? = nil) async throws {
        var c = configuration
        let inputs = given.filter { !$0.isEmpty }
        guard !inputs.isEmpty else { throw configurationFailure("give the series directory or its files") }
        var isDir: ObjCBool = false
        if inputs.count == 1, FileManager.default.fileExists(atPath: inputs[0], isDirectory: &isDir), isDir.boolValue {
            c.directory = inputs[0]
        } else {
            for f in inputs where !FileManager.default.fileExists(atPath: f) { throw RuntimeError("\(f): no such file") }
            let dirs = Set(inputs.map { f -> String in
                let d = (f as NSString).deletingLastPathComponent
                return WatchService.canonical(d.isEmpty ? "." : d)
            })
            guard dirs.count == 1, let dir = dirs.first else {
                throw RuntimeError("the files given lie in \(dirs.count) directories; give files of one directory, or the directory")
            }
            c.directory = dir
            // Exact names as patterns (shell-pattern characters escaped).
            c.patterns = inputs.map { name in
                var out = ""
                for ch in (name as NSString).lastPathComponent { if "*?[]\\".contains(ch) { out.append("\\") }; out.append(ch) }
                return out
            }
        }
        guard let level = Logger.Level(name: c.logLevel) else {
            throw configurationFailure("log level '\(c.logLevel)': use trace, debug, info, notice, warning, error or critical")
        }
        let logger = Logger(label: "stemtrack") { JournalLogHandler(label: $0, level: level) }
        let bar = LockedBox(Progress("processing", total: 0, unit: "files"))
        var service = WatchService(configuration: c, logger: logger)
        service.backends = Stores.backends
        service.archive = true
        service.fits = fits
        service.progress = { done, total in bar.update(done, total: total) }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                             failureTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        defer { bar.finish() }
        do {
            try await group.run()
        } catch let e as WatchError {
            if e.isConfigurationError { throw configurationFailure(e.description) }
            throw RuntimeError(e.description)
        } catch is CancellationError {
            return
        }
    }
}

extension LockedBox where Value == Progress {
    func update(_ done: Int, total: Int) { withLock { $0.update(done, total: total) } }
    func finish() { withLock { if $0.done > 0 { $0.finish() } } }
}

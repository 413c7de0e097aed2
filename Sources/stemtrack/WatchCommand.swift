import ArgumentParser
import Daemon
import Foundation
import HTTPAPI
import Hummingbird
import Logging
import Monitoring
import ServiceLifecycle

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch an acquisition directory and analyse every frame as it lands (the live daemon).",
        discussion: """
            Frames already in the directory are processed first (backlog), then each new file as the \
            microscope closes it or renames it into place, in acquisition order (natural order of names). \
            Every frame is fitted, counted and linked, and its results are committed to the SQLite \
            database in one transaction. A file that cannot be read yet is retried until it stops \
            changing, then recorded as failed with the reason; bad files never stop the run.

            SIGTERM / Ctrl-C finish the current frame and stop. After a crash or SIGKILL, start the same \
            command again: it resumes after the last committed frame, and nothing is stored twice; a frame \
            whose analysis killed the process is recorded as failed ("the analysis crashed") and not retried. \
            A full disk or a locked store pauses the daemon (frames kept, retried with back-off). SIGHUP \
            re-reads --config and logs what changed. Exit status: 0 stopped, 1 runtime failure, 64 usage, \
            78 configuration error (do not restart).

            Settings come from --config (keys documented in deploy/stemtrack.conf.example) and are \
            overridden by flags; every analysis setting can be given by name (--set smoothing.lag=8, or \
            'smoothing.lag = 8' in --config; --show-settings lists them). Counts are smoothed along \
            each track (fixed lag, --smoothing-lag frames): a stored count may be revised until it is \
            final. Query the database while it runs with 'stemtrack query'.
            """)

    @OptionGroup var options: DaemonOptions

    @Option(help: "Stop after this many frames (for tests and benchmarks).")
    var stopAfter: Int?

    @Option(help: "Also serve the live dashboard, JSON API, /healthz and /metrics on this address, HOST:PORT (e.g. 127.0.0.1:8080).")
    var http: String?


    func run() async throws {
        let c: WatchConfiguration
        do { c = try options.configuration() } catch { throw configurationFailure("\(error)") }
        if options.analysis.showSettings { try options.analysis.printSettings(c); return }
        guard !c.directory.isEmpty else {
            throw configurationFailure("give the acquisition directory (argument or 'directory' in --config)")
        }
        guard let level = Logger.Level(name: c.logLevel) else {
            throw configurationFailure("log level '\(c.logLevel)': use trace, debug, info, notice, warning, error or critical")
        }
        let logger = Logger(label: "stemtrack") { JournalLogHandler(label: $0, level: level) }
        let health = DaemonHealth()
        let metrics = DaemonMetrics()
        let flags = options
        let reload: (@Sendable () throws -> WatchConfiguration)? = options.config == nil ? nil : { @Sendable in try flags.configuration() }
        var service = WatchService(configuration: c, logger: logger, stopAfter: stopAfter, health: health, metrics: metrics,
                                   reloadConfiguration: reload)
        service.backends = Stores.backends
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                  failureTerminationBehavior: .gracefullyShutdownGroup)]
        if let http {
            let address: HTTPAddress
            do { address = try HTTPAddress(parsing: http) } catch { throw configurationFailure("--http: \(error)") }
            let log = logger
            let location = try Stores.location(service.databasePath)
            let key = c.runKey
            let store = StoreAccess(location: location, backends: Stores.backends,
                                    defaultRun: location.isPostgres ? RunSelection(name: key.name, instrument: key.instrument) : RunSelection())
            let app = APIServer.application(store: store, address: address, logger: log,
                                            health: .inProcess(health, metrics, frameTimeout: c.frameTimeout)) { port in
                log.info("dashboard on http://\(address.host):\(port)/ (health: /healthz, metrics: /metrics)")
            }
            services.append(.init(service: app))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch let e as WatchError {
            if e.isConfigurationError { throw configurationFailure(e.description) }
            throw RuntimeError(e.description)
        } catch let e as WatchConfiguration.ConfigError {
            throw configurationFailure(e.description)
        } catch is CancellationError {
            return
        }
    }
}

/// Prints one line and exits with EX_CONFIG (78): systemd's `RestartPreventExitStatus=78`
/// keeps a misconfigured service from restarting forever.
func configurationFailure(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("stemtrack: configuration error: \(message)\n".utf8))
    return ExitCode(ExitStatus.configuration)
}

import ArgumentParser
import Daemon
import Foundation
import HTTPAPI
import Hummingbird
import Logging
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
            command again: it resumes after the last committed frame, and nothing is stored twice.

            Settings come from --config (keys documented in deploy/stemtrack.conf.example) and are \
            overridden by flags. Query the database while it runs with 'stemtrack query'.
            """)

    @Argument(help: "Acquisition directory (or set 'directory' in the configuration file).")
    var directory: String?

    @Option(help: "Configuration file (key = value).")
    var config: String?

    @Option(help: "SQLite database (default: DIRECTORY/stemtrack.sqlite).")
    var db: String?

    @Flag(help: "Poll the directory instead of inotify (network shares).")
    var poll = false

    @Option(help: "Seconds between scans when polling.")
    var pollInterval: Double?

    @Flag(help: "Watch subdirectories too.")
    var recursive = false

    @Option(help: "Pixel size in Å when the files do not carry it.")
    var pixelSize: Double?

    @Option(help: "Temperature log (CSV: timestamp, °C) of the heating holder.")
    var temperatureLog: String?

    @Option(help: "Seconds an unreadable, unchanging file is retried before it is recorded as failed.")
    var quietPeriod: Double?

    @Option(help: "Stop after this many frames (for tests and benchmarks).")
    var stopAfter: Int?

    @Option(help: "Also serve the live dashboard and JSON API on this address, HOST:PORT (e.g. 127.0.0.1:8080).")
    var http: String?

    func run() async throws {
        var c = WatchConfiguration()
        if let config {
            do { c = try WatchConfiguration.read(path: config) } catch { throw ValidationError("\(error)") }
        }
        if let directory { c.directory = directory }
        if let db { c.database = db }
        if poll { c.poll = true }
        if let pollInterval { c.pollInterval = pollInterval }
        if recursive { c.recursive = true }
        if let pixelSize { c.pixelSize = pixelSize }
        if let temperatureLog { c.temperatureLog = temperatureLog }
        if let quietPeriod { c.quietPeriod = quietPeriod }
        guard !c.directory.isEmpty else { throw ValidationError("give the acquisition directory (argument or 'directory' in --config)") }
        var logger = Logger(label: "stemtrack")
        logger.logLevel = .info
        let service = WatchService(configuration: c, logger: logger, stopAfter: stopAfter)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)]
        if let http {
            let address: HTTPAddress
            do { address = try HTTPAddress(parsing: http) } catch { throw ValidationError("\(error)") }
            let log = logger
            let app = APIServer.application(databasePath: service.databasePath, address: address, logger: log) { port in
                log.info("dashboard on http://\(address.host):\(port)/")
            }
            services.append(.init(service: app))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}

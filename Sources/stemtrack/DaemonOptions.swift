import Analysis
import ArgumentParser
import Daemon
import Foundation

/// Options shared by `watch` and `process`: where the frames are, the store, how files are read,
/// and the analysis settings.
struct DaemonOptions: ParsableArguments {
    @Argument(help: "Acquisition directory (or set 'directory' in the configuration file).")
    var directory: String?

    @Option(help: "Configuration file (key = value).")
    var config: String?

    @Option(help: "Store: a SQLite file (default: $STATE_DIRECTORY/stemtrack.sqlite under systemd, else DIRECTORY/stemtrack.sqlite; never on a network share), or a facility's postgres:// URL (password from password_file=, PGPASSWORD or ~/.pgpass, never in the URL).")
    var db: String?

    @Option(help: "With a PostgreSQL store: this microscope's name (default: the host name).")
    var instrument: String?

    @Option(help: "With a PostgreSQL store: the run's name, unique per instrument (default: the directory's name); an existing run is resumed.")
    var run: String?

    @Flag(help: "Poll the directory instead of inotify (network shares).")
    var poll = false

    @Option(help: "Seconds between scans when polling.")
    var pollInterval: Double?

    @Flag(help: "Watch subdirectories too.")
    var recursive = false

    @Option(help: "Temperature log (CSV: timestamp, °C) of the heating holder.")
    var temperatureLog: String?

    @Option(help: "Seconds an unreadable, unchanging file is retried before it is recorded as failed.")
    var quietPeriod: Double?

    @Flag(help: "With --recursive, follow symbolically linked directories (each directory is visited once).")
    var followSymlinks = false

    @Option(help: "Refuse frames with more pixels than this, before reading them (default 16777216 = 4096²).")
    var maxPixels: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default info; 'log_level' in --config).")
    var logLevel: String?

    @OptionGroup(title: "Analysis")
    var analysis: AnalysisOptions

    /// The configuration: the file, then the flags over it. Throws ``WatchConfiguration/ConfigError``
    /// or ``AnalysisError``.
    func configuration() throws -> WatchConfiguration {
        var c = WatchConfiguration()
        if let config { c = try WatchConfiguration.read(path: config) }
        if let directory { c.directory = directory }
        if let db { c.database = db }
        if let instrument { c.instrument = instrument }
        if let run { c.run = run }
        if poll { c.poll = true }
        if let pollInterval { c.pollInterval = pollInterval }
        if recursive { c.recursive = true }
        if followSymlinks { c.followSymlinks = true }
        if let temperatureLog { c.temperatureLog = temperatureLog }
        if let quietPeriod { c.quietPeriod = quietPeriod }
        if let maxPixels { c.maxPixels = maxPixels }
        if let logLevel { c.logLevel = logLevel }
        try analysis.apply(to: &c)
        return c
    }
}

/// The analysis settings as flags: the common ones by name, any other by `--set KEY=VALUE`.
struct AnalysisOptions: ParsableArguments {
    @Option(help: "Pixel size in Å when the files do not carry it.")
    var pixelSize: Double?

    @Option(help: "Frames a count may still be revised by smoothing along its track (default 5; 0: filtered only).")
    var smoothingLag: Int?

    @Flag(help: "Store the counting model's counts as they are (no smoothing along tracks).")
    var noSmoothing = false

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Any analysis setting by its dotted name, e.g. --set fit.maxIterations=50 (repeatable; --show-settings lists them).",
                               valueName: "key=value"))
    var settings: [String] = []

    @Flag(help: "Print every analysis setting with its value (after --config and the flags) and exit.")
    var showSettings = false

    func apply(to c: inout WatchConfiguration) throws {
        if let pixelSize { c.pixelSize = pixelSize }
        if let smoothingLag { c.settings.append(.init(key: "smoothing.lag", value: String(smoothingLag))) }
        if noSmoothing { c.settings.append(.init(key: "smoothing.enabled", value: "false")) }
        for s in settings {
            guard let eq = s.firstIndex(of: "=") else {
                throw AnalysisError.invalidSetting("--set \(s): expected KEY=VALUE, e.g. --set smoothing.lag=8")
            }
            c.settings.append(.init(key: String(s[..<eq]).trimmingCharacters(in: .whitespaces),
                                    value: String(s[s.index(after: eq)...])))
        }
        _ = try c.analysisSettings()
    }

    func printSettings(_ c: WatchConfiguration) throws {
        let a = try c.analysisSettings()
        let width = a.flattened.map(\.key.count).max() ?? 0
        for (k, v) in a.flattened { print(k.padding(toLength: width, withPad: " ", startingAt: 0) + " = " + v) }
    }
}

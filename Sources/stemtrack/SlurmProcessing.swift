#if PostgreSQL
import Analysis
import ArgumentParser
import Daemon
import Foundation
import PostgresStore
import StorePresentation
import TIFFFrame
import TrajectoryStore

/// `process --slurm`: the options of a cluster submission.
struct SlurmOptions: ParsableArguments {
    @Flag(help: "Fit the archive's frames as a Slurm job array (one task per shard), then count, link, smooth and measure the whole series in order in a dependent job. Needs --db postgres://… (the tasks write there).")
    var slurm = false

    @Option(help: "Shards (array tasks) the archive's files are split into, in their natural order (with --slurm; default 8).")
    var shards: Int?

    @Flag(help: "Wait until the whole series is in the store (showing the shards' progress); exit with the jobs' status. A failed shard is submitted again (--retries).")
    var wait = false

    @Flag(name: .customLong("dry-run"), help: "Write the job scripts (--scripts) and print them instead of submitting.")
    var dryRun = false

    @Option(help: "Slurm partition (sbatch --partition).")
    var partition: String?

    @Option(help: "Slurm account (sbatch --account).")
    var account: String?

    @Option(name: .customLong("time-limit"), help: "Time limit per task (sbatch --time, e.g. 2:00:00).")
    var timeLimit: String?

    @Option(name: .customLong("cpus-per-task"), help: "CPUs per task (sbatch --cpus-per-task).")
    var cpusPerTask: Int?

    @Option(help: "Memory per task (sbatch --mem, e.g. 4G).")
    var mem: String?

    @Option(help: "At most this many array tasks at once (sbatch --array=…%N).")
    var throttle: Int?

    @Option(name: .customLong("sbatch-arg"), help: "Another sbatch argument for both jobs (repeatable), e.g. --sbatch-arg=--qos=long.")
    var sbatchArgs: [String] = []

    @Option(help: "Directory for the job scripts and the tasks' logs (default ./stemtrack-slurm/RUN).")
    var scripts: String?

    @Option(help: "With --wait: times a failed shard is submitted again.")
    var retries: Int = 1

    @Option(name: .customLong("shard-task"), help: .hidden)
    var shardTask: Int?

    @Flag(name: .customLong("from-shards"), help: .hidden)
    var fromShards = false

    /// The options above that `process` passes on to neither kind of job.
    static let submissionOnly: [(name: String, takesValue: Bool)] = [
        ("--slurm", false), ("--wait", false), ("--dry-run", false), ("--shards", true), ("--partition", true),
        ("--account", true), ("--time-limit", true), ("--cpus-per-task", true), ("--mem", true), ("--throttle", true),
        ("--sbatch-arg", true), ("--scripts", true), ("--retries", true), ("--shard-task", true), ("--from-shards", false),
    ]
}

/// Why a cluster submission or task could not go on.
struct SlurmError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// What a plan is made for: the archive's files in order and the analysis settings (fits made
/// with other settings are not reused).
func planIdentity(_ c: WatchConfiguration, files: [String]) throws -> String {
    PostgresShards.listingHash(files + ["settings: " + (try c.analysisSettings().json)])
}

/// The archive's files as `process` takes them: the directory's listing in natural order (the
/// same scan as the frame loop's).
func archiveListing(_ c: WatchConfiguration) throws -> [String] {
    let scan = DirectoryScan(directory: WatchService.canonical(c.directory), recursive: c.recursive, patterns: c.patterns,
                             followSymlinks: c.followSymlinks)
    return try scan.list(shouldStop: { false }).map(\.path)
}

/// Stored fits of a run's shards, for the sequential pass.
struct ShardFits: FitSource {
    let shards: PostgresShards
    func fit(identity: String, contentHash: String) throws -> FitOutcome? {
        try shards.fit(identity: identity, contentHash: contentHash).map(FitOutcome.decoded)
    }
}

enum SlurmProcessing {
    static func shardStore(_ c: WatchConfiguration) throws -> PostgresShards {
        guard case .postgres(let url) = try StoreLocation(parsing: WatchService.databasePath(for: c)) else {
            throw SlurmError("--slurm needs a store every node reaches: --db postgres://… (a SQLite file cannot be shared by a cluster's nodes)")
        }
        do { return try PostgresShards(url: url, run: c.runKey) } catch {
            throw SlurmError("\(url): \(Stores.backends.describe(error))")
        }
    }

    /// Environment variable for tests: "SHARD:MARKER" makes task SHARD fail once (it creates MARKER;
    /// while MARKER exists the task runs normally).
    static let testFailVariable = "STEMTRACK_TEST_FAIL_SHARD"

    // MARK: One array task

    /// Fits the frames of one shard's files and stores them in one transaction.
    static func runTask(_ c: WatchConfiguration, shard: Int) throws {
        let store = try shardStore(c)
        let files = try archiveListing(c)
        let plan = try store.shards()
        guard let record = plan.first(where: { $0.shard == shard }) else {
            throw SlurmError("shard \(shard) is not planned for run \(c.runKey) (\(plan.count) shards are)")
        }
        let settings = try c.analysisSettings()
        let job = ProcessInfo.processInfo.environment["SLURM_ARRAY_JOB_ID"].map { a in
            a + "_" + (ProcessInfo.processInfo.environment["SLURM_ARRAY_TASK_ID"] ?? "?")
        } ?? ProcessInfo.processInfo.environment["SLURM_JOB_ID"]
        let identity = try planIdentity(c, files: files)
        guard identity == (try store.listing(shard: shard)) else {
            throw SlurmError("the archive's files or the analysis settings changed since the shards were planned; submit again")
        }
        try store.start(shard: shard, listing: identity, shardCount: record.shardCount, host: ProcessInfo.processInfo.hostName, job: job)
        do {
            if let spec = ProcessInfo.processInfo.environment[testFailVariable], !spec.isEmpty {
                let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
                if parts.count == 2, Int(parts[0]) == shard, !FileManager.default.fileExists(atPath: parts[1]) {
                    FileManager.default.createFile(atPath: parts[1], contents: Data())
                    throw SlurmError("\(testFailVariable): shard \(shard) fails once (test switch)")
                }
            }
            var fits: [(identity: String, contentHash: String, fit: Data)] = []
            var failed = 0
            var readiness = FrameReadiness(quietPeriod: 0)
            readiness.options.emdSignal = c.emdSignal
            for path in files[record.firstFile..<record.endFile] {
                // Unreadable files are left to the sequential pass, which records them as `process` does.
                guard case .frames(let frames, _, _) = readiness.attempt(path, maxPixels: c.maxPixels) else { continue }
                for frame in frames {
                    let identity = frame.page == 0 ? path : "\(path)#\(frame.page)"
                    let hash = ContentHash.ofPixels(frame.pixels, width: frame.width, height: frame.height)
                    let outcome = Pipeline.fit(frame, settings: settings)
                    if case .failed = outcome { failed += 1 }
                    fits.append((identity, hash, try outcome.encoded()))
                }
            }
            try store.complete(shard: shard, listing: identity, shardCount: record.shardCount, fits: fits, failedFrames: failed)
            print("shard \(shard): \(record.files) files, \(fits.count) frames fitted (\(failed) failed)")
        } catch {
            try? store.fail(shard: shard, listing: identity, error: "\(error)")
            throw error
        }
    }

    // MARK: Submission

    /// The command line a job runs: this one without the submission's options, the run pinned.
    static func jobArguments(_ c: WatchConfiguration) -> [String] {
        var out: [String] = []
        var args = Array(CommandLine.arguments.dropFirst())
        if args.first == "process" { args.removeFirst() }
        while !args.isEmpty {
            let a = args.removeFirst()
            let name = a.split(separator: "=", maxSplits: 1).first.map(String.init) ?? a
            if let opt = SlurmOptions.submissionOnly.first(where: { $0.name == name }) {
                if opt.takesValue && !a.contains("=") && !args.isEmpty { args.removeFirst() }
                continue
            }
            out.append(a)
        }
        let key = c.runKey
        return out + ["--instrument", key.instrument, "--run", key.name]
    }

    static func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    static func executable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func header(_ o: SlurmOptions, name: String, output: String) -> [String] {
        var h = ["#!/bin/bash", "#SBATCH --job-name=\(name)", "#SBATCH --output=\(output)",
                 "#SBATCH --chdir=\(FileManager.default.currentDirectoryPath)"]
        if let p = o.partition { h.append("#SBATCH --partition=\(p)") }
        if let a = o.account { h.append("#SBATCH --account=\(a)") }
        if let t = o.timeLimit { h.append("#SBATCH --time=\(t)") }
        if let n = o.cpusPerTask { h.append("#SBATCH --cpus-per-task=\(n)") }
        if let m = o.mem { h.append("#SBATCH --mem=\(m)") }
        h += o.sbatchArgs.map { "#SBATCH \($0)" }
        return h
    }

    /// Array indices as sbatch writes them: "0-3,5,7".
    static func arraySpec(_ shards: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < shards.count {
            var j = i
            while j + 1 < shards.count && shards[j + 1] == shards[j] + 1 { j += 1 }
            parts.append(i == j ? "\(shards[i])" : "\(shards[i])-\(shards[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    static func submit(_ c: WatchConfiguration, _ o: SlurmOptions) throws {
        let count = o.shards ?? 8
        guard count >= 1 else { throw SlurmError("--shards must be at least 1") }
        let store = try shardStore(c)
        let files = try archiveListing(c)
        guard !files.isEmpty else { throw SlurmError("\(c.directory): no frame files to process") }
        let shardCount = min(count, files.count)
        if shardCount < count { print("\(files.count) files: \(shardCount) shards instead of \(count)") }
        let key = c.runKey
        let dir = o.scripts ?? "stemtrack-slurm/\(key.instrument)-\(key.name)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let scripts = URL(fileURLWithPath: dir).standardizedFileURL.path
        let exe = quoted(executable())
        let args = jobArguments(c).map(quoted).joined(separator: " ")
        var fitScript = header(o, name: "stemtrack-fit-\(key.name)", output: "\(scripts)/fit-%A_%a.out")
        fitScript += ["export OPENBLAS_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}",
                      "exec \(exe) process \(args) --shard-task \"$SLURM_ARRAY_TASK_ID\""]
        var assembleScript = header(o, name: "stemtrack-assemble-\(key.name)", output: "\(scripts)/assemble-%j.out")
        assembleScript += ["exec \(exe) process \(args) --from-shards"]
        let fitPath = "\(scripts)/fit.sbatch", assemblePath = "\(scripts)/assemble.sbatch"
        try (fitScript.joined(separator: "\n") + "\n").write(toFile: fitPath, atomically: true, encoding: .utf8)
        try (assembleScript.joined(separator: "\n") + "\n").write(toFile: assemblePath, atomically: true, encoding: .utf8)

        var attempt = 0
        while true {
            let plan = try store.plan(files: files, identity: try planIdentity(c, files: files), shards: shardCount)
            let todo = plan.filter { $0.status != .done }.map(\.shard)
            let array = todo.isEmpty ? nil : "--array=\(arraySpec(todo))" + (o.throttle.map { "%\($0)" } ?? "")
            if o.dryRun {
                print("# \(fitPath) (submit: sbatch \(array ?? "(all shards done)") \(fitPath))")
                print(fitScript.joined(separator: "\n"))
                print("\n# \(assemblePath) (submit: sbatch --dependency=afterany:ARRAY_JOB \(assemblePath))")
                print(assembleScript.joined(separator: "\n"))
                return
            }
            var dependency: [String] = []
            if let array {
                let id = try sbatch([array, "--parsable", fitPath])
                print("submitted shards \(arraySpec(todo)) of \(shardCount) as job array \(id) (logs in \(scripts))")
                dependency = ["--dependency=afterany:\(id)"]
            }
            if !o.wait {
                let id = try sbatch(dependency + ["--parsable", assemblePath])
                print("submitted the sequential pass as job \(id); progress: stemtrack query shards --db … --instrument \(key.instrument) --run \(key.name)")
                return
            }
            let assembly = try sbatch(dependency + ["--parsable", assemblePath])
            print("submitted the sequential pass as job \(assembly)")
            let status = try waitForAssembly(assembly, store: store, total: shardCount)
            if status == 0 {
                let done = try store.shards()
                let frames = done.reduce(0) { $0 + ($1.frames ?? 0) }
                print("done: \(shardCount) shards, \(frames) frames fitted; the series is in the store (run \(key))")
                return
            }
            let failed = try store.shards().filter { $0.status != .done }
            if failed.isEmpty {
                throw SlurmError("the sequential pass failed (exit status \(status)); its log is in \(scripts)")
            }
            attempt += 1
            if attempt > o.retries {
                throw SlurmError("shards \(failed.map { "\($0.shard)" }.joined(separator: ", ")) failed: "
                                 + failed.map { "\($0.shard): \($0.error ?? $0.status.rawValue)" }.joined(separator: "; ")
                                 + "; submit again to run only those")
            }
            print("shards \(failed.map { "\($0.shard)" }.joined(separator: ", ")) failed "
                  + "(\(failed.compactMap(\.error).joined(separator: "; "))); submitting them again")
        }
    }

    /// Runs `sbatch ARGS` and returns what it printed (with --parsable: the job id).
    static func sbatch(_ args: [String]) throws -> String {
        let (status, out, err) = try run("sbatch", args)
        guard status == 0 else { throw SlurmError("sbatch \(args.joined(separator: " ")) failed: \(err.isEmpty ? out : err)") }
        return out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? out
    }

    static func run(_ tool: String, _ args: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        do { try p.run() } catch { throw SlurmError("\(tool) could not be started (is Slurm installed?): \(error)") }
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Follows the sequential pass (job `id`) until it leaves the queue, printing the shards'
    /// progress from the store every second; returns its exit status (`scontrol show job`).
    /// (`sbatch --wait` polls with growing intervals, up to half a minute after the job ended.)
    static func waitForAssembly(_ id: String, store: PostgresShards, total: Int) throws -> Int32 {
        var last = ""
        while true {
            Thread.sleep(forTimeInterval: 1)
            if let s = try? store.shards() {
                let done = s.filter { $0.status == .done }.count, running = s.filter { $0.status == .running }.count
                let failed = s.filter { $0.status == .failed }.count, frames = s.reduce(0) { $0 + ($1.frames ?? 0) }
                let line = "shards: \(done)/\(total) done, \(running) running, \(failed) failed; \(frames) frames fitted"
                if line != last { print(line); last = line }
            }
            let (status, out, err) = try run("scontrol", ["show", "job", id, "-o"])
            if status != 0 {
                // Gone from the controller's memory (MinJobAge passed): ask the accounting, if the site has it.
                if err.contains("Invalid job id") {
                    let (st, acct, _) = try run("sacct", ["-j", id, "-X", "-n", "-P", "-o", "State,ExitCode"])
                    if st == 0, let line = acct.split(separator: "\n").first {
                        let cells = line.split(separator: "|")
                        if cells.first?.hasPrefix("COMPLETED") == true { return 0 }
                        if cells.count > 1, let code = Int32(cells[1].split(separator: ":").first ?? "") { return code == 0 ? 1 : code }
                    }
                    throw SlurmError("job \(id) is no longer known to Slurm and its end was not seen; check its log and the store "
                                     + "(stemtrack query shards / query summary)")
                }
                continue
            }
            guard let state = field("JobState", in: out) else { continue }
            if ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
                "RESIZING", "STAGE_OUT", "SIGNALING", "STOPPED", "RESV_DEL_HOLD", "SPECIAL_EXIT"].contains(state) { continue }
            if state == "COMPLETED" { return 0 }
            let code = field("ExitCode", in: out).flatMap { Int32($0.split(separator: ":").first ?? "") } ?? 1
            if code == 0 { print("the sequential pass ended \(state)") }
            return code == 0 ? 1 : code
        }
    }

    /// The value of `NAME=` in `scontrol -o` output.
    static func field(_ name: String, in text: String) -> String? {
        for part in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) where part.hasPrefix(name + "=") {
            return String(part.dropFirst(name.count + 1))
        }
        return nil
    }

    // MARK: The sequential pass

    /// `process --from-shards`: every shard must be done; then `process` with their fits.
    static func fitsForAssembly(_ c: WatchConfiguration) throws -> ShardFits {
        let store = try shardStore(c)
        let plan = try store.shards()
        guard !plan.isEmpty else { throw SlurmError("run \(c.runKey) has no shards: submit with --slurm first") }
        let missing = plan.filter { $0.status != .done }
        guard missing.isEmpty else {
            throw SlurmError("shards \(missing.map { "\($0.shard) (\($0.status.rawValue))" }.joined(separator: ", ")) of \(plan.count) are not done; "
                             + "submit again to run them")
        }
        return ShardFits(shards: store)
    }

    /// `query shards`.
    static func table(_ shards: [ShardRecord]) -> ResultTable {
        ResultTable(headers: ["shard", "files", "status", "attempts", "frames", "failed_frames", "host", "job", "started",
                              "finished", "error"], rows: shards.map { s in
            [.int(s.shard), .int(s.files), .text(s.status.rawValue), .int(s.attempts), .integer(s.frames), .integer(s.failedFrames),
             s.host.map(Cell.text) ?? .null, s.job.map(Cell.text) ?? .null, .time(s.startedAt), .time(s.finishedAt),
             s.error.map(Cell.text) ?? .null]
        })
    }
}
#endif

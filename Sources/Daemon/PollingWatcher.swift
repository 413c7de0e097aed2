import Foundation

/// Finds new frames by scanning the directory at a fixed interval, for network shares where
/// inotify sees nothing. A file is reported once its size and modification time have been stable
/// for one interval; a changed file is reported again (the daemon skips what it has stored).
///
/// Cost per interval: one listing of names per directory (also giving the subdirectories), and a `stat` only of files that are new
/// or not yet stable, plus a round of `stat`s of the reported files every `revisitEvery`
/// intervals (to see files rewritten in place); not a `stat` of every file every interval.
public struct PollingWatcher: Sendable {
    public var scan: DirectoryScan
    /// Seconds between scans.
    public var interval: Double
    /// Reported files are checked for changes every this many intervals.
    public var revisitEvery: Int

    public init(scan: DirectoryScan, interval: Double, revisitEvery: Int = 30) {
        self.scan = scan
        self.interval = max(0.05, interval)
        self.revisitEvery = max(1, revisitEvery)
    }

    public func events() -> AsyncStream<InotifyWatcher.WatchEvent> {
        let scan = self.scan, interval = self.interval, revisitEvery = self.revisitEvery
        return AsyncStream { continuation in
            let task = Task {
                var reported: [String: FileState] = [:]
                var pending: [String: FileState] = [:]
                var round = 0
                while !Task.isCancelled {
                    var isDir: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: scan.directory, isDirectory: &isDir), isDir.boolValue,
                          let listing = try? scan.walk(shouldStop: { Task.isCancelled }) else {
                        continuation.yield(.directoryGone(scan.directory))
                        break
                    }
                    round += 1
                    let revisit = round % revisitEvery == 0
                    var seen = Set<String>()
                    for (dir, names) in listing {
                        for name in names where scan.accepts(name) {
                            let path = dir + "/" + name
                            seen.insert(path)
                            if reported[path] != nil && !revisit && pending[path] == nil { continue }
                            guard let now = FileState.of(path), !now.isDirectory else { continue }
                            if let r = reported[path], r.sameVersion(as: now) { continue }
                            // Stable since the last scan: report it.
                            if let p = pending[path], p.sameVersion(as: now) {
                                pending[path] = nil
                                reported[path] = now
                                continuation.yield(.file(path))
                            } else {
                                pending[path] = now
                            }
                        }
                    }
                    // Forget files that went away (bounded memory over a long run with deletions).
                    if revisit { reported = reported.filter { seen.contains($0.key) } }
                    pending = pending.filter { seen.contains($0.key) }
                    try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

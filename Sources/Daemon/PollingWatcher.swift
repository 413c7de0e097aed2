import Foundation

/// Finds new frames by scanning the directory at a fixed interval, for network shares where
/// inotify sees nothing. A file is reported once its size and modification time have been stable
/// for one interval; a changed file is reported again (the store skips identical content).
public struct PollingWatcher: Sendable {
    public var scan: DirectoryScan
    /// Seconds between scans.
    public var interval: Double

    public init(scan: DirectoryScan, interval: Double) {
        self.scan = scan
        self.interval = max(0.05, interval)
    }

    public func events() -> AsyncStream<InotifyWatcher.WatchEvent> {
        let scan = self.scan, interval = self.interval
        return AsyncStream { continuation in
            let task = Task {
                var reported: [String: FileState] = [:]
                var previous: [String: FileState] = [:]
                while !Task.isCancelled {
                    var isDir: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: scan.directory, isDirectory: &isDir), isDir.boolValue,
                          let files = try? scan.list() else {
                        continuation.yield(.directoryGone(scan.directory))
                        break
                    }
                    var current: [String: FileState] = [:]
                    for f in files {
                        current[f.path] = f
                        // Stable since the last scan and not yet reported in this state.
                        if previous[f.path] == f && reported[f.path] != f {
                            reported[f.path] = f
                            continuation.yield(.file(f.path))
                        }
                    }
                    previous = current
                    try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

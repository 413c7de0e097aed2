import TrajectoryStore

/// The files the store already holds, in memory, so that a restart (or a repeated event) skips
/// them by `stat` alone: no read, no hash. Loaded once from the store at start (a 64-bit key per
/// stored file version, see ``TrajectoryStore/FileKey``) and kept up to date as frames are committed.
///
/// A file is *known* when its path, size and modification time match a stored file version, or
/// when its device, inode, size and modification time do (the same file renamed within the
/// directory). A failed file is retried only when it changes (size, modification time or, for
/// permission problems, its status-change time).
public struct FrameIndex: Sendable {
    /// How a file on disk relates to the store.
    public enum Match: Sendable, Equatable {
        /// This version of the file is stored.
        case stored
        /// This version of the file was recorded as failed and has not changed since.
        case failedUnchanged(reason: String?)
        /// The same file (device, inode, size, mtime) is stored under another path: renamed.
        case renamed
    }

    private var known: KnownFiles

    public init(_ known: KnownFiles = KnownFiles()) { self.known = known }

    /// Stored file versions.
    public var count: Int { known.storedKeys.count + known.failedKeys.count }

    /// Records a file as stored (or failed) in the state `state`.
    public mutating func record(_ state: FileState, failed: Bool, reason: String? = nil) {
        let key = FileKey.of(path: state.path, size: state.size, modified: state.modified)
        if failed {
            if !known.storedKeys.contains(key) { known.failedKeys.insert(key) }
            known.failures[state.path] = KnownFile(path: state.path, size: state.size, modified: state.modified,
                                                   changed: state.changed, failed: true, error: reason)
        } else {
            known.storedKeys.insert(key)
            known.failedKeys.remove(key)
            if let d = state.device, let i = state.inode {
                known.inodeKeys.insert(FileKey.inode(device: d, inode: i, size: state.size, modified: state.modified))
            }
        }
    }

    /// What the store knows of this version of the file; nil: it must be read.
    public func match(_ s: FileState) -> Match? {
        let key = FileKey.of(path: s.path, size: s.size, modified: s.modified)
        if known.storedKeys.contains(key) { return .stored }
        if known.failedKeys.contains(key) {
            let failure = known.failures[s.path]
            // Permission problems are fixed with chmod/chown, which change only the ctime.
            if let f = failure, f.error?.contains("permission denied") ?? false,
               let c = f.changed, let now = s.changed, c != now { return nil }
            return .failedUnchanged(reason: failure?.error)
        }
        if let d = s.device, let i = s.inode,
           known.inodeKeys.contains(FileKey.inode(device: d, inode: i, size: s.size, modified: s.modified)) {
            return .renamed
        }
        return nil
    }
}

import TrajectoryStore

/// The files the store already holds, in memory, so that a restart (or a repeated event) skips
/// them by `stat` alone: no read, no hash. Loaded once from the store at start and kept up to
/// date as frames are committed.
///
/// A file is *known* when its path, size and modification time match a stored file, or when its
/// device, inode, size and modification time do (the same file renamed within the directory). A
/// failed file is retried only when it changes (size, modification time or, for permission
/// problems, its status-change time).
public struct FrameIndex: Sendable {
    /// How a file on disk relates to the store.
    public enum Match: Sendable, Equatable {
        /// This version of the file is stored (ok).
        case stored
        /// This version of the file was recorded as failed and has not changed since.
        case failedUnchanged(reason: String?)
        /// The same file (device, inode, size, mtime) is stored under another path: renamed.
        case renamed(from: String)
    }

    private var byPath: [String: KnownFile] = [:]
    private var byInode: [InodeKey: String] = [:]

    struct InodeKey: Hashable { var device: Int64; var inode: Int64; var size: Int; var modified: Double }

    public init(_ files: [KnownFile] = []) {
        for f in files { insert(f) }
    }

    public var count: Int { byPath.count }

    public mutating func insert(_ f: KnownFile) {
        byPath[f.path] = f
        if let d = f.device, let i = f.inode, let s = f.size, let m = f.modified, !f.failed {
            byInode[InodeKey(device: d, inode: i, size: s, modified: m)] = f.path
        }
    }

    /// Records a file as stored (or failed) in the state `state`.
    public mutating func record(_ state: FileState, failed: Bool, reason: String? = nil, frames: Int = 1) {
        insert(KnownFile(path: state.path, size: state.size, modified: state.modified, device: state.device,
                         inode: state.inode, changed: state.changed, failed: failed, error: reason, frames: frames))
    }

    /// What the store knows of this version of the file; nil: it must be read.
    public func match(_ s: FileState) -> Match? {
        if let k = byPath[s.path], k.size == s.size, k.modified == s.modified {
            if !k.failed { return .stored }
            // Permission problems are fixed with chmod/chown, which change only the ctime.
            let permission = k.error?.contains("permission denied") ?? false
            if permission, let c = k.changed, let now = s.changed, c != now { return nil }
            return .failedUnchanged(reason: k.error)
        }
        if let d = s.device, let i = s.inode,
           let other = byInode[InodeKey(device: d, inode: i, size: s.size, modified: s.modified)], other != s.path {
            return .renamed(from: other)
        }
        return nil
    }
}

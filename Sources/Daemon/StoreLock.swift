import CInotifyTools
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One daemon per store: an exclusive `flock(2)` on `<database>.lock`, held for the life of the
/// process (the kernel releases it when the process dies, however it dies). The file names the
/// holder (pid, host, start time), so a second daemon is refused with a message naming the first.
public final class StoreLock: @unchecked Sendable {
    public let path: String
    private var fd: Int32

    /// Takes the lock, or throws ``WatchError/storeInUse(database:holder:)``.
    public init(database: String) throws {
        path = database + ".lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw WatchError.cannotLock(path: path, reason: String(cString: strerror(errno)))
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw WatchError.storeInUse(database: database, holder: holder.isEmpty ? "another process" : holder)
        }
        let stamp = ISO8601DateFormatter().string(from: Date())
        let text = "stemtrack pid \(getpid()) on \(ProcessInfo.processInfo.hostName), started \(stamp)\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Releases the lock (also released when the process exits).
    public func release() {
        guard fd >= 0 else { return }
        _ = flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}

/// The kind of file system a path lives on, from `statfs(2)`.
public enum FileSystemKind {
    /// Network file systems on which SQLite's WAL mode (shared memory between processes) does not work.
    public static func networkName(of path: String) -> String? {
        let type = UInt64(st_filesystem_type(path))
        guard type != 0 else { return nil }
        switch type & 0xFFFF_FFFF {
        case 0x6969: return "NFS"
        case 0xFF53_4D42: return "CIFS"
        case 0xFE53_4D42: return "SMB2"
        case 0x517B: return "SMB"
        case 0x0BD0_0BD0: return "Lustre"
        case 0x6573_5546: return "FUSE"
        case 0x4750_4653: return "GPFS"
        case 0x0102_1997: return "9P"
        default: return nil
        }
    }
}

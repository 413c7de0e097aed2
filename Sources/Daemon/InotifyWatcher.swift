import CInotifyTools
import Foundation

/// Watches a directory with Linux inotify for files that were closed after writing or renamed
/// into it (`IN_CLOSE_WRITE | IN_MOVED_TO`: writers that write a temp file and rename it are
/// seen once, complete). Blocking reads run on a dedicated thread and feed an `AsyncStream`.
/// The directory being deleted or moved away ends the stream with ``WatchEvent/directoryGone``.
public final class InotifyWatcher: @unchecked Sendable {
    /// What the watcher reports.
    public enum WatchEvent: Sendable, Equatable {
        /// A file is ready to be looked at (absolute path).
        case file(String)
        /// The watched directory was deleted, moved or unmounted.
        case directoryGone(String)
        /// The kernel's event queue overflowed: events were lost, the directory must be rescanned.
        case overflow
    }

    public enum WatchError: Error, CustomStringConvertible {
        case cannotWatch(path: String, errno: Int32)
        public var description: String {
            switch self {
            case .cannotWatch(let p, let e):
                return "\(p): cannot watch with inotify (\(String(cString: strerror(e)))); use polling (--poll) for network shares"
            }
        }
    }

    private let fd: Int32
    private let scan: DirectoryScan
    private var directories: [Int32: String] = [:]
    private let lock = NSLock()
    private var stopped = false

    public init(scan: DirectoryScan) throws {
        self.scan = scan
        fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { throw WatchError.cannotWatch(path: scan.directory, errno: errno) }
        // The same walk as the scan: each directory once, links followed only when asked.
        for dir in try scan.directories() { try add(dir) }
    }

    deinit { close(fd) }

    private func add(_ dir: String) throws {
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)
        let wd = inotify_add_watch(fd, dir, mask)
        guard wd >= 0 else { throw WatchError.cannotWatch(path: dir, errno: errno) }
        lock.lock(); directories[wd] = dir; lock.unlock()
    }

    /// Stops the reader thread (it wakes on the next event or within a second).
    public func stop() { lock.lock(); stopped = true; lock.unlock() }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    /// Events as they happen. Starts the reader thread on first call.
    public func events() -> AsyncStream<WatchEvent> {
        AsyncStream { continuation in
            let thread = Thread { [self] in
                let size = 64 * 1024
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
                defer { buffer.deallocate() }
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                while !isStopped {
                    let ready = poll(&pfd, 1, 1000)
                    if ready <= 0 { continue }
                    let n = read(fd, buffer, size)
                    if n <= 0 { continue }
                    var offset = 0
                    while offset < n {
                        let event = (buffer + offset).assumingMemoryBound(to: inotify_event.self).pointee
                        let nameStart = buffer + offset + MemoryLayout<inotify_event>.size
                        let name = event.len > 0 ? String(cString: nameStart.assumingMemoryBound(to: CChar.self)) : ""
                        offset += MemoryLayout<inotify_event>.size + Int(event.len)
                        if event.mask & UInt32(IN_Q_OVERFLOW) != 0 { continuation.yield(.overflow); continue }
                        lock.lock(); let dir = directories[event.wd]; lock.unlock()
                        guard let dir else { continue }
                        let mask = event.mask
                        if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT) != 0 {
                            if dir == scan.directory {
                                continuation.yield(.directoryGone(dir))
                                continuation.finish()
                                return
                            }
                            continue
                        }
                        let path = dir + "/" + name
                        if mask & UInt32(IN_ISDIR) != 0 {
                            if scan.recursive, mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0, !name.hasPrefix(".") {
                                // The new directory and any directories already inside it (mkdir -p,
                                // a session moved in); files may have landed before the watches.
                                var sub = scan
                                sub.directory = path
                                for d in (try? sub.directories()) ?? [path] { try? add(d) }
                                for f in (try? sub.list()) ?? [] { continuation.yield(.file(f.path)) }
                            }
                            continue
                        }
                        // IN_CREATE alone: a frame linked in (ln, ln -s) is complete at once.
                        var linked = false
                        if mask & UInt32(IN_CREATE) != 0 {
                            var l = stat()
                            linked = lstat(path, &l) == 0 && ((l.st_mode & S_IFMT) == S_IFLNK || l.st_nlink > 1)
                        }
                        if mask & UInt32(IN_CLOSE_WRITE | IN_MOVED_TO) != 0 || linked, scan.accepts(name) {
                            continuation.yield(.file(path))
                        }
                    }
                }
                continuation.finish()
            }
            thread.name = "stemtrack.inotify"
            thread.start()
            continuation.onTermination = { [weak self] _ in self?.stop() }
        }
    }
}

import Foundation
import FrameFormats

/// Lists candidate frame files in an acquisition directory.
///
/// Bounded and interruptible: each directory is visited once (by device and inode, so symbolic
/// links to `.` or `..` cannot loop), symbolic links to directories are followed only with
/// ``followSymlinks``, and ``list(shouldStop:)`` checks its stop condition between directories.
public struct DirectoryScan: Sendable {
    /// Directory to watch.
    public var directory: String
    /// Descend into subdirectories.
    public var recursive: Bool
    /// Shell-style patterns on the file name (e.g. "*.tif", "frame_*.dm4"); empty = the extensions
    /// of every format read (.tif, .tiff, .dm3, .dm4, .emd).
    public var patterns: [String]
    /// In recursive mode, descend into symbolically linked directories too (each directory is
    /// still visited at most once).
    public var followSymlinks: Bool

    public init(directory: String, recursive: Bool = false, patterns: [String] = [], followSymlinks: Bool = false) {
        self.directory = directory
        self.recursive = recursive
        self.patterns = patterns
        self.followSymlinks = followSymlinks
    }

    /// Whether a file name is a frame candidate (hidden and temporary names never are: writers use
    /// them for files still being written, e.g. ".frame_00001.tif.part").
    public func accepts(_ name: String) -> Bool {
        if name.hasPrefix(".") || name.hasSuffix(".part") || name.hasSuffix(".tmp") || name.hasSuffix("~") { return false }
        if patterns.isEmpty {
            let lower = name.lowercased()
            return FrameFiles.extensions.contains { lower.hasSuffix($0) }
        }
        return patterns.contains { fnmatch($0, name, 0) == 0 }
    }

    /// All candidate files (absolute paths) with size, modification time and identity, in
    /// acquisition order: natural order of names relative to the directory. A symbolic link to a
    /// file is listed under its own name; FIFOs, devices and sockets with a frame's name are listed
    /// too (reading them fails with "not a regular file", so they are recorded with that reason).
    public func list(shouldStop: () -> Bool = { false }) throws -> [FileState] {
        var out: [FileState] = []
        for (dir, names) in try walk(shouldStop: shouldStop) {
            if shouldStop() { break }
            for name in names where accepts(name) {
                guard let state = FileState.of(dir + "/" + name), !state.isDirectory else { continue }
                out.append(state)
            }
        }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return out.sorted { NaturalOrder.less(String($0.path.dropFirst(prefix.count)), String($1.path.dropFirst(prefix.count))) }
    }

    /// The directories to look in: the acquisition directory and, in recursive mode, every
    /// subdirectory not starting with "." (each at most once).
    public func directories(shouldStop: () -> Bool = { false }) throws -> [String] {
        guard recursive else {
            var st = stat()
            guard stat(directory, &st) == 0 else {
                throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: directory])
            }
            return [directory]
        }
        return try walk(shouldStop: shouldStop).map(\.dir)
    }

    /// Each directory to look in with the names it holds, listed once (in recursive mode, the
    /// names also give the subdirectories to descend into).
    func walk(shouldStop: () -> Bool = { false }) throws -> [(dir: String, names: [String])] {
        var st = stat()
        guard stat(directory, &st) == 0 else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: directory])
        }
        var visited: Set<DirectoryKey> = [DirectoryKey(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))]
        var out: [(dir: String, names: [String])] = []
        var stack = [directory]
        while let dir = stack.popLast() {
            if shouldStop() { break }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            out.append((dir, names))
            guard recursive else { break }
            for name in names.sorted() where !name.hasPrefix(".") {
                let path = dir + "/" + name
                var l = stat()
                guard lstat(path, &l) == 0 else { continue }
                var target = l
                if (l.st_mode & S_IFMT) == S_IFLNK {
                    guard followSymlinks, stat(path, &target) == 0 else { continue }
                }
                guard (target.st_mode & S_IFMT) == S_IFDIR else { continue }
                let key = DirectoryKey(device: UInt64(target.st_dev), inode: UInt64(target.st_ino))
                guard visited.insert(key).inserted else { continue }   // a loop, or seen through another link
                stack.append(path)
            }
        }
        return out
    }

    struct DirectoryKey: Hashable { var device: UInt64; var inode: UInt64 }
}

/// A file's path, size (bytes), modification time (seconds since 1970) and identity (device,
/// inode, status-change time), as `stat(2)` gives them.
public struct FileState: Sendable, Equatable, Hashable {
    public var path: String
    public var size: Int
    public var modified: Double
    public var device: Int64?
    public var inode: Int64?
    /// Status-change time (ctime), Unix s: changes with permissions too.
    public var changed: Double?
    /// Whether it is a regular file (false: directory, FIFO, device, socket).
    public var isRegular: Bool
    public var isDirectory: Bool = false

    public init(path: String, size: Int, modified: Double, device: Int64? = nil, inode: Int64? = nil,
                changed: Double? = nil, isRegular: Bool = true) {
        self.path = path; self.size = size; self.modified = modified
        self.device = device; self.inode = inode; self.changed = changed; self.isRegular = isRegular
    }

    /// Current state of `path` (following a symbolic link), or nil if it does not exist.
    public static func of(_ path: String) -> FileState? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        var f = FileState(path: path, size: Int(st.st_size),
                          modified: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) * 1e-9,
                          device: Int64(bitPattern: UInt64(st.st_dev)), inode: Int64(bitPattern: UInt64(st.st_ino)),
                          changed: Double(st.st_ctim.tv_sec) + Double(st.st_ctim.tv_nsec) * 1e-9,
                          isRegular: (st.st_mode & S_IFMT) == S_IFREG)
        f.isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
        return f
    }

    /// Same content as far as `stat` can tell: size and modification time (the path may differ).
    public func sameVersion(as other: FileState) -> Bool { size == other.size && modified == other.modified }
}

import Foundation

/// Lists candidate frame files in an acquisition directory.
public struct DirectoryScan: Sendable {
    /// Directory to watch.
    public var directory: String
    /// Descend into subdirectories.
    public var recursive: Bool
    /// Shell-style patterns on the file name (e.g. "*.tif", "frame_*.tiff"); empty = TIFF extensions.
    public var patterns: [String]

    public init(directory: String, recursive: Bool = false, patterns: [String] = []) {
        self.directory = directory
        self.recursive = recursive
        self.patterns = patterns
    }

    /// Whether a file name is a frame candidate (hidden and temporary names never are: writers use
    /// them for files still being written, e.g. ".frame_00001.tif.part").
    public func accepts(_ name: String) -> Bool {
        if name.hasPrefix(".") || name.hasSuffix(".part") || name.hasSuffix(".tmp") || name.hasSuffix("~") { return false }
        if patterns.isEmpty {
            let lower = name.lowercased()
            return lower.hasSuffix(".tif") || lower.hasSuffix(".tiff")
        }
        return patterns.contains { fnmatch($0, name, 0) == 0 }
    }

    /// All candidate files (absolute paths) with size and modification time, in acquisition order:
    /// natural order of names relative to the directory.
    public func list() throws -> [FileState] {
        let fm = FileManager.default
        var out: [FileState] = []
        var stack = [directory]
        while let dir = stack.popLast() {
            let names = try fm.contentsOfDirectory(atPath: dir)
            for name in names {
                let path = dir + "/" + name
                var st = stat()
                guard stat(path, &st) == 0 else { continue }
                if (st.st_mode & S_IFMT) == S_IFDIR {
                    if recursive && !name.hasPrefix(".") { stack.append(path) }
                    continue
                }
                guard (st.st_mode & S_IFMT) == S_IFREG, accepts(name) else { continue }
                out.append(FileState(path: path, size: Int(st.st_size),
                                     modified: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) * 1e-9))
            }
        }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return out.sorted { NaturalOrder.less(String($0.path.dropFirst(prefix.count)), String($1.path.dropFirst(prefix.count))) }
    }
}

/// A file's path, size (bytes) and modification time (seconds since 1970).
public struct FileState: Sendable, Equatable, Hashable {
    public var path: String
    public var size: Int
    public var modified: Double

    public init(path: String, size: Int, modified: Double) {
        self.path = path; self.size = size; self.modified = modified
    }

    /// Current state of `path`, or nil if it does not exist.
    public static func of(_ path: String) -> FileState? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileState(path: path, size: Int(st.st_size),
                         modified: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) * 1e-9)
    }
}

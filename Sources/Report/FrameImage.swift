import Foundation
import FrameFormats
import TIFFFrame

/// A frame's image for display: 8-bit gray, contrast stretched between two percentiles, reduced
/// by an integer factor (block mean) so that the longer side stays within a limit.
public struct FrameImage: Sendable, Equatable {
    /// Displayed size, px, and the reduction factor (image px per displayed px).
    public var width: Int
    public var height: Int
    public var factor: Int
    /// Row-major gray levels.
    public var pixels: [UInt8]

    /// Renders `frame`: gray levels between the `low` and `high` quantiles of its pixels map to
    /// 0…255; the longer side is reduced (block mean) to at most `maxSide` px.
    public init(frame: Frame, maxSide: Int = 1024, low: Double = 0.005, high: Double = 0.998) {
        let f = max(1, Int((Double(max(frame.width, frame.height)) / Double(max(1, maxSide))).rounded(.up)))
        factor = f
        width = max(1, frame.width / f); height = max(1, frame.height / f)
        var reduced = [Float](repeating: 0, count: width * height)
        let norm = 1 / Float(f * f)
        for r in 0..<height {
            for c in 0..<width {
                var s: Float = 0
                for dy in 0..<f { for dx in 0..<f { s += frame[c * f + dx, r * f + dy] } }
                reduced[r * width + c] = s * norm
            }
        }
        let finite = reduced.filter(\.isFinite)
        let sorted = finite.count > 200_000 ? stride(from: 0, to: finite.count, by: finite.count / 200_000 + 1).map { finite[$0] }.sorted() : finite.sorted()
        let lo = sorted.isEmpty ? 0 : sorted[Int(Double(sorted.count - 1) * low)]
        let hi = sorted.isEmpty ? 1 : sorted[Int(Double(sorted.count - 1) * high)]
        let scale = hi > lo ? 255 / (hi - lo) : 0
        pixels = reduced.map { v in
            guard v.isFinite else { return 0 }
            return UInt8(max(0, min(255, ((v - lo) * scale).rounded())))
        }
    }

    /// The image as a PNG file.
    public func png() throws -> Data { try PNGEncoder.encode(width: width, height: height, pixels: pixels) }
}

/// Finds the image file of a stored frame. The daemon stores the path it was given (absolute, or
/// relative to its working directory) with `#page` appended for pages after the first of a
/// multi-page file.
public struct FrameLocator: Sendable {
    /// Directories tried, in order, for relative paths.
    public var searchDirectories: [String]

    /// Relative paths are tried against the current directory, the database's directory and the
    /// run's acquisition directory (when known).
    public init(databasePath: String, runDirectories: [String] = []) {
        let cwd = FileManager.default.currentDirectoryPath
        let dbDir = ((databasePath as NSString).deletingLastPathComponent as NSString).standardizingPath
        var dirs = [cwd, dbDir.isEmpty ? cwd : dbDir]
        for d in runDirectories where !d.isEmpty {
            dirs.append(d.hasPrefix("/") ? d : (cwd as NSString).appendingPathComponent(d))
        }
        var seen = Set<String>()
        searchDirectories = dirs.filter { seen.insert($0).inserted }
    }

    /// The file and page of a stored path, or nil when no such file exists.
    public func locate(_ stored: String) -> (file: String, page: Int)? {
        var path = stored, page = 0
        if let hash = stored.lastIndex(of: "#"), let p = Int(stored[stored.index(after: hash)...]), p >= 0 {
            path = String(stored[..<hash]); page = p
        }
        let fm = FileManager.default
        if path.hasPrefix("/") { return fm.fileExists(atPath: path) ? (path, page) : nil }
        for dir in searchDirectories {
            let candidate = (dir as NSString).appendingPathComponent(path)
            if fm.fileExists(atPath: candidate) { return (candidate, page) }
        }
        // A path relative to the daemon's working directory (e.g. "data/frame_001.tif") when the
        // store is now opened elsewhere: the file's name in the database's or the run's directory.
        let name = (path as NSString).lastPathComponent
        for dir in searchDirectories.dropFirst() {
            let inDir = (dir as NSString).appendingPathComponent(name)
            if fm.fileExists(atPath: inDir) { return (inDir, page) }
        }
        return nil
    }

    /// Reads the frame's image (nil when the file is gone or unreadable).
    public func read(_ stored: String) -> Frame? {
        guard let (file, page) = locate(stored), let frames = try? FrameFiles.read(path: file, damagedPage: { _ in }) else { return nil }
        return frames.first { $0.page == page } ?? (page == 0 ? frames.first : nil)
    }
}

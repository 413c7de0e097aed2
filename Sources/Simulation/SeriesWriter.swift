import Foundation
import TIFFFrame
#if canImport(Glibc)
import Glibc
#endif

/// Writes a simulated series to a directory: `frame_00000.tif`, `frame_00001.tif`, … and, at the
/// end, the ground truth `truth.json` (``SeriesTruth``). Same settings → byte-identical files.
public struct SeriesWriter: Sendable {
    /// Where and how to write.
    public struct Options: Sendable {
        /// Output directory (created, with parents, if missing).
        public var directory: String
        /// Pixel encoding: `.float32` (default, exact) or `.uint16` (rounded, clamped to 0…65535).
        public var encoding: TIFFWriter.Encoding
        /// Write each file under a hidden temporary name (`.frame_00000.tif.part`) and rename it
        /// when complete, so a watcher never sees a partial file (default true).
        public var atomic: Bool
        /// Seconds from one frame's start to the next (a live demo); `nil`: as fast as possible.
        public var interval: Double?
        /// How a frame file is produced (see ``FrameFileWriter``).
        public var fileWriter: any FrameFileWriter

        public init(directory: String, encoding: TIFFWriter.Encoding = .float32, atomic: Bool = true,
                    interval: Double? = nil, fileWriter: any FrameFileWriter = TIFFFileWriter()) {
            self.directory = directory; self.encoding = encoding; self.atomic = atomic
            self.interval = interval; self.fileWriter = fileWriter
        }
    }

    /// Name of the ground-truth file in the output directory.
    public static let truthFileName = "truth.json"

    public let simulator: SeriesSimulator
    public let options: Options

    public init(simulator: SeriesSimulator, options: Options) {
        self.simulator = simulator
        self.options = options
    }

    /// Writes every frame, then `truth.json`; calls `progress` after each frame with its truth
    /// and path. Throws ``SimulationError`` (or `CancellationError` when cancelled while pacing).
    @discardableResult
    public func write(progress: (FrameTruth, String) -> Void = { _, _ in }) async throws -> SeriesTruth {
        if let interval = options.interval, !(interval >= 0 && interval.isFinite) {
            throw SimulationError.invalidSettings(["frame interval must be ≥ 0 s (got \(interval))"])
        }
        try Self.prepareDirectory(options.directory)
        let clock = ContinuousClock()
        let start = clock.now
        var frames: [FrameTruth] = []
        for i in 0..<simulator.frameCount {
            if let interval = options.interval, i > 0 {
                try await clock.sleep(until: start + .seconds(interval * Double(i)))
            }
            let (frame, truth) = simulator.frame(i)
            let path = options.directory + "/" + truth.file
            try await writeFrame(frame, to: path)
            frames.append(truth)
            progress(truth, path)
        }
        let series = simulator.seriesTruth(frames: frames)
        let truthPath = options.directory + "/" + Self.truthFileName
        do {
            try Self.encode(series).write(to: URL(fileURLWithPath: truthPath), options: .atomic)
        } catch {
            throw SimulationError.writeFailed(path: truthPath, reason: "cannot write ground truth (\(error))")
        }
        return series
    }

    private func writeFrame(_ frame: Frame, to path: String) async throws {
        let target: String
        if options.atomic {
            let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
            target = String(path[..<slash]) + "." + String(path[slash...]) + ".part"
        } else {
            target = path
        }
        do {
            try await options.fileWriter.write(frame, to: target, encoding: options.encoding)
        } catch {
            if options.atomic { unlink(target) }
            throw SimulationError.writeFailed(path: path, reason: "\(error)")
        }
        if options.atomic, rename(target, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(target)
            throw SimulationError.writeFailed(path: path, reason: "cannot rename \(target): \(reason)")
        }
    }

    /// Creates `path` and its parents if needed and checks it is a writable directory.
    static func prepareDirectory(_ path: String) throws(SimulationError) {
        guard !path.isEmpty else { throw .outputDirectory(path: path, reason: "empty path") }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            var st = stat()
            if stat(prefix, &st) == 0 {
                if (st.st_mode & S_IFMT) != S_IFDIR {
                    throw .outputDirectory(path: path, reason: "\(prefix) exists and is not a directory")
                }
            } else if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw .outputDirectory(path: path, reason: "cannot create \(prefix): \(String(cString: strerror(errno)))")
            }
            prefix += "/"
        }
        if access(path, W_OK | X_OK) != 0 {
            throw .outputDirectory(path: path, reason: "not writable: \(String(cString: strerror(errno)))")
        }
    }

    /// The JSON of a series truth: keys sorted, so equal truths give equal bytes.
    public static func encode(_ truth: SeriesTruth) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(truth)
    }

    /// Reads a `truth.json`.
    public static func readTruth(path: String) throws -> SeriesTruth {
        try JSONDecoder().decode(SeriesTruth.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

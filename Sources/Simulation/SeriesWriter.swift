import FrameFormats
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
        /// How a frame file is produced (see ``FrameFileWriter``); TIFF only.
        public var fileWriter: any FrameFileWriter
        /// File format: TIFF (one file per frame), DigitalMicrograph 4 (one `.dm4` per frame, as GMS
        /// in situ capture writes) or Velox-like EMD (`framesPerFile` frames stacked per `.emd`).
        public var format: Format = .tiff
        /// Directory layout: flat, or GMS in situ capture's `Hour_HH/Minute_MM/Second_SS/` tree (by
        /// the frame's time since the start).
        public var layout: Layout = .flat
        /// Acquisition time of frame 0, Unix s (written into DM4/EMD metadata); frame i is
        /// `interval` × i later (1 s when no interval). nil: the time the writer starts.
        public var startTime: Double? = nil

        public enum Format: Sendable, Equatable { case tiff, dm4, emd(framesPerFile: Int) }
        public enum Layout: String, Sendable { case flat, gms }

        public init(directory: String, encoding: TIFFWriter.Encoding = .float32, atomic: Bool = true,
                    interval: Double? = nil, fileWriter: any FrameFileWriter = TIFFFileWriter(),
                    format: Format = .tiff, layout: Layout = .flat, startTime: Double? = nil) {
            self.directory = directory; self.encoding = encoding; self.atomic = atomic
            self.interval = interval; self.fileWriter = fileWriter
            self.format = format; self.layout = layout; self.startTime = startTime
        }
    }

    /// Relative path of frame `i`'s file (the identity of its frame is this, plus `#k` for the
    /// k-th frame of an EMD file).
    public func relativePath(frame i: Int) -> String {
        let dt = timeStep
        switch options.format {
        case .tiff:
            return layoutPrefix(seconds: Double(i) * dt) + SeriesSimulator.fileName(frame: i)
        case .dm4:
            return layoutPrefix(seconds: Double(i) * dt) + String(format: "Capture_Frame_%04d.dm4", i)
        case .emd(let n):
            return String(format: "acquisition_%04d.emd", i / max(1, n))
        }
    }

    /// Seconds between frames' acquisition times: the pacing interval, 1 s without one.
    var timeStep: Double { (options.interval ?? 0) > 0 ? options.interval! : 1 }

    private func layoutPrefix(seconds: Double) -> String {
        guard options.layout == .gms else { return "" }
        let s = Int(seconds)
        return String(format: "Hour_%02d/Minute_%02d/Second_%02d/", s / 3600, s / 60 % 60, s % 60)
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
        let t0 = options.startTime ?? Date().timeIntervalSince1970
        var frames: [FrameTruth] = []
        var pending: [Frame] = []   // frames of the EMD file being filled
        for i in 0..<simulator.frameCount {
            if let interval = options.interval, i > 0 {
                try await clock.sleep(until: start + .seconds(interval * Double(i)))
            }
            var (frame, truth) = simulator.frame(i)
            frame.acquiredAt = t0 + Double(i) * timeStep
            frame.frameTime = timeStep
            frame.detector = "HAADF"
            let relative = relativePath(frame: i)
            let path = options.directory + "/" + relative
            switch options.format {
            case .tiff, .dm4:
                truth.file = relative
                try Self.prepareDirectory((path as NSString).deletingLastPathComponent)
                try await writeFrame(frame, to: path)
            case .emd(let n):
                let k = pending.count
                truth.file = k == 0 ? relative : relative + "#\(k)"
                pending.append(frame)
                if pending.count == max(1, n) || i == simulator.frameCount - 1 {
                    try writeEMD(pending, to: path)
                    pending = []
                }
            }
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

    private func writeEMD(_ frames: [Frame], to path: String) throws {
        let target = options.atomic ? Self.temporaryName(path) : path
        do { try EMDWriter.write(frames, to: target) } catch {
            if options.atomic { unlink(target) }
            throw SimulationError.writeFailed(path: path, reason: "\(error)")
        }
        if options.atomic, rename(target, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(target)
            throw SimulationError.writeFailed(path: path, reason: "cannot rename \(target): \(reason)")
        }
    }

    static func temporaryName(_ path: String) -> String {
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        return String(path[..<slash]) + "." + String(path[slash...]) + ".part"
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
            if options.format == .dm4 {
                try DMWriter.write([frame], to: target)
            } else {
                try await options.fileWriter.write(frame, to: target, encoding: options.encoding)
            }
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

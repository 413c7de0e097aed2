import TIFFFrame

/// How one frame reaches the disk — the hook for writers that behave like a real acquisition
/// program. ``SeriesWriter`` calls it once per frame (with a temporary path when writing
/// atomically, then renames). The default, ``TIFFFileWriter``, writes the whole file at once; a
/// writer that emits a file slowly in pieces (to exercise readers of incomplete files) conforms
/// to this protocol and is passed as ``SeriesWriter/Options/fileWriter``.
public protocol FrameFileWriter: Sendable {
    /// Writes `frame` to `path` in the given pixel encoding.
    func write(_ frame: Frame, to path: String, encoding: TIFFWriter.Encoding) async throws
}

/// Writes each frame as a single-page, uncompressed TIFF in one go, pixel size in the
/// resolution tags.
public struct TIFFFileWriter: FrameFileWriter {
    public init() {}

    public func write(_ frame: Frame, to path: String, encoding: TIFFWriter.Encoding) async throws {
        try TIFFWriter.write([frame], to: path, options: TIFFWriter.Options(encoding: encoding))
    }
}

import Foundation
import TIFFFrame

/// The one way stemtrack reads frames from a file, whatever its format: TIFF (every page a frame),
/// DigitalMicrograph DM3/DM4 (an image, or every slice of a stack), Velox EMD (every frame of the
/// chosen signal). The format is recognised by the file's first bytes, not its name. A multi-frame
/// file is its frames in order; a frame's identity is `file#index` (index > 0).
public enum FrameFiles {
    /// File name extensions of the formats read (lower case, with the dot).
    public static let extensions = [".tif", ".tiff", ".dm3", ".dm4", ".emd"]

    /// How to read the formats that need a choice.
    public struct Options: Sendable, Equatable {
        /// Velox EMD: the signal to read, by detector / title (nil: the HAADF one, or the only one).
        public var emdSignal: String? = nil
        public var maxPixels = TIFFReader.defaultMaxPixels
        public init(emdSignal: String? = nil, maxPixels: Int = TIFFReader.defaultMaxPixels) {
            self.emdSignal = emdSignal; self.maxPixels = maxPixels
        }
    }

    /// The recognised formats.
    public enum Format: String, Sendable {
        case tiff, digitalMicrograph = "dm", emd
    }

    /// The format of the file at `path` from its first bytes.
    public static func format(path: String) throws(FrameReadError) -> Format {
        let head = try FileBytes.header(path: path, count: 8)
        if head.count >= 4, (head[0] == 0x49 && head[1] == 0x49) || (head[0] == 0x4D && head[1] == 0x4D) { return .tiff }
        if head.count >= 4, head[0] == 0, head[1] == 0, head[2] == 0, head[3] == 3 || head[3] == 4 { return .digitalMicrograph }
        if head.count >= 8, head.elementsEqual([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) { return .emd }
        let shown = head.prefix(4).map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "·" }.joined()
        if head.count < 4 { throw .truncated(path: path, bytesPresent: head.count, bytesNeeded: 8) }
        throw .unknownFormat(path: path, detail: "starts with \"\(shown)\"")
    }

    /// Every frame of the file. For TIFF, `damagedPage` receives a damaged page after the first
    /// (the pages before it are returned).
    public static func read(path: String, options: Options = Options(),
                            damagedPage: ((FrameReadError) -> Void)? = nil) throws(FrameReadError) -> [Frame] {
        switch try format(path: path) {
        case .tiff: return try TIFFReader.read(path: path, maxPixels: options.maxPixels, damagedPage: damagedPage)
        case .digitalMicrograph: return try DMReader.read(path: path, maxPixels: options.maxPixels)
        case .emd: return try EMDReader.read(path: path, detector: options.emdSignal, maxPixels: options.maxPixels)
        }
    }
}

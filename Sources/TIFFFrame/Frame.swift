/// One HAADF STEM image: a grid of detector intensities.
///
/// Coordinates follow the project convention: `x` is the column index, `y` the row index, both in
/// pixels, with the centre of pixel (0,0) at (0,0). Pixels are stored row-major as `Float`.
public struct Frame: Sendable, Equatable {
    /// Number of columns (pixels along x).
    public var width: Int
    /// Number of rows (pixels along y).
    public var height: Int
    /// Intensities, row-major: `pixels[y * width + x]`.
    public var pixels: [Float]
    /// Pixel size in Å, when the file or the configuration says it.
    public var pixelSize: Double?
    /// The file the frame was read from, if any.
    public var source: String?
    /// Page (image file directory) index within a multi-page file, 0-based.
    public var page: Int
    /// The file's ImageDescription tag, if present.
    public var imageDescription: String?
    /// Acquisition time from the file's metadata, Unix s (nil: the file has none; the daemon then
    /// uses the modification time), and where it came from.
    public var acquiredAt: Double? = nil
    public var timeSource: TimeSource? = nil
    /// Sample type as stored (`uint16`, `float32`, …), title, detector name, dwell time per pixel
    /// (s) and frame time (s), when the file says them.
    public var sampleType: String? = nil
    public var title: String? = nil
    public var detector: String? = nil
    public var dwellTime: Double? = nil
    public var frameTime: Double? = nil

    /// Where a frame's acquisition time comes from.
    public enum TimeSource: String, Sendable, Codable {
        /// The microscope's metadata in the file.
        case metadata
        /// The file's modification time.
        case fileTime = "file_time"
    }

    public init(width: Int, height: Int, pixels: [Float], pixelSize: Double? = nil,
                source: String? = nil, page: Int = 0, imageDescription: String? = nil) {
        precondition(width > 0 && height > 0 && pixels.count == width * height,
                     "Frame: \(pixels.count) pixels for a \(width)×\(height) image")
        self.width = width
        self.height = height
        self.pixels = pixels
        self.pixelSize = pixelSize
        self.source = source
        self.page = page
        self.imageDescription = imageDescription
    }

    /// Intensity at column `x`, row `y`.
    @inlinable public subscript(x: Int, y: Int) -> Float {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// A short label for messages: file name and, for multi-page files, the page.
    public var label: String {
        let name = source.map { String($0.split(separator: "/").last ?? Substring($0)) } ?? "frame"
        return page == 0 ? name : "\(name) page \(page)"
    }
}

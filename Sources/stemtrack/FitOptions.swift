import ArgumentParser
import ColumnFit

/// How TIFF frames are fitted, for every command that fits a frame itself (`fit`, `count`,
/// `structure`); `watch`, `process` and `track` take the same settings by name (`--set fit.…`).
struct FitOptions: ParsableArguments {
    @Option(help: "Pixel size in Å (overrides the file's resolution tags).")
    var pixelSize: Double?

    @Option(help: "Width model: 'same' (one ρ for all columns, StatSTEM's default) or 'per-column'.")
    var widthMode: FitSettings.WidthMode = .same

    @Option(help: "Estimator: 'ls' (least squares) or 'ml' (Poisson maximum likelihood; needs the gain).")
    var estimator: FitSettings.Estimator = .leastSquares

    @Option(help: "Detector gain, image units per electron (1 for frames in counts).")
    var gain: Double?

    @Option(help: "Detector offset, image units (image value with no electrons).")
    var offset: Double = 0

    @Flag(help: "Estimate gain and offset from the frame (residual variance against intensity).")
    var estimateGain = false

    @Option(help: "Hold the background at this value (image units) instead of fitting it.")
    var background: Double?

    @Option(help: "Expected column width ρ in px (default: measured from the image).")
    var width: Double?

    @Option(help: "Expected nearest-column spacing in px (default: measured from the image).")
    var spacing: Double?

    @Option(help: "Detection threshold in noise standard deviations of the smoothed image.")
    var threshold: Double = 6

    @Option(help: "Maximum fit iterations.")
    var maxIterations: Int = 100

    func validate() throws {
        if let p = pixelSize, !(p > 0 && p.isFinite) { throw ValidationError("--pixel-size must be a positive number of Å") }
        if let g = gain, !(g > 0 && g.isFinite) { throw ValidationError("--gain must be positive") }
        if maxIterations < 1 { throw ValidationError("--max-iterations must be ≥ 1") }
    }

    /// The fit settings these options describe.
    var settings: FitSettings {
        var s = FitSettings()
        s.widthMode = widthMode
        s.estimator = estimator
        s.pixelSize = pixelSize
        s.expectedWidth = width
        s.expectedSpacing = spacing
        s.detectionThreshold = threshold
        s.maxIterations = maxIterations
        if let background { s.fitBackground = false; s.fixedBackground = background }
        if let gain { s.detector = .calibrated(gain: gain, offset: offset) }
        else if estimateGain || estimator == .poissonML { s.detector = .estimate }
        return s
    }
}

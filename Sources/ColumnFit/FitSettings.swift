/// Settings of column finding and model fitting. Defaults suit HAADF frames of nanoparticles.
public struct FitSettings: Sendable, Equatable, Codable {
    /// How Gaussian widths are shared between columns.
    public enum WidthMode: String, Sendable, CaseIterable, Codable {
        /// One width ρ for all columns (StatSTEM's "same width"; one column type).
        case same
        /// Each column has its own width.
        case perColumn = "per-column"
    }

    /// The statistical estimator.
    public enum Estimator: String, Sendable, CaseIterable, Codable {
        /// Least squares (StatSTEM). Needs no noise model.
        case leastSquares = "ls"
        /// Poisson maximum likelihood on detector counts `(I − offset)/gain`. Reaches the
        /// Cramér–Rao bound where least squares does not; needs the gain (given or estimated).
        case poissonML = "ml"
    }

    /// Detector response: image value = offset + gain × electrons.
    public enum Detector: Sendable, Equatable, Codable {
        /// Unknown: no Cramér–Rao bound unless estimated; least squares only.
        case unknown
        /// Estimate gain and offset from the frame (residual variance against model intensity).
        case estimate
        /// Known calibration (gain in image units per electron, offset in image units).
        case calibrated(gain: Double, offset: Double)
    }

    public var widthMode: WidthMode = .same
    public var estimator: Estimator = .leastSquares
    public var detector: Detector = .unknown
    /// Fit a constant background (default) or hold it at `fixedBackground`.
    public var fitBackground: Bool = true
    /// Background value when not fitted, image units.
    public var fixedBackground: Double = 0
    /// Expected Gaussian width ρ, px; estimated from the image when nil.
    public var expectedWidth: Double? = nil
    /// Expected nearest-column spacing, px; estimated from the image when nil.
    public var expectedSpacing: Double? = nil
    /// Minimum distance between two columns as a fraction of the spacing.
    public var minimumSeparationFraction: Double = 0.5
    /// Detection threshold in standard deviations of the smoothed noise.
    public var detectionThreshold: Double = 6
    /// Columns whose fitted height is below this many standard errors are dropped.
    public var significance: Double = 4
    /// Each Gaussian is evaluated out to this many widths.
    public var cutoff: Double = 4
    /// Maximum number of outer iterations.
    public var maxIterations: Int = 100
    /// Converged when no column moves more than this (px) in one iteration…
    public var positionTolerance: Double = 1e-4
    /// …and the shared width changes by less than this fraction.
    public var widthTolerance: Double = 1e-6
    /// Converged also when an iteration lowers the residual sum of squares by less than this
    /// fraction of it.
    public var residualTolerance: Double = 1e-9
    /// Pixel size, Å (overrides the file's when set).
    public var pixelSize: Double? = nil

    public init() {}
}

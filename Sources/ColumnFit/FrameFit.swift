import TIFFFrame

/// The result of fitting one frame.
public struct FrameFit: Sendable, Codable {
    /// Fitted columns, ordered by y then x.
    public var columns: [Column]
    /// Fitted (or fixed) background ζ, image units.
    public var background: Double
    /// The shared width ρ in "same width" mode, px.
    public var sharedWidth: Double?
    /// Pixel size used for Å values, if known.
    public var pixelSize: Double?
    /// Noise, width and spacing measured by the column finder.
    public var scales: ColumnFinder.Scales
    /// Detector gain and offset used for the Cramér–Rao bound / ML fit, if any.
    public var detector: DetectorCalibration?
    /// Estimator that produced the values.
    public var estimator: FitSettings.Estimator
    /// Outer iterations used, and whether the convergence criterion was met.
    public var iterations: Int
    public var converged: Bool
    /// Columns found by the finder and removed by the fit (insignificant or duplicate).
    public var removedColumns: Int
    /// Non-finite and isolated outlier pixels replaced before the fit (``PixelDefects``).
    public var repairedPixels = PixelDefects.Report()
    /// Why the result is physically implausible, if it is (``FitPlausibility``); empty: nothing noticed.
    public var warnings: [String] = []

    public init(columns: [Column], background: Double, sharedWidth: Double?, pixelSize: Double?,
                scales: ColumnFinder.Scales, detector: DetectorCalibration?, estimator: FitSettings.Estimator,
                iterations: Int, converged: Bool, removedColumns: Int) {
        self.columns = columns; self.background = background; self.sharedWidth = sharedWidth
        self.pixelSize = pixelSize; self.scales = scales; self.detector = detector; self.estimator = estimator
        self.iterations = iterations; self.converged = converged; self.removedColumns = removedColumns
    }
}

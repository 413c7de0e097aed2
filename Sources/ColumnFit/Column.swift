/// One fitted atomic column.
///
/// Positions in pixels (x = column index, y = row index, centre of pixel (0,0) at (0,0)); the
/// Å values are filled when the pixel size is known. The model is a round Gaussian
/// `η·exp(−r²/2ρ²)` on a constant background; the scattering cross-section is its volume
/// 2π·η·ρ² (image units × Å² with a pixel size, image units × px² without).
public struct Column: Sendable, Equatable, Codable {
    /// Position, px.
    public var x: Double
    public var y: Double
    /// Standard errors of x and y from the fit's covariance, px.
    public var sigmaX: Double
    public var sigmaY: Double
    /// Standard error of the height η, image units.
    public var sigmaHeight: Double
    /// Gaussian width ρ (standard deviation), px.
    public var width: Double
    /// Peak height η above the background, image units.
    public var height: Double
    /// Cramér–Rao lower bound on the standard deviation of x and y under Poisson noise, px;
    /// `nil` when the detector gain is unknown.
    public var crlbX: Double?
    public var crlbY: Double?

    public init(x: Double, y: Double, sigmaX: Double = .nan, sigmaY: Double = .nan,
                width: Double, height: Double, sigmaHeight: Double = .nan,
                crlbX: Double? = nil, crlbY: Double? = nil) {
        self.x = x; self.y = y; self.sigmaX = sigmaX; self.sigmaY = sigmaY; self.sigmaHeight = sigmaHeight
        self.width = width; self.height = height; self.crlbX = crlbX; self.crlbY = crlbY
    }

    /// 2π·η·ρ², image units × px².
    public var crossSectionPixels: Double { 2 * Double.pi * height * width * width }

    /// Standard error of the cross-section from that of the height (width held fixed, as in
    /// "same width" fits where ρ is determined by all columns), same units as ``crossSection(pixelSize:)``.
    public func crossSectionError(pixelSize p: Double?) -> Double {
        2 * Double.pi * sigmaHeight * width * width * (p.map { $0 * $0 } ?? 1)
    }

    /// 2π·η·ρ² in image units × Å² for pixel size `p` Å, or in px² when `p` is nil.
    public func crossSection(pixelSize p: Double?) -> Double {
        crossSectionPixels * (p.map { $0 * $0 } ?? 1)
    }
}

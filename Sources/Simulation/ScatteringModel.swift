/// HAADF image formation per column, in fractions of the incident beam.
///
/// A column of n atoms scatters a fraction of the electrons that hit it onto the detector,
/// described by its cross-section σ(n) = σ₁·nᵞ (Å²): the number of detected electrons from the
/// column is dose × σ(n). The column is imaged as a round Gaussian of width ρ (Å) whose peak, as a
/// fraction of the incident intensity, is f(n) = σ(n) / (2π·ρ²) — so the volume under the peak is
/// σ(n). The detector also sees a uniform background fraction b (support film, tails).
public struct ScatteringModel: Sendable, Equatable, Codable {
    /// Cross-section of a single atom, Å² (default 0.03).
    public var sigma1: Double
    /// Sub-linear growth exponent γ of σ(n) = σ₁·nᵞ (channelling; default 0.92).
    public var exponent: Double
    /// Gaussian width ρ (standard deviation) of a column image, Å (default 0.66).
    public var rho: Double
    /// Uniform background, as a fraction of the incident intensity (default 0.02).
    public var background: Double

    public init(sigma1: Double = 0.03, exponent: Double = 0.92, rho: Double = 0.66, background: Double = 0.02) {
        self.sigma1 = sigma1; self.exponent = exponent; self.rho = rho; self.background = background
    }

    /// σ(n), Å².
    public func crossSection(atoms n: Int) -> Double { n > 0 ? sigma1 * _pow(Double(n), exponent) : 0 }

    /// Peak height f(n) as a fraction of the incident intensity: σ(n) / (2πρ²).
    public func peakFraction(atoms n: Int) -> Double { crossSection(atoms: n) / (2 * Double.pi * rho * rho) }

    enum CodingKeys: String, CodingKey {
        case sigma1 = "sigma1_A2", exponent = "sigma_exponent", rho = "rho_A", background = "background_fraction"
    }

    var problems: [String] {
        var p: [String] = []
        if !(sigma1 > 0 && sigma1.isFinite) { p.append("single-atom cross-section σ₁ must be positive (got \(sigma1) Å²)") }
        if !(exponent > 0 && exponent.isFinite) { p.append("cross-section exponent must be positive (got \(exponent))") }
        if !(rho > 0 && rho.isFinite) { p.append("column width ρ must be positive (got \(rho) Å)") }
        if !(background >= 0 && background.isFinite) { p.append("background fraction must be ≥ 0 (got \(background))") }
        return p
    }
}

/// Detector response: image value = offset + gain × detected electrons + Gaussian read noise.
public struct DetectorModel: Sendable, Equatable, Codable {
    /// Image units per detected electron (default 1: the image is in electrons).
    public var gain: Double
    /// Image value for zero electrons, image units (default 0).
    public var offset: Double
    /// Standard deviation of additive Gaussian read noise, image units (default 0).
    public var readNoise: Double

    public init(gain: Double = 1, offset: Double = 0, readNoise: Double = 0) {
        self.gain = gain; self.offset = offset; self.readNoise = readNoise
    }

    enum CodingKeys: String, CodingKey { case gain, offset, readNoise = "read_noise" }

    var problems: [String] {
        var p: [String] = []
        if !(gain > 0 && gain.isFinite) { p.append("detector gain must be positive (got \(gain))") }
        if !offset.isFinite { p.append("detector offset must be finite") }
        if !(readNoise >= 0 && readNoise.isFinite) { p.append("read noise must be ≥ 0 (got \(readNoise))") }
        return p
    }
}

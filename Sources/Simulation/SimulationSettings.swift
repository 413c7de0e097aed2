/// Everything that defines a simulated in situ series; the same settings (including `seed`)
/// always give the same frames, bit for bit.
///
/// Defaults: a 256 × 256 frame of 0.2 Å pixels (51.2 Å field of view) holding a Pt sphere of
/// radius 14 Å (2.8 nm across; 117 columns, 767 atoms along [110]), dose 2·10⁵ e⁻/Å² per frame.
/// With σ₁ = 0.03 Å², ρ = 0.66 Å and b = 0.02, a single-atom column peaks at f(1)·D·p² ≈ 88
/// electrons over a background of b·D·p² = 160 electrons per pixel, i.e. 6.9 standard deviations
/// of the background noise: single atoms are clearly visible. In general that ratio is
/// f(1)·√(D·p²/b), so D ≥ 25·b/(f(1)²·p²) ≈ 1.04·10⁵ e⁻/Å² gives ≥ 5 at p = 0.2 Å.
public struct SimulationSettings: Sendable, Equatable, Codable {
    /// Seed of every random number in the series.
    public var seed: UInt64 = 1
    /// Number of frames.
    public var frameCount: Int = 20
    /// Frame size, px.
    public var width: Int = 256
    public var height: Int = 256
    /// Pixel size, Å.
    public var pixelSize: Double = 0.2
    /// Electron dose per frame, e⁻/Å².
    public var dose: Double = 2e5
    /// Lattice (default Pt, a = 3.92 Å) and zone axis (default [110]).
    public var crystal: FCCCrystal = FCCCrystal()
    /// Particle shape (default sphere, radius 14 Å).
    public var shape: ParticleShape = .sphere(radius: 14)
    /// Cross-sections, column width and background.
    public var scattering: ScatteringModel = ScatteringModel()
    /// Gain, offset and read noise.
    public var detector: DetectorModel = DetectorModel()
    /// Stage drift and jumps.
    public var drift: StageDriftModel = StageDriftModel()
    /// Surface atom hopping.
    public var hopping: SurfaceHopModel = SurfaceHopModel()
    /// A particle that reshapes over the series (replaces hopping); nil: a fixed shape.
    public var reshaping: ShapeChange? = nil
    /// Each Gaussian is rendered out to this many ρ (default 6).
    public var renderCutoff: Double = 6

    public init() {}

    /// A 1024 × 1024 frame with a sphere of radius 42 Å (≈ 1000 columns) for benchmarks.
    public static var benchmark1024: SimulationSettings {
        var s = SimulationSettings()
        s.width = 1024; s.height = 1024
        s.shape = .sphere(radius: 42)
        return s
    }

    /// Column width in pixels.
    public var rhoPixels: Double { scattering.rho / pixelSize }

    /// Electrons per pixel per unit of intensity fraction: D·p².
    public var electronsPerPixel: Double { dose * pixelSize * pixelSize }

    /// Throws ``SimulationError/invalidSettings(_:)`` listing every value out of range.
    public func validate() throws(SimulationError) {
        var p: [String] = []
        if frameCount < 1 { p.append("number of frames must be ≥ 1 (got \(frameCount))") }
        if width < 1 || height < 1 { p.append("frame size must be at least 1 × 1 px (got \(width) × \(height))") }
        if width.multipliedReportingOverflow(by: height).partialValue > 1 << 28 || width > 1 << 16 || height > 1 << 16 {
            p.append("frame size \(width) × \(height) px is too large")
        }
        if !(pixelSize > 0 && pixelSize.isFinite) { p.append("pixel size must be positive (got \(pixelSize) Å)") }
        if !(dose > 0 && dose.isFinite) { p.append("dose must be positive (got \(dose) e⁻/Å²)") }
        if !(crystal.latticeConstant > 0) { p.append("lattice constant must be positive") }
        if !(renderCutoff > 0) { p.append("render cutoff must be positive (got \(renderCutoff) ρ)") }
        p += shape.problems + scattering.problems + detector.problems + drift.problems + hopping.problems
            + (reshaping?.problems(start: shape) ?? [])
        if !p.isEmpty { throw .invalidSettings(p) }
    }

    enum CodingKeys: String, CodingKey {
        case seed, frameCount = "frames", width = "width_px", height = "height_px"
        case pixelSize = "pixel_size_A", dose = "dose_e_per_A2", crystal, shape, scattering, detector
        case drift, hopping, reshaping, renderCutoff = "render_cutoff_rho"
    }
}

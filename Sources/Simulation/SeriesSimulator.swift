import TIFFFrame

/// A simulated in situ heating series held in memory: frames and ground truth on demand, without
/// touching the disk. Construction runs the cheap dynamics (drift path, surface hops) for all
/// frames; `frame(_:)` renders one frame, in any order, always with the same pixels.
///
/// ```swift
/// let sim = try SeriesSimulator(SimulationSettings())
/// let (frame, truth) = sim.frame(3)
/// ```
public struct SeriesSimulator: Sendable {
    /// The settings (validated).
    public let settings: SimulationSettings
    /// The particle as built (frame 0, before any hop).
    public let particle: Particle
    /// Every hop, in order.
    public let hops: [HopEvent]

    private let drift: [DriftSample]
    /// Hops applied just before each frame (index 0 is always empty).
    private let operations: [[HopOperation]]
    /// Column states at frames 0, k, 2k, … (k = `checkpointInterval`) for fast random access.
    private let checkpoints: [ColumnState]
    private static let checkpointInterval = 16
    /// `checkpoints` holds every frame's state (a reshaping series).
    private let reshapingStates: Bool

    /// Builds the particle and runs the dynamics. Throws ``SimulationError/invalidSettings(_:)``.
    public init(_ settings: SimulationSettings) throws(SimulationError) {
        try settings.validate()
        self.settings = settings
        let particle = Particle(crystal: settings.crystal, shape: settings.shape)
        self.particle = particle

        let p = settings.pixelSize
        let margin = 3 * settings.rhoPixels + 2
        let extentX = (particle.columns.map { abs($0.x) }.max() ?? 0) / p + margin
        let extentY = (particle.columns.map { abs($0.y) }.max() ?? 0) / p + margin
        func limit(_ size: Int, _ extent: Double) -> Double {
            let l = Double(size) / 2 - extent
            return l >= 1 ? l : .infinity
        }
        var driftRNG = RandomSource(seed: settings.seed, stream: RandomStream.drift)
        drift = settings.drift.trajectory(frames: settings.frameCount, limitX: limit(settings.width, extentX),
                                          limitY: limit(settings.height, extentY), rng: &driftRNG)

        if let change = settings.reshaping {
            let states = ColumnState.reshaping(crystal: settings.crystal, start: settings.shape, change: change,
                                               frames: max(1, settings.frameCount))
            operations = []
            hops = []
            checkpoints = states
            reshapingStates = true
            return
        }
        reshapingStates = false
        var hopRNG = RandomSource(seed: settings.seed, stream: RandomStream.hops)
        var state = particle.state
        var ops: [[HopOperation]] = [[]]
        var events: [HopEvent] = []
        var checkpoints = [state]
        for t in 1..<max(1, settings.frameCount) {
            let hops = settings.hopping.step(&state, frame: t, rng: &hopRNG)
            ops.append(hops.map(\.0))
            events += hops.map(\.1)
            if t % Self.checkpointInterval == 0 { checkpoints.append(state) }
        }
        operations = ops
        hops = events
        self.checkpoints = checkpoints
    }

    /// Number of frames.
    public var frameCount: Int { settings.frameCount }

    /// File name of frame `i`: `frame_00000.tif`, ….
    public static func fileName(frame i: Int) -> String {
        let digits = String(i)
        return "frame_" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits + ".tif"
    }

    /// Column configuration at frame `i`.
    func state(at i: Int) -> ColumnState {
        precondition(i >= 0 && i < frameCount, "frame \(i) outside 0..<\(frameCount)")
        if reshapingStates { return checkpoints[i] }
        let c = i / Self.checkpointInterval
        var s = checkpoints[c]
        var t = c * Self.checkpointInterval + 1
        while t <= i { for op in operations[t] { s.apply(op) }; t += 1 }
        return s
    }

    /// Columns (with 3D atoms, in the particle's frame without drift) at frame `i`.
    public func columns(at i: Int) -> [AtomColumn] { state(at: i).atomColumns }

    /// Ground truth of frame `i`.
    public func truth(_ i: Int) -> FrameTruth {
        let s = state(at: i)
        let d = drift[i]
        let p = settings.pixelSize, rho = settings.scattering.rho
        let cx = Double(settings.width - 1) / 2 + d.dx, cy = Double(settings.height - 1) / 2 + d.dy
        let electrons = settings.electronsPerPixel, gain = settings.detector.gain
        let columns = zip(s.records, s.surfaceFlags()).map { r, surface -> ColumnTruth in
            let pos = s.projected(r)
            let x = cx + pos.x / p, y = cy + pos.y / p
            let sigma = settings.scattering.crossSection(atoms: r.count)
            let crossSection = gain * electrons * sigma                // image units × Å²
            let eta = crossSection / (2 * Double.pi * rho * rho)       // image units
            return ColumnTruth(id: r.id, x: x, y: y, xA: x * p, yA: y * p, count: r.count, surface: surface,
                               sigma: sigma, crossSection: crossSection, eta: eta, rho: rho / p)
        }
        return FrameTruth(index: i, file: Self.fileName(frame: i), dx: d.dx, dy: d.dy, jump: d.jumped,
                          background: settings.detector.offset + gain * electrons * settings.scattering.background,
                          atoms: s.atomCount, columns: columns)
    }

    /// Expected detected electrons per pixel of frame `i` (no noise, no detector response).
    public func expectedElectrons(_ i: Int) -> [Double] { expectedElectrons(truth(i)) }

    /// Expected image of frame `i` in image units (offset + gain × expected electrons).
    public func expectedImage(_ i: Int) -> [Double] {
        HAADFImage.expectedImage(electrons: expectedElectrons(i), detector: settings.detector)
    }

    private func expectedElectrons(_ truth: FrameTruth) -> [Double] {
        let e = settings.electronsPerPixel
        let peaks = truth.columns.map {
            Peak(x: $0.x, y: $0.y, height: e * settings.scattering.peakFraction(atoms: $0.count), width: $0.rho)
        }
        return HAADFImage.expectedElectrons(peaks, width: settings.width, height: settings.height,
                                            background: e * settings.scattering.background,
                                            cutoff: settings.renderCutoff)
    }

    /// Frame `i` with Poisson noise and the detector response, and its ground truth.
    public func frame(_ i: Int) -> (frame: Frame, truth: FrameTruth) {
        let truth = truth(i)
        var rng = RandomSource(seed: settings.seed, stream: RandomStream.noiseBase + UInt64(i))
        let pixels = HAADFImage.noisy(electrons: expectedElectrons(truth), detector: settings.detector, rng: &rng)
        let description = "stemtrack simulation: frame \(i) of \(frameCount), seed \(settings.seed), "
            + "dose \(settings.dose) e/A^2, pixel \(settings.pixelSize) A"
        let frame = Frame(width: settings.width, height: settings.height, pixels: pixels,
                          pixelSize: settings.pixelSize, source: truth.file, imageDescription: description)
        return (frame, truth)
    }

    /// Ground truth of the whole series.
    public func seriesTruth() -> SeriesTruth { seriesTruth(frames: (0..<frameCount).map(truth)) }

    /// The series truth around already computed frame truths.
    func seriesTruth(frames: [FrameTruth]) -> SeriesTruth {
        var frames = frames
        if settings.reshaping != nil {
            for k in frames.indices { frames[k].facets = truthFacets(frames[k].index) }
        }
        return SeriesTruth(settings: settings, nearestColumnDistance: settings.crystal.nearestColumnDistance,
                    atomSpacing: settings.crystal.atomSpacingAlongColumn, atoms: particle.atomCount,
                    frames: frames, hops: hops)
    }
}

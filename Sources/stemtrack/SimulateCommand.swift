import ArgumentParser
import Foundation
import Simulation
import TIFFFrame

/// `stemtrack simulate`: writes a simulated in situ heating series with its ground truth.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Write a simulated in situ HAADF STEM series of an fcc (Pt) nanoparticle, with ground truth.",
        discussion: """
            A spherical Pt particle (lattice constant 3.92 Å) is viewed along a zone axis and imaged \
            as a constant background plus one round Gaussian per atomic column. A column of n atoms \
            scatters dose × σ(n) electrons onto the detector, σ(n) = 0.03 Å² × n^0.92, spread over a \
            Gaussian of width ρ = 0.66 Å; the background is 2 % of the incident beam. Pixels get \
            Poisson shot noise, then the detector response offset + gain × electrons (+ read noise).

            Between frames the stage drifts (a smooth random walk with occasional sudden jumps) and \
            surface atoms hop to neighbouring columns, so column heights change and columns appear \
            and vanish. Everything follows from --seed: the same seed gives byte-identical files.

            Output: frame_00000.tif, frame_00001.tif, … (one image per file, pixel size in the \
            resolution tags) and truth.json with the settings, per-frame drift and, per column, \
            id, position (px and Å), number of atoms, peak height and cross-section, plus every hop.
            """)

    @Option(help: ArgumentHelp("Output directory; created if missing.", valueName: "dir"))
    var out: String

    @Option(help: "Number of frames.")
    var frames: Int = SimulationSettings().frameCount

    @Option(help: ArgumentHelp("Frame size in pixels: W for a square frame, or WxH.", valueName: "W[xH]"))
    var size: FrameSizeOption = FrameSizeOption(width: SimulationSettings().width, height: SimulationSettings().height)

    @Option(name: .customLong("pixel-size"), help: ArgumentHelp("Pixel size, Å.", valueName: "Å"))
    var pixelSize: Double = SimulationSettings().pixelSize

    @Option(help: ArgumentHelp("Electron dose per frame, e⁻/Å². The default makes a single-atom column "
                               + "peak ≈ 7 noise standard deviations above the background at 0.2 Å pixels.",
                               valueName: "e/Å²"))
    var dose: Double = SimulationSettings().dose

    @Option(help: "Random seed (unsigned 64-bit integer).")
    var seed: UInt64 = SimulationSettings().seed

    @Option(name: .customLong("zone-axis"), help: "Viewing direction: 110, 100 or 111.")
    var zoneAxis: ZoneAxisOption = .z110

    @Option(help: ArgumentHelp("Particle radius, Å. 14 Å: a 2.8 nm particle, 117 columns along [110].",
                               valueName: "Å"))
    var radius: Double = SimulationSettings().shape.radius

    @Option(name: .customLong("drift-px"),
            help: ArgumentHelp("Standard deviation of the smooth stage drift per frame, pixels per frame.",
                               valueName: "px"))
    var driftPx: Double = StageDriftModel().stepSigma

    @Option(name: .customLong("jump-probability"),
            help: ArgumentHelp("Probability per frame of a sudden stage jump (0–1).", valueName: "P"))
    var jumpProbability: Double = StageDriftModel().jumpProbability

    @Option(name: .customLong("jump-px"), help: ArgumentHelp("Length of a stage jump, pixels.", valueName: "px"))
    var jumpPx: Double = StageDriftModel().jumpMagnitude

    @Option(name: .customLong("hop-probability"),
            help: ArgumentHelp("Probability per frame that a surface column gives one atom to a neighbouring site (0–1).",
                               valueName: "P"))
    var hopProbability: Double = SurfaceHopModel().probability

    @Flag(help: ArgumentHelp("Reshaping particle (replaces hopping): from a sphere of --radius to an 18 Å envelope "
                             + "truncated by {111} planes at 13.6 Å and {100} planes at 12 Å, as facets develop during heating. "
                             + "truth.json then also lists each frame's true facets."))
    var reshape = false

    @Option(help: ArgumentHelp("Write one frame every this many seconds, like a live acquisition "
                               + "(default: as fast as possible).", valueName: "seconds"))
    var interval: Double?

    @Option(help: "Pixel encoding: float32 (exact counts) or uint16 (rounded, clipped to 0–65535).")
    var encoding: EncodingOption = .float32

    @Option(help: "File format: tiff (one file per frame), dm4 (one DigitalMicrograph file per frame, as GMS in situ capture) or emd (Velox-like, frames stacked; see --frames-per-file).")
    var format: SimulatedFormat = .tiff

    @Option(help: "Directory layout: flat, or gms (GMS in situ capture's Hour_HH/Minute_MM/Second_SS folders by time since the start).")
    var layout: SimulatedLayout = .flat

    @Option(help: "With --format emd: frames per .emd file (default: all frames in one file).")
    var framesPerFile: Int?

    @Option(help: ArgumentHelp("Acquisition time of frame 0 written into DM4/EMD metadata, Unix s (default: now; give it for byte-identical files).", valueName: "s"))
    var startTime: Double?

    @Option(help: ArgumentHelp("Detector gain, image units per detected electron.", valueName: "G"))
    var gain: Double = DetectorModel().gain

    @Option(help: ArgumentHelp("Detector offset (dark level), image units.", valueName: "O"))
    var offset: Double = DetectorModel().offset

    @Option(name: .customLong("read-noise"),
            help: ArgumentHelp("Standard deviation of Gaussian detector read noise, image units.", valueName: "R"))
    var readNoise: Double = DetectorModel().readNoise

    @Flag(inversion: .prefixedNo,
          help: "Write each frame under a hidden temporary name and rename it when complete.")
    var atomic = true

    @Flag(name: .shortAndLong, help: "Print only the final summary, not one line per frame.")
    var quiet = false

    /// The simulation settings the options describe.
    var settings: SimulationSettings {
        var s = SimulationSettings()
        s.seed = seed
        s.frameCount = frames
        s.width = size.width
        s.height = size.height
        s.pixelSize = pixelSize
        s.dose = dose
        s.crystal = FCCCrystal(latticeConstant: s.crystal.latticeConstant, zoneAxis: zoneAxis.axis)
        s.shape = .sphere(radius: radius)
        s.drift.stepSigma = driftPx
        s.drift.jumpProbability = jumpProbability
        s.drift.jumpMagnitude = jumpPx
        s.hopping.probability = hopProbability
        if reshape { s.reshaping = .faceting }
        s.detector = DetectorModel(gain: gain, offset: offset, readNoise: readNoise)
        return s
    }

    func validate() throws {
        do { try settings.validate() } catch { throw ValidationError(error.description) }
        if let interval, !(interval >= 0 && interval.isFinite) {
            throw ValidationError("--interval must be ≥ 0 seconds (got \(interval))")
        }
        if let n = framesPerFile, n < 1 { throw ValidationError("--frames-per-file must be ≥ 1") }
        if framesPerFile != nil && format != .emd { throw ValidationError("--frames-per-file applies to --format emd") }
        if encoding == .uint16 && offset < 0 {
            throw ValidationError("--offset must be ≥ 0 with uint16 encoding (negative values would be clipped)")
        }
    }

    func run() async throws {
        let simulator = try SeriesSimulator(settings)
        let writer = SeriesWriter(simulator: simulator, options: SeriesWriter.Options(
            directory: out, encoding: encoding.encoding, atomic: atomic, interval: interval,
            format: format == .tiff ? .tiff : format == .dm4 ? .dm4 : .emd(framesPerFile: framesPerFile ?? frames),
            layout: layout == .gms ? .gms : .flat, startTime: startTime))
        let quiet = quiet
        let truth = try await writer.write { frame, _ in
            guard !quiet else { return }
            let hops = simulator.hops.lazy.filter { $0.frame == frame.index }.count
            let line = frame.file + String(format: "  drift %+7.2f %+7.2f px", frame.dx, frame.dy)
                + (frame.jump ? "  jump" : "      ")
                + String(format: "  columns %4d  atoms %5d  hops %2d\n", frame.columns.count, frame.atoms, hops)
            FileHandle.standardOutput.write(Data(line.utf8))   // unbuffered: live with --interval
        }
        let columns = truth.frames.map(\.columns.count)
        let jumps = truth.frames.filter(\.jump).count
        let range = columns.min() == columns.max() ? "\(columns[0])" : "\(columns.min()!)–\(columns.max()!)"
        print("Wrote \(truth.frames.count) frames (\(settings.width)×\(settings.height) px, "
              + String(format: "%g Å/px, %g e⁻/Å², ", settings.pixelSize, settings.dose)
              + "[\(zoneAxis.rawValue)]) to \(out): \(range) columns, \(truth.atoms) atoms, "
              + "\(truth.hops.count) hops, \(jumps) stage jumps; ground truth in \(out)/\(SeriesWriter.truthFileName)")
    }
}

/// `--size W` or `--size WxH`, pixels.
struct FrameSizeOption: ExpressibleByArgument, Sendable {
    var width: Int
    var height: Int

    init(width: Int, height: Int) { self.width = width; self.height = height }

    init?(argument: String) {
        let parts = argument.lowercased().split(whereSeparator: { $0 == "x" || $0 == "×" })
        guard (1...2).contains(parts.count), let w = Int(parts[0]), let h = Int(parts.last!), w > 0, h > 0 else {
            return nil
        }
        self.init(width: w, height: h)
    }

    var defaultValueDescription: String { width == height ? "\(width)" : "\(width)x\(height)" }
}

/// `--zone-axis`.
enum ZoneAxisOption: String, ExpressibleByArgument, CaseIterable, Sendable {
    case z110 = "110", z100 = "100", z111 = "111"
    var axis: ZoneAxis {
        switch self {
        case .z110: return .z110
        case .z100: return .z100
        case .z111: return .z111
        }
    }
}

/// `--encoding`.
enum EncodingOption: String, ExpressibleByArgument, CaseIterable, Sendable {
    case float32, uint16
    var encoding: TIFFWriter.Encoding { self == .float32 ? .float32 : .uint16 }
}

/// `--format`.
enum SimulatedFormat: String, ExpressibleByArgument, CaseIterable, Sendable { case tiff, dm4, emd }

/// `--layout`.
enum SimulatedLayout: String, ExpressibleByArgument, CaseIterable, Sendable { case flat, gms }

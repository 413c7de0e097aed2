import Analysis
import ArgumentParser
import AtomCount
import ColumnFit
import Foundation
import StorePresentation
import Structure
import TIFFFrame
import TrajectoryStore
import StemCore

/// `stemtrack structure`: lattice, particles, surface columns and facets of a frame or a stored run.
struct StructureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "structure",
        abstract: "Measure the lattice, particles, surface columns and facets of a frame or of a stored run.",
        discussion: """
            On a frame: fits the columns, counts atoms (Gaussian mixture, ICL), then measures the two \
            shortest projected lattice vectors, the crystal and zone axis (best match among fcc/bcc \
            low-index zone axes unless --crystal, --lattice-constant and --zone-axis are given), the \
            particles (connected groups of neighbouring columns), the surface columns and the facets \
            seen edge-on (straight runs of surface columns along low-index rows, labelled by Miller \
            family, e.g. {111}, {100} and {110} along fcc [110]).
              stemtrack structure frame.tif --pixel-size 0.1211 --svg structure.svg

            On a stored run (--db): recomputes the structure of every stored frame from its stored \
            columns and counts and prints one line per frame (particles, atoms, facet lengths per family).
              stemtrack structure --db run.sqlite --frames 100:400

            --xyz writes a 3D model of the largest particle: each column's atoms stacked on the lattice \
            symmetrically about a central plane, then relaxed by Monte Carlo moves of whole columns \
            (Lennard-Jones energy; De Backer et al., Nanoscale 9 (2017) 8791).
            """)

    @Argument(help: "TIFF file (leave out with --db).")
    var frame: String?

    @Option(help: "A stemtrack store (SQLite file or postgres:// URL): analyse its stored frames instead of a TIFF file.")
    var db: String?

    @Option(help: "With a PostgreSQL --db: the run (default: the most recently started) and its instrument.")
    var run: String?
    @Option(help: .hidden)
    var instrument: String?

    @Option(help: "With --db: frames to analyse, 'N', 'A:B', 'A:' or ':B' (also 'A-B'; default: all).")
    var frames: String?

    @OptionGroup(title: "Fitting (TIFF inputs)")
    var fit: FitOptions


    @Option(help: "Page of a multi-page file, 0-based.")
    var page: Int = 0

    @Option(help: "Crystal lattice: fcc or bcc (with --lattice-constant and --zone-axis).")
    var crystal: CrystalLattice?

    @Option(help: ArgumentHelp("Lattice constant, Å (Pt 3.92, Au 4.08, Pd 3.89, Ir 3.84).", valueName: "Å"))
    var latticeConstant: Double?

    @Option(help: "Zone axis, e.g. 110, 100, 111.")
    var zoneAxis: String?

    @Option(help: "Mixture components for counting (default: chosen by ICL).")
    var components: Int?

    @Flag(help: "Do not count atoms (particles then have no atom totals).")
    var noCount = false

    @Option(help: "Write the frame with columns, facets and lattice vectors drawn over it (SVG).")
    var svg: String?

    @Option(help: "Write a 3D model of the largest particle (XYZ, Å); needs a pixel size and counts.")
    var xyz: String?

    @Option(help: "Element symbol in the XYZ file.")
    var element: String = "Pt"

    @Option(help: "Output: table or json.")
    var format: OutputFormat = .table


    func validate() throws {
        if (frame == nil) == (db == nil) { throw ValidationError("give a TIFF file or --db FILE (one of them)") }
        if format == .csv { throw ValidationError("structure writes table or json") }
        if let a = latticeConstant, !(a > 0) { throw ValidationError("--lattice-constant must be positive") }
        if let z = zoneAxis, Direction(z) == nil { throw ValidationError("--zone-axis '\(z)': expected three digits such as 110 or 1-10") }
        let given = [crystal != nil, latticeConstant != nil, zoneAxis != nil]
        if given.contains(true) && given.contains(false) {
            throw ValidationError("--crystal, --lattice-constant and --zone-axis go together (leave all out to match automatically)")
        }
        if db != nil && svg != nil { throw ValidationError("--svg needs a TIFF file") }
    }

    var configuredCrystal: Crystal? {
        guard let crystal, let latticeConstant, let z = zoneAxis.flatMap(Direction.init) else { return nil }
        return Crystal(lattice: crystal, latticeConstant: latticeConstant, zoneAxis: z)
    }

    func run() async throws {
        if let db { try runStored(db); return }
        try runFrame(frame!)
    }

    // MARK: One frame

    private func runFrame(_ path: String) throws {
        let pages: [Frame]
        pages = try readFramePages(path)
        guard page >= 0 && page < pages.count else { throw RuntimeError("\(path) has \(pages.count) page(s); --page \(page) does not exist") }
        let image = pages[page]
        // The series pipeline on one frame: fit → count → structure (nothing to link or smooth).
        var settings = AnalysisSettings()
        settings.fit = self.fit.settings
        settings.counting.enabled = !noCount
        settings.counting.components = components
        settings.smoothing.enabled = false
        settings.structure = StructureSettings(crystal: configuredCrystal, pixelSize: self.fit.pixelSize)
        var pipeline: Pipeline
        do { pipeline = try Pipeline(settings: settings) } catch { throw RuntimeError(error.description) }
        let a = pipeline.analyze(image, time: nil)
        guard let fit = a.fit else { throw RuntimeError("\(path): \(a.failure ?? "the fit failed")") }
        if let why = a.stageFailures["counting"] {
            FileHandle.standardError.write(Data("counting failed (\(why)); continuing without counts\n".utf8))
        }
        let px = fit.pixelSize
        let columns = fit.columns.enumerated().map { i, c in StructureColumn(x: c.x, y: c.y, count: a.counts[i]) }
        guard let st = a.structure else { throw RuntimeError("\(path): \(a.stageFailures["structure"] ?? "no structure")") }
        if let svg {
            let text = try StructureOverlay.svg(frame: image, columns: columns, structure: st,
                                                title: URL(fileURLWithPath: path).lastPathComponent)
            try text.write(toFile: svg, atomically: true, encoding: .utf8)
        }
        if let xyz { try writeXYZ(xyz, structure: st, columns: columns, pixelSize: px) }
        if format == .json {
            struct Doc: Encodable { var columns: [StructureColumn]; var structure: FrameStructure }
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try e.encode(Doc(columns: columns, structure: st)), as: UTF8.self))
        } else {
            print(Self.describe(st, pixelSize: px))
        }
    }

    private func writeXYZ(_ path: String, structure st: FrameStructure, columns: [StructureColumn], pixelSize: Double?) throws {
        guard let pixelSize else { throw RuntimeError("--xyz needs the pixel size: the file has none; give --pixel-size") }
        guard !st.particles.isEmpty else { throw RuntimeError("--xyz: no particle found") }
        let start: ColumnStackModel
        do { start = try ColumnStackModel.start(structure: st, columns: columns, particle: 0, pixelSize: pixelSize) }
        catch { throw RuntimeError("--xyz: \(error)") }
        let relax = StackRelaxation(nearestNeighbourDistance: st.crystal.nearestNeighbourDistance)
        let e0 = relax.energy(start)
        let r = relax.relax(start)
        let comment = "stemtrack 3D model: \(st.crystal), \(start.counts.reduce(0, +)) atoms; LJ energy "
            + String(format: "%.1f ε (symmetric start %.1f ε)", r.energy, e0)
        try r.model.xyz(element: element, comment: comment).write(toFile: path, atomically: true, encoding: .utf8)
        FileHandle.standardError.write(Data((comment + "\n").utf8))
    }

    static func describe(_ st: FrameStructure, pixelSize: Double?) -> String {
        let u = st.lengthUnit, p = pixelSize ?? 1
        var out = String(format: "lattice: |a1| %.3f px, |a2| %.3f px, angle %.2f°, RMS residual %.3f px over %d neighbour pairs\n",
                         st.lattice.length1, st.lattice.length2, st.lattice.angle, st.lattice.residual, st.lattice.pairs)
        out += String(format: "  a1 = (%.3f, %.3f) px, a2 = (%.3f, %.3f) px", st.lattice.a1.x, st.lattice.a1.y, st.lattice.a2.x, st.lattice.a2.y)
        if pixelSize != nil { out += String(format: "; |a1| %.4f Å, |a2| %.4f Å", st.lattice.length1 * p, st.lattice.length2 * p) }
        out += "\ncrystal: \(st.crystal), misfit \(String(format: "%.4f", st.misfit))\nbest matches:"
        for c in st.candidates {
            out += String(format: " %@ [%@] %.4f (a = %.3f %@);", c.lattice.rawValue, c.zoneAxis.description, c.misfit,
                          c.impliedLatticeConstant, u)
        }
        out += "\n\nparticle columns surface atoms area_\(u)2 perimeter_\(u) centre_x_px centre_y_px Rg_\(u) aspect\n"
        for q in st.particles {
            out += String(format: "%8d %7d %7d %5@ %9.2f %12.2f %11.2f %11.2f %6.2f %6.3f\n", q.index, q.columns.count,
                          q.surfaceColumns, q.atoms.map(String.init) ?? "-", q.area, q.perimeter, q.centreX, q.centreY,
                          q.radiusOfGyration, q.aspectRatio)
        }
        out += "\nfacet particle family columns length_\(u) x0_px y0_px x1_px y1_px normal_deg\n"
        for (k, f) in st.facets.enumerated() {
            out += String(format: "%5d %8d %6@ %7d %9.2f %7.1f %7.1f %7.1f %7.1f %10.1f\n", k, f.particle, f.family,
                          f.columns.count, f.length, f.x0, f.y0, f.x1, f.y1, f.normalAngle)
        }
        return out
    }

    // MARK: Stored run

    private func runStored(_ path: String) throws {
        let reader = try Stores.reader(path, run: run, instrument: instrument)
        let range = try frames.map { try StoreRange.ints($0, name: "--frames") }
        let stored = try reader.frames(StoreFilter(frames: range)).filter { $0.status == .ok }
        guard !stored.isEmpty else { throw RuntimeError("\(path): no analysed frames\(frames.map { " in \($0)" } ?? "")") }
        var rows: [String] = []
        var families = Set<String>()
        var results: [(FrameRecord, FrameStructure?)] = []
        let progress = stored.count > 20
        let analyzer = try StructureAnalyzer(settings: StructureSettings(crystal: configuredCrystal, pixelSize: self.fit.pixelSize))
        for (n, f) in stored.enumerated() {
            let columns = try reader.columns(frame: f.frame).map { StructureColumn(x: $0.x, y: $0.y, count: $0.count, track: $0.track) }
            let st = try? analyzer.analyze(columns, framePixelSize: f.pixelSize)
            families.formUnion(st?.facets.map(\.family) ?? [])
            results.append((f, st))
            if progress && (n + 1) % 50 == 0 {
                FileHandle.standardError.write(Data("structure: \(n + 1)/\(stored.count) frames\n".utf8))
            }
        }
        let fams = families.sorted()
        if format == .json {
            struct Row: Encodable {
                var frame: Int; var temperature: Double?; var acquired_at: Double?; var structure: FrameStructure?
            }
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            for (f, st) in results {
                print(String(decoding: try e.encode(Row(frame: f.frame, temperature: f.temperature, acquired_at: f.acquiredAt, structure: st)), as: UTF8.self))
            }
            return
        }
        rows.append((["frame", "temperature", "particles", "atoms", "columns", "surface"] + fams.map { "\($0)_length" }).joined(separator: "\t"))
        for (f, st) in results {
            guard let st else { rows.append("\(f.frame)\t\(f.temperature.map { String(format: "%.1f", $0) } ?? "")\t0\t\t\t"); continue }
            let main = st.particles.first
            var cells = [String(f.frame), f.temperature.map { String(format: "%.1f", $0) } ?? "", String(st.particles.count),
                         main?.atoms.map(String.init) ?? "", main.map { String($0.columns.count) } ?? "",
                         main.map { String($0.surfaceColumns) } ?? ""]
            for fam in fams {
                cells.append(String(format: "%.2f", st.facets.filter { $0.family == fam }.reduce(0) { $0 + $1.length }))
            }
            rows.append(cells.joined(separator: "\t"))
        }
        print(rows.joined(separator: "\n"))
        if let xyz, let last = results.last(where: { $0.1 != nil }), let st = last.1 {
            let columns = try reader.columns(frame: last.0.frame).map { StructureColumn(x: $0.x, y: $0.y, count: $0.count, track: $0.track) }
            try writeXYZ(xyz, structure: st, columns: columns, pixelSize: self.fit.pixelSize ?? last.0.pixelSize)
        }
    }
}

extension CrystalLattice: ExpressibleByArgument {}

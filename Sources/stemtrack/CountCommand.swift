import ArgumentParser
import Report
import AtomCount
import ColumnFit
import Foundation
import StorePresentation
import TIFFFrame

struct Count: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count atoms per column from scattering cross-sections.",
        discussion: """
            Input: TIFF frames (fitted first, as 'stemtrack fit' does) or column tables (CSV with a \
            cross_section or volume column, e.g. from 'stemtrack fit'). Several inputs are pooled into one \
            model, as a time series would be.

            By default a Gaussian mixture with one shared width is fitted for k = 1…K components (EM, \
            greedy initialisation) and the number of components chosen automatically: the largest \
            significant local minimum of the ICL whose components are spaced like consecutive atom counts \
            (see the README). --components overrides it; --library counts against a simulated \
            cross-section library (lines "atoms, cross-section") scaled to the data.

            --plots PREFIX writes PREFIX_icl.csv (log-likelihood, ICL, BIC, AIC per k), \
            PREFIX_histogram.csv and PREFIX.svg (histogram with the fitted mixture, and the ICL curve): \
            look at them before trusting a count.
            """)

    @Argument(help: "TIFF frames or CSV column tables.")
    var inputs: [String]

    @Flag(help: "Start the CSV with a '# model …' line (off: a plain header that pandas and spreadsheets read).")
    var comments = false

    @OptionGroup(title: "Fitting (TIFF inputs)")
    var fit: FitOptions


    @Option(help: "Use exactly this many mixture components.")
    var components: Int?

    @Option(help: "Largest number of components tried (default: from the data, up to 25, extended to 60 when the choice lands at the top; thick particles need more, e.g. 60).")
    var maxComponents: Int?

    @Option(help: "Atoms in the first component (default: inferred from the shape of the means, cross-section ∝ n^γ with γ 0.7–1.05; 1 anchors it at one atom).")
    var firstAtoms: Int?

    @Option(help: "Cross-section library: text file of 'atoms, cross-section' lines (units as the data up to a scale).")
    var library: String?

    @Option(help: "With --library: dose in e⁻/Å² for the dose-dependent variance σ² + μ/dose.")
    var dose: Double?

    @Option(help: "Write PREFIX_icl.csv, PREFIX_histogram.csv and PREFIX.svg.")
    var plots: String?

    @Option(help: "Output format: csv or json.")
    var format: OutputFormat = .csv

    @Option(name: .shortAndLong, help: "Write the count table to this file instead of standard output.")
    var output: String?

    struct Row { var file: String; var x: Double; var y: Double; var crossSection: Double }

    func validate() throws {
        if format == .table { throw ValidationError("count writes csv or json") }
    }

    func run() async throws {
        var rows: [Row] = []
        for input in inputs { rows += try load(input) }
        guard rows.count >= 3 else { throw RuntimeError("only \(rows.count) columns in the input; counting needs at least 3") }
        let xs = rows.map(\.crossSection)
        var counts: [Int]
        var model: CountingModel
        var mixture: MixtureCounter.Result? = nil
        var counter = MixtureCounter()
        counter.components = components
        counter.maxComponents = maxComponents
        counter.firstComponentAtoms = firstAtoms
        if let library {
            let text: String
            do { text = try String(contentsOfFile: library, encoding: .utf8) } catch {
                throw RuntimeError("\(library): cannot read the library (\(error.localizedDescription))")
            }
            var libraryCounter: LibraryCounter
            do { libraryCounter = LibraryCounter(library: try LibraryCounter.parse(text)) } catch { throw RuntimeError("\(library): \(error)") }
            libraryCounter.poissonScale = dose.map { 1 / $0 }
            let r: (model: CountingModel, scale: Double, counts: [Int])
            do { r = try libraryCounter.count(xs) } catch { throw RuntimeError("\(error)") }
            (model, counts) = (r.model, r.counts)
            FileHandle.standardError.write(Data("library scale \(r.scale)\n".utf8))
        } else {
            do { mixture = try counter.count(xs) } catch { throw RuntimeError("\(error)") }
            (model, counts) = (mixture!.model, mixture!.counts)
        }
        let total = counts.reduce(0, +)
        let probabilities = mixture?.probabilities ?? xs.map { model.posterior($0).probability }
        FileHandle.standardError.write(Data(("\(rows.count) columns, \(model.counts.count) components (atoms \(model.counts.first!)…\(model.counts.last!)), "
            + "\(total) atoms, model \(model.id), theoretical probability of correct counting "
            + String(format: "%.3f", model.probabilityOfCorrectCounting) + "\n").utf8))
        if let mixture {
            FileHandle.standardError.write(Data("selection: \(mixture.reason)\n".utf8))
            if mixture.ambiguous {
                FileHandle.standardError.write(Data(("warning: the evidence for \(mixture.selected.components) components over a neighbouring number is weak "
                    + "(ICL within \(ColumnTable.fmt(counter.ambiguityMargin))); compare --components \(mixture.selected.components - 1) and \(mixture.selected.components + 1)\n").utf8))
            }
        }
        if let plots { try writePlots(prefix: plots, xs: xs, model: model, mixture: mixture) }
        let text: String
        if format == .csv {
            text = (comments ? "# model \(model.id): " + zip(model.counts, model.means).map { "\($0)→\(ColumnTable.fmt($1))" }.joined(separator: " ")
                + ", σ \(ColumnTable.fmt(model.sigma))\n" : "") + "file,x_px,y_px,cross_section,count,probability\n"
                + rows.indices.map { i in
                    let r = rows[i]
                    return "\(r.file),\(ColumnTable.fmt(r.x)),\(ColumnTable.fmt(r.y)),\(ColumnTable.fmt(r.crossSection)),\(counts[i]),\(String(format: "%.4f", probabilities[i]))"
                }.joined(separator: "\n") + "\n"
        } else {
            struct Doc: Encodable {
                var model: CountingModel
                var probability_correct: Double
                var selection: String?
                var ambiguous: Bool?
                var columns: [[String: String]]
            }
            let cols = rows.indices.map { i in
                ["file": rows[i].file, "x_px": ColumnTable.fmt(rows[i].x), "y_px": ColumnTable.fmt(rows[i].y),
                 "cross_section": ColumnTable.fmt(rows[i].crossSection), "count": String(counts[i]),
                 "probability": String(format: "%.4f", probabilities[i])]
            }
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            text = String(decoding: try enc.encode(Doc(model: model, probability_correct: model.probabilityOfCorrectCounting,
                                                       selection: mixture?.reason, ambiguous: mixture?.ambiguous, columns: cols)), as: UTF8.self) + "\n"
        }
        if let output { try text.write(toFile: output, atomically: true, encoding: .utf8) } else { print(text, terminator: "") }
    }

    private func load(_ path: String) throws -> [Row] {
        let name = String(path.split(separator: "/").last ?? Substring(path))
        if path.lowercased().hasSuffix(".csv") || path.lowercased().hasSuffix(".txt") {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw RuntimeError("\(path): cannot read (\(error.localizedDescription))") }
            var lines = text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("#") }
            guard !lines.isEmpty else { throw RuntimeError("\(path): empty table") }
            let header = lines.removeFirst().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let ci = header.firstIndex(of: "cross_section") ?? header.firstIndex(of: "volume") else {
                throw RuntimeError("\(path): no cross_section (or volume) column in the header")
            }
            let xi = header.firstIndex(of: "x_px"), yi = header.firstIndex(of: "y_px")
            return try lines.enumerated().map { n, line in
                let f = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                guard f.count > ci, let cs = Double(f[ci]), cs.isFinite else {
                    throw RuntimeError("\(path): line \(n + 2) has no numeric cross-section")
                }
                return Row(file: name, x: xi.flatMap { Double(f[$0]) } ?? .nan, y: yi.flatMap { Double(f[$0]) } ?? .nan, crossSection: cs)
            }
        }
        let frames: [Frame]
        frames = try readFramePages(path)
        let settings = fit.settings
        return try frames.flatMap { frame -> [Row] in
            let fit: FrameFit
            do { fit = try ColumnFitter(settings: settings).fit(frame) } catch { throw RuntimeError("\(error)") }
            for w in fit.warnings { FileHandle.standardError.write(Data("warning: \(frame.label): \(w)\n".utf8)) }
            return fit.columns.map { Row(file: frame.label, x: $0.x, y: $0.y, crossSection: $0.crossSection(pixelSize: fit.pixelSize)) }
        }
    }

    private func writePlots(prefix: String, xs: [Double], model: CountingModel, mixture: MixtureCounter.Result?) throws {
        let lo = min(0, xs.min()!), hi = xs.max()! * 1.05
        let binCount = max(10, min(80, xs.count / 3))
        let width = (hi - lo) / Double(binCount)
        var bins = (0..<binCount).map { (lo: lo + Double($0) * width, hi: lo + Double($0 + 1) * width, value: 0.0) }
        for x in xs { bins[min(binCount - 1, max(0, Int((x - lo) / width)))].value += 1 }
        let curve = (0...400).map { i -> (Double, Double) in
            let x = lo + (hi - lo) * Double(i) / 400
            return (x, exp(model.logDensity(x)) * Double(xs.count) * width)
        }
        var csv = "bin_low,bin_high,columns,model_expected\n"
        for b in bins {
            let mid = 0.5 * (b.lo + b.hi)
            csv += "\(ColumnTable.fmt(b.lo)),\(ColumnTable.fmt(b.hi)),\(Int(b.value)),\(ColumnTable.fmt(exp(model.logDensity(mid)) * Double(xs.count) * width))\n"
        }
        try csv.write(toFile: prefix + "_histogram.csv", atomically: true, encoding: .utf8)
        let yMax = max(bins.map(\.value).max() ?? 1, curve.map(\.1).max() ?? 1) * 1.1
        var hist = SVGPlot(title: "Cross-sections, \(model.counts.count)-component model", xLabel: "scattering cross-section",
                           yLabel: "columns", x: lo...hi, y: 0...yMax)
        hist.bars(bins, fill: "#9ecae1")
        hist.line(curve, stroke: "#d62728")
        for (n, m) in zip(model.counts, model.means) { hist.text("\(n)", x: m, y: yMax * 0.95, anchor: "middle", size: 9) }
        var plots = [hist]
        if let mixture {
            var icl = "components,log_likelihood,icl,bic,aic,selected\n"
            for (i, f) in mixture.fits.enumerated() {
                icl += "\(f.components),\(f.logLikelihood),\(f.icl),\(f.bic),\(f.aic),\(i == mixture.selectedIndex ? 1 : 0)\n"
            }
            try icl.write(toFile: prefix + "_icl.csv", atomically: true, encoding: .utf8)
            let pts = mixture.fits.map { (Double($0.components), $0.icl) }
            let ys = pts.map(\.1)
            var p = SVGPlot(title: "ICL (selected: \(mixture.selected.components))", xLabel: "number of components",
                            yLabel: "ICL", x: 0...Double(mixture.fits.count + 1), y: (ys.min()! - 5)...(ys.max()! + 5))
            p.line(pts, stroke: "#1f77b4")
            p.markers(pts, fill: "#1f77b4", radius: 2.5)
            p.markers([pts[mixture.selectedIndex]], fill: "#d62728", radius: 5)
            plots.append(p)
        }
        try SVGPlot.document(plots).write(toFile: prefix + ".svg", atomically: true, encoding: .utf8)
    }
}

import ArgumentParser
import ColumnFit
import Foundation
import TIFFFrame
import StemCore
import StorePresentation

struct Fit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find and fit every atomic column of a HAADF frame.",
        discussion: """
            Prints one row per column: position (px and Å), its standard errors, the Gaussian width ρ, \
            the peak height η above the background, the scattering cross-section 2πηρ² (image units × Å² \
            with a pixel size, × px² without) and, when the detector gain is known, the Cramér–Rao lower \
            bound of the position under Poisson noise.

            Columns are found automatically (noise, width and spacing measured from the image) unless \
            --start gives starting positions. Example:
              stemtrack fit frame_00042.tif --pixel-size 0.1211 --format csv > columns.csv
            """)

    @Argument(help: "TIFF file (grayscale; a multi-page file is one frame per page).")
    var frame: String

    @OptionGroup(title: "Fitting")
    var fit: FitOptions


    @Option(help: "Output format: csv or json.")
    var format: OutputFormat = .csv

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
    var output: String?

    @Option(help: "Page of a multi-page file, 0-based.")
    var page: Int = 0











    @Option(help: "CSV of starting positions (header with x_px,y_px), instead of automatic finding.")
    var start: String?

    @Flag(name: .shortAndLong, help: "Report the measured noise, width and spacing and the fit's progress on standard error.")
    var verbose = false

    @Flag(help: "Start the CSV with a '# …' line describing the fit (off: a plain header that pandas and spreadsheets read).")
    var comments = false


    func validate() throws {
        if format == .table { throw ValidationError("fit writes csv or json") }
    }

    func run() async throws {
        let frames: [Frame]
        frames = try readFramePages(frame)
        guard page >= 0 && page < frames.count else {
            throw RuntimeError("\(frame) has \(frames.count) page(s); --page \(page) does not exist")
        }
        let settings = fit.settings
        let startPoints = try start.map(readStart)
        let result: FrameFit
        do {
            result = try ColumnFitter(settings: settings).fit(frames[page], start: startPoints)
        } catch { throw RuntimeError(error.description) }
        if verbose {
            let s = result.scales
            var line = "noise σ \(s.noise), width ρ₀ \(s.width) px, spacing \(s.spacing) px; "
            line += "\(result.columns.count) columns (\(result.removedColumns) removed), \(result.iterations) iterations"
            if !result.converged { line += " (not converged)" }
            if let rho = result.sharedWidth { line += ", ρ = \(rho) px" }
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let text = format == .csv ? ColumnTable.csv(result, source: frames[page].label, comments: comments)
                                  : try ColumnTable.json(result, source: frames[page].label)
        if let output {
            do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                throw RuntimeError("\(output): cannot write the table (\(error.localizedDescription))")
            }
        } else {
            print(text, terminator: "")
        }
        try reportQuality(result, label: frames[page].label)
    }

    private func readStart(_ path: String) throws -> [(x: Double, y: Double)] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("#") }
        guard !lines.isEmpty else { throw RuntimeError("\(path): empty") }
        let header = lines.removeFirst().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let xi = header.firstIndex(of: "x_px"), let yi = header.firstIndex(of: "y_px") else {
            throw RuntimeError("\(path): needs columns x_px and y_px in its header")
        }
        return try lines.enumerated().map { n, line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count > max(xi, yi), let x = Double(f[xi].trimmingCharacters(in: .whitespaces)),
                  let y = Double(f[yi].trimmingCharacters(in: .whitespaces)) else {
                throw RuntimeError("\(path): line \(n + 2) has no numeric x_px,y_px")
            }
            return (x, y)
        }
    }
}

extension FitSettings.WidthMode: ExpressibleByArgument {}
extension FitSettings.Estimator: ExpressibleByArgument {}

/// Repairs and implausible results on standard error; implausible fits end with exit status 3
/// (the table is still written), so that scripts do not take them for successes.
func reportQuality(_ fit: FrameFit, label: String) throws {
    if fit.repairedPixels.total > 0 {
        FileHandle.standardError.write(Data(("\(label): \(fit.repairedPixels.nonFinite) NaN/Inf and "
            + "\(fit.repairedPixels.outliers) isolated outlier pixels replaced by their neighbours' median\n").utf8))
    }
    guard !fit.warnings.isEmpty else { return }
    for w in fit.warnings { FileHandle.standardError.write(Data("warning: \(label): \(w)\n".utf8)) }
    throw ExitCode(ExitStatus.implausible)
}

import ColumnFit
import Foundation

/// The column table written by `stemtrack fit`: one row per column.
enum ColumnTable {
    static let header = "x_px,y_px,x_A,y_A,sigma_x_px,sigma_y_px,rho_px,rho_A,eta,sigma_eta,cross_section,crlb_x_px,crlb_y_px"

    /// The table as CSV with a plain header line (what pandas, R and spreadsheets expect); with
    /// `comments`, a first `# …` line describes the fit.
    static func csv(_ fit: FrameFit, source: String, comments: Bool = false) -> String {
        let px = fit.pixelSize
        var out = comments ? summary(fit, source: source) + "\n" + header + "\n" : header + "\n"
        for c in fit.columns {
            let fields: [String] = [
                fmt(c.x), fmt(c.y), px.map { fmt(c.x * $0) } ?? "", px.map { fmt(c.y * $0) } ?? "",
                fmt(c.sigmaX), fmt(c.sigmaY), fmt(c.width), px.map { fmt(c.width * $0) } ?? "",
                fmt(c.height), fmt(c.sigmaHeight), fmt(c.crossSection(pixelSize: px)),
                c.crlbX.map(fmt) ?? "", c.crlbY.map(fmt) ?? "",
            ]
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }

    /// One line describing the fit (the `--comments` line, and the summary on standard error).
    static func summary(_ fit: FrameFit, source: String) -> String {
        let px = fit.pixelSize
        return "# stemtrack fit of \(source): \(fit.columns.count) columns, background \(fmt(fit.background)), "
            + "estimator \(fit.estimator.rawValue), \(fit.iterations) iterations\(fit.converged ? "" : " (not converged)")"
            + (px.map { ", pixel size \($0) Å, cross_section in image units × Å²" } ?? ", no pixel size: Å fields empty, cross_section in image units × px²")
    }

    static func json(_ fit: FrameFit, source: String) throws -> String {
        struct Row: Encodable {
            var x_px, y_px: Double
            var x_A, y_A: Double?
            var sigma_x_px, sigma_y_px, rho_px: Double
            var rho_A: Double?
            var eta, sigma_eta, cross_section: Double
            var crlb_x_px, crlb_y_px: Double?
        }
        struct Doc: Encodable {
            var source: String
            var pixel_size_A: Double?
            var background: Double
            var shared_width_px: Double?
            var estimator: String
            var iterations: Int
            var converged: Bool
            var noise_sigma: Double
            var spacing_px: Double
            var detector_gain: Double?
            var detector_offset: Double?
            var repaired_pixels: Int
            var warnings: [String]
            var columns: [Row]
        }
        let px = fit.pixelSize
        let rows = fit.columns.map { c in
            Row(x_px: c.x, y_px: c.y, x_A: px.map { c.x * $0 }, y_A: px.map { c.y * $0 },
                sigma_x_px: c.sigmaX.isFinite ? c.sigmaX : -1, sigma_y_px: c.sigmaY.isFinite ? c.sigmaY : -1,
                rho_px: c.width, rho_A: px.map { c.width * $0 }, eta: c.height,
                sigma_eta: c.sigmaHeight.isFinite ? c.sigmaHeight : -1,
                cross_section: c.crossSection(pixelSize: px), crlb_x_px: c.crlbX, crlb_y_px: c.crlbY)
        }
        let doc = Doc(source: source, pixel_size_A: px, background: fit.background, shared_width_px: fit.sharedWidth,
                      estimator: fit.estimator.rawValue, iterations: fit.iterations, converged: fit.converged,
                      noise_sigma: fit.scales.noise, spacing_px: fit.scales.spacing,
                      detector_gain: fit.detector?.gain, detector_offset: fit.detector?.offset,
                      repaired_pixels: fit.repairedPixels.total, warnings: fit.warnings, columns: rows)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try enc.encode(doc), as: UTF8.self) + "\n"
    }

    static func fmt(_ v: Double) -> String {
        v.isFinite ? String(format: "%.6g", v) : "nan"
    }
}

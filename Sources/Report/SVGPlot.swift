import Foundation

/// A minimal SVG line/bar/scatter chart (axes, ticks, labels, legend) for plots microscopists
/// read to trust a result: the cross-section histogram with the fitted mixture, the ICL curve,
/// atoms and facet lengths against time or temperature. Used by `stemtrack count`, the report
/// and the live page's server-side parts.
public struct SVGPlot: Sendable {
    public var width = 520.0, height = 340.0
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xRange: ClosedRange<Double>
    public var yRange: ClosedRange<Double>
    private var body = ""
    private var legendEntries: [(label: String, colour: String)] = []
    private let margin = (left: 70.0, right: 20.0, top: 34.0, bottom: 50.0)

    /// A chart with the given axis ranges (a degenerate range is widened by ±1).
    public init(title: String, xLabel: String, yLabel: String, x: ClosedRange<Double>, y: ClosedRange<Double>) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        xRange = x.lowerBound < x.upperBound ? x : (x.lowerBound - 1)...(x.upperBound + 1)
        yRange = y.lowerBound < y.upperBound ? y : (y.lowerBound - 1)...(y.upperBound + 1)
    }

    /// Chart coordinates of a data value.
    public func px(_ x: Double) -> Double {
        margin.left + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * (width - margin.left - margin.right)
    }
    public func py(_ y: Double) -> Double {
        height - margin.bottom - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * (height - margin.top - margin.bottom)
    }

    /// Histogram bars from `lo` to `hi` with height `value`.
    public mutating func bars(_ bins: [(lo: Double, hi: Double, value: Double)], fill: String) {
        for b in bins where b.value > 0 {
            body += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\" stroke=\"white\" stroke-width=\"0.5\"/>\n",
                           px(b.lo), py(b.value), max(0.5, px(b.hi) - px(b.lo)), py(yRange.lowerBound) - py(b.value), fill)
        }
    }

    /// A polyline through the points (in data order).
    public mutating func line(_ points: [(Double, Double)], stroke: String, width w: Double = 1.6, dash: Bool = false) {
        guard !points.isEmpty else { return }
        let d = points.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
        body += "<polyline fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(w)\"\(dash ? " stroke-dasharray=\"4 3\"" : "") points=\"\(d)\"/>\n"
    }

    /// Filled circles at the points.
    public mutating func markers(_ points: [(Double, Double)], fill: String, radius: Double = 3) {
        for p in points {
            body += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%@\"/>\n", px(p.0), py(p.1), radius, fill)
        }
    }

    /// A text label anchored at a data position.
    public mutating func text(_ s: String, x: Double, y: Double, anchor: String = "start", size: Double = 11) {
        body += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" text-anchor=\"%@\">%@</text>\n", px(x), py(y), size, anchor, Self.escape(s))
    }

    /// Adds a legend entry (drawn in the top-right corner).
    public mutating func legend(_ label: String, colour: String) { legendEntries.append((label, colour)) }

    /// Escapes text for XML/HTML content and attributes.
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private func ticks(_ r: ClosedRange<Double>) -> [Double] {
        let span = r.upperBound - r.lowerBound
        let raw = span / 5
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        var t = ceil(r.lowerBound / step) * step
        var out: [Double] = []
        while t <= r.upperBound + 1e-12 * span { out.append(t); t += step }
        return out
    }

    /// The chart as a `<g>` placed at (dx, dy) in a larger document.
    public func group(dx: Double, dy: Double) -> String {
        var g = "<g transform=\"translate(\(dx),\(dy))\" font-family=\"sans-serif\">\n"
        g += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"white\"/>\n"
        g += String(format: "<text x=\"%.1f\" y=\"20\" font-size=\"14\" text-anchor=\"middle\">%@</text>\n", width / 2, Self.escape(title))
        let x0 = margin.left, x1 = width - margin.right, y0 = margin.top, y1 = height - margin.bottom
        g += String(format: "<path d=\"M%.1f %.1f V%.1f H%.1f\" stroke=\"black\" fill=\"none\"/>\n", x0, y0, y1, x1)
        for t in ticks(xRange) {
            g += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%@</text>\n",
                        px(t), y1, px(t), y1 + 4, px(t), y1 + 16, label(t))
        }
        for t in ticks(yRange) {
            g += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%@</text>\n",
                        x0 - 4, py(t), x0, py(t), x0 - 6, py(t) + 3, label(t))
        }
        g += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">%@</text>\n", (x0 + x1) / 2, height - 12, Self.escape(xLabel))
        g += String(format: "<text transform=\"translate(16,%.1f) rotate(-90)\" font-size=\"12\" text-anchor=\"middle\">%@</text>\n", (y0 + y1) / 2, Self.escape(yLabel))
        g += "<svg x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" overflow=\"hidden\">\n" + body + "</svg>\n"
        for (i, entry) in legendEntries.enumerated() {
            let ly = y0 + 6 + Double(i) * 14
            g += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%@\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%@</text>\n",
                        x1 - 110, ly - 8, entry.colour, x1 - 96, ly, Self.escape(entry.label))
        }
        g += "</g>\n"
        return g
    }

    private func label(_ v: Double) -> String {
        let a = abs(v)
        if a != 0 && (a < 1e-3 || a >= 1e5) { return String(format: "%.1e", v) }
        return String(format: "%g", (v * 1e6).rounded() / 1e6 + 0)   // + 0: no "-0"
    }

    /// Several charts side by side in one SVG document.
    public static func document(_ plots: [SVGPlot]) -> String {
        let w = plots.reduce(0) { $0 + $1.width }, h = plots.map(\.height).max() ?? 0
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\">\n"
        var x = 0.0
        for p in plots { out += p.group(dx: x, dy: 0); x += p.width }
        return out + "</svg>\n"
    }
}

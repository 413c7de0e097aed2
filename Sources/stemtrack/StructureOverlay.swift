import Foundation
import Report
import Structure
import TIFFFrame

/// An SVG of a frame with its structure drawn over it: columns (surface orange, bulk cyan),
/// facets coloured by family, and the two lattice vectors from the largest particle's centre.
/// Coordinates are image pixels (viewBox), so the overlay sits exactly on the columns.
enum StructureOverlay {
    static let familyColours = ["{111}": "#ff3b3b", "{100}": "#3bff5a", "{110}": "#ff4dff", "{311}": "#ffd23b"]

    static func svg(frame: Frame, columns: [StructureColumn], structure st: FrameStructure, title: String) throws -> String {
        let image = FrameImage(frame: frame, maxSide: 2048)
        let png = try image.png().base64EncodedString()
        let w = Double(frame.width), h = Double(frame.height)
        let a = st.lattice.length1
        let display = 1024.0
        var s = """
            <image x="-0.5" y="-0.5" width="\(w)" height="\(h)" preserveAspectRatio="none" \
            style="image-rendering:pixelated" href="data:image/png;base64,\(png)"/>

            """
        let r = 0.12 * a, lw = 0.22 * a
        for f in st.facets {
            let colour = familyColours[f.family] ?? "#ffffff"
            s += String(format: "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%@\" stroke-width=\"%.2f\" stroke-linecap=\"round\" opacity=\"0.75\"/>\n",
                        f.x0, f.y0, f.x1, f.y1, colour, lw)
        }
        for (i, c) in columns.enumerated() {
            let colour = st.surface[i] ? "#ff9a1f" : "#3fd7ff"
            let opacity = st.particle[i] == nil ? 0.4 : 0.95
            s += String(format: "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"%@\" opacity=\"%.2f\"/>\n", c.x, c.y, r, colour, opacity)
        }
        if let p = st.particles.first {
            for (v, name) in [(st.lattice.a1, "a₁"), (st.lattice.a2, "a₂")] {
                let x1 = p.centreX + v.x, y1 = p.centreY + v.y
                s += String(format: "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"white\" stroke-width=\"%.2f\"/>\n",
                            p.centreX, p.centreY, x1, y1, 0.1 * a)
                s += String(format: "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"white\"/>\n", x1, y1, 0.16 * a)
                s += String(format: "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.2f\" fill=\"white\">%@</text>\n",
                            x1 + 0.2 * a, y1, 0.5 * a, name)
            }
        }
        let fs = max(w, h) / 45
        let families = Set(st.facets.map(\.family)).sorted()
        let legend = [SVGPlot.escape(title) + "  —  " + SVGPlot.escape(st.crystal.lattice.rawValue)
                        + " [\(st.crystal.zoneAxis)], misfit " + String(format: "%.3f", st.misfit),
                      String(format: "|a₁| %.2f px, |a₂| %.2f px, angle %.1f°", st.lattice.length1, st.lattice.length2, st.lattice.angle),
                      "facets: " + families.map { fam in "\(fam) ×\(st.facets.filter { $0.family == fam }.count)" }.joined(separator: ", ")]
        let boxHeight = fs * (1.4 * Double(legend.count) + 1.8)
        let top = -0.5 - boxHeight
        s += String(format: "<rect x=\"-0.5\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"black\"/>\n", top, w, boxHeight)
        for (k, line) in legend.enumerated() {
            s += String(format: "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.2f\" fill=\"white\">%@</text>\n",
                        fs * 0.5, top + fs * (1.2 + 1.4 * Double(k)), fs, line)
        }
        var x = fs * 0.5
        let keyY = top + fs * (1.4 * Double(legend.count) + 0.9)
        var keys = families.map { ($0, familyColours[$0] ?? "#ffffff", true) }
        keys += [("surface column", "#ff9a1f", false), ("bulk column", "#3fd7ff", false)]
        for (name, colour, isLine) in keys {
            if isLine {
                s += String(format: "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%@\"/>\n",
                            x, keyY - fs * 0.45, fs * 1.6, fs * 0.4, colour)
            } else {
                s += String(format: "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"%@\"/>\n", x + fs * 0.8, keyY - fs * 0.25, fs * 0.3, colour)
            }
            s += String(format: "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.2f\" fill=\"white\">%@</text>\n",
                        x + fs * 1.9, keyY, fs * 0.9, name)
            x += fs * (2.6 + 0.5 * Double(name.count))
        }
        let header = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(display))" height="\(Int(display * (h + boxHeight) / w))" \
            viewBox="-0.5 \(top) \(w) \(h + boxHeight)" font-family="sans-serif">

            """
        return header + s + "</svg>\n"
    }
}

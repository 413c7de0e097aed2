import Foundation
import TrajectoryStore

/// `stemtrack report`: one self-contained HTML file for a finished run (inline SVG plots and CSS,
/// no network): run summary, atoms and columns against time and temperature, facet lengths per
/// family against time, the last frame's cross-section histogram with its mixture model and ICL
/// curve, the events table and the last frame's column map coloured by count.
public struct RunReport: Sendable {
    /// Stages reported to the progress callback.
    public enum Stage: String, Sendable { case frames, facets, events, lastFrame = "last frame", writing }

    /// Events listed in the table at most (the total is stated).
    public var maxEventRows = 2_000
    /// Points per time series at most (min/max per bucket beyond that, so extremes stay visible).
    public var maxPoints = 3_000

    public init() {}

    /// Builds the HTML from the store. `progress(stage, done, total)` is called as work advances.
    /// With `databasePath` the last frame's image file is looked for (``FrameLocator``: the
    /// stored path, then relative to the working directory, the database's directory and the
    /// runs' acquisition directories) and embedded as PNG under its column map.
    public func html(reader: any StoreQuerying, title: String, databasePath: String? = nil,
                     progress: (Stage, Int, Int) -> Void = { _, _, _ in }) throws -> String {
        let summary = try reader.summary()
        let total = summary.frames
        // Frames in pages (progress per page).
        var frames: [FrameRecord] = []
        var after = -1
        progress(.frames, 0, total)
        while true {
            let page = try reader.frames(StoreFilter(frames: (after + 1)...(1 << 40), limit: 5_000))
            frames += page
            progress(.frames, frames.count, total)
            guard page.count == 5_000, let last = page.last?.frame else { break }
            after = last
        }
        progress(.facets, 0, 1)
        let facets = try reader.facets()
        progress(.facets, 1, 1)
        progress(.events, 0, 1)
        var eventFilter = StoreFilter()
        eventFilter.limit = maxEventRows
        let events = try reader.events(eventFilter)
        progress(.events, 1, 1)
        progress(.lastFrame, 0, 1)
        let last = frames.last { $0.status == .ok && $0.columnCount > 0 }
        let columns = try last.map { try reader.columns(frame: $0.frame) } ?? []
        let model = try last?.modelID.flatMap { id in try reader.models().first { $0.id == id } }
        let icl = last.map { ICLCurve.compute(frame: $0.frame, crossSections: columns.map(\.crossSection)) }
        let sessions = try reader.sessions()
        let image: Data? = try last.flatMap { f -> Data? in
            guard let databasePath else { return nil }
            let locator = FrameLocator(databasePath: databasePath, runDirectories: sessions.compactMap(\.directory))
            return try locator.read(f.path).map { try FrameImage(frame: $0).png() }
        }
        progress(.lastFrame, 1, 1)
        progress(.writing, 0, 1)
        let start = summary.firstAcquiredAt
        var sections: [String] = []
        sections.append(summaryTable(summary, runs: sessions))
        sections.append(section("Atoms and columns", [
            timePlot(frames, start: start, title: "Atoms against time", yLabel: "atoms") { $0.atoms.map(Double.init) },
            timePlot(frames, start: start, title: "Columns against time", yLabel: "columns") { Double($0.columnCount) },
            temperaturePlot(frames, title: "Atoms against temperature", yLabel: "atoms") { $0.atoms.map(Double.init) },
            temperaturePlot(frames, title: "Columns against temperature", yLabel: "columns") { Double($0.columnCount) },
        ] + heatingPlots(frames)))
        sections.append(section("Facets", [facetPlot(facets, frames: frames, start: start),
                                           facetPlot(facets, frames: frames, start: start, againstTemperature: true)]))
        if let last {
            sections.append(section("Last frame (\(last.frame))", [
                histogram(columns, model: model, frame: last.frame),
                iclPlot(icl),
                columnMap(columns, frame: last, image: image),
            ]))
        }
        sections.append(eventTable(events, total: summary.events.values.reduce(0, +), start: start))
        progress(.writing, 1, 1)
        return document(title: title, body: sections.joined(separator: "\n"))
    }

    // MARK: Sections

    func summaryTable(_ s: StoreSummary, runs: [SessionRecord]) -> String {
        func row(_ k: String, _ v: String) -> String { "<tr><th>\(esc(k))</th><td>\(esc(v))</td></tr>" }
        func num(_ v: Double?, _ digits: Int = 1) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "–" }
        var rows = [
            row("frames", "\(s.frames) (\(s.okFrames) ok, \(s.failedFrames) failed)"),
            row("frame numbers", "\(s.firstFrame.map(String.init) ?? "–") – \(s.lastFrame.map(String.init) ?? "–")"),
            row("acquired", "\(isoTime(s.firstAcquiredAt)) – \(isoTime(s.lastAcquiredAt))"),
            row("duration", s.firstAcquiredAt.flatMap { a in s.lastAcquiredAt.map { String(format: "%.1f min", ($0 - a) / 60) } } ?? "–"),
            row("temperature", "\(num(s.minTemperature)) – \(num(s.maxTemperature)) °C"),
            row("columns per frame (mean)", num(s.meanColumnsPerFrame)),
            row("atoms per frame (mean)", num(s.meanAtomsPerFrame)),
            row("events", s.events.keys.sorted().map { "\($0) \(s.events[$0]!)" }.joined(separator: ", ")),
            row("counting models", s.models.keys.sorted().map { "\($0) (\(s.models[$0]!) frames)" }.joined(separator: ", ")),
        ]
        for r in runs {
            rows.append(row("run \(r.id ?? 0)", "\(r.softwareVersion), started \(isoTime(r.startedAt))" + (r.directory.map { ", \($0)" } ?? "")))
        }
        return "<section><h2>Run</h2><table class=\"kv\">" + rows.joined() + "</table></section>"
    }

    func section(_ title: String, _ figures: [String]) -> String {
        "<section><h2>\(esc(title))</h2><div class=\"figs\">" + figures.joined(separator: "\n") + "</div></section>"
    }

    func timePlot(_ frames: [FrameRecord], start: Double?, title: String, yLabel: String,
                  _ value: (FrameRecord) -> Double?) -> String {
        let pts = frames.filter { $0.status == .ok }.compactMap { f -> (Double, Double)? in
            guard let t = f.acquiredAt, let v = value(f) else { return nil }
            return ((t - (start ?? t)) / 60, v)
        }
        return linePlot(downsample(pts), title: title, xLabel: "time (min)", yLabel: yLabel, colour: "#2c7fb8")
    }

    /// Atoms against the holder's heating power (or, without one, its heating current), when the
    /// holder log had such a channel (`frames.holder`).
    func heatingPlots(_ frames: [FrameRecord]) -> [String] {
        func channels(_ f: FrameRecord) -> [String: Double] {
            guard let text = f.holder, let d = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Double] else { return [:] }
            return d
        }
        let keys = Set(frames.prefix(1000).flatMap { channels($0).keys })
        guard let key = keys.sorted().first(where: { $0.localizedCaseInsensitiveContains("power") })
            ?? keys.sorted().first(where: { $0.localizedCaseInsensitiveContains("current") }) else { return [] }
        let pts = frames.filter { $0.status == .ok }.compactMap { f -> (Double, Double)? in
            guard let x = channels(f)[key], let a = f.atoms else { return nil }
            return (x, Double(a))
        }
        let shown = pts.count > maxPoints ? stride(from: 0, to: pts.count, by: pts.count / maxPoints + 1).map { pts[$0] } : pts
        guard !shown.isEmpty else { return [] }
        var p = SVGPlot(title: "Atoms against \(key)", xLabel: key, yLabel: "atoms", x: range(shown.map(\.0)), y: range(shown.map(\.1)))
        p.markers(shown, fill: "#756bb1", radius: 2)
        return [figure(p)]
    }

    func temperaturePlot(_ frames: [FrameRecord], title: String, yLabel: String, _ value: (FrameRecord) -> Double?) -> String {
        let pts = frames.filter { $0.status == .ok }.compactMap { f -> (Double, Double)? in
            guard let t = f.temperature, let v = value(f) else { return nil }
            return (t, v)
        }
        let shown = pts.count > maxPoints ? stride(from: 0, to: pts.count, by: pts.count / maxPoints + 1).map { pts[$0] } : pts
        guard !shown.isEmpty else { return empty(title) }
        var p = SVGPlot(title: title, xLabel: "temperature (°C)", yLabel: yLabel, x: range(shown.map(\.0)), y: range(shown.map(\.1)))
        p.markers(shown, fill: "#e6550d", radius: 2)
        return figure(p)
    }

    /// Total facet length per family and frame against acquisition time (min) or, with
    /// `againstTemperature`, against the frame's temperature (°C; frames without one left out).
    func facetPlot(_ facets: [FacetRecord], frames: [FrameRecord], start: Double?, againstTemperature: Bool = false) -> String {
        let title = "Facet length per family against " + (againstTemperature ? "temperature" : "time")
        var axis: [Int: Double] = [:]
        for f in frames {
            if againstTemperature { if let c = f.temperature { axis[f.frame] = c } }
            else if let t = f.acquiredAt { axis[f.frame] = (t - (start ?? t)) / 60 }
        }
        var sums: [String: [Int: Double]] = [:]
        for f in facets { sums[f.family ?? "?", default: [:]][f.frame, default: 0] += f.length ?? 0 }
        guard !sums.isEmpty else { return empty(title + " (no facets stored)") }
        let series = sums.keys.sorted().map { family in
            (family, downsample(sums[family]!.keys.sorted().compactMap { k in axis[k].map { ($0, sums[family]![k]!) } }))
        }
        let all = series.flatMap(\.1)
        guard !all.isEmpty else { return empty(title + " (no temperatures stored)") }
        var p = SVGPlot(title: title, xLabel: againstTemperature ? "temperature (°C)" : "time (min)",
                        yLabel: "total length (Å)", x: range(all.map(\.0)), y: range(all.map(\.1) + [0]))
        for (i, (family, pts)) in series.enumerated() {
            let colour = Self.palette[i % Self.palette.count]
            if againstTemperature { p.markers(pts, fill: colour, radius: 2) } else { p.line(pts, stroke: colour) }
            p.legend(family, colour: colour)
        }
        return figure(p)
    }

    func histogram(_ columns: [ColumnRecord], model: CountingModelRecord?, frame: Int) -> String {
        let xs = columns.map(\.crossSection).filter(\.isFinite)
        guard !xs.isEmpty else { return empty("Cross-sections (no columns)") }
        var lo = xs.min()!, hi = xs.max()!
        if let m = model, let a = m.means.min(), let b = m.means.max() { lo = min(lo, a - 3 * m.sigma); hi = max(hi, b + 3 * m.sigma) }
        if hi <= lo { hi = lo + 1 }
        // Bins of about 2σ/3 when the model's width is known (its peaks resolved), else ~2√n.
        let nb = model.map { $0.sigma > 0 ? max(10, min(200, Int(((hi - lo) / ($0.sigma * 2 / 3)).rounded()))) : 0 }
            .flatMap { $0 > 0 ? $0 : nil } ?? max(10, min(80, Int((Double(xs.count).squareRoot() * 2).rounded())))
        let w = (hi - lo) / Double(nb)
        var counts = [Double](repeating: 0, count: nb)
        for x in xs { counts[min(nb - 1, max(0, Int((x - lo) / w)))] += 1 }
        var curve: [(Double, Double)] = []
        if let m = model, m.sigma > 0 {
            for i in 0...300 {
                let x = lo + (hi - lo) * Double(i) / 300
                var d = 0.0
                for k in m.means.indices {
                    let z = (x - m.means[k]) / m.sigma
                    d += m.proportions[k] * exp(-0.5 * z * z) / (m.sigma * (2 * Double.pi).squareRoot())
                }
                curve.append((x, d * Double(xs.count) * w))
            }
        }
        let ymax = max(counts.max() ?? 1, curve.map(\.1).max() ?? 0) * 1.08
        var p = SVGPlot(title: "Cross-sections, frame \(frame)", xLabel: "scattering cross-section", yLabel: "columns",
                        x: lo...hi, y: 0...max(1, ymax))
        p.bars(counts.enumerated().map { (lo + Double($0.offset) * w, lo + Double($0.offset + 1) * w, $0.element) }, fill: "#9ecae1")
        p.legend("columns", colour: "#9ecae1")
        if !curve.isEmpty {
            p.line(curve, stroke: "#d62728")
            p.legend("model (\(model!.counts.count) comp.)", colour: "#d62728")
        }
        return figure(p)
    }

    func iclPlot(_ icl: ICLCurve?) -> String {
        guard let icl, !icl.points.isEmpty else { return empty("ICL: \(icl?.note ?? "no curve")") }
        let pts = icl.points.map { (Double($0.components), $0.icl) }
        var p = SVGPlot(title: "ICL, frame \(icl.frame) (selected: \(icl.selected.map(String.init) ?? "–"))",
                        xLabel: "number of components", yLabel: "ICL", x: range(pts.map(\.0)), y: range(pts.map(\.1)))
        p.line(pts, stroke: "#1f77b4")
        p.markers(pts, fill: "#1f77b4")
        if let s = icl.selected, let point = pts.first(where: { Int($0.0) == s }) { p.markers([point], fill: "#d62728", radius: 5) }
        return figure(p)
    }

    /// The columns over the frame's image (`image`: its PNG, shown at the frame's size with pixel
    /// centres at integer coordinates), or on black without it.
    func columnMap(_ columns: [ColumnRecord], frame f: FrameRecord, image: Data? = nil) -> String {
        let w = Double(f.imageWidth ?? Int((columns.map(\.x).max() ?? 1) + 10))
        let h = Double(f.imageHeight ?? Int((columns.map(\.y).max() ?? 1) + 10))
        let counts = columns.compactMap(\.count)
        let lo = counts.min() ?? 0, hi = counts.max() ?? 1
        let r = max(1.5, min(w, h) / 160)
        var svg = String(format: "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"map\" viewBox=\"0 0 %.0f %.0f\" width=\"520\" height=\"%.0f\">",
                         w, h, 520 * h / w)
        svg += String(format: "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#111\"/>", w, h)
        if let image {
            svg += String(format: "<image x=\"-0.5\" y=\"-0.5\" width=\"%.0f\" height=\"%.0f\" preserveAspectRatio=\"none\" href=\"data:image/png;base64,", w, h)
                + image.base64EncodedString() + "\"><title>frame \(f.frame) image</title></image>"
        }
        for c in columns {
            svg += String(format: "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"%@\"><title>%@</title></circle>",
                          c.x, c.y, r, Self.countColour(c.count, lo, hi), c.count.map { "\($0) atoms" } ?? "not counted")
        }
        svg += "</svg>"
        var legend = "<div class=\"legend\">atoms:"
        if !counts.isEmpty {
            for k in lo...min(hi, lo + 30) {
                legend += "<span style=\"background:\(Self.countColour(k, lo, hi))\"></span>\(k)"
            }
        }
        legend += "</div>"
        let over = image == nil ? " (image file not found)" : " over its image"
        return "<figure><figcaption>Columns of frame \(f.frame) (\(columns.count)), coloured by atom count\(over)</figcaption>" + svg + legend + "</figure>"
    }

    func eventTable(_ events: [EventRecord], total: Int, start: Double?) -> String {
        var h = "<section><h2>Events</h2>"
        if total > events.count { h += "<p>First \(events.count) of \(total) events.</p>" }
        guard !events.isEmpty else { return h + "<p>No events.</p></section>" }
        h += "<table class=\"events\"><tr><th>frame</th><th>time (min)</th><th>kind</th><th>x</th><th>y</th><th>track</th><th>other</th><th>before</th><th>after</th><th>Δ</th><th>confidence</th></tr>"
        func v(_ x: Int?) -> String { x.map(String.init) ?? "" }
        for e in events {
            let t = e.acquiredAt.map { String(format: "%.2f", ($0 - (start ?? $0)) / 60) } ?? ""
            h += "<tr><td>\(e.frame)</td><td>\(t)</td><td>\(esc(e.kind))</td>" + String(format: "<td>%.1f</td><td>%.1f</td>", e.x, e.y)
            h += "<td>\(v(e.track))</td><td>\(v(e.otherTrack))</td><td>\(v(e.before))</td><td>\(v(e.after))</td><td>\(v(e.delta))</td>"
            h += String(format: "<td>%.2f</td></tr>", e.confidence)
        }
        return h + "</table></section>"
    }

    // MARK: Helpers

    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// Viridis from the fewest atoms (dark) to the most (yellow); grey when not counted.
    static func countColour(_ n: Int?, _ lo: Int, _ hi: Int) -> String {
        guard let n else { return "#999999" }
        return Viridis.hex(hi > lo ? Double(n - lo) / Double(hi - lo) : 0.5)
    }

    func linePlot(_ pts: [(Double, Double)], title: String, xLabel: String, yLabel: String, colour: String) -> String {
        guard !pts.isEmpty else { return empty(title) }
        var p = SVGPlot(title: title, xLabel: xLabel, yLabel: yLabel, x: range(pts.map(\.0)), y: range(pts.map(\.1)))
        p.line(pts, stroke: colour)
        if pts.count < 200 { p.markers(pts, fill: colour, radius: 2) }
        return figure(p)
    }

    /// At most `maxPoints` points: the smallest and largest value of each bucket, in x order.
    func downsample(_ pts: [(Double, Double)]) -> [(Double, Double)] {
        guard pts.count > maxPoints else { return pts }
        let bucket = (pts.count + maxPoints / 2 - 1) / (maxPoints / 2)
        var out: [(Double, Double)] = []
        var i = 0
        while i < pts.count {
            let chunk = pts[i..<min(pts.count, i + bucket)]
            let a = chunk.min { $0.1 < $1.1 }!, b = chunk.max { $0.1 < $1.1 }!
            out += a.0 <= b.0 ? [a, b] : [b, a]
            i += bucket
        }
        return out
    }

    func range(_ v: [Double]) -> ClosedRange<Double> {
        let f = v.filter(\.isFinite)
        guard let lo = f.min(), let hi = f.max() else { return 0...1 }
        let pad = (hi - lo) * 0.04
        return (lo - pad)...(hi + pad)
    }

    func figure(_ p: SVGPlot) -> String { "<figure>" + SVGPlot.document([p]) + "</figure>" }

    func empty(_ title: String) -> String { "<figure class=\"empty\"><figcaption>\(esc(title)): no data</figcaption></figure>" }

    func esc(_ s: String) -> String { SVGPlot.escape(s) }

    func isoTime(_ t: Double?) -> String {
        guard let t else { return "–" }
        let f = ISO8601DateFormatter()
        return f.string(from: Date(timeIntervalSince1970: t))
    }

    func document(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(esc(title))</title>
        <style>
        body{font-family:sans-serif;margin:16px;color:#222;max-width:1650px}
        h1{font-size:20px} h2{font-size:16px;border-bottom:1px solid #ccc}
        .figs{display:flex;flex-wrap:wrap;gap:8px} figure{margin:0}
        figcaption{font-size:12px}
        table{border-collapse:collapse;font-size:12px} td,th{padding:2px 6px;border-bottom:1px solid #eee;text-align:right}
        table.kv th{text-align:left}
        .legend{font-size:11px} .legend span{display:inline-block;width:14px;height:10px;margin:0 2px 0 6px}
        </style></head>
        <body data-state="loading">
        <h1>\(esc(title))</h1>
        \(body)
        <p style="font-size:11px;color:#666">Generated by stemtrack report on \(isoTime(Date().timeIntervalSince1970)).</p>
        <script>
        // Self-check for headless viewers: every plot drew something, no script error.
        window.onerror = function(m){ document.body.dataset.state = "error"; document.body.dataset.error = String(m); };
        (function(){
          var svgs = document.querySelectorAll("figure > svg"), drawn = 0;
          for (var i = 0; i < svgs.length; i++) if (svgs[i].querySelectorAll("polyline,circle,rect").length > 1) drawn++;
          document.body.dataset.plots = String(drawn);
          if (document.body.dataset.state !== "error") document.body.dataset.state = drawn === svgs.length && drawn > 0 ? "rendered" : "incomplete";
        })();
        </script>
        </body></html>
        """
    }
}

import ArgumentParser
import Daemon
import AtomCount
import ColumnFit
import Foundation
import TIFFFrame
import Tracking

/// `stemtrack track`: fit → count → link a whole series offline and write the tracks and events.
struct Track: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit, count and link the columns of a series; write tracks, events and drift.",
        discussion: """
            Input: a directory (its .tif/.tiff files in natural order: frame_9 before frame_10) or \
            explicit TIFF files in the order given; each page of a multi-page file is a frame. Every \
            frame is fitted as 'stemtrack fit' does, the cross-sections are counted with a pooled \
            Gaussian mixture (early frames recounted with the best-supported model), and the columns \
            are linked: the drift between frames comes from phase correlation of the images refined by \
            point-set registration of the columns (robust to jumps of a quarter of the field of view), \
            links are a globally optimal assignment on drift-corrected positions with gap closing, and \
            counts are smoothed along each track by a hidden Markov model (Baum–Welch, Viterbi) before \
            events are detected.

            Writes to --out: tracks.csv (frame,file,track,x_px,y_px,count,smoothed_count,cross_section, \
            drift-corrected position and the count's posterior), events.csv (appear, vanish, \
            count_change, hop, merge, split with frame, time, position, tracks and confidence), \
            drift.csv (per-frame shift and cumulative drift, px) and summary.json. A frame that cannot \
            be read or fitted is reported on standard error and in summary.json, and skipped (it counts \
            as a missed frame for gap closing). Example:
              stemtrack track /data/series --pixel-size 0.2 --out /data/series-tracks
            """)

    @Argument(help: "A directory of TIFF frames, or TIFF files in order.")
    var inputs: [String]

    @Option(help: "Output directory (created if missing).")
    var out: String = "stemtrack-track"

    @Option(help: "Pixel size in Å (else from the files).")
    var pixelSize: Double?

    @Option(help: "Hold the background at this value (image units) instead of fitting it.")
    var background: Double?

    @Option(help: "Time between frames in s (for event times; default: none).")
    var frameInterval: Double?

    @Option(help: "Frames a column may be missed and its track still continued.")
    var maxGap: Int = 2

    @Option(help: "Nearest-column spacing in px (default: measured on the first frame).")
    var spacing: Double?

    @Option(help: "Largest frame-to-frame jump searched, as a fraction of the larger frame side.")
    var maxJump: Double = 0.3

    @Option(help: "Frames pooled for the counting model.")
    var countWindow: Int = 20

    @Flag(help: "Register columns only (skip phase correlation of the images).")
    var noImageRegistration = false

    @Flag(help: "Detect count changes on the raw counts (no hidden Markov smoothing).")
    var noSmoothing = false

    struct FittedFrame {
        var index: Int
        var file: String
        var columns: [Column]
        var pixelSize: Double?
        var imageShift: Tracking.Point?
    }

    func run() async throws {
        let files = try resolveInputs()
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw RuntimeError("\(out): cannot create the output directory (\(error.localizedDescription))")
        }
        var fitSettings = FitSettings()
        fitSettings.pixelSize = pixelSize
        if let background { fitSettings.fitBackground = false; fitSettings.fixedBackground = background }
        let fitter = ColumnFitter(settings: fitSettings)

        // 1. Fit every frame; phase correlation against the previous readable frame.
        var fitted: [FittedFrame] = []
        var failures: [[String: String]] = []
        var previousImage: RegistrationImage? = nil
        var index = 0
        var frameSize = 0
        let started = Date()
        // A bar with rate and ETA on a terminal; the per-frame lines below otherwise.
        var bar = Progress("fitting", total: files.count, unit: "files")
        for (n, file) in files.enumerated() {
            defer { if bar.isTerminal { bar.update(n + 1) } }
            let name = (file as NSString).lastPathComponent
            let frames: [Frame]
            do { frames = try TIFFReader.read(path: file, damagedPage: { failures.append(["file": file, "frame": "", "error": $0.description]) }) } catch {
                failures.append(["file": name, "frame": String(index), "error": error.description])
                bar.log("[\(n + 1)/\(files.count)] \(name): skipped, \(error.description)")
                index += 1
                continue
            }
            for frame in frames {
                defer { index += 1 }
                let label = frame.page == 0 ? name : "\(name)#\(frame.page)"
                let t0 = Date()
                let fit: FrameFit
                do { fit = try fitter.fit(frame) } catch {
                    failures.append(["file": label, "frame": String(index), "error": "\(error)"])
                    bar.log("[\(n + 1)/\(files.count)] \(label): skipped, fit failed: \(error)")
                    continue
                }
                let image = RegistrationImage(width: frame.width, height: frame.height, pixels: frame.pixels)
                var imageShift: Tracking.Point? = nil
                if !noImageRegistration, let prev = previousImage, prev.width == image.width, prev.height == image.height {
                    var pc = PhaseCorrelation()
                    pc.maxShift = maxJump * Double(max(frame.width, frame.height))
                    imageShift = try? pc.register(prev, image).shift
                }
                previousImage = noImageRegistration ? nil : image
                frameSize = max(frameSize, frame.width, frame.height)
                fitted.append(FittedFrame(index: index, file: label, columns: fit.columns, pixelSize: fit.pixelSize, imageShift: imageShift))
                if !bar.isTerminal { progress(String(format: "[%d/%d] %@: %d columns, fit %.2f s%@", n + 1, files.count, label, fit.columns.count,
                                Date().timeIntervalSince(t0),
                                imageShift.map { String(format: ", image shift (%.2f, %.2f) px", $0.x, $0.y) } ?? "")) }
            }
        }
        bar.finish()
        guard !fitted.isEmpty else { throw RuntimeError("no frame could be read and fitted (\(failures.count) failures; see above)") }

        // 2. Count.
        let crossSections = fitted.map { f in f.columns.map { $0.crossSection(pixelSize: f.pixelSize) } }
        let counted = SeriesCounting.count(crossSections, counter: TimeSeriesCounter(window: countWindow))
        progress("counted: \(counted.models.count) model(s), \(counted.recounted) early frame(s) recounted with the best-supported model")

        // 3. Link.
        var settings = TrackerSettings()
        settings.maxGap = maxGap
        settings.spacing = spacing
        settings.registration.maxShift = maxJump * Double(frameSize)
        var series: SeriesTracker
        do { series = try SeriesTracker(settings: settings) } catch { throw RuntimeError(error.description) }
        series.smoothCounts = !noSmoothing
        var linkBar = Progress("linking", total: fitted.count)
        for (k, f) in fitted.enumerated() {
            if linkBar.isTerminal { linkBar.update(k + 1) }
            let detections = Detection.from(f.columns, pixelSize: f.pixelSize, counts: counted.counts[k])
            let drift: DriftInput = f.imageShift.map { .hint($0) } ?? .estimate
            do {
                try series.add(frame: f.index, time: frameInterval.map { Double(f.index) * $0 }, detections: detections,
                               modelID: counted.modelIDs[k], drift: drift)
            } catch { throw RuntimeError(error.description) }
        }
        linkBar.finish()
        let result = series.finish(models: counted.models)

        // 4. Write.
        try write(result, fitted: fitted, counted: counted, failures: failures, files: files,
                  seconds: Date().timeIntervalSince(started))
        var kinds: [String: Int] = [:]
        for e in result.events { kinds[e.kind.name, default: 0] += 1 }
        progress("\(fitted.count) frames, \(result.tracks.count) tracks, events: "
                 + kinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                 + "; written to \(out)")
    }

    private func progress(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

    /// Directory → its TIFF files in natural order; files as given.
    private func resolveInputs() throws -> [String] {
        var files: [String] = []
        let fm = FileManager.default
        for input in inputs {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: input, isDirectory: &isDir) else { throw RuntimeError("\(input): no such file or directory") }
            if isDir.boolValue {
                let names: [String]
                do { names = try fm.contentsOfDirectory(atPath: input) } catch {
                    throw RuntimeError("\(input): cannot list the directory (\(error.localizedDescription))")
                }
                let tiffs = names.filter { let l = $0.lowercased(); return (l.hasSuffix(".tif") || l.hasSuffix(".tiff")) && !$0.hasPrefix(".") }
                guard !tiffs.isEmpty else { throw RuntimeError("\(input): no .tif/.tiff files in the directory") }
                files += tiffs.sorted(by: NaturalOrder.less).map { (input as NSString).appendingPathComponent($0) }
            } else {
                files.append(input)
            }
        }
        guard !files.isEmpty else { throw ValidationError("no input frames") }
        return files
    }

    private func write(_ r: TrackedSeries, fitted: [FittedFrame], counted: SeriesCounting.Result,
                       failures: [[String: String]], files: [String], seconds: Double) throws {
        let fileOf = Dictionary(uniqueKeysWithValues: fitted.map { ($0.index, $0.file) })
        func f(_ v: Double?) -> String { v.map { ColumnTable.fmt($0) } ?? "" }
        func i(_ v: Int?) -> String { v.map(String.init) ?? "" }
        var rows: [(frame: Int, track: Int, line: String)] = []
        for t in r.tracks {
            for p in t.points {
                rows.append((p.frame, t.id, [String(p.frame), fileOf[p.frame] ?? "", String(t.id), f(p.x), f(p.y), i(p.count),
                                             i(p.smoothedCount), f(p.crossSection), f(p.xCorrected), f(p.yCorrected),
                                             f(p.countConfidence)].joined(separator: ",")))
            }
        }
        rows.sort { ($0.frame, $0.track) < ($1.frame, $1.track) }
        let tracksCSV = "frame,file,track,x_px,y_px,count,smoothed_count,cross_section,x_corrected_px,y_corrected_px,count_confidence\n"
            + rows.map(\.line).joined(separator: "\n") + "\n"
        var events = "kind,delta,frame,file,time_s,x_px,y_px,tracks,before,after,confidence\n"
        for e in r.events {
            events += [e.kind.name, e.kind.delta == 0 ? "" : String(e.kind.delta), String(e.frame), fileOf[e.frame] ?? "",
                       f(e.time), f(e.x), f(e.y), e.tracks.map(String.init).joined(separator: " "), i(e.before), i(e.after),
                       String(format: "%.4f", e.confidence)].joined(separator: ",") + "\n"
        }
        var drift = "frame,file,shift_x,shift_y,drift_x,drift_y,image_shift_x,image_shift_y,registration_matched,registration_confidence,columns,model\n"
        let imageShift = Dictionary(uniqueKeysWithValues: fitted.map { ($0.index, $0.imageShift) })
        for fr in r.frames {
            let im = imageShift[fr.frame] ?? nil
            drift += [String(fr.frame), fileOf[fr.frame] ?? "", f(fr.shift.x), f(fr.shift.y), f(fr.drift.x), f(fr.drift.y),
                      f(im?.x), f(im?.y), i(fr.registrationMatched), f(fr.registrationConfidence), String(fr.columns),
                      fr.modelID ?? ""].joined(separator: ",") + "\n"
        }
        struct Summary: Encodable {
            var inputs: [String]
            var frames_read: Int
            var failures: [[String: String]]
            var columns_per_frame_mean: Double
            var spacing_px: Double?
            var tracks: Int
            var events: [String: Int]
            var count_models: [CountingModel]
            var frames_recounted: Int
            var hmm_transition: [Double]?
            var hmm_stay_probability: Double?
            var hmm_iterations: Int?
            var seconds: Double
        }
        var kinds: [String: Int] = [:]
        for e in r.events { kinds[e.kind.name, default: 0] += 1 }
        let summary = Summary(inputs: files, frames_read: fitted.count, failures: failures,
                              columns_per_frame_mean: Double(fitted.map(\.columns.count).reduce(0, +)) / Double(fitted.count),
                              spacing_px: r.spacing, tracks: r.tracks.count, events: kinds,
                              count_models: counted.models.values.sorted { $0.id < $1.id }, frames_recounted: counted.recounted,
                              hmm_transition: r.countModel?.transition, hmm_stay_probability: r.countModel?.stayProbability,
                              hmm_iterations: r.countModelIterations, seconds: seconds)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let dir = URL(fileURLWithPath: out)
        do {
            try tracksCSV.write(to: dir.appendingPathComponent("tracks.csv"), atomically: true, encoding: .utf8)
            try events.write(to: dir.appendingPathComponent("events.csv"), atomically: true, encoding: .utf8)
            try drift.write(to: dir.appendingPathComponent("drift.csv"), atomically: true, encoding: .utf8)
            try (String(decoding: try enc.encode(summary), as: UTF8.self) + "\n").write(to: dir.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
        } catch {
            throw RuntimeError("\(out): cannot write the results (\(error.localizedDescription))")
        }
    }
}

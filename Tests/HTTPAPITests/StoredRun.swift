import Foundation
import TIFFFrame
import TrajectoryStore

/// A small stored run written with FrameStore for the API, page and report tests: 12 frames of a
/// 64-column particle (frame 5 failed), columns tracked, counts 1–8 with cross-sections
/// proportional to the count, 1–2 events and 2–3 facets per frame, two counting models, and the
/// image file of the last frame only (so that a missing image can be checked on frame 10).
struct StoredRun {
    let directory: URL
    var database: String { directory.appendingPathComponent("stemtrack.sqlite").path }
    static let frames = 12
    static let columns = 64
    static let failedFrame = 5
    static let imageSide = 160
    static let start = 1_760_000_000.0

    static func make(_ name: String = #function) throws -> StoredRun {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("stemtrack-http-tests-\(safe)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let run = StoredRun(directory: dir)
        try run.write()
        return run
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    static func fileName(_ k: Int) -> String { "frame_\(String(1000 + k).dropFirst()).tif" }

    static func position(_ k: Int, _ i: Int) -> (x: Double, y: Double) {
        (20 + Double(i % 8) * 16 + 0.25 * Double(k) + 0.1 * Double(i % 3),
         20 + Double(i / 8) * 16 - 0.15 * Double(k) + 0.07 * Double(i % 5))
    }

    static func count(_ k: Int, _ i: Int) -> Int { 1 + (i * 5 + (k > 8 && i == 9 ? 1 : 0)) % 8 }

    static func crossSection(_ k: Int, _ i: Int) -> Double {
        0.05 * Double(count(k, i)) * (1 + 0.01 * sin(Double(i * 31 + k)))
    }

    func write() throws {
        let store = try FrameStore(path: database)
        let run = try store.beginSession(SessionRecord(startedAt: Self.start, softwareVersion: "stemtrack test",
                                               directory: directory.path))
        let models = [
            CountingModelRecord(id: "gmm-8-a", source: "mixture", counts: Array(1...8), means: (1...8).map { 0.05 * Double($0) },
                                proportions: Array(repeating: 0.125, count: 8), sigma: 0.004),
            CountingModelRecord(id: "gmm-8-b", source: "mixture", counts: Array(1...8), means: (1...8).map { 0.0502 * Double($0) },
                                proportions: [0.1, 0.15, 0.1, 0.15, 0.1, 0.15, 0.1, 0.15], sigma: 0.0035),
        ]
        for k in 0..<Self.frames {
            let model = k < 6 ? models[0] : models[1]
            var frame = FrameRecord(frame: k, path: Self.fileName(k), contentHash: ContentHash.of(Data("frame \(k)".utf8)),
                                    fileSize: 100_000, modified: Self.start + Double(k) * 2 + 0.5,
                                    acquiredAt: Self.start + Double(k) * 2, temperature: 300 + 25 * Double(k),
                                    imageWidth: Self.imageSide, imageHeight: Self.imageSide, pixelSize: 0.2,
                                    background: 0.1, sharedWidth: 2.5, estimator: "least-squares", iterations: 8,
                                    converged: true, driftX: 0.25 * Double(k), driftY: -0.15 * Double(k), modelID: model.id,
                                    timings: StageTimings(read: 0.01, fit: 0.1, count: 0.02, track: 0.01, total: 0.15))
            if k == Self.failedFrame {
                frame = FrameRecord(frame: k, path: Self.fileName(k), contentHash: ContentHash.of(Data("frame \(k)".utf8)),
                                    acquiredAt: Self.start + Double(k) * 2, temperature: 300 + 25 * Double(k),
                                    status: .failed, error: "truncated TIFF")
                _ = try store.write(FrameResult(frame: frame), run: run.id!)
                continue
            }
            var columns: [ColumnRecord] = []
            for i in 0..<Self.columns where !(k >= 7 && i == 63) {   // column 63 vanishes at frame 7
                let p = Self.position(k, i)
                let cs = Self.crossSection(k, i)
                columns.append(ColumnRecord(x: p.x, y: p.y, sigmaX: 0.03, sigmaY: 0.031, width: 2.5,
                                            height: cs / (2 * .pi * 2.5 * 2.5 * 0.04), sigmaHeight: 0.001, crossSection: cs,
                                            crlbX: 0.02, crlbY: 0.021, count: Self.count(k, i), track: i))
            }
            var events = [EventRecord(kind: k % 2 == 0 ? "hop" : "count_change", frame: k, x: Double(30 + k), y: 40,
                                      track: k % 8, otherTrack: k % 2 == 0 ? (k % 8) + 1 : nil,
                                      before: 2, after: 3, delta: 1, confidence: 0.8)]
            if k == 7 { events.append(EventRecord(kind: "vanish", frame: k, x: 132, y: 132, track: 63, confidence: 0.9)) }
            var facets = [
                FacetRecord(frame: k, index: 0, family: "{111}", x0: 20, y0: 20, x1: 132, y1: 20, columns: 8,
                            length: 22.4 - 0.2 * Double(k), angle: 0),
                FacetRecord(frame: k, index: 1, family: "{100}", x0: 20, y0: 20, x1: 20, y1: 132, columns: 8,
                            length: 22.4 + 0.3 * Double(k), angle: 90),
            ]
            if k % 3 == 0 {
                facets.append(FacetRecord(frame: k, index: 2, family: "{111}", x0: 132, y0: 20, x1: 132, y1: 132,
                                          columns: 8, length: 11.0, angle: 90))
            }
            _ = try store.write(FrameResult(frame: frame, columns: columns, events: events, facets: facets, model: model),
                                run: run.id!)
        }
        try store.endSession(run.id!, at: Self.start + 30)
        try store.checkpoint()
        try writeImage(frame: Self.frames - 1)
    }

    /// The frame's image: Gaussian peaks of height ∝ cross-section at the stored positions.
    func writeImage(frame k: Int) throws {
        let n = Self.imageSide
        var pixels = [Float](repeating: 0.1, count: n * n)
        for i in 0..<Self.columns where !(k >= 7 && i == 63) {
            let p = Self.position(k, i)
            let h = Float(Self.crossSection(k, i) / (2 * .pi * 2.5 * 2.5 * 0.04))
            for y in max(0, Int(p.y) - 8)...min(n - 1, Int(p.y) + 8) {
                for x in max(0, Int(p.x) - 8)...min(n - 1, Int(p.x) + 8) {
                    let r2 = (Double(x) - p.x) * (Double(x) - p.x) + (Double(y) - p.y) * (Double(y) - p.y)
                    pixels[y * n + x] += h * Float(exp(-r2 / (2 * 2.5 * 2.5)))
                }
            }
        }
        try TIFFWriter.write([Frame(width: n, height: n, pixels: pixels, pixelSize: 0.2)],
                             to: directory.appendingPathComponent(Self.fileName(k)).path)
    }

    /// Row counts of every table and the file's bytes (to show that nothing changed).
    func fingerprint() throws -> String {
        var parts: [String] = []
        let reader = try StoreReader(path: database)
        parts.append("frames=\(try reader.frames().count)")
        parts.append("events=\(try reader.events().count) facets=\(try reader.facets().count) models=\(try reader.models().count)")
        for suffix in ["", "-wal"] {
            let path = database + suffix
            if let data = FileManager.default.contents(atPath: path) {
                parts.append("file\(suffix)=\(data.count):\(ContentHash.of(data))")
            }
        }
        return parts.joined(separator: " ")
    }
}

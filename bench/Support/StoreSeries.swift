import Foundation
import StemCore
import TrajectoryStore

// Shared by the store and API benchmarks: their generated series, random numbers and clock.

/// A message on standard error.
public func log(_ message: String) { FileHandle.standardError.write(Data((message + "\n").utf8)) }

/// Monotonic time, seconds.
public func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }


/// A stored series as the daemon writes it: a particle of `columns` columns on a grid, drifting
/// slowly; each column keeps its track, except that with probability `turnover` per frame a column
/// is replaced by a new track (column 0's track spans the whole series). Counts 1–20,
/// cross-sections ∝ count; two events, six facets and (per 1,000 frames) one counting model per frame.
public struct StoreSeries: Sendable {
    public let columns: Int, turnover: Double, perColumnWidth: Bool
    let side: Int
    let spacing = 12.3, sharedWidth = 3.3, pixelSize = 0.1211
    let startTime = 1_750_000_000.0
    var random = SplitMix64(seed: 20_240_501)
    var trackOf: [Int]
    var nextTrack: Int
    var baseCount: [Int]

    /// `columns` per frame; `turnover`: probability per column and frame of a new track;
    /// `perColumnWidth`: widths scattered by 3 % instead of one shared width.
    public init(columns: Int, turnover: Double = 0.005, perColumnWidth: Bool = false) {
        self.columns = columns; self.turnover = turnover; self.perColumnWidth = perColumnWidth
        side = Int(Double(columns).squareRoot().rounded(.up))
        trackOf = Array(0..<columns)
        nextTrack = columns
        baseCount = Array(repeating: 1, count: columns)
        for i in 0..<columns { baseCount[i] = 1 + Int(random.next() % 20) }
    }

    /// Frame `k` (call in order 0, 1, 2, …).
    public mutating func frame(_ k: Int) -> FrameResult {
        for i in 1..<columns where random.uniform() < turnover {
            trackOf[i] = nextTrack; nextTrack += 1
            baseCount[i] = 1 + Int(random.next() % 20)
        }
        let driftX = 0.0005 * Double(k), driftY = -0.001 * Double(k)
        var list: [ColumnRecord] = []
        list.reserveCapacity(columns)
        for i in 0..<columns {
            var n = baseCount[i]
            if random.uniform() < 0.01 { n = max(1, n + (random.uniform() < 0.5 ? -1 : 1)) }
            baseCount[i] = n
            let cs = 0.0312 * pow(Double(n), 0.92) * (1 + 0.02 * random.normal())
            let width = perColumnWidth ? sharedWidth * (1 + 0.03 * random.normal()) : sharedWidth
            let height = cs / (2 * .pi * width * width * pixelSize * pixelSize)
            let x = 40 + Double(i % side) * spacing + driftX + 0.05 * random.normal()
            let y = 40 + Double(i / side) * spacing + driftY + 0.05 * random.normal()
            let sx = 0.03 + 0.01 * random.uniform(), sy = 0.03 + 0.01 * random.uniform()
            let cx = 0.025 + 0.005 * random.uniform(), cy = 0.025 + 0.005 * random.uniform()
            list.append(ColumnRecord(x: x, y: y, sigmaX: sx, sigmaY: sy, width: width, height: height,
                                     sigmaHeight: height * 0.02, crossSection: cs, crlbX: cx, crlbY: cy,
                                     count: n, track: trackOf[i]))
        }
        var events: [EventRecord] = []
        if k > 0 {
            let i = Int(random.next() % UInt64(columns)), j = Int(random.next() % UInt64(columns))
            let n = list[i].count ?? 1
            events.append(EventRecord(kind: "count_change", frame: k, x: list[i].x, y: list[i].y, track: trackOf[i],
                                      before: n + 1, after: n, delta: -1, confidence: 0.9))
            events.append(EventRecord(kind: "hop", frame: k, x: list[j].x, y: list[j].y, track: trackOf[j],
                                      otherTrack: trackOf[(j + 1) % columns], confidence: 0.8))
        }
        var facets: [FacetRecord] = []
        for j in 0..<6 {
            let x0 = 40 + Double(j) * 50
            facets.append(FacetRecord(frame: k, index: j, family: j % 2 == 0 ? "{111}" : "{100}", x0: x0, y0: 40,
                                      x1: x0 + 40, y1: 60, columns: 5 + j, length: 12.5, angle: Double(j) * 60))
        }
        let means = (1...20).map { 0.0312 * pow(Double($0), 0.92) }
        let model = CountingModelRecord(id: "gmm-20-bench\(k / 1000)", source: "mixture", counts: Array(1...20),
                                        means: means, proportions: Array(repeating: 0.05, count: 20), sigma: 0.002)
        let t = startTime + Double(k) * 0.5
        let hash = String(random.next(), radix: 16) + String(random.next(), radix: 16)
        let frame = FrameRecord(
            frame: k, path: "/data/acquisition/2025-06-15/frame_" + String(100_000 + k).dropFirst() + ".tif",
            contentHash: hash, fileSize: 2_101_248, modified: t, acquiredAt: t,
            temperature: 300 + Double(k) * 0.01, status: .ok, imageWidth: 1024, imageHeight: 1024, pixelSize: pixelSize,
            background: 0.01, sharedWidth: sharedWidth, estimator: "least-squares", iterations: 12, converged: true,
            driftX: driftX, driftY: driftY, modelID: model.id,
            timings: StageTimings(read: 0.004, find: 0.12, fit: 0.4, count: 0.002, track: 0.01, total: 0.54))
        return FrameResult(frame: frame, columns: list, events: events, facets: facets, model: model)
    }
}

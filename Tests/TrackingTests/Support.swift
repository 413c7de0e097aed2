import AtomCount
import ColumnFit
import Foundation
import Simulation
import TestSupport
import Tracking

/// A simulated series fitted with ColumnFitter and counted with TimeSeriesCounter, with the
/// matching of fitted columns to true column ids per frame.
struct FittedSeries: Sendable {
    var sim: SeriesSimulator
    var truths: [FrameTruth]
    var detections: [[Detection]]
    var modelIDs: [String]
    var models: [String: CountingModel]
    /// Per frame: fitted index → true id.
    var truthID: [[Int: Int]]
    var fitSeconds: Double

    init(settings: SimulationSettings) throws {
        sim = try SeriesSimulator(settings)
        truths = []; detections = []; modelIDs = []; models = [:]; truthID = []
        let clock = ContinuousClock.now
        var fits: [(columns: [Column], pixelSize: Double?)] = []
        for i in 0..<settings.frameCount {
            let (frame, t) = sim.frame(i)
            let fit = try ColumnFitter().fit(frame)
            fits.append((fit.columns, frame.pixelSize))
            let pairs = match(fit.columns.map { ($0.x, $0.y) }, t.columns.map { ($0.x, $0.y) }, gate: 3)
            truthID.append(Dictionary(uniqueKeysWithValues: pairs.map { ($0.0, t.columns[$0.1].id) }))
            truths.append(t)
        }
        let counted = SeriesCounting.count(fits.map { f in f.columns.map { $0.crossSection(pixelSize: f.pixelSize) } },
                                           counter: TimeSeriesCounter(window: 10))
        models = counted.models
        modelIDs = counted.modelIDs.map { $0! }
        detections = fits.indices.map { Detection.from(fits[$0].columns, pixelSize: fits[$0].pixelSize, counts: counted.counts[$0]!) }
        let d = ContinuousClock.now - clock
        fitSeconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Links the series offline.
    func track(_ settings: TrackerSettings = TrackerSettings(), smooth: Bool = true) throws -> TrackedSeries {
        var series = try SeriesTracker(settings: settings)
        series.smoothCounts = smooth
        for i in detections.indices {
            try series.add(frame: i, time: Double(i), detections: detections[i], modelID: modelIDs[i])
        }
        return series.finish(models: models)
    }
}

/// Link accuracy against ground truth.
struct LinkScore {
    /// All true links (a column id in frames t−1 and t), and those whose column was detected in both.
    var trueLinks = 0, reproduced = 0
    var detectedLinks = 0
    var tracks = 0, trueIDs = 0, columnFrames = 0
    var fragmentsPer100: Double { Double(max(0, tracks - trueIDs)) / (Double(columnFrames) / 100) }
    var accuracy: Double { Double(reproduced) / Double(max(1, trueLinks)) }
    var linkingAccuracy: Double { Double(reproduced) / Double(max(1, detectedLinks)) }

    init(_ fitted: FittedSeries, _ result: TrackedSeries) {
        var ids = Set<Int>(), trackSet = Set<Int>()
        for (t, truth) in fitted.truths.enumerated() {
            columnFrames += truth.columns.count
            for c in truth.columns { ids.insert(c.id) }
            trackSet.formUnion(result.frames[t].trackIDs)
            guard t > 0 else { continue }
            // true id → track in each frame
            func tracksByID(_ f: Int) -> [Int: Int] {
                var m: [Int: Int] = [:]
                for (j, id) in fitted.truthID[f] { m[id] = result.frames[f].trackIDs[j] }
                return m
            }
            let a = tracksByID(t - 1), b = tracksByID(t)
            let previousIDs = Set(fitted.truths[t - 1].columns.map(\.id))
            for c in truth.columns where previousIDs.contains(c.id) {
                trueLinks += 1
                guard let x = a[c.id], let y = b[c.id] else { continue }
                detectedLinks += 1
                if x == y { reproduced += 1 }
            }
        }
        tracks = trackSet.count
        trueIDs = ids.count
    }
}

extension RandomSource {
    /// Uniform integer in 0..<n.
    mutating func pick(_ n: Int) -> Int { min(n - 1, Int(uniform() * Double(n))) }
}

import Foundation
import StemCore

/// Counting through a live series without recounting every frame from scratch.
///
/// The mixture is fitted on a pooled window of recent frames' cross-sections and reused while it
/// still describes new frames. Before the window is full it is refitted whenever the pool has
/// doubled (frames 1, 2, 4, 8, …); afterwards only when a new frame's mean log-density under the
/// model falls more than `refitThreshold` standard errors below the pool's at fit time. Every
/// frame records the id of the model that counted it. All state is plain values, so it can be
/// rebuilt from stored frames after a restart (feed the last `window` frames again).
public struct TimeSeriesCounter: Sendable, Codable {
    /// Frames pooled for a fit.
    public var window: Int
    /// Refit when the new frame's mean log-density is this many standard errors below the pool's.
    public var refitThreshold: Double
    public var counter: MixtureCounter
    /// About this many pooled cross-sections enter a fit (a deterministic subsample of the pool
    /// beyond that, ``subsample(_:maximum:)``), so that a refit stays well under a second on a live
    /// acquisition of ~1,000 columns per frame.
    public var maxFitSamples: Int = 2000

    public private(set) var model: CountingModel?
    /// Cross-sections of the last `window` frames.
    @BinaryPacked public private(set) var pool: [[Double]] = []
    private var framesSinceFit = 0
    private var poolSizeAtFit = 0
    private var referenceMean = 0.0
    private var referenceSD = 0.0

    public init(window: Int = 20, refitThreshold: Double = 5, counter: MixtureCounter = MixtureCounter()) {
        self.window = max(1, window)
        self.refitThreshold = refitThreshold
        self.counter = counter
    }

    /// At most about `maximum` of the pooled cross-sections, deterministically: every s-th
    /// column of each frame, s = ⌈pooled / maximum⌉, starting at column (p mod s) in the pool's
    /// p-th frame. Rotating the start keeps every column in the subsample; one stride over the
    /// concatenated frames would take the same columns from every frame whenever s divides the
    /// column count (1,000 columns, 20 frames: the same 100 columns, 20 times). One frame's
    /// subsample is every s-th column from the first.
    static func subsample(_ pool: [[Double]], maximum: Int) -> [Double] {
        let total = pool.reduce(0) { $0 + $1.count }
        let s = max(1, Int((Double(total) / Double(max(1, maximum))).rounded(.up)))
        guard s > 1 else { return Array(pool.joined()) }
        var out: [Double] = []
        out.reserveCapacity(total / s + pool.count)
        for (p, frame) in pool.enumerated() {
            for i in Swift.stride(from: p % s, to: frame.count, by: s) { out.append(frame[i]) }
        }
        return out
    }

    /// One frame's counts and the model that produced them.
    public struct FrameCounts: Sendable, Equatable {
        public var counts: [Int]
        public var model: CountingModel
        /// The model was (re)fitted at this frame.
        public var refitted: Bool
        /// Why: "first frame", "pool doubled", "model no longer fits (z = …)".
        public var reason: String?
    }

    public mutating func count(frame crossSections: [Double]) throws(MixtureCounter.CountError) -> FrameCounts {
        pool.append(crossSections)
        if pool.count > window { pool.removeFirst(pool.count - window) }
        var reason: String? = nil
        if model == nil {
            reason = "first frame"
        } else if pool.count <= window && pool.count >= 2 * poolSizeAtFit && poolSizeAtFit < window {
            reason = "pool doubled to \(pool.count) frames"
        } else if let m = model, !crossSections.isEmpty {
            let mean = crossSections.reduce(0) { $0 + m.logDensity($1) } / Double(crossSections.count)
            let se = referenceSD / Double(crossSections.count).squareRoot()
            let z = se > 0 ? (mean - referenceMean) / se : 0
            if z < -refitThreshold { reason = String(format: "model no longer fits (z = %.1f)", z) }
        }
        if reason != nil {
            let pooled = Self.subsample(pool, maximum: maxFitSamples)
            let result = try counter.count(pooled)
            model = result.model
            poolSizeAtFit = pool.count
            // The reference is the whole pool's, not the subsample's: a frame is compared with
            // the frames it was pooled with.
            let densities = pool.joined().map(result.model.logDensity)
            referenceMean = densities.reduce(0, +) / Double(densities.count)
            referenceSD = (densities.reduce(0) { $0 + ($1 - referenceMean) * ($1 - referenceMean) } / Double(max(1, densities.count - 1))).squareRoot()
        }
        let m = model!
        return FrameCounts(counts: crossSections.map(m.count), model: m, refitted: reason != nil, reason: reason)
    }
}

/// One observation of a tracked column, for smoothing counts along a track.
public struct CountObservation: Sendable, Equatable, Codable {
    public var frame: Int
    public var crossSection: Double
    public var count: Int
    /// Id of the ``CountingModel`` that counted this frame.
    public var modelID: String

    public init(frame: Int, crossSection: Double, count: Int, modelID: String) {
        self.frame = frame; self.crossSection = crossSection; self.count = count; self.modelID = modelID
    }
}

/// Smooths one track's count sequence (e.g. a hidden Markov model with Viterbi decoding, De wael
/// et al., Ultramicroscopy 219 (2020) 113131, implemented with linking). Returns one count per
/// observation, in order.
public protocol CountSmoother: Sendable {
    func smooth(_ track: [CountObservation], models: [String: CountingModel]) -> [Int]
}

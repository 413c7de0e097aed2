/// Detector response `image = offset + gain × electrons (+ read noise)`, estimated from a fitted
/// frame by regressing the residual variance on the model intensity (a photon-transfer curve
/// measured within one frame: regions of different intensity give different variances).
public struct DetectorCalibration: Sendable, Equatable, Codable {
    /// Image units per detected electron.
    public var gain: Double
    /// Effective offset, image units: the real offset minus read-noise variance / gain, so that
    /// `(image − offset) / gain` has variance equal to its mean (Poisson-like).
    public var offset: Double

    public init(gain: Double, offset: Double) { self.gain = gain; self.offset = offset }

    /// Converts image values to (approximately Poisson) counts.
    func counts(_ image: [Double]) -> [Double] { image.map { ($0 - offset) / gain } }

    /// Fits Var(I − M) = gain·(M − offset) over quantile bins of the model intensity.
    /// Returns nil when the frame has too little intensity range to separate gain from offset.
    static func estimate(image: [Double], model: [Double], valid: [Bool], bins: Int = 24) -> DetectorCalibration? {
        var idx = (0..<image.count).filter { valid[$0] }
        guard idx.count >= bins * 50 else { return nil }
        idx.sort { model[$0] < model[$1] }
        var xs: [Double] = [], ys: [Double] = [], ws: [Double] = []
        for b in 0..<bins {
            let lo = b * idx.count / bins, hi = (b + 1) * idx.count / bins
            var sm = 0.0, sr = 0.0
            for k in lo..<hi {
                let p = idx[k]
                let r = image[p] - model[p]
                sm += model[p]; sr += r * r
            }
            let n = Double(hi - lo)
            let v = sr / n
            guard v > 0 else { continue }
            xs.append(sm / n); ys.append(v)
            ws.append(n / (v * v))   // Var of a sample variance ≈ 2v²/n.
        }
        guard xs.count >= 3, let range = xs.max().map({ $0 - xs.min()! }), range > 0 else { return nil }
        var sw = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
        for i in xs.indices {
            sw += ws[i]; sx += ws[i] * xs[i]; sy += ws[i] * ys[i]
            sxx += ws[i] * xs[i] * xs[i]; sxy += ws[i] * xs[i] * ys[i]
        }
        let det = sw * sxx - sx * sx
        guard det > 0 else { return nil }
        let slope = (sw * sxy - sx * sy) / det
        let intercept = (sy - slope * sx) / sw
        guard slope > 0, slope.isFinite else { return nil }
        return DetectorCalibration(gain: slope, offset: -intercept / slope)
    }
}

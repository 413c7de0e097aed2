import StemCore
/// Pixels that carry no image information and would otherwise wreck a fit: non-finite values
/// (NaN, ±Inf from a float detector or a damaged file) and isolated single-pixel outliers (hot
/// pixels, cosmic-ray hits, a saturated 65535 in a 16-bit frame, dead pixels).
///
/// Each defect is replaced by the median of its valid 3×3 neighbours, so the fit sees a smooth
/// continuation of the image there; how many were replaced is reported with the fit.
///
/// An isolated outlier is a pixel whose excess over the *largest* of its eight neighbours exceeds
/// `outlierNoise` noise σ and is at least `isolation` of its excess over their median. An atomic
/// column of width ρ ≥ 1 px never qualifies: its neighbours reach e^(−½) ≈ 0.61 of its peak, so
/// the first ratio is at most ≈ 0.76 of the second, below `isolation` = 0.9.
public enum PixelDefects {
    /// What was repaired.
    public struct Report: Sendable, Equatable, Codable {
        /// NaN and infinite pixels replaced.
        public var nonFinite: Int = 0
        /// Isolated bright (hot, saturated, cosmic ray) and dark (dead) pixels replaced.
        public var outliers: Int = 0
        public var total: Int { nonFinite + outliers }
        public init(nonFinite: Int = 0, outliers: Int = 0) { self.nonFinite = nonFinite; self.outliers = outliers }
    }

    /// Excess over the largest neighbour, in noise σ, above which a pixel can be an outlier.
    public static let outlierNoise = 12.0
    /// Minimum ratio (excess over the largest neighbour) / (excess over the neighbours' median).
    public static let isolation = 0.9

    /// Repairs `image` (row-major, `width` × `height`) in place. Returns nil when the frame
    /// holds no usable information: no finite pixel at all, or more than `maxNonFiniteFraction`
    /// of them non-finite (then it is refused rather than guessed).
    public static func repair(_ image: inout [Double], width w: Int, height h: Int,
                              maxNonFiniteFraction: Double = 0.01) -> Report? {
        var report = Report()
        var bad: [Int] = []
        for i in image.indices where !image[i].isFinite { bad.append(i) }
        report.nonFinite = bad.count
        if bad.count == image.count { return nil }
        if Double(bad.count) > maxNonFiniteFraction * Double(image.count) { return nil }
        if !bad.isEmpty {
            let finiteMedian = median(image.filter(\.isFinite))
            var fixes: [(Int, Double)] = []
            for i in bad {
                var nb = neighbours(image, w, h, i).filter { $0.isFinite }
                fixes.append((i, nb.isEmpty ? finiteMedian : median(&nb)))
            }
            for (i, v) in fixes { image[i] = v }
        }
        let noise = ImageStatistics.noiseSigma(image, width: w, height: h,
                                               valid: ImageStatistics.validMask(image, width: w, height: h))
        guard noise > 0, noise.isFinite, w >= 3, h >= 3 else { return report }
        let limit = outlierNoise * noise
        var fixes: [(Int, Double)] = []
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x, v = image[i]
                // Largest and smallest neighbour without allocating (most pixels stop here).
                var hi = -Double.infinity, lo = Double.infinity, n = 0
                for dy in -1...1 where y + dy >= 0 && y + dy < h {
                    for dx in -1...1 where (dx != 0 || dy != 0) && x + dx >= 0 && x + dx < w {
                        let u = image[i + dy * w + dx]
                        hi = max(hi, u); lo = min(lo, u); n += 1
                    }
                }
                guard n >= 3 else { continue }
                let up = v - hi, down = lo - v
                guard up > limit || down > limit else { continue }
                var nb = neighbours(image, w, h, i)
                let m = median(&nb)
                if up > limit, up >= isolation * (v - m) { fixes.append((i, m)) }
                else if down > limit, down >= isolation * (m - v) { fixes.append((i, m)) }
            }
        }
        for (i, v) in fixes { image[i] = v }
        report.outliers = fixes.count
        return report
    }

    private static func neighbours(_ image: [Double], _ w: Int, _ h: Int, _ i: Int) -> [Double] {
        let x = i % w, y = i / w
        var out: [Double] = []
        out.reserveCapacity(8)
        for dy in -1...1 {
            let yy = y + dy
            guard yy >= 0 && yy < h else { continue }
            for dx in -1...1 where dx != 0 || dy != 0 {
                let xx = x + dx
                guard xx >= 0 && xx < w else { continue }
                out.append(image[yy * w + xx])
            }
        }
        return out
    }

    private static func median(_ v: [Double]) -> Double {
        var c = v
        return median(&c)
    }

    private static func median(_ v: inout [Double]) -> Double {
        v.isEmpty ? 0 : Statistics.median(&v)
    }
}

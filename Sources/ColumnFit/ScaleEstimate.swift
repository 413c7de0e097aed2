import Foundation
import StemCore

/// Estimates the Gaussian width of columns and their spacing from the image itself.
enum ScaleEstimate {
    /// Width ρ (px) as the scale of maximal scale-normalised Laplacian-of-Gaussian response
    /// (Lindeberg, Int. J. Comput. Vis. 30 (1998) 79): for a Gaussian peak of width ρ the
    /// response −σ²∇²(G_σ ∗ I) at its centre is largest at σ = ρ. The responses at the strongest
    /// *significant* maxima (a band-passed value above 5 noise σ, so that vacuum noise does not
    /// vote) are followed over scale; each maximum's first local maximum gives its scale, and ρ is
    /// the median. Only without those, the summed response's largest value at scales up to half the
    /// median nearest-neighbour distance of the maxima (beyond it the response sees pairs of
    /// columns or the whole particle: on a small particle in a large frame the summed response rose
    /// into the particle's scale and ρ came out 7× too wide).
    static func width(_ image: [Double], width w: Int, height h: Int, valid: [Bool], noise: Double? = nil) -> Double {
        var points: [(Int, Int)] = []
        var spacingBound = Double.infinity
        if let noise, noise > 0 {
            let sigma = 1.0
            let response = ColumnFinder.laplacianOfGaussian(image, w, h, sigma: sigma)
            let threshold = 5 * noise * ColumnFinder.laplacianNoiseGain(sigma: sigma)
            let maxima = LocalExtrema.maxima(response, width: w, height: h, valid: valid)
            points = spread(maxima.prefix { response[$0] > threshold }, width: w, limit: 400)
            if points.count >= 5, let d = spacing(points.map { (Double($0.0), Double($0.1)) }) { spacingBound = 0.5 * d }
            if points.count > 150 { points = Array(points.prefix(150)) }
        }
        if points.count < 5 {
            let smooth = GaussianBlur.apply(image, width: w, height: h, sigma: 1)
            points = spread(LocalExtrema.maxima(smooth, width: w, height: h, valid: valid), width: w, limit: 150)
        }
        guard !points.isEmpty else { return 2 }
        let maxScale = min(25, Double(min(w, h)) / 10)
        var scales: [Double] = [], scores: [Double] = []
        var responses: [[Double]] = []   // [scale][point]
        var sigma = 0.7
        while sigma <= maxScale {
            let kernel = LoGKernel(sigma: sigma)
            responses.append(points.map { kernel.response(image, w, h, x: $0.0, y: $0.1) })
            scores.append(responses.last!.reduce(0) { $0 + max(0, $1) })
            scales.append(sigma)
            // Stop once the summed response has clearly passed its first peak.
            if let peak = scores.dropLast().max(), scores.count > 3, scores.last! < 0.8 * peak { break }
            sigma *= 1.1
        }
        guard scales.count >= 3 else { return scales.last ?? 2 }
        // Each significant maximum's own scale: the first local maximum of its response (refined by a
        // parabola in log σ); the width is their median, robust to the noise maxima and pairs of
        // columns that pull a summed response off.
        let limit = max(0.8, spacingBound)
        var own: [Double] = []
        for k in points.indices {
            let r = scales.indices.map { responses[$0][k] }
            guard let j = (1..<(scales.count - 1)).first(where: { r[$0] > 0 && r[$0] > r[$0 - 1] && r[$0] >= r[$0 + 1] })
            else { continue }
            let denom = r[j - 1] - 2 * r[j] + r[j + 1]
            let offset = denom < 0 ? 0.5 * (r[j - 1] - r[j + 1]) / denom : 0
            own.append(scales[j] * pow(1.1, max(-0.5, min(0.5, offset))))
        }
        if own.count >= 3 { return Statistics.median(&own) }
        // Fallback: the summed response's largest value within the bound.
        let bounded = scores.indices.filter { scales[$0] <= limit }
        guard let best = bounded.max(by: { scores[$0] < scores[$1] }) ?? scores.indices.max(by: { scores[$0] < scores[$1] }) else { return 2 }
        return scales[best]
    }

    /// The first `limit` of `maxima` (pixel indices, strongest first) at least 3 px from every
    /// one taken before, as (x, y).
    static func spread<S: Sequence<Int>>(_ maxima: S, width w: Int, limit: Int) -> [(Int, Int)] {
        var points: [(Int, Int)] = []
        for i in maxima {
            let p = (i % w, i / w)
            if points.allSatisfy({ ($0.0 - p.0) * ($0.0 - p.0) + ($0.1 - p.1) * ($0.1 - p.1) >= 9 }) {
                points.append(p)
            }
            if points.count >= limit { break }
        }
        return points
    }

    /// The kernel of −σ²∇²G_σ on a square of half-size ⌈3.5σ⌉, applied at single pixels.
    struct LoGKernel {
        let r: Int
        let k: [Double]
        init(sigma: Double) {
            r = Int((3.5 * sigma).rounded(.up))
            let s2 = sigma * sigma
            var k: [Double] = []
            for dy in -r...r {
                for dx in -r...r {
                    let r2 = Double(dx * dx + dy * dy)
                    k.append(-(r2 - 2 * s2) / (2 * Double.pi * s2) * exp(-r2 / (2 * s2)))
                }
            }
            self.k = k
        }

        func response(_ image: [Double], _ w: Int, _ h: Int, x: Int, y: Int) -> Double {
            var acc = 0.0
            let n = 2 * r + 1
            for dy in -r...r {
                let yy = y + dy
                guard yy >= 0 && yy < h else { continue }
                for dx in -r...r {
                    let xx = x + dx
                    guard xx >= 0 && xx < w else { continue }
                    acc += k[(dy + r) * n + dx + r] * image[yy * w + xx]
                }
            }
            return acc
        }
    }

    /// Median nearest-neighbour distance of points, px; `nil` with fewer than two points.
    static func spacing(_ points: [(x: Double, y: Double)]) -> Double? {
        guard points.count >= 2 else { return nil }
        let grid = PointGrid(points, cell: 8)
        var d: [Double] = points.indices.map { i in grid.nearestDistance(to: i) }
        return Statistics.median(&d)
    }
}

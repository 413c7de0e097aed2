import Foundation

/// Estimates the Gaussian width of columns and their spacing from the image itself.
enum ScaleEstimate {
    /// Width ρ (px) as the scale of maximal scale-normalised Laplacian-of-Gaussian response
    /// (Lindeberg, Int. J. Comput. Vis. 30 (1998) 79): for a Gaussian peak of width ρ the
    /// response −σ²∇²(G_σ ∗ I) at its centre is largest at σ = ρ. The responses of the
    /// strongest maxima are summed at each scale; the first local maximum of that sum over scale
    /// (larger scales see whole particles) is refined by a parabola in log σ.
    static func width(_ image: [Double], width w: Int, height h: Int, valid: [Bool]) -> Double {
        let smooth = GaussianBlur.apply(image, width: w, height: h, sigma: 1)
        let maxima = LocalExtrema.maxima(smooth, width: w, height: h, valid: valid)
        var points: [(Int, Int)] = []
        for i in maxima {
            let p = (i % w, i / w)
            if points.allSatisfy({ ($0.0 - p.0) * ($0.0 - p.0) + ($0.1 - p.1) * ($0.1 - p.1) >= 9 }) {
                points.append(p)
            }
            if points.count >= 150 { break }
        }
        guard !points.isEmpty else { return 2 }
        let maxScale = min(25, Double(min(w, h)) / 10)
        var scales: [Double] = [], scores: [Double] = []
        var sigma = 0.7
        while sigma <= maxScale {
            let kernel = LoGKernel(sigma: sigma)
            scores.append(points.reduce(0) { acc, p in acc + max(0, kernel.response(image, w, h, x: p.0, y: p.1)) })
            scales.append(sigma)
            // Stop once the first peak is clearly passed.
            if let peak = scores.dropLast().max(), scores.count > 3, scores.last! < 0.8 * peak { break }
            sigma *= 1.1
        }
        // The first local maximum: columns; larger scales respond to the particle as a whole.
        let firstPeak = scores.indices.dropFirst().dropLast().first { scores[$0] > scores[$0 - 1] && scores[$0] >= scores[$0 + 1] }
        guard let best = firstPeak ?? scores.indices.max(by: { scores[$0] < scores[$1] }) else { return 2 }
        if best == 0 || best == scores.count - 1 { return scales[best] }
        let (a, b, c) = (scores[best - 1], scores[best], scores[best + 1])
        let denom = a - 2 * b + c
        let offset = denom < 0 ? 0.5 * (a - c) / denom : 0
        return scales[best] * pow(1.1, max(-0.5, min(0.5, offset)))
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

import Foundation

/// Starting positions of atomic columns, found without user input.
///
/// 1. Noise σ from the Immerkær mask; width ρ and spacing d estimated when not given.
/// 2. The image is band-passed by a scale-normalised Laplacian of Gaussian (σ = 0.7ρ), which
///    keeps columns and removes the particle's diffuse intensity.
/// 3. A column is a pixel that is the maximum of that response within the minimum separation
///    (a fraction of d) and exceeds `detectionThreshold` × the response's noise σ.
public struct ColumnFinder: Sendable {
    /// What the finder measured, reported alongside the columns.
    public struct Scales: Sendable, Equatable, Codable {
        /// Noise standard deviation, image units.
        public var noise: Double
        /// Column width ρ, px.
        public var width: Double
        /// Nearest-column spacing, px.
        public var spacing: Double

        public init(noise: Double, width: Double, spacing: Double) {
            self.noise = noise; self.width = width; self.spacing = spacing
        }
    }

    public var settings: FitSettings

    public init(settings: FitSettings = FitSettings()) { self.settings = settings }

    /// Finds starting positions (px) and the scales used.
    public func find(_ image: [Double], width w: Int, height h: Int,
                     valid: [Bool]) -> (points: [(x: Double, y: Double)], scales: Scales) {
        let noise = ImageStatistics.noiseSigma(image, width: w, height: h, valid: valid)
        let rho = settings.expectedWidth ?? ScaleEstimate.width(image, width: w, height: h, valid: valid, noise: noise)
        // Band-pass: the scale-normalised Laplacian of Gaussian removes the slowly varying
        // diffuse intensity of the particle, so edge columns on its slope remain maxima.
        let sigmaD = max(0.7, 0.7 * rho)
        let response = Self.laplacianOfGaussian(image, w, h, sigma: sigmaD)
        let threshold = settings.detectionThreshold * noise * Self.laplacianNoiseGain(sigma: sigmaD)
        let maxima = LocalExtrema.maxima(response, width: w, height: h, valid: valid)
        let spacing: Double
        if let d = settings.expectedSpacing {
            spacing = d
        } else {
            let provisional = detect(response, w, h, maxima: maxima, threshold: threshold, separation: 1.5 * rho)
            spacing = ScaleEstimate.spacing(provisional) ?? 4 * rho
        }
        let separation = max(1.5, settings.minimumSeparationFraction * spacing)
        let points = detect(response, w, h, maxima: maxima, threshold: threshold, separation: separation)
        return (points, Scales(noise: noise, width: rho, spacing: spacing))
    }

    /// Maxima of the band-passed `response` above `threshold` that are the largest value within
    /// `separation` px.
    func detect(_ response: [Double], _ w: Int, _ h: Int, maxima: [Int], threshold: Double,
                separation: Double) -> [(x: Double, y: Double)] {
        let r = Int(separation.rounded(.down))
        let r2 = separation * separation
        var points: [(x: Double, y: Double)] = []
        for i in maxima {
            let v = response[i]
            guard v > threshold else { break }
            let x = i % w, y = i / w
            var isMax = true
            scan: for dy in -r...r {
                let yy = y + dy
                guard yy >= 0 && yy < h else { continue }
                for dx in -r...r where Double(dx * dx + dy * dy) <= r2 && (dx != 0 || dy != 0) {
                    let xx = x + dx
                    guard xx >= 0 && xx < w else { continue }
                    let n = response[yy * w + xx]
                    if n > v || (n == v && yy * w + xx < i) { isMax = false; break scan }
                }
            }
            guard isMax else { continue }
            points.append(subpixel(response, w, h, x, y))
        }
        return points
    }

    /// −σ²∇²(G_σ ∗ I) by central differences of the smoothed image.
    static func laplacianOfGaussian(_ image: [Double], _ w: Int, _ h: Int, sigma: Double) -> [Double] {
        let s = GaussianBlur.apply(image, width: w, height: h, sigma: sigma)
        var out = [Double](repeating: 0, count: s.count)
        let s2 = sigma * sigma
        for y in 0..<h {
            for x in 0..<w {
                let c = s[y * w + x]
                let l = s[y * w + max(0, x - 1)], r = s[y * w + min(w - 1, x + 1)]
                let u = s[max(0, y - 1) * w + x], d = s[min(h - 1, y + 1) * w + x]
                out[y * w + x] = -s2 * (l + r + u + d - 4 * c)
            }
        }
        return out
    }

    /// Standard deviation of ``laplacianOfGaussian`` applied to white noise of unit variance.
    static func laplacianNoiseGain(sigma: Double) -> Double {
        let n = 2 * Int((4 * sigma).rounded(.up)) + 3
        var delta = [Double](repeating: 0, count: n * n)
        delta[(n / 2) * n + n / 2] = 1
        let k = laplacianOfGaussian(delta, n, n, sigma: sigma)
        return k.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }

    /// Parabolic refinement of a maximum on its 3×3 neighbourhood, px.
    private func subpixel(_ s: [Double], _ w: Int, _ h: Int, _ x: Int, _ y: Int) -> (x: Double, y: Double) {
        guard x > 0, y > 0, x < w - 1, y < h - 1 else { return (Double(x), Double(y)) }
        let c = s[y * w + x]
        let dxx = s[y * w + x - 1] - 2 * c + s[y * w + x + 1]
        let dyy = s[(y - 1) * w + x] - 2 * c + s[(y + 1) * w + x]
        let ox = dxx < 0 ? 0.5 * (s[y * w + x - 1] - s[y * w + x + 1]) / dxx : 0
        let oy = dyy < 0 ? 0.5 * (s[(y - 1) * w + x] - s[(y + 1) * w + x]) / dyy : 0
        return (Double(x) + max(-0.5, min(0.5, ox)), Double(y) + max(-0.5, min(0.5, oy)))
    }
}

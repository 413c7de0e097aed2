/// One Gaussian peak of the HAADF image model, in pixel units.
public struct Peak: Sendable, Equatable, Codable {
    /// Centre, pixels (x = column index, y = row index).
    public var x: Double
    public var y: Double
    /// Peak height above the background, image units.
    public var height: Double
    /// Width ρ (standard deviation), pixels.
    public var width: Double

    public init(x: Double, y: Double, height: Double, width: Double) {
        self.x = x; self.y = y; self.height = height; self.width = width
    }
}

/// Noise-free image of the model used throughout stemtrack: a constant background plus a sum of
/// round Gaussians, `b + Σ η·exp(−((x−x₀)² + (y−y₀)²) / 2ρ²)`, each evaluated out to `cutoff`·ρ.
public enum GaussianImage {
    /// Renders the expected image (row-major, `width × height`).
    public static func render(_ peaks: [Peak], width: Int, height: Int, background: Double,
                              cutoff: Double = 6) -> [Double] {
        var image = [Double](repeating: background, count: width * height)
        var gx: [Double] = [], gy: [Double] = []
        for p in peaks {
            let r = cutoff * p.width
            let x0 = max(0, Int((p.x - r).rounded(.up))), x1 = min(width - 1, Int((p.x + r).rounded(.down)))
            let y0 = max(0, Int((p.y - r).rounded(.up))), y1 = min(height - 1, Int((p.y + r).rounded(.down)))
            if x0 > x1 || y0 > y1 { continue }
            let inv = 1 / (2 * p.width * p.width)
            gx = (x0...x1).map { let d = Double($0) - p.x; return _exp(-d * d * inv) }
            gy = (y0...y1).map { let d = Double($0) - p.y; return p.height * _exp(-d * d * inv) }
            for (j, yv) in gy.enumerated() {
                let row = (y0 + j) * width
                for (i, xv) in gx.enumerated() { image[row + x0 + i] += yv * xv }
            }
        }
        return image
    }

    /// Draws Poisson counts with the given expected image (electrons per pixel).
    public static func poissonNoise(_ expected: [Double], rng: inout RandomSource) -> [Double] {
        expected.map { rng.poisson($0) }
    }
}

import Foundation

/// A round Gaussian of unit height sampled on the pixels of its support rectangle, stored
/// separably: `e(X, Y) = ex[X − x0] · ey[Y − y0]`.
struct GaussianWindow: Sendable {
    let x0: Int, x1: Int, y0: Int, y1: Int
    let ex: [Double]
    let ey: [Double]

    /// The support is the rectangle within `cutoff`·ρ of (x, y), clipped to the image.
    init(x: Double, y: Double, rho: Double, cutoff: Double, width w: Int, height h: Int) {
        let r = cutoff * rho
        x0 = max(0, Int((x - r).rounded(.up)))
        x1 = min(w - 1, Int((x + r).rounded(.down)))
        y0 = max(0, Int((y - r).rounded(.up)))
        y1 = min(h - 1, Int((y + r).rounded(.down)))
        let inv = 1 / (2 * rho * rho)
        ex = x0 <= x1 ? (x0...x1).map { let d = Double($0) - x; return exp(-d * d * inv) } : []
        ey = y0 <= y1 ? (y0...y1).map { let d = Double($0) - y; return exp(-d * d * inv) } : []
    }

    var isEmpty: Bool { ex.isEmpty || ey.isEmpty }
    var pixelCount: Int { ex.count * ey.count }
}

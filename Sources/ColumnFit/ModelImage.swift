import StemCore
/// The parameters of the full image model and its evaluation:
/// `M(X, Y) = ζ + Σᵢ ηᵢ · exp(−((X−xᵢ)² + (Y−yᵢ)²) / 2ρᵢ²)`, each Gaussian truncated at
/// `cutoff`·ρᵢ.
struct ModelParameters: Sendable {
    var x: [Double]
    var y: [Double]
    var eta: [Double]
    var rho: [Double]
    var background: Double

    var count: Int { x.count }

    /// self + fraction·(other − self), parameter by parameter (same columns).
    func interpolated(towards other: ModelParameters, fraction f: Double) -> ModelParameters {
        func mix(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 + f * ($1 - $0) } }
        return ModelParameters(x: mix(x, other.x), y: mix(y, other.y), eta: mix(eta, other.eta), rho: mix(rho, other.rho),
                               background: background + f * (other.background - background))
    }

    func windows(cutoff: Double, width: Int, height: Int) -> [GaussianWindow] {
        let n = count
        let slots = SharedSlots<GaussianWindow?>(repeating: nil, count: n)
        let (x, y, rho) = (self.x, self.y, self.rho)
        parallelFor(n, minimumChunk: 64) { i in
            slots[i] = GaussianWindow(x: x[i], y: y[i], rho: rho[i], cutoff: cutoff, width: width, height: height)
        }
        return slots.drain().map { $0! }
    }

    /// Evaluates the model on the whole image (row-major).
    func render(_ windows: [GaussianWindow], width: Int, height: Int) -> [Double] {
        var model = [Double](repeating: background, count: width * height)
        model.withUnsafeMutableBufferPointer { m in
            for (i, win) in windows.enumerated() where !win.isEmpty {
                let eta = self.eta[i]
                win.ex.withUnsafeBufferPointer { ex in
                    for (j, ey) in win.ey.enumerated() {
                        let row = (win.y0 + j) * width + win.x0
                        let a = eta * ey
                        for k in 0..<ex.count { m[row + k] += a * ex[k] }
                    }
                }
            }
        }
        return model
    }

    /// Removes the columns at `indices`.
    mutating func remove(_ indices: Set<Int>) {
        let keep = (0..<count).filter { !indices.contains($0) }
        x = keep.map { x[$0] }; y = keep.map { y[$0] }
        eta = keep.map { eta[$0] }; rho = keep.map { rho[$0] }
    }
}

import Foundation

/// Standard errors and Cramér–Rao bounds of one column's parameters.
///
/// Parameters θ = (x, y, η) plus ρ in per-column width mode; neighbours, background and a shared
/// width are held at their estimates. For least squares the covariance is σ̂²(JᵀJ)⁻¹ with σ̂² the
/// residual variance in the column's window (adapts to Poisson noise that varies over the image).
/// Under Poisson noise with expected counts λ the Fisher information is
/// F = Σₚ ∂λ/∂θ ∂λ/∂θᵀ / λ, and √(F⁻¹)ₓₓ bounds the standard deviation of any unbiased
/// estimator of x (e.g. van Aert et al., Ultramicroscopy 104 (2005) 83).
struct Uncertainty {
    struct Result { var sx, sy, sEta: Double; var crlbX, crlbY: Double? }

    let width: Int
    let fitWidth: Bool

    /// - Parameters:
    ///   - counts: the model converted to expected electrons, or nil without a detector model.
    ///   - weighted: the fit was Poisson ML on counts (image and model in electrons).
    func evaluate(image: [Double], model: [Double], window win: GaussianWindow, x: Double, y: Double,
                  eta: Double, rho: Double, detector: DetectorCalibration?, weighted: Bool) -> Result {
        let np = fitWidth ? 4 : 3
        var jtj = [Double](repeating: 0, count: np * np)
        var fisher = [Double](repeating: 0, count: np * np)
        var rss = 0.0, npix = 0
        let inv2 = 1 / (rho * rho)
        var jac = [Double](repeating: 0, count: np)
        for (j, eyv) in win.ey.enumerated() {
            let dy = Double(win.y0 + j) - y
            for (k, exv) in win.ex.enumerated() {
                let dx = Double(win.x0 + k) - x
                let p = (win.y0 + j) * width + win.x0 + k
                let e = exv * eyv, g = eta * e
                jac[0] = g * dx * inv2; jac[1] = g * dy * inv2; jac[2] = e
                if np == 4 { jac[3] = g * (dx * dx + dy * dy) * inv2 / rho }
                let r = image[p] - model[p]
                rss += r * r; npix += 1
                let lambda: Double? = detector.map { max(1e-9, (model[p] - $0.offset) / $0.gain) }
                for u in 0..<np {
                    for v in 0...u {
                        let a = jac[u] * jac[v]
                        jtj[u * np + v] += a
                        if let lambda, let d = detector { fisher[u * np + v] += a / (d.gain * d.gain * lambda) }
                    }
                }
            }
        }
        for u in 0..<np { for v in 0..<u { jtj[v * np + u] = jtj[u * np + v]; fisher[v * np + u] = fisher[u * np + v] } }
        var crlbX: Double? = nil, crlbY: Double? = nil
        var fisherInverse: [Double]? = nil
        if detector != nil, let fi = SmallSPD.inverse(fisher, n: np) {
            fisherInverse = fi
            crlbX = fi[0].squareRoot(); crlbY = fi[np + 1].squareRoot()
        }
        if weighted, let fi = fisherInverse {
            return Result(sx: fi[0].squareRoot(), sy: fi[np + 1].squareRoot(),
                          sEta: fi[2 * np + 2].squareRoot(), crlbX: crlbX, crlbY: crlbY)
        }
        let sigma2 = npix > np ? rss / Double(npix - np) : .nan
        guard let inv = SmallSPD.inverse(jtj, n: np) else {
            return Result(sx: .nan, sy: .nan, sEta: .nan, crlbX: crlbX, crlbY: crlbY)
        }
        return Result(sx: (sigma2 * inv[0]).squareRoot(), sy: (sigma2 * inv[np + 1]).squareRoot(),
                      sEta: (sigma2 * inv[2 * np + 2]).squareRoot(), crlbX: crlbX, crlbY: crlbY)
    }
}

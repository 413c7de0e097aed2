import Foundation

/// Refines one column's position, height (and width) by Levenberg–Marquardt on its own window,
/// with the current model of all other columns and the background subtracted (the per-column
/// step of StatSTEM's fitting scheme, De Backer et al., Ultramicroscopy 171 (2016) 104).
/// With weights `1/model` the step is Fisher scoring for Poisson maximum likelihood.
struct LocalFit {
    struct Result { var x, y, eta, rho: Double }

    let fitWidth: Bool
    let maxSteps: Int

    /// - Parameters:
    ///   - image: data, row-major `width` wide.
    ///   - model: the current full model (including this column and the background).
    ///   - weights: per-pixel weights, or nil for ordinary least squares.
    func refine(image: UnsafeBufferPointer<Double>, model: UnsafeBufferPointer<Double>,
                weights: UnsafeBufferPointer<Double>?, width: Int, window win: GaussianWindow,
                x: Double, y: Double, eta: Double, rho: Double) -> Result {
        let nx = win.ex.count, ny = win.ey.count
        guard nx > 1, ny > 1 else { return Result(x: x, y: y, eta: eta, rho: rho) }
        // Target: data minus everything but this column.
        var target = [Double](repeating: 0, count: nx * ny)
        var w = [Double](repeating: 1, count: nx * ny)
        for j in 0..<ny {
            let row = (win.y0 + j) * width + win.x0
            let own = eta * win.ey[j]
            for k in 0..<nx {
                target[j * nx + k] = image[row + k] - (model[row + k] - own * win.ex[k])
                if let weights { w[j * nx + k] = weights[row + k] }
            }
        }
        var p = Result(x: x, y: y, eta: eta, rho: rho)
        var cost = objective(target, w, win, nx, ny, p)
        var lambda = 1e-3
        let np = fitWidth ? 4 : 3
        var ex = [Double](repeating: 0, count: nx), ey = [Double](repeating: 0, count: ny)
        var dxs = [Double](repeating: 0, count: nx), dys = [Double](repeating: 0, count: ny)
        for _ in 0..<maxSteps {
            // Normal equations JᵀWJ δ = JᵀW r at p.
            fillProfiles(win, p, &ex, &ey, &dxs, &dys)
            var a = [Double](repeating: 0, count: np * np)
            var b = [Double](repeating: 0, count: np)
            let inv2 = 1 / (p.rho * p.rho)
            if np == 3 {
                // Position and height only (the default): scalar accumulators, no per-pixel arrays.
                var a00 = 0.0, a10 = 0.0, a11 = 0.0, a20 = 0.0, a21 = 0.0, a22 = 0.0
                var b0 = 0.0, b1 = 0.0, b2 = 0.0
                let eta = p.eta
                target.withUnsafeBufferPointer { t in
                w.withUnsafeBufferPointer { wp in
                ex.withUnsafeBufferPointer { exp in
                dxs.withUnsafeBufferPointer { dx in
                    for j in 0..<ny {
                        let eyj = ey[j], dyj = dys[j] * inv2
                        let base = j * nx
                        for k in 0..<nx {
                            let e = exp[k] * eyj
                            let g = eta * e
                            let r = t[base + k] - g
                            let j0 = g * dx[k] * inv2, j1 = g * dyj, j2 = e
                            let wi = wp[base + k]
                            let w0 = wi * j0, w1 = wi * j1, w2 = wi * j2
                            b0 += w0 * r; b1 += w1 * r; b2 += w2 * r
                            a00 += w0 * j0; a10 += w1 * j0; a11 += w1 * j1
                            a20 += w2 * j0; a21 += w2 * j1; a22 += w2 * j2
                        }
                    }
                } } } }
                a = [a00, a10, a20, a10, a11, a21, a20, a21, a22]
                b = [b0, b1, b2]
            } else {
            var jac = [Double](repeating: 0, count: np)
            for j in 0..<ny {
                for k in 0..<nx {
                    let e = ex[k] * ey[j]
                    let g = p.eta * e
                    let i = j * nx + k
                    let r = target[i] - g
                    jac[0] = g * dxs[k] * inv2
                    jac[1] = g * dys[j] * inv2
                    jac[2] = e
                    if np == 4 { jac[3] = g * (dxs[k] * dxs[k] + dys[j] * dys[j]) * inv2 / p.rho }
                    let wi = w[i]
                    for u in 0..<np {
                        let ju = wi * jac[u]
                        b[u] += ju * r
                        for v in 0...u { a[u * np + v] += ju * jac[v] }
                    }
                }
            }
            }
            for u in 0..<np { for v in 0..<u { a[v * np + u] = a[u * np + v] } }
            var improved = false
            for _ in 0..<6 {
                var damped = a
                for u in 0..<np { damped[u * np + u] *= 1 + lambda }
                guard let d = SmallSPD.solve(damped, b, n: np) else { lambda *= 10; continue }
                var q = p
                q.x += max(-p.rho, min(p.rho, d[0]))
                q.y += max(-p.rho, min(p.rho, d[1]))
                q.eta += d[2]
                if np == 4 { q.rho = max(0.3 * p.rho, min(3 * p.rho, p.rho + d[3])) }
                let c = objective(target, w, win, nx, ny, q)
                if c <= cost {
                    let small = abs(q.x - p.x) < 1e-7 && abs(q.y - p.y) < 1e-7
                    p = q; cost = c; lambda = max(1e-9, lambda * 0.1); improved = true
                    if small { return p }
                    break
                }
                lambda *= 10
            }
            if !improved { break }
        }
        return p
    }

    private func fillProfiles(_ win: GaussianWindow, _ p: Result, _ ex: inout [Double], _ ey: inout [Double],
                              _ dxs: inout [Double], _ dys: inout [Double]) {
        let inv = 1 / (2 * p.rho * p.rho)
        for k in 0..<ex.count { let d = Double(win.x0 + k) - p.x; dxs[k] = d; ex[k] = exp(-d * d * inv) }
        for j in 0..<ey.count { let d = Double(win.y0 + j) - p.y; dys[j] = d; ey[j] = exp(-d * d * inv) }
    }

    private func objective(_ t: [Double], _ w: [Double], _ win: GaussianWindow, _ nx: Int, _ ny: Int,
                           _ p: Result) -> Double {
        let inv = 1 / (2 * p.rho * p.rho)
        let ex = (0..<nx).map { k -> Double in let d = Double(win.x0 + k) - p.x; return exp(-d * d * inv) }
        var s = 0.0
        t.withUnsafeBufferPointer { tp in
        w.withUnsafeBufferPointer { wp in
        ex.withUnsafeBufferPointer { e in
            for j in 0..<ny {
                let d = Double(win.y0 + j) - p.y
                let a = p.eta * Foundation.exp(-d * d * inv)
                let base = j * nx
                for k in 0..<nx {
                    let r = tp[base + k] - a * e[k]
                    s += wp[base + k] * r * r
                }
            }
        } } }
        return s
    }
}

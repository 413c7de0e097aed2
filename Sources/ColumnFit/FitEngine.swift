import Foundation
import StemCore

/// The iteration of ``ColumnFitter``: alternating per-column nonlinear refinement and a joint
/// linear solve of heights, background and (same-width mode) the shared width.
struct FitEngine: Sendable {
    struct Run { var iterations: Int; var converged: Bool }

    let width: Int
    let height: Int
    let settings: FitSettings
    let fixedBackground: Double?
    /// Minimum column separation, px; closer columns are merged.
    let separation: Double

    private func solver(for image: [Double]) -> HeightSolver {
        var s = HeightSolver(width: width, height: height)
        s.cachedSums = HeightSolver.imageSums(image, weights: nil, background: fixedBackground ?? 0)
        return s
    }

    /// First heights and background for the starting positions and width.
    func initialHeights(_ p: inout ModelParameters, image: [Double]) -> Bool {
        guard p.count > 0 else { return false }
        let windows = p.windows(cutoff: settings.cutoff, width: width, height: height)
        guard let s = solver(for: image).solve(image: image, weights: nil, windows: windows,
                                   positions: positions(p), fixedBackground: fixedBackground) else { return false }
        p.eta = s.eta; p.background = s.background
        return true
    }

    /// Iterates to convergence; with `prune`, removes insignificant and duplicate columns and resumes
    /// (at most three rounds).
    func run(_ p: inout ModelParameters, image: [Double], weighted: Bool, prune: Bool) -> Run {
        var total = Run(iterations: 0, converged: false)
        for _ in 0..<4 where settings.maxIterations > 0 {
            let r = iterate(&p, image: image, weighted: weighted)
            total.iterations += r.iterations
            total.converged = r.converged
            guard prune else { break }
            let removed = pruneColumns(&p, image: image)
            if removed == 0 { break }
            // Every column insignificant: nothing left to fit (the caller reports it).
            if p.count == 0 { total.converged = false; break }
            _ = initialHeights(&p, image: image)
        }
        return total
    }

    private func positions(_ p: ModelParameters) -> [(x: Double, y: Double)] {
        (0..<p.count).map { (p.x[$0], p.y[$0]) }
    }

    private func iterate(_ p: inout ModelParameters, image: [Double], weighted: Bool) -> Run {
        let local = LocalFit(fitWidth: settings.widthMode == .perColumn, maxSteps: 2)
        let solver = solver(for: image)
        var step = 0.02
        guard settings.maxIterations > 0, p.count > 0 else { return Run(iterations: 0, converged: false) }
        // Descent safeguard: the per-column steps are taken in parallel from the same model, which
        // overshoots where columns overlap strongly (dense, thick lattices). An iteration that raises
        // the residual sum of squares is taken back and repeated with its steps scaled by λ = ½, ¼, …;
        // below λ = 1/64 no step descends and the fit stops there (converged: a local minimum).
        var previous: ModelParameters? = nil
        var previousRSS = Double.infinity
        var lambda = 1.0
        var proposal: ModelParameters? = nil
        for it in 1...settings.maxIterations {
            var windowsV = p.windows(cutoff: settings.cutoff, width: width, height: height)
            var modelV = p.render(windowsV, width: width, height: height)
            var rss = Self.residual(image, modelV, weighted: weighted)
            if let prev = previous, !(rss <= previousRSS) {
                // Take the step back and retry it shorter.
                lambda *= 0.5
                guard lambda >= 1.0 / 64, let prop = proposal else {
                    p = prev
                    return Run(iterations: it - 1, converged: true)
                }
                p = prev.interpolated(towards: prop, fraction: lambda)
                if settings.widthMode == .same || fixedBackground == nil {
                    _ = initialHeights(&p, image: image)
                }
                windowsV = p.windows(cutoff: settings.cutoff, width: width, height: height)
                modelV = p.render(windowsV, width: width, height: height)
                rss = Self.residual(image, modelV, weighted: weighted)
                if !(rss <= previousRSS) { continue }
            } else if previous != nil {
                lambda = min(1, 2 * lambda)
            }
            if previous != nil && previousRSS.isFinite && previousRSS - rss <= settings.residualTolerance * previousRSS {
                return Run(iterations: it, converged: true)
            }
            previous = p
            previousRSS = rss
            let weights: [Double]? = weighted ? modelV.map { 1 / max($0, 0.1) } : nil
            let windows = windowsV, model = modelV
            // 1. Per-column refinement, all from the same model.
            let n = p.count
            let slots = SharedSlots<LocalFit.Result?>(repeating: nil, count: n)
            let q = p
            image.withUnsafeBufferPointer { img in
                model.withUnsafeBufferPointer { mdl in
                    let ip = UnsafeSendable(img), mp = UnsafeSendable(mdl)
                    let wp = weights
                    parallelFor(n, minimumChunk: 8) { i in
                        let r: LocalFit.Result
                        if let wp {
                            r = wp.withUnsafeBufferPointer { wb in
                                local.refine(image: ip.buffer, model: mp.buffer, weights: wb, width: width,
                                             window: windows[i], x: q.x[i], y: q.y[i], eta: q.eta[i], rho: q.rho[i])
                            }
                        } else {
                            r = local.refine(image: ip.buffer, model: mp.buffer, weights: nil, width: width,
                                             window: windows[i], x: q.x[i], y: q.y[i], eta: q.eta[i], rho: q.rho[i])
                        }
                        slots[i] = r
                    }
                }
            }
            var maxMove = 0.0
            for (i, r) in slots.drain().enumerated() {
                guard let r, r.x.isFinite, r.y.isFinite, r.eta.isFinite, r.rho.isFinite else { continue }
                maxMove = max(maxMove, abs(r.x - p.x[i]), abs(r.y - p.y[i]))
                p.x[i] = r.x; p.y[i] = r.y; p.eta[i] = r.eta
                if settings.widthMode == .perColumn { p.rho[i] = r.rho }
            }
            // 2. Heights and background (and shared width) jointly.
            var widthChange = 0.0
            if settings.widthMode == .same {
                widthChange = updateSharedWidth(&p, image: image, weights: weights, solver: solver, step: &step)
            } else {
                let w2 = p.windows(cutoff: settings.cutoff, width: width, height: height)
                if let s = solver.solve(image: image, weights: weights, windows: w2, positions: positions(p),
                                        fixedBackground: fixedBackground) {
                    p.eta = s.eta; p.background = s.background
                }
            }
            proposal = p
            if maxMove < settings.positionTolerance && widthChange < settings.widthTolerance {
                return Run(iterations: it, converged: true)
            }
        }
        return Run(iterations: settings.maxIterations, converged: false)
    }

    /// Σ (I − model)², or Σ (I − model)²/model with Poisson weights.
    static func residual(_ image: [Double], _ model: [Double], weighted: Bool) -> Double {
        var s = 0.0
        if weighted {
            for i in image.indices { let d = image[i] - model[i]; s += d * d / max(model[i], 0.1) }
        } else {
            for i in image.indices { let d = image[i] - model[i]; s += d * d }
        }
        return s
    }

    /// One variable-projection step on the shared width: the residual with optimal heights is
    /// evaluated at ρ(1 ± h), a parabola gives the trial minimum, and the best of the trials is kept.
    /// Returns the relative change of ρ.
    private func updateSharedWidth(_ p: inout ModelParameters, image: [Double], weights: [Double]?,
                                   solver: HeightSolver, step: inout Double) -> Double {
        guard let rho0 = p.rho.first, rho0.isFinite, rho0 > 0 else { return 0 }
        let pos = positions(p)
        // Trial widths stay below 1.1 ρ; windows reach cutoff·ρ + 1 px on each side.
        let reach = 2 * (settings.cutoff * rho0 * 1.1 + 1)
        let candidates = HeightSolver.candidatePairs(pos, radius: reach * 2.0.squareRoot())
        func evaluate(_ rho: Double) -> HeightSolver.Solution? {
            var q = p
            q.rho = [Double](repeating: rho, count: p.count)
            return solver.solve(image: image, weights: weights,
                                windows: q.windows(cutoff: settings.cutoff, width: width, height: height),
                                positions: pos, fixedBackground: fixedBackground, candidates: candidates)
        }
        guard let f0 = evaluate(rho0) else { return 0 }
        let hStep = rho0 * step
        guard let fp = evaluate(rho0 + hStep), let fm = evaluate(rho0 - hStep) else {
            p.eta = f0.eta; p.background = f0.background
            return 0
        }
        var best = (rho: rho0, s: f0)
        if fp.rss < best.s.rss { best = (rho0 + hStep, fp) }
        if fm.rss < best.s.rss { best = (rho0 - hStep, fm) }
        let curvature = fp.rss + fm.rss - 2 * f0.rss
        if curvature > 0 {
            let offset = 0.5 * (fm.rss - fp.rss) / curvature * hStep
            let clamped = max(-4 * hStep, min(4 * hStep, offset))
            if abs(clamped) > 1e-12 * rho0, let ft = evaluate(rho0 + clamped), ft.rss < best.s.rss {
                best = (rho0 + clamped, ft)
            }
        }
        p.rho = [Double](repeating: best.rho, count: p.count)
        p.eta = best.s.eta; p.background = best.s.background
        let change = abs(best.rho - rho0) / rho0
        step = max(1e-5, min(0.02, 2 * change))
        return change
    }

    /// Removes columns that are not significant (η below `significance` standard errors), have
    /// non-positive height, left the image, or sit closer than half the minimum separation to a
    /// brighter column. Returns how many were removed.
    private func pruneColumns(_ p: inout ModelParameters, image: [Double]) -> Int {
        let windows = p.windows(cutoff: settings.cutoff, width: width, height: height)
        let model = p.render(windows, width: width, height: height)
        let unc = Uncertainty(width: width, fitWidth: settings.widthMode == .perColumn)
        var drop = Set<Int>()
        for i in 0..<p.count {
            let outside = p.x[i] < -0.5 || p.y[i] < -0.5 || p.x[i] > Double(width) - 0.5 || p.y[i] > Double(height) - 0.5
            if outside || !(p.eta[i] > 0) || windows[i].isEmpty { drop.insert(i); continue }
            let u = unc.evaluate(image: image, model: model, window: windows[i], x: p.x[i], y: p.y[i],
                                 eta: p.eta[i], rho: p.rho[i], detector: nil, weighted: false)
            if !(p.eta[i] > settings.significance * u.sEta) { drop.insert(i) }
        }
        let grid = PointGrid(positions(p), cell: max(1, separation))
        let limit = 0.5 * separation
        for i in 0..<p.count where !drop.contains(i) {
            for j in grid.within(limit, of: p.x[i], p.y[i]) where j != i && !drop.contains(j) {
                drop.insert(p.eta[i] >= p.eta[j] ? j : i)
            }
        }
        p.remove(drop)
        return drop.count
    }
}

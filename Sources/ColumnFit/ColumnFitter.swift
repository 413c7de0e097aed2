import Foundation
import TIFFFrame
import StemCore

/// Fits every atomic column of a frame by statistical parameter estimation.
///
/// Model: constant background ζ plus round Gaussians (StatSTEM, De Backer et al.,
/// Ultramicroscopy 171 (2016) 104). Each outer iteration
/// 1. refines every column's (x, y, η[, ρ]) by Levenberg–Marquardt on its own window with the
///    current model of its neighbours subtracted, all columns in parallel from the same model
///    (so the result does not depend on scheduling);
/// 2. solves all heights and the background jointly by linear least squares (``HeightSolver``);
///    in "same width" mode the shared ρ is updated at the same time by a parabolic step on the
///    residual with heights re-solved at each trial width (variable projection).
/// It stops when no column moves more than `positionTolerance` px and ρ changes by less than
/// `widthTolerance` (relative), or after `maxIterations`. Insignificant and duplicate columns are
/// then removed and the fit resumed. For Poisson maximum likelihood the least-squares result
/// is refined on counts `(I − offset)/gain` with weights 1/λ (Fisher scoring).
public struct ColumnFitter: Sendable {
    public var settings: FitSettings

    public init(settings: FitSettings = FitSettings()) { self.settings = settings }

    /// Finds and fits all columns of `frame`.
    public func fit(_ frame: Frame) throws(FitError) -> FrameFit {
        try fit(frame, start: nil)
    }

    /// Fits columns starting from the given positions (px) instead of the column finder's.
    public func fit(_ frame: Frame, start: [(x: Double, y: Double)]?) throws(FitError) -> FrameFit {
        let w = frame.width, h = frame.height
        guard w >= 8, h >= 8 else { throw .frameTooSmall(frame: frame.label, width: w, height: h) }
        var image = frame.pixels.map(Double.init)
        guard let defects = PixelDefects.repair(&image, width: w, height: h) else {
            let bad = image.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            throw .unusablePixels(frame: frame.label, nonFinite: bad, total: image.count)
        }
        guard let lo = image.min(), let hi = image.max(), hi > lo else {
            throw .flatImage(frame: frame.label, value: image.first ?? 0)
        }
        let valid = ImageStatistics.validMask(image, width: w, height: h)
        let finder = ColumnFinder(settings: settings)
        let found = finder.find(image, width: w, height: h, valid: valid)
        let points = start ?? found.points
        guard !points.isEmpty else {
            throw .noColumnsFound(frame: frame.label, noise: found.scales.noise, threshold: settings.detectionThreshold)
        }
        let fixedBackground: Double? = settings.fitBackground ? nil : settings.fixedBackground
        var params = ModelParameters(x: points.map(\.x), y: points.map(\.y),
                                     eta: [Double](repeating: 0, count: points.count),
                                     rho: [Double](repeating: found.scales.width, count: points.count),
                                     background: fixedBackground ?? 0)
        let engine = FitEngine(width: w, height: h, settings: settings, fixedBackground: fixedBackground,
                               separation: settings.minimumSeparationFraction * found.scales.spacing)
        guard engine.initialHeights(&params, image: image) else {
            throw .diverged(frame: frame.label, detail: "linear height solve failed at the start")
        }
        var run = engine.run(&params, image: image, weighted: false, prune: start == nil)
        guard params.count > 0 else {
            throw .noSignificantColumns(frame: frame.label, candidates: points.count, significance: settings.significance)
        }

        var detector: DetectorCalibration? = nil
        switch settings.detector {
        case .unknown: detector = nil
        case .calibrated(let g, let o): detector = DetectorCalibration(gain: g, offset: o)
        case .estimate:
            let model = params.render(params.windows(cutoff: settings.cutoff, width: w, height: h), width: w, height: h)
            detector = DetectorCalibration.estimate(image: image, model: model, valid: valid)
            if detector == nil { throw .detectorNotEstimable(frame: frame.label) }
        }

        var final = params
        var estimatorUsed = FitSettings.Estimator.leastSquares
        var countsImage = image
        var unit = DetectorCalibration(gain: 1, offset: 0)
        if settings.estimator == .poissonML {
            guard let d = detector else { throw .detectorNotEstimable(frame: frame.label) }
            countsImage = d.counts(image)
            var p = params
            p.eta = p.eta.map { $0 / d.gain }
            p.background = (p.background - d.offset) / d.gain
            let bgEngine = FitEngine(width: w, height: h, settings: settings,
                                     fixedBackground: fixedBackground.map { ($0 - d.offset) / d.gain },
                                     separation: engine.separation)
            let mlRun = bgEngine.run(&p, image: countsImage, weighted: true, prune: false)
            run.iterations += mlRun.iterations
            run.converged = mlRun.converged
            final = p
            estimatorUsed = .poissonML
            unit = d
        }

        // Uncertainties on the final model (in counts for ML).
        let windows = final.windows(cutoff: settings.cutoff, width: w, height: h)
        let model = final.render(windows, width: w, height: h)
        let weighted = estimatorUsed == .poissonML
        let uncertainty = Uncertainty(width: w, fitWidth: settings.widthMode == .perColumn)
        let dataForErrors = weighted ? countsImage : image
        let detectorForErrors: DetectorCalibration? = weighted ? DetectorCalibration(gain: 1, offset: 0) : detector
        let n = final.count
        let slots = SharedSlots<Column?>(repeating: nil, count: n)
        let fp = final
        let gain = unit.gain
        parallelFor(n, minimumChunk: 16) { i in
            let u = uncertainty.evaluate(image: dataForErrors, model: model, window: windows[i], x: fp.x[i], y: fp.y[i],
                                         eta: fp.eta[i], rho: fp.rho[i], detector: detectorForErrors, weighted: weighted)
            slots[i] = Column(x: fp.x[i], y: fp.y[i], sigmaX: u.sx, sigmaY: u.sy, width: fp.rho[i],
                              height: fp.eta[i] * gain, sigmaHeight: u.sEta * gain, crlbX: u.crlbX, crlbY: u.crlbY)
        }
        var columns = slots.drain().compactMap { $0 }
        columns.sort { $0.y != $1.y ? $0.y < $1.y : $0.x < $1.x }
        let background = weighted ? final.background * unit.gain + unit.offset : final.background
        var fit = FrameFit(columns: columns, background: background,
                           sharedWidth: settings.widthMode == .same ? final.rho.first : nil,
                           pixelSize: settings.pixelSize ?? frame.pixelSize, scales: found.scales,
                           detector: detector, estimator: estimatorUsed, iterations: run.iterations,
                           converged: run.converged, removedColumns: points.count - columns.count)
        fit.repairedPixels = defects
        fit.warnings = FitPlausibility.warnings(fit, imageRange: (lo, hi), width: w, height: h)
        return fit
    }
}

/// Why a frame could not be fitted.
public enum FitError: Error, Equatable, CustomStringConvertible, Sendable {
    case frameTooSmall(frame: String, width: Int, height: Int)
    case noColumnsFound(frame: String, noise: Double, threshold: Double)
    case detectorNotEstimable(frame: String)
    case diverged(frame: String, detail: String)
    /// Too many NaN/Inf pixels to repair (more than 1 %), or none finite.
    case unusablePixels(frame: String, nonFinite: Int, total: Int)
    /// Every pixel has the same value.
    case flatImage(frame: String, value: Double)
    /// Candidates were found but none stayed significant in the fit.
    case noSignificantColumns(frame: String, candidates: Int, significance: Double)

    public var description: String {
        switch self {
        case .frameTooSmall(let f, let w, let h):
            return "\(f): \(w)×\(h) pixels is too small to fit columns"
        case .noColumnsFound(let f, let noise, let k):
            return "\(f): no atomic columns found above \(k) × the noise level (noise σ = \(noise)); "
                + "is this an empty or vacuum frame? Lower --threshold or give --width"
        case .detectorNotEstimable(let f):
            return "\(f): cannot estimate the detector gain from this frame (too little intensity range); "
                + "give --gain and --offset or use least squares"
        case .diverged(let f, let d):
            return "\(f): fit failed (\(d))"
        case .unusablePixels(let f, let bad, let total):
            return "\(f): \(bad) of \(total) pixels are NaN or infinite; refused (at most 1 % are repaired)"
        case .flatImage(let f, let v):
            return "\(f): every pixel has the value \(v); no image to fit (detector off, or a blank frame)"
        case .noSignificantColumns(let f, let n, let k):
            return "\(f): \(n) candidate columns were found, but none has a height above \(k) standard errors "
                + "in the fit; is this a vacuum, amorphous or badly exposed frame?"
        }
    }
}

/// Why a frame could not be fitted.
public enum FitError: Error, Equatable, CustomStringConvertible, Sendable {
    case frameTooSmall(frame: String, width: Int, height: Int)
    case noColumnsFound(frame: String, noise: Double, threshold: Double)
    case detectorNotEstimable(frame: String)
    case diverged(frame: String, detail: String)

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
        }
    }
}

import AtomCount
import Foundation

/// One k of a mixture fit sequence: the criteria used to choose the number of components.
public struct ICLPoint: Codable, Sendable, Equatable {
    public var components: Int
    /// Integrated classification likelihood (StatSTEM's definition, see ``MixtureEM/Fit/icl``).
    public var icl: Double
    public var bic: Double
    public var aic: Double
    public var logLikelihood: Double
}

/// The ICL curve of one frame's cross-sections (not stored by the pipeline: computed on demand
/// with the counting module's automatic mixture fit, as `stemtrack count` does).
public struct ICLCurve: Codable, Sendable, Equatable {
    public var frame: Int
    /// Cross-sections fitted.
    public var columns: Int
    /// Components chosen by the automatic selection (nil when no fit was possible).
    public var selected: Int?
    public var points: [ICLPoint]
    /// Why there is no curve (too few columns), if so.
    public var note: String?

    /// Fits k = 1…K mixtures to `crossSections` (K as `stemtrack count` chooses it).
    public static func compute(frame: Int, crossSections: [Double]) -> ICLCurve {
        let xs = crossSections.filter(\.isFinite)
        do {
            let result = try MixtureCounter().count(xs)
            let points = result.fits.map {
                ICLPoint(components: $0.components, icl: $0.icl, bic: $0.bic, aic: $0.aic, logLikelihood: $0.logLikelihood)
            }
            return ICLCurve(frame: frame, columns: xs.count, selected: result.selected.components, points: points, note: nil)
        } catch {
            return ICLCurve(frame: frame, columns: xs.count, selected: nil, points: [], note: "\(error)")
        }
    }
}

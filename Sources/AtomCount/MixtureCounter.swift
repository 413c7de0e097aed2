import Foundation

/// Counts atoms from cross-sections with a Gaussian mixture model selected automatically
/// (``ComponentSelection``) or with a fixed number of components.
public struct MixtureCounter: Sendable, Codable {
    /// Largest number of components tried; nil: chosen from the data (n/5, at least 5, at most 25,
    /// extended when the selection lands near the top).
    public var maxComponents: Int? = nil
    /// Use exactly this many components instead of the automatic rule.
    public var components: Int? = nil
    /// Count of the first component. nil: μ₁/Δ rounded (at least 1); set 1 to anchor it at one atom.
    public var firstComponentAtoms: Int? = nil
    public var selection = ComponentSelection()

    public init() {}

    /// The fitted sequence, the selected model and the counts.
    public struct Result: Sendable {
        /// Fits for k = 1…K.
        public var fits: [MixtureEM.Fit]
        /// Index into `fits` of the model used.
        public var selectedIndex: Int
        public var model: CountingModel
        /// Atoms per input cross-section.
        public var counts: [Int]
        public var selected: MixtureEM.Fit { fits[selectedIndex] }
    }

    public enum CountError: Error, CustomStringConvertible, Equatable {
        case tooFewColumns(Int)
        case invalidCrossSections
        public var description: String {
            switch self {
            case .tooFewColumns(let n): return "atom counting needs at least 3 columns, got \(n)"
            case .invalidCrossSections: return "cross-sections must be finite numbers"
            }
        }
    }

    public func count(_ crossSections: [Double]) throws(CountError) -> Result {
        guard crossSections.count >= 3 else { throw .tooFewColumns(crossSections.count) }
        guard crossSections.allSatisfy(\.isFinite) else { throw .invalidCrossSections }
        return fitAndSelect(crossSections)
    }

    private func fitAndSelect(_ crossSections: [Double]) -> Result {
        let n = crossSections.count
        var top = components ?? maxComponents ?? min(25, max(5, n / 5))
        top = max(1, min(top, n - 1))
        var fits = MixtureEM.fitSequence(crossSections, maxComponents: top)
        var index: Int
        if let c = components {
            index = min(c, fits.count) - 1
        } else {
            index = selection.select(fits)
            // The choice may need more components than were tried.
            while maxComponents == nil && index >= fits.count - 2 && top < min(60, n - 1) {
                top = min(top + 10, n - 1)
                fits = MixtureEM.fitSequence(crossSections, maxComponents: top)
                index = selection.select(fits)
            }
        }
        let m = fits[index].model
        // μ₁/(μ₂ − μ₁) ≈ n₀/γ with γ ≈ 0.9: the count of the first component.
        let firstSpacing = m.components > 1 ? m.means[1] - m.means[0] : m.means[0]
        let first = firstComponentAtoms ?? max(1, Int((0.9 * m.means[0] / max(firstSpacing, 1e-300)).rounded()))
        let model = CountingModel(source: .mixture, counts: (0..<m.components).map { first + $0 },
                                  means: m.means, proportions: m.proportions, sigma: m.sigma)
        return Result(fits: fits, selectedIndex: index, model: model, counts: crossSections.map(model.count))
    }
}

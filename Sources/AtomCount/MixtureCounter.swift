import Foundation

/// Counts atoms from cross-sections with a Gaussian mixture model (one component per count, one
/// shared width, StatSTEM's model), the number of components selected automatically
/// (``ComponentSelection``) or given, the first component's count inferred (``FirstCount``) or given.
public struct MixtureCounter: Sendable, Codable {
    /// Largest number of components tried; nil: chosen from the data (n/5, at least 5, at most 25,
    /// extended by 10 up to 60 when the selection lands within 2 of the top). Thick particles need
    /// more: on a real Au rod with counts 1–44 the default selects a ladder of every second count
    /// (23 components); with 60 the rule selects 45 (see the README).
    public var maxComponents: Int? = nil
    /// Use exactly this many components instead of the automatic rule (at most 150).
    public var components: Int? = nil
    /// Count of the first component. nil: inferred by ``FirstCount/infer(means:proportions:exponents:)``.
    public var firstComponentAtoms: Int? = nil
    public var selection = ComponentSelection()
    /// A neighbouring number of components whose ICL is within this of the selected one makes the
    /// selection ambiguous (6: "strong" evidence on the −2 ln scale of Kass & Raftery, JASA 90 (1995) 773).
    public var ambiguityMargin = 6.0

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
        /// Posterior probability of each column's count under the model.
        public var probabilities: [Double]
        /// The evidence between the selected and a neighbouring number of components is weak.
        public var ambiguous: Bool
        /// How the model was chosen, for reports and the store.
        public var reason: String
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

    private func fitAndSelect(_ xs: [Double]) -> Result {
        let n = xs.count
        let limit = min(150, n - 1)
        var top = max(1, min(components ?? maxComponents ?? min(25, max(5, n / 5)), limit))
        let sample = WeightedSample(xs, bins: max(512, 12 * top))
        var fits = MixtureEM.fitSequence(sample, maxComponents: top)
        let index: Int
        let reason: String
        var splitAbove = false
        if let c = components {
            index = min(c, fits.count) - 1
            reason = "\(fits[index].components) components given"
        } else {
            var i = selection.select(fits)
            // The choice may need more components than were tried.
            while maxComponents == nil && i >= fits.count - 2 && top < min(60, limit) {
                top = min(top + 10, limit)
                fits = MixtureEM.fitSequence(sample, maxComponents: top, continuing: fits)
                i = selection.select(fits)
            }
            index = i
            let v = selection.verdicts(fits)[i]
            reason = !v.candidate
                ? "no ICL local minimum with regular, resolved means up to \(fits.count) components: fallback \(fits[i].components)"
                : v.localMinimum
                ? "ICL local minimum at \(fits[i].components) components with regular, resolved, anchored means (largest such k up to \(fits.count))"
                : "regular, resolved, anchored ladder at \(fits[i].components) components, ICL lower only at \(fits[i].components + 1) "
                    + "whose means split a count (largest such k up to \(fits.count))"
            splitAbove = v.beforeSplit && !v.localMinimum
        }
        let m = fits[index].model
        let first = firstComponentAtoms ?? FirstCount.infer(means: m.means, proportions: m.proportions).0
        let model = CountingModel(source: .mixture, counts: (0..<m.components).map { first + $0 },
                                  means: m.means, proportions: m.proportions, sigma: m.sigma)
        var ambiguous = false
        // The split above a ladder selected before it is not an alternative count.
        for j in [index - 1, index + 1] where j >= 0 && j < fits.count && fits[j].icl - fits[index].icl < ambiguityMargin
            && !(splitAbove && j == index + 1) {
            ambiguous = true
        }
        let posterior = xs.map(model.posterior)
        return Result(fits: fits, selectedIndex: index, model: model,
                      counts: posterior.map { model.counts[$0.component] }, probabilities: posterior.map(\.probability),
                      ambiguous: ambiguous, reason: reason)
    }
}

import Foundation
import StemCore

/// Chooses the number of mixture components without a person reading the ICL plot.
///
/// StatSTEM leaves the choice of the ICL minimum to the user: the global minimum is often at one
/// or a few components, and the physically meaningful model (one component per atom count) sits
/// at a *local* minimum. A k is a candidate when
/// 1. it is a significant local minimum of the ICL: ICL(k) ≤ ICL(k−1) − `minimumDepth` (2, "positive
///    evidence" on the scale of Kass & Raftery, JASA 90 (1995) 773) and ICL(k) ≤ ICL(k+1), 2 ≤ k < K;
///    or ICL(k+1) is lower but the k+1 model's means are not regular (condition 2). Cross-section
///    widths grow with the count (thicker columns scatter more), and one shared σ then gains by
///    splitting the widest count in two; that split is not a new count. Measured on pooled series of
///    8 counts with σ ∝ cross-section (2 %), ICL(9) fell below ICL(8) in 3 of 16 pools and the strict
///    minimum left only the ladder of every second count (4 components) as candidate;
/// 2. its means are spaced like consecutive atom counts: with Δ the median spacing of consecutive
///    means, every spacing lies within [Δ/`spacingRatio`, Δ·`spacingRatio`];
/// 3. its components are resolved: σ ≤ `maximumWidthFraction`·Δ;
/// 4. its first mean lies at least `minimumAnchor` first spacings above zero (μ₁ ≥ 0.5·(μ₂ − μ₁)).
///    Cross-sections grow nearly in proportion to the count (σ(n) ∝ n^γ, γ ≈ 0.8–1), so when the
///    first component holds n₀ ≥ 1 atoms, μ₁/(μ₂ − μ₁) ≈ n₀/γ ≥ 1.
/// Among the candidates the one with the most components is selected: coarser candidates are
/// ladders of every second or third count (also regular, but merging counts), while splitting
/// beyond one component per count gives neither a significant minimum nor a regular, resolved
/// ladder. With no candidate: the smallest local minimum with k ≥ 2, failing that the global minimum.
public struct ComponentSelection: Sendable, Equatable, Codable {
    public var spacingRatio: Double = 2.0
    public var maximumWidthFraction: Double = 0.5
    public var minimumAnchor: Double = 0.5
    public var minimumDepth: Double = 2

    public init() {}

    /// Why a k was accepted or rejected, for reports.
    public struct Verdict: Sendable, Equatable {
        public var components: Int
        public var localMinimum: Bool
        /// ICL(k+1) is lower, but the k+1 model splits a count (its means are not regular).
        public var beforeSplit: Bool
        public var regularSpacing: Bool
        public var resolved: Bool
        public var anchored: Bool
        public var candidate: Bool { (localMinimum || beforeSplit) && regularSpacing && resolved && anchored }
    }

    public func verdicts(_ fits: [MixtureEM.Fit]) -> [Verdict] {
        let regular = fits.map { regularSpacing($0.model.means) }
        return fits.indices.map { i in
            let f = fits[i]
            let k = f.components
            let drop = k >= 2 && i + 1 < fits.count && f.icl <= fits[i - 1].icl - minimumDepth
            let localMin = drop && f.icl <= fits[i + 1].icl
            let beforeSplit = drop && f.icl > fits[i + 1].icl && !regular[i + 1]
            let means = f.model.means
            let spacings = zip(means.dropFirst(), means).map { $0 - $1 }
            let delta = spacings.isEmpty ? 0 : Self.median(spacings)
            let resolved = delta > 0 && f.model.sigma <= maximumWidthFraction * delta
            let anchored = !spacings.isEmpty && spacings[0] > 0 && means[0] >= minimumAnchor * spacings[0]
            return Verdict(components: k, localMinimum: localMin, beforeSplit: beforeSplit, regularSpacing: regular[i],
                           resolved: resolved, anchored: anchored)
        }
    }

    /// Consecutive means spaced alike: every spacing within [Δ/`spacingRatio`, Δ·`spacingRatio`] of
    /// their median Δ.
    func regularSpacing(_ means: [Double]) -> Bool {
        let spacings = zip(means.dropFirst(), means).map { $0 - $1 }
        let delta = spacings.isEmpty ? 0 : Self.median(spacings)
        return delta > 0 && spacings.allSatisfy { $0 >= delta / spacingRatio && $0 <= delta * spacingRatio }
    }

    /// Index into `fits` of the selected model.
    public func select(_ fits: [MixtureEM.Fit]) -> Int {
        let v = verdicts(fits)
        let candidates = fits.indices.filter { v[$0].candidate }
        if let best = candidates.last { return best }
        if let i = v.firstIndex(where: \.localMinimum) { return i }
        return fits.indices.min { fits[$0].icl < fits[$1].icl } ?? 0
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
    }
}

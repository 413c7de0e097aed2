/// Settings of the online ``Tracker`` (all distances in px, in the drift-corrected frame).
public struct TrackerSettings: Sendable, Codable, Equatable {
    /// Frames a track may be missed and still be continued (gap closing); default 2.
    public var maxGap: Int = 2
    /// Nearest-column spacing, px; nil: the median nearest-neighbour distance of the first frame
    /// with at least two columns.
    public var spacing: Double? = nil
    /// Gate radius as a fraction of the spacing (default 0.5: a column can only be linked to the
    /// closest lattice site after drift correction).
    public var gateFraction: Double = 0.5
    /// Absolute gate radius, px; when set it replaces `gateFraction` × spacing (default nil). A
    /// column farther than this from a track's last drift-corrected position cannot continue it,
    /// and ending a track costs gate² (with `gapCostFraction` = 0 and no cross-section term): the
    /// `search_range` of trackpy's `link` (Crocker & Grier, J. Colloid Interface Sci. 179 (1996)
    /// 298), whose unlinked particles also cost search_range² each; see ``Tracker``.
    public var gateRadius: Double? = nil
    /// Extra cost per missed frame of a gap link, as a fraction of gate² (default 0.1: an active
    /// track beats a lost one at the same distance).
    public var gapCostFraction: Double = 0.1
    /// Weight of the relative cross-section change in the link cost: + w·gate²·(Δσ/σ̄)² (default 0).
    public var crossSectionWeight: Double = 0
    /// Frame-to-frame registration of the column positions.
    public var registration = PointSetRegistration()
    /// Online count changes: a new count must be seen in this many consecutive observations of a
    /// track before a count change is reported (dated at the first of them); default 2.
    public var persistence: Int = 2
    /// Neighbour distance for hops, merges and splits, as a multiple of the spacing (default 1.5).
    public var neighbourFraction: Double = 1.5

    public init() {}

    /// Throws ``TrackingError/invalidValue(_:)`` for out-of-range values.
    public func validate() throws(TrackingError) {
        if maxGap < 0 { throw .invalidValue("maximum gap must be ≥ 0 frames (got \(maxGap))") }
        if let s = spacing, !(s > 0 && s.isFinite) { throw .invalidValue("spacing must be a positive number of px (got \(s))") }
        if !(gateFraction > 0 && gateFraction.isFinite) { throw .invalidValue("gate fraction must be positive (got \(gateFraction))") }
        if let g = gateRadius, !(g > 0 && g.isFinite) { throw .invalidValue("gate radius must be a positive number of px (got \(g))") }
        if !(gapCostFraction >= 0 && gapCostFraction.isFinite) { throw .invalidValue("gap cost must be ≥ 0 (got \(gapCostFraction))") }
        if !(crossSectionWeight >= 0 && crossSectionWeight.isFinite) { throw .invalidValue("cross-section weight must be ≥ 0 (got \(crossSectionWeight))") }
        if persistence < 1 { throw .invalidValue("persistence must be ≥ 1 frame (got \(persistence))") }
        if !(neighbourFraction > 0 && neighbourFraction.isFinite) { throw .invalidValue("neighbour fraction must be positive (got \(neighbourFraction))") }
    }
}

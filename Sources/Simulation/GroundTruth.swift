/// Ground truth of one column in one frame.
///
/// Positions include the stage drift. The column's image is `eta·exp(−r²/2ρ²)` above the
/// background, with `eta` in image units (after gain) and ρ = `rho_px` px; its volume,
/// `cross_section` = 2π·η·ρ² with ρ in Å (image units × Å²), is what a fit should recover
/// (= gain · dose · p² · σ(n)). `sigma_A2` is the physical σ(n) in Å².
public struct ColumnTruth: Sendable, Equatable, Codable {
    /// Stable column identity.
    public var id: Int
    /// Position, px (x = column index, y = row index, pixel (0,0) centred at (0,0)).
    public var x: Double
    public var y: Double
    /// The same position in Å (x·p, y·p).
    public var xA: Double
    public var yA: Double
    /// Atoms in the column.
    public var count: Int
    /// Fewer occupied in-plane neighbours than a bulk column.
    public var surface: Bool
    /// σ(n) = σ₁·nᵞ, Å².
    public var sigma: Double
    /// 2π·η·ρ², image units × Å².
    public var crossSection: Double
    /// Peak height above background, image units.
    public var eta: Double
    /// Gaussian width, px.
    public var rho: Double

    enum CodingKeys: String, CodingKey {
        case id, x = "x_px", y = "y_px", xA = "x_A", yA = "y_A", count, surface
        case sigma = "sigma_A2", crossSection = "cross_section", eta, rho = "rho_px"
    }
}

/// Ground truth of one frame.
public struct FrameTruth: Sendable, Equatable, Codable {
    /// Frame index, 0-based.
    public var index: Int
    /// File name (`frame_00000.tif`, …), also for in-memory frames.
    public var file: String
    /// Stage drift relative to frame 0, px.
    public var dx: Double
    public var dy: Double
    /// A sudden jump happened between the previous frame and this one.
    public var jump: Bool
    /// Expected background level, image units (offset + gain·dose·p²·b).
    public var background: Double
    /// Total atoms.
    public var atoms: Int
    /// Columns in ascending id order.
    public var columns: [ColumnTruth]
    /// True facets (reshaping series only; see ``TruthFacet``).
    public var facets: [TruthFacet]? = nil

    enum CodingKeys: String, CodingKey {
        case index, file, dx = "dx_px", dy = "dy_px", jump, background, atoms, columns, facets
    }
}

/// One atom moving between columns just before frame `frame`.
public struct HopEvent: Sendable, Equatable, Codable {
    /// The first frame showing the new configuration.
    public var frame: Int
    /// Id of the column that lost the atom.
    public var from: Int
    /// Id of the column that gained it.
    public var to: Int
    /// The target was an empty site: column `to` appears in this frame.
    public var created: Bool
    /// The source held one atom: column `from` is gone from this frame on.
    public var vanished: Bool
}

/// Ground truth of a whole series (`truth.json`).
public struct SeriesTruth: Sendable, Equatable, Codable {
    /// Everything needed to regenerate the series.
    public var settings: SimulationSettings
    /// Projected nearest column distance, Å, and atom spacing along a column, Å.
    public var nearestColumnDistance: Double
    public var atomSpacing: Double
    /// Atoms in the particle at frame 0 (constant when only hops act: they conserve atoms; a
    /// reshaping series changes it, see each frame's `atoms`).
    public var atoms: Int
    public var frames: [FrameTruth]
    /// All hops, in the order they happened.
    public var hops: [HopEvent]

    enum CodingKeys: String, CodingKey {
        case settings, nearestColumnDistance = "nearest_column_distance_A"
        case atomSpacing = "atom_spacing_along_column_A", atoms, frames, hops
    }
}

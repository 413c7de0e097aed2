/// The shape cut out of the crystal.
///
/// - `sphere`: atoms within `radius` Å of a lattice site (the particle centre), optionally also
///   within `facet111` Å of the centre along every ⟨111⟩ and within `facet100` Å along every ⟨100⟩
///   (a truncated octahedron–like Wulff shape when both are set).
/// - `slab`: columns whose projected position lies in a `slabWidth` × `slabHeight` Å rectangle
///   centred on the particle centre, each holding `thicknessLeft` atoms at the left edge rising
///   linearly to `thicknessRight` at the right edge (a wedge; equal values give a flat slab).
public struct ParticleShape: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case sphere, slab }

    public var kind: Kind
    /// Sphere radius, Å.
    public var radius: Double
    /// Distance of the {111} truncation planes from the centre, Å; `nil`: no truncation.
    public var facet111: Double?
    /// Distance of the {100} truncation planes from the centre, Å; `nil`: no truncation.
    public var facet100: Double?
    /// Slab extent along image x and y, Å.
    public var slabWidth: Double
    public var slabHeight: Double
    /// Slab thickness at the left and right edges, atoms per column.
    public var thicknessLeft: Int
    public var thicknessRight: Int

    /// A sphere of `radius` Å, optionally truncated by {111} / {100} planes at the given
    /// distances (Å) from the centre.
    public static func sphere(radius: Double, facet111: Double? = nil, facet100: Double? = nil) -> ParticleShape {
        ParticleShape(kind: .sphere, radius: radius, facet111: facet111, facet100: facet100,
                      slabWidth: 0, slabHeight: 0, thicknessLeft: 0, thicknessRight: 0)
    }

    /// A `width` × `height` Å slab of `thickness` atoms per column (a wedge when
    /// `thicknessRight` differs).
    public static func slab(width: Double, height: Double, thickness: Int,
                            thicknessRight: Int? = nil) -> ParticleShape {
        ParticleShape(kind: .slab, radius: 0, facet111: nil, facet100: nil, slabWidth: width,
                      slabHeight: height, thicknessLeft: thickness, thicknessRight: thicknessRight ?? thickness)
    }

    enum CodingKeys: String, CodingKey {
        case kind, radius = "radius_A", facet111 = "facet111_A", facet100 = "facet100_A"
        case slabWidth = "slab_width_A", slabHeight = "slab_height_A"
        case thicknessLeft = "thickness_left_atoms", thicknessRight = "thickness_right_atoms"
    }

    /// Whether a point (cubic coordinates relative to the centre, Å) is inside a sphere shape.
    func sphereContains(_ r: SIMD3<Double>) -> Bool {
        if (r * r).sum() > radius * radius * (1 + 1e-12) { return false }
        if let d = facet111 {
            let limit = d * 3.0.squareRoot() * (1 + 1e-12)
            for s in [SIMD3<Double>(1, 1, 1), SIMD3(1, 1, -1), SIMD3(1, -1, 1), SIMD3(-1, 1, 1)]
            where abs((r * s).sum()) > limit { return false }
        }
        if let d = facet100, max(abs(r.x), abs(r.y), abs(r.z)) > d * (1 + 1e-12) { return false }
        return true
    }

    /// Problems with the values, for messages; empty when usable.
    var problems: [String] {
        switch kind {
        case .sphere:
            var p: [String] = []
            if !(radius > 0 && radius.isFinite) { p.append("particle radius must be positive (got \(radius) Å)") }
            if let f = facet111, !(f > 0) { p.append("{111} facet distance must be positive (got \(f) Å)") }
            if let f = facet100, !(f > 0) { p.append("{100} facet distance must be positive (got \(f) Å)") }
            return p
        case .slab:
            var p: [String] = []
            if !(slabWidth > 0 && slabHeight > 0) { p.append("slab width and height must be positive Å") }
            if thicknessLeft < 0 || thicknessRight < 0 || max(thicknessLeft, thicknessRight) == 0 {
                p.append("slab thickness must be ≥ 0 atoms, and not zero everywhere")
            }
            return p
        }
    }
}

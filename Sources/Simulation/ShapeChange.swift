/// A particle that reshapes during the series, as in a heating experiment: its shape moves
/// linearly from the series' ``SimulationSettings/shape`` at frame 0 to ``finalShape`` at the
/// last frame (radius and the {111} and {100} truncation distances; a missing truncation counts
/// as one at the radius, i.e. none). Each frame's particle is cut afresh from the crystal, so
/// facets grow or shrink and the atom total follows the shape; a column keeps its id while its
/// lattice site stays occupied. Reshaping replaces surface hopping.
public struct ShapeChange: Sendable, Equatable, Codable {
    /// Shape at the last frame (a sphere kind, like the starting shape).
    public var finalShape: ParticleShape

    public init(finalShape: ParticleShape) { self.finalShape = finalShape }

    enum CodingKeys: String, CodingKey { case finalShape = "final_shape" }

    /// The shape at fraction `f` (0…1) of the series.
    func shape(from start: ParticleShape, at f: Double) -> ParticleShape {
        let r = start.radius + (finalShape.radius - start.radius) * f
        func mix(_ a: Double?, _ b: Double?) -> Double? {
            if a == nil && b == nil { return nil }
            let a0 = a ?? start.radius, b0 = b ?? finalShape.radius
            return a0 + (b0 - a0) * f
        }
        return .sphere(radius: r, facet111: mix(start.facet111, finalShape.facet111),
                       facet100: mix(start.facet100, finalShape.facet100))
    }

    func problems(start: ParticleShape) -> [String] {
        var p: [String] = []
        if start.kind != .sphere || finalShape.kind != .sphere { p.append("reshaping needs sphere shapes at both ends") }
        p += finalShape.problems
        return p
    }

    /// Preset for demos and tests: starting from a sphere (959 atoms for a 15 Å Pt sphere), the
    /// particle grows to an 18 Å envelope truncated by {111} planes at 13.6 Å and {100} planes at
    /// 12 Å from the centre (923 atoms): {100} facets grow, {110} facets vanish.
    public static let faceting = ShapeChange(finalShape: .sphere(radius: 18, facet111: 13.6, facet100: 12))
}

extension ColumnState {
    /// Column states of a reshaping series, one per frame, with ids kept per lattice site.
    static func reshaping(crystal: FCCCrystal, start: ParticleShape, change: ShapeChange, frames: Int) -> [ColumnState] {
        var ids: [LatticeIndex: Int] = [:]
        var next = 0
        var states: [ColumnState] = []
        for t in 0..<frames {
            let f = frames > 1 ? Double(t) / Double(frames - 1) : 0
            let particle = Particle(crystal: crystal, shape: change.shape(from: start, at: f))
            let records = particle.state.records.map { r -> ColumnRecord in
                var r = r
                if let id = ids[r.key] { r.id = id } else { r.id = next; ids[r.key] = next; next += 1 }
                return r
            }.sorted { $0.id < $1.id }
            states.append(ColumnState(crystal: crystal, records: records))
        }
        return states
    }
}

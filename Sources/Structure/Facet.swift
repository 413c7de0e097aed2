import Foundation

/// A facet seen edge-on: a maximal straight run of surface columns along a low-index lattice
/// row, each with the next row out empty. Lengths in Å when the pixel size is known, else px.
public struct Facet: Sendable, Codable, Equatable {
    /// Particle it belongs to.
    public var particle: Int
    /// Miller family of the facet plane for the crystal and zone axis ("{111}", "{100}", …).
    public var family: String
    /// Row direction in lattice coefficients of the reduced basis.
    public var row: LatticeOffset
    /// Its columns in order along the facet (indices into the frame's column list).
    public var columns: [Int]
    /// Track ids of those columns, when linked.
    public var tracks: [Int]
    /// End columns, px.
    public var x0: Double
    public var y0: Double
    public var x1: Double
    public var y1: Double
    /// Distance between the end columns.
    public var length: Double
    /// Column spacing along the facet (lattice row period).
    public var spacing: Double
    /// Direction of the facet line in the image, degrees (−90, 90], from +x towards +y.
    public var angle: Double
    /// Direction of the outward normal in the image, degrees (−180, 180].
    public var normalAngle: Double

    /// Midpoint, px.
    public var midX: Double { (x0 + x1) / 2 }
    public var midY: Double { (y0 + y1) / 2 }
}

/// Finds the facets of one particle on its lattice sites.
struct FacetFinder {
    let model: ProjectedLattice
    let lattice: MeasuredLattice
    let rows: [LatticeOffset]
    let minimumColumns: Int

    init(model: ProjectedLattice, lattice: MeasuredLattice, maximumRowLength: Double, minimumColumns: Int) {
        self.model = model; self.lattice = lattice
        rows = model.rowDirections(maximumLength: maximumRowLength)
        self.minimumColumns = minimumColumns
    }

    /// Facets of the particle whose columns `members` sit on `site`s; `scale`: length unit per px.
    func facets(particle: Int, members: [Int], site: [LatticeOffset?], points: [SIMD2<Double>],
                tracks: [Int?], scale: Double) -> [Facet] {
        var column: [LatticeOffset: Int] = [:]
        for i in members { if let s = site[i] { column[s] = i } }
        let sites = column.keys.sorted { ($0.i, $0.j) < ($1.i, $1.j) }
        var out: [Facet] = []
        for row in rows {
            for side in [1, -1] {
                let outer = model.outerSites(row: row, side: side)
                func exposed(_ s: LatticeOffset) -> Bool {
                    column[s] != nil && outer.allSatisfy { column[s + $0] == nil }
                }
                for start in sites where exposed(start) && !exposed(start - row) {
                    var run = [start]
                    while exposed(run.last! + row) { run.append(run.last! + row) }
                    guard run.count >= minimumColumns else { continue }
                    let ids = run.map { column[$0]! }
                    let p0 = points[ids.first!], p1 = points[ids.last!]
                    let t = lattice.vector(row)
                    let o = lattice.vector(outer[0])
                    // Outward normal: the component of the outer-site vector perpendicular to the row.
                    let n = o - ((o * t).sum() / (t * t).sum()) * t
                    var angle = atan2(t.y, t.x) * 180 / .pi
                    if angle <= -90 { angle += 180 } else if angle > 90 { angle -= 180 }
                    out.append(Facet(
                        particle: particle, family: model.family(ofRow: row), row: row, columns: ids,
                        tracks: ids.compactMap { tracks[$0] }, x0: p0.x, y0: p0.y, x1: p1.x, y1: p1.y,
                        length: length(p1 - p0) * scale, spacing: length(t) * scale, angle: angle,
                        normalAngle: atan2(n.y, n.x) * 180 / .pi))
                }
            }
        }
        return out
    }
}

/// One particle: a connected group of columns in the neighbour graph.
///
/// Lengths are in Å when the pixel size is known, else in px (and areas in px²).
public struct ParticleMeasure: Sendable, Codable, Equatable {
    /// Index of the particle in its frame (largest first).
    public var index: Int
    /// Its columns (indices into the frame's column list), ascending.
    public var columns: [Int]
    /// Sum of the columns' atom counts; nil when any column is uncounted.
    public var atoms: Int?
    /// Projected area: columns × primitive cell area.
    public var area: Double
    /// Perimeter of the convex hull through the column centres.
    public var perimeter: Double
    /// Centre (count-weighted when counted), px.
    public var centreX: Double
    public var centreY: Double
    /// Radius of gyration (count-weighted when counted).
    public var radiusOfGyration: Double
    /// √(λ₁/λ₂) of the columns' second-moment tensor (1 for a round particle).
    public var aspectRatio: Double
    /// Columns with fewer in-plane neighbours than a bulk column.
    public var surfaceColumns: Int

    /// Measures the columns `members` of a particle. `scale`: length unit per px.
    static func measure(index: Int, members: [Int], points: [SIMD2<Double>], counts: [Int?], cellArea: Double,
                        scale: Double, surface: [Bool]) -> ParticleMeasure {
        let allCounted = members.allSatisfy { counts[$0] != nil }
        let weights = members.map { allCounted ? Double(max(counts[$0]!, 0)) : 1 }
        let total = max(weights.reduce(0, +), 1e-300)
        var c = SIMD2<Double>(0, 0)
        for (w, i) in zip(weights, members) { c += w * points[i] }
        c /= total
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        for (w, i) in zip(weights, members) {
            let d = points[i] - c
            sxx += w * d.x * d.x; syy += w * d.y * d.y; sxy += w * d.x * d.y
        }
        sxx /= total; syy /= total; sxy /= total
        let tr = sxx + syy, disc = (((sxx - syy) * (sxx - syy)) / 4 + sxy * sxy).squareRoot()
        let l1 = tr / 2 + disc, l2 = max(tr / 2 - disc, 0)
        let hull = convexHull(members.map { points[$0] })
        var perimeter = 0.0
        if hull.count > 1 { for k in hull.indices { perimeter += length(hull[k] - hull[(k + 1) % hull.count]) } }
        return ParticleMeasure(
            index: index, columns: members, atoms: allCounted ? members.reduce(0) { $0 + counts[$1]! } : nil,
            area: Double(members.count) * cellArea * scale * scale, perimeter: perimeter * scale,
            centreX: c.x, centreY: c.y, radiusOfGyration: tr.squareRoot() * scale,
            aspectRatio: l2 > 0 ? (l1 / l2).squareRoot() : .infinity,
            surfaceColumns: members.reduce(0) { $0 + (surface[$1] ? 1 : 0) })
    }
}

/// Convex hull (Andrew's monotone chain), counter-clockwise, without collinear points.
func convexHull(_ points: [SIMD2<Double>]) -> [SIMD2<Double>] {
    let p = points.sorted { ($0.x, $0.y) < ($1.x, $1.y) }
    guard p.count > 2 else { return p }
    func cross(_ o: SIMD2<Double>, _ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double {
        (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
    }
    var lower: [SIMD2<Double>] = [], upper: [SIMD2<Double>] = []
    for q in p {
        while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], q) <= 0 { lower.removeLast() }
        lower.append(q)
    }
    for q in p.reversed() {
        while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], q) <= 0 { upper.removeLast() }
        upper.append(q)
    }
    return Array(lower.dropLast() + upper.dropLast())
}

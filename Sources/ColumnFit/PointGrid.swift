/// Uniform-grid spatial index of 2-D points for neighbour queries.
struct PointGrid {
    let points: [(x: Double, y: Double)]
    let cell: Double
    private var buckets: [Int64: [Int]] = [:]

    init(_ points: [(x: Double, y: Double)], cell: Double) {
        self.points = points
        self.cell = max(cell, 1e-6)
        for (i, p) in points.enumerated() { buckets[key(p.x, p.y), default: []].append(i) }
    }

    private func cellIndex(_ v: Double) -> Int64 { Int64((v / cell).rounded(.down)) }
    private func key(_ x: Double, _ y: Double) -> Int64 { key(cellIndex(x), cellIndex(y)) }
    private func key(_ cx: Int64, _ cy: Int64) -> Int64 { (cx &* 1_000_003) &+ cy }

    /// Indices of points within `radius` of (x, y), ascending.
    func within(_ radius: Double, of x: Double, _ y: Double) -> [Int] {
        let r = Int64((radius / cell).rounded(.up))
        let cx = cellIndex(x), cy = cellIndex(y)
        var out: [Int] = []
        for i in (cx - r)...(cx + r) {
            for j in (cy - r)...(cy + r) {
                for k in buckets[key(i, j)] ?? [] {
                    let dx = points[k].x - x, dy = points[k].y - y
                    if dx * dx + dy * dy <= radius * radius { out.append(k) }
                }
            }
        }
        return out.sorted()
    }

    /// Distance from point `i` to its nearest other point (searching outward ring by ring).
    func nearestDistance(to i: Int) -> Double {
        let p = points[i]
        var radius = cell
        while true {
            let near = within(radius, of: p.x, p.y).filter { $0 != i }
            if let d = near.map({ ((points[$0].x - p.x) * (points[$0].x - p.x) + (points[$0].y - p.y) * (points[$0].y - p.y)).squareRoot() }).min() {
                return d
            }
            if radius > 1e6 { return .infinity }
            radius *= 2
        }
    }
}

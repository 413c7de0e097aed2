/// A uniform bucket grid over a point set for radius and nearest-neighbour queries.
///
/// Queries visit cells in a fixed order and return indices in ascending order, so every result
/// that depends on them is deterministic.
public struct SpatialGrid: Sendable {
    public let points: [Point]
    public let cellSize: Double
    let originX: Double, originY: Double
    let nx: Int, ny: Int
    /// Start of each cell's run in `order` (CSR layout, nx·ny + 1 entries).
    private let starts: [Int]
    /// Point indices sorted by cell, ascending within a cell.
    private let order: [Int]

    /// Buckets `points` into square cells of `cellSize` (same unit as the points).
    public init(_ points: [Point], cellSize: Double) {
        self.points = points
        let cs = max(cellSize, 1e-6)
        self.cellSize = cs
        let minX = points.map(\.x).min() ?? 0, minY = points.map(\.y).min() ?? 0
        let maxX = points.map(\.x).max() ?? 0, maxY = points.map(\.y).max() ?? 0
        originX = minX; originY = minY
        // Keep the grid to at most ~4 cells per point (sparse far-apart sets).
        nx = max(1, min(Int((maxX - minX) / cs) + 1, 1 << 14))
        ny = max(1, min(Int((maxY - minY) / cs) + 1, 1 << 14))
        var counts = [Int](repeating: 0, count: nx * ny + 1)
        var cellOf = [Int](repeating: 0, count: points.count)
        for (i, p) in points.enumerated() {
            let c = Self.cell(p, originX, originY, cs, nx, ny)
            cellOf[i] = c
            counts[c + 1] += 1
        }
        for c in 0..<(nx * ny) { counts[c + 1] += counts[c] }
        var fill = counts
        var order = [Int](repeating: 0, count: points.count)
        for i in points.indices { order[fill[cellOf[i]]] = i; fill[cellOf[i]] += 1 }
        starts = counts
        self.order = order
    }

    private static func cell(_ p: Point, _ ox: Double, _ oy: Double, _ cs: Double, _ nx: Int, _ ny: Int) -> Int {
        let cx = min(max(Int(((p.x - ox) / cs).rounded(.down)), 0), nx - 1)
        let cy = min(max(Int(((p.y - oy) / cs).rounded(.down)), 0), ny - 1)
        return cy * nx + cx
    }

    /// Calls `body` with the index of every point within `radius` of `q` (cells in row order,
    /// indices ascending within a cell).
    @inline(__always)
    public func forEach(within radius: Double, of q: Point, _ body: (Int) -> Void) {
        let r2 = radius * radius
        let x0 = max(0, Int(((q.x - radius - originX) / cellSize).rounded(.down)))
        let x1 = min(nx - 1, Int(((q.x + radius - originX) / cellSize).rounded(.down)))
        let y0 = max(0, Int(((q.y - radius - originY) / cellSize).rounded(.down)))
        let y1 = min(ny - 1, Int(((q.y + radius - originY) / cellSize).rounded(.down)))
        guard x0 <= x1, y0 <= y1 else { return }
        for cy in y0...y1 {
            for cx in x0...x1 {
                let c = cy * nx + cx
                for k in starts[c]..<starts[c + 1] {
                    let i = order[k]
                    if points[i].distanceSquared(q) <= r2 { body(i) }
                }
            }
        }
    }

    /// Indices within `radius` of `q`, ascending.
    public func indices(within radius: Double, of q: Point) -> [Int] {
        var out: [Int] = []
        forEach(within: radius, of: q) { out.append($0) }
        return out.sorted()
    }

    /// The nearest point to `q` within `radius` (ties: lowest index), or nil.
    public func nearest(to q: Point, within radius: Double, excluding: Int = -1) -> Int? {
        var best = -1, bestD = Double.infinity
        forEach(within: radius, of: q) { i in
            guard i != excluding else { return }
            let d = points[i].distanceSquared(q)
            if d < bestD || (d == bestD && i < best) { bestD = d; best = i }
        }
        return best >= 0 ? best : nil
    }

    /// The nearest point to `q` at any distance (growing rings of cells), or nil if there is none.
    public func nearest(to q: Point, excluding: Int = -1) -> Int? {
        guard points.count > (excluding >= 0 ? 1 : 0) else { return nil }
        var radius = cellSize
        while true {
            if let i = nearest(to: q, within: radius, excluding: excluding) { return i }
            if radius > Double(max(nx, ny) + 2) * cellSize * 2 { return nil }
            radius *= 2
        }
    }
}

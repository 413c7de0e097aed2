/// A point or displacement in the image plane, px (x = column index, y = row index, centre of
/// pixel (0,0) at (0,0), the project's convention).
public struct Point: Sendable, Codable, Equatable, Hashable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) { self.x = x; self.y = y }

    public static let zero = Point(x: 0, y: 0)

    /// Euclidean length, px.
    public var length: Double { (x * x + y * y).squareRoot() }

    public static func + (a: Point, b: Point) -> Point { Point(x: a.x + b.x, y: a.y + b.y) }
    public static func - (a: Point, b: Point) -> Point { Point(x: a.x - b.x, y: a.y - b.y) }
    public static func * (s: Double, a: Point) -> Point { Point(x: s * a.x, y: s * a.y) }

    /// Squared distance to `b`, px².
    @inlinable public func distanceSquared(_ b: Point) -> Double {
        let dx = x - b.x, dy = y - b.y
        return dx * dx + dy * dy
    }
}

/// Median of a non-empty array (mean of the two middle values for an even count).
public func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "median of an empty array")
    let s = values.sorted()
    let n = s.count
    return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2])
}

/// Median nearest-neighbour distance of a point set, px (nil for fewer than two points): the
/// nearest-column spacing of a frame of fitted columns.
public func medianNearestNeighbourDistance(_ points: [Point]) -> Double? {
    guard points.count >= 2 else { return nil }
    let grid = SpatialGrid(points, cellSize: estimateCellSize(points))
    var d: [Double] = []
    d.reserveCapacity(points.count)
    for (i, p) in points.enumerated() {
        if let j = grid.nearest(to: p, excluding: i) { d.append(p.distanceSquared(points[j]).squareRoot()) }
    }
    return d.isEmpty ? nil : median(d)
}

/// A grid cell size giving a few points per cell: √(area / n) of the bounding box.
public func estimateCellSize(_ points: [Point]) -> Double {
    guard let minX = points.map(\.x).min(), let maxX = points.map(\.x).max(),
          let minY = points.map(\.y).min(), let maxY = points.map(\.y).max() else { return 1 }
    let area = max(1, (maxX - minX) * (maxY - minY))
    return max(1, (area / Double(max(1, points.count))).squareRoot())
}

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
    let n = values.count
    guard n > 32, !values.contains(where: \.isNaN) else {
        let s = values.sorted()
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2])
    }
    // The same order statistics as sorting, found by selection in O(n).
    var a = values
    let upper = select(&a, rank: n / 2)
    guard n % 2 == 0 else { return upper }
    // The largest value below rank n/2 lies in a[0..<n/2] after the partition.
    return 0.5 * (a[0..<n / 2].max()! + upper)
}

/// Reorders `a` so that `a[rank]` is the value sorting would put there, every element before it
/// ≤ it and every element after it ≥ it (Hoare's selection, median-of-three pivots), and returns
/// that value. `a` must hold no NaN.
func select(_ a: inout [Double], rank: Int) -> Double {
    var lo = 0, hi = a.count - 1
    while hi > lo {
        let mid = lo + (hi - lo) / 2
        if a[mid] < a[lo] { a.swapAt(mid, lo) }
        if a[hi] < a[lo] { a.swapAt(hi, lo) }
        if a[hi] < a[mid] { a.swapAt(hi, mid) }
        let pivot = a[mid]
        var i = lo, j = hi
        while i <= j {
            while a[i] < pivot { i += 1 }
            while pivot < a[j] { j -= 1 }
            if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
        }
        if rank <= j { hi = j } else if rank >= i { lo = i } else { break }
    }
    return a[rank]
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

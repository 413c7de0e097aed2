import StemCore

/// Columns placed on integer lattice sites, and the neighbour graph that does it.
///
/// Two columns are neighbours when their separation is within `tolerance` of one of the model's
/// in-plane neighbour vectors (expressed in the measured basis). Sites are assigned by a
/// breadth-first walk along those edges from the first column of each connected group, so slow
/// distortions (scan drift, strain) do not break the indexing. Groups are particles.
struct LatticeIndexing: Sendable {
    /// Lattice site of each column (nil: a second column on an occupied site).
    var site: [LatticeOffset?]
    /// Particle (connected group) of each column.
    var group: [Int]
    /// Columns of each group, ascending.
    var groups: [[Int]]
    /// Neighbour edges (i < j).
    var edges: [(Int, Int)]

    init(points: [Point], lattice m: MeasuredLattice, neighbours: [LatticeOffset], tolerance: Double) {
        let n = points.count
        let reach = neighbours.map { length(m.vector($0)) }.max() ?? m.length2
        let grid = SpatialGrid(points, cellSize: max(reach, 1e-3))
        let allowed = Set(neighbours)
        var adjacency = [[(Int, LatticeOffset)]](repeating: [], count: n)
        var edges: [(Int, Int)] = []
        for (i, p) in points.enumerated() {
            grid.forEach(within: reach + tolerance, of: p) { j in
                guard j > i else { return }
                let (o, r) = m.coefficients(of: SIMD2(points[j].x - p.x, points[j].y - p.y))
                guard r <= tolerance, allowed.contains(o) else { return }
                adjacency[i].append((j, o))
                adjacency[j].append((i, LatticeOffset(0, 0) - o))
                edges.append((i, j))
            }
        }
        var site = [LatticeOffset?](repeating: nil, count: n)
        var group = [Int](repeating: -1, count: n)
        var groups: [[Int]] = []
        for start in 0..<n where group[start] < 0 {
            let g = groups.count
            var members = [start]
            var occupied: Set<LatticeOffset> = [LatticeOffset(0, 0)]
            var coords = [start: LatticeOffset(0, 0)]
            group[start] = g
            site[start] = LatticeOffset(0, 0)
            var head = 0
            while head < members.count {
                let c = members[head]; head += 1
                let here = coords[c]!
                for (d, o) in adjacency[c] where group[d] < 0 {
                    group[d] = g
                    members.append(d)
                    let s = here + o
                    coords[d] = s
                    if occupied.insert(s).inserted { site[d] = s }
                }
            }
            groups.append(members.sorted())
        }
        self.site = site; self.group = group; self.groups = groups; self.edges = edges
    }
}

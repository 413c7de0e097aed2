/// Globally optimal linking of "rows" (tracks) to "columns" (detections) on a sparse, gated cost
/// graph, with a cost for leaving a row unlinked.
///
/// Total cost = Σ link costs + Σ over unlinked rows of `noLinkCost`. A link is therefore taken only
/// when it is cheaper than ending the track and starting a new one (`noLinkCost` plays the role of
/// death + birth cost, as in Jaqaman et al., Nat. Methods 5 (2008) 695). The gate graph is split
/// into connected components (union–find) and each component is solved exactly by
/// ``LinearAssignment`` on `rows × (columns + rows)`, the extra block holding each row's own
/// no-link cost on its diagonal and +∞ elsewhere. Components are solved in order of their lowest
/// row; rows and columns inside a component are in ascending index order, so the result is
/// deterministic.
public enum GatedAssignment {
    public struct Edge: Sendable, Equatable {
        public var row: Int
        public var column: Int
        public var cost: Double
        public init(row: Int, column: Int, cost: Double) { self.row = row; self.column = column; self.cost = cost }
    }

    /// Column linked to each row (nil: unlinked), and the largest component size (rows + columns).
    public static func solve(rows: Int, columns: Int, edges: [Edge], noLinkCost: [Double]) -> (columnForRow: [Int?], largestComponent: Int) {
        precondition(noLinkCost.count == rows, "one no-link cost per row")
        var result = [Int?](repeating: nil, count: rows)
        guard !edges.isEmpty else { return (result, 0) }
        // Union–find over rows [0, rows) and columns [rows, rows + columns).
        var parent = Array(0..<(rows + columns))
        func find(_ a: Int) -> Int {
            var a = a
            while parent[a] != a { parent[a] = parent[parent[a]]; a = parent[a] }
            return a
        }
        for e in edges {
            let a = find(e.row), b = find(rows + e.column)
            if a != b { parent[max(a, b)] = min(a, b) }
        }
        var componentRows: [Int: [Int]] = [:], componentColumns: [Int: [Int]] = [:]
        var componentEdges: [Int: [Edge]] = [:]
        for e in edges { componentEdges[find(e.row), default: []].append(e) }
        for r in 0..<rows { let c = find(r); if componentEdges[c] != nil { componentRows[c, default: []].append(r) } }
        for k in 0..<columns { let c = find(rows + k); if componentEdges[c] != nil { componentColumns[c, default: []].append(k) } }
        var largest = 0
        for root in componentEdges.keys.sorted() {
            let rs = componentRows[root] ?? [], cs = componentColumns[root] ?? []
            largest = max(largest, rs.count + cs.count)
            let nr = rs.count, nc = cs.count + nr
            var localRow: [Int: Int] = [:], localCol: [Int: Int] = [:]
            for (i, r) in rs.enumerated() { localRow[r] = i }
            for (j, c) in cs.enumerated() { localCol[c] = j }
            var matrix = [Double](repeating: .infinity, count: nr * nc)
            for e in componentEdges[root]! {
                let i = localRow[e.row]!, j = localCol[e.column]!
                matrix[i * nc + j] = min(matrix[i * nc + j], e.cost)
            }
            for i in 0..<nr { matrix[i * nc + cs.count + i] = noLinkCost[rs[i]] }
            // Always feasible: every row has its finite no-link entry.
            guard let solution = try? LinearAssignment.solve(matrix, rows: nr, columns: nc) else { continue }
            for (i, j) in solution.columnForRow.enumerated() where j < cs.count { result[rs[i]] = cs[j] }
        }
        return (result, largest)
    }
}

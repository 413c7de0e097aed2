/// Minimum-cost assignment of the rows of a rectangular cost matrix to distinct columns
/// (rows ≤ columns), by shortest augmenting paths with dual potentials: the Jonker–Volgenant
/// method (Computing 38 (1987) 325) in the form of Crouse, IEEE Trans. Aerosp. Electron. Syst. 52
/// (2016) 1679 — the algorithm of SciPy's `linear_sum_assignment`. O(rows²·columns).
///
/// Entries may be `+∞` (forbidden). Deterministic: among equal reduced costs the first column in
/// index order is taken, preferring an unassigned one.
public enum LinearAssignment {
    public enum AssignmentError: Error, Equatable, CustomStringConvertible {
        case moreRowsThanColumns(rows: Int, columns: Int)
        case infeasible
        case invalidCost
        public var description: String {
            switch self {
            case .moreRowsThanColumns(let r, let c): return "assignment needs rows ≤ columns (got \(r) × \(c)); transpose the matrix"
            case .infeasible: return "no assignment with finite cost exists"
            case .invalidCost: return "assignment costs must be finite numbers or +∞ (got NaN or −∞)"
            }
        }
    }

    /// `cost` is row-major `rows × columns`. Returns the column of each row and the total cost.
    public static func solve(_ cost: [Double], rows nr: Int, columns nc: Int) throws(AssignmentError) -> (columnForRow: [Int], cost: Double) {
        guard nr <= nc else { throw .moreRowsThanColumns(rows: nr, columns: nc) }
        precondition(cost.count == nr * nc, "cost matrix has \(cost.count) entries for \(nr) × \(nc)")
        guard cost.allSatisfy({ !$0.isNaN && $0 != -.infinity }) else { throw .invalidCost }
        if nr == 0 { return ([], 0) }
        var u = [Double](repeating: 0, count: nr), v = [Double](repeating: 0, count: nc)
        var shortest = [Double](repeating: .infinity, count: nc)
        var path = [Int](repeating: -1, count: nc)
        var col4row = [Int](repeating: -1, count: nr), row4col = [Int](repeating: -1, count: nc)
        var sr = [Bool](repeating: false, count: nr), sc = [Bool](repeating: false, count: nc)
        var remaining = [Int](repeating: 0, count: nc)

        for current in 0..<nr {
            // Dijkstra over columns from row `current` (reduced costs ≥ 0).
            var minVal = 0.0
            var i = current
            var numRemaining = nc
            for j in 0..<nc { remaining[j] = nc - 1 - j }
            for k in 0..<nr { sr[k] = false }
            for j in 0..<nc { sc[j] = false; shortest[j] = .infinity }
            var sink = -1
            while sink == -1 {
                var index = -1
                var lowest = Double.infinity
                sr[i] = true
                for it in 0..<numRemaining {
                    let j = remaining[it]
                    let r = minVal + cost[i * nc + j] - u[i] - v[j]
                    if r < shortest[j] { path[j] = i; shortest[j] = r }
                    if shortest[j] < lowest || (shortest[j] == lowest && row4col[j] == -1) {
                        lowest = shortest[j]; index = it
                    }
                }
                minVal = lowest
                guard minVal.isFinite, index >= 0 else { throw .infeasible }
                let j = remaining[index]
                if row4col[j] == -1 { sink = j } else { i = row4col[j] }
                sc[j] = true
                numRemaining -= 1
                remaining[index] = remaining[numRemaining]
            }
            // Update the duals.
            u[current] += minVal
            for k in 0..<nr where sr[k] && k != current { u[k] += minVal - shortest[col4row[k]] }
            for j in 0..<nc where sc[j] { v[j] -= minVal - shortest[j] }
            // Augment along the path.
            var j = sink
            while true {
                let r = path[j]
                row4col[j] = r
                let previous = col4row[r]
                col4row[r] = j
                j = previous
                if r == current { break }
            }
        }
        var total = 0.0
        for r in 0..<nr { total += cost[r * nc + col4row[r]] }
        return (col4row, total)
    }
}

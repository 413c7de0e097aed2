import Foundation
import Simulation
@testable import Tracking
import XCTest

/// The linear assignment solver against brute force over all permutations.
final class AssignmentTests: XCTestCase {
    func bruteForce(_ c: [Double], rows: Int, columns: Int) -> Double {
        var best = Double.infinity
        var used = [Bool](repeating: false, count: columns)
        func go(_ r: Int, _ acc: Double) {
            if acc >= best { return }
            if r == rows { best = acc; return }
            for j in 0..<columns where !used[j] {
                let v = c[r * columns + j]
                guard v.isFinite else { continue }
                used[j] = true; go(r + 1, acc + v); used[j] = false
            }
        }
        go(0, 0)
        return best
    }

    func testOptimalOnRandomMatrices() throws {
        var rng = RandomSource(seed: 17)
        var checked = 0
        for trial in 0..<300 {
            let rows = 1 + rng.pick(7)
            let columns = rows + (trial % 3 == 0 ? rng.pick(3) : 0)
            var c = (0..<(rows * columns)).map { _ in (rng.uniform() * 10).rounded() / 2 }   // many ties
            if trial % 4 == 1 { for k in c.indices where rng.uniform() < 0.3 { c[k] = .infinity } }
            let expected = bruteForce(c, rows: rows, columns: columns)
            guard expected.isFinite else {
                XCTAssertThrowsError(try LinearAssignment.solve(c, rows: rows, columns: columns))
                continue
            }
            let (assignment, cost) = try LinearAssignment.solve(c, rows: rows, columns: columns)
            XCTAssertEqual(cost, expected, accuracy: 1e-9, "trial \(trial)")
            XCTAssertEqual(Set(assignment).count, rows, "columns used once")
            checked += 1
        }
        print("assignment: \(checked) random matrices up to 7 × 9 solved optimally (brute force agrees)")
        XCTAssertGreaterThan(checked, 200)
    }

    func testGatedAssignmentPrefersLinksAndIsDeterministic() {
        // Two tracks, three detections; track 0 can take 0 or 1, track 1 only 1.
        let edges: [GatedAssignment.Edge] = [.init(row: 0, column: 0, cost: 2), .init(row: 0, column: 1, cost: 1),
                                             .init(row: 1, column: 1, cost: 1.5)]
        let r = GatedAssignment.solve(rows: 2, columns: 3, edges: edges, noLinkCost: [4, 4])
        XCTAssertEqual(r.columnForRow, [0, 1])   // total 3.5 beats 1 + 4
        // Equal costs: the lower column index wins.
        let tie = GatedAssignment.solve(rows: 1, columns: 2, edges: [.init(row: 0, column: 1, cost: 1), .init(row: 0, column: 0, cost: 1)],
                                        noLinkCost: [4])
        XCTAssertEqual(tie.columnForRow, [0])
    }
}

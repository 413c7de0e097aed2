import StemCore
@testable import Structure
import XCTest

/// The lattice measurement's density counts on a grid equal the pairwise definition.
final class NeighbourCountTests: XCTestCase {
    func testGridCountsEqualPairwiseCounts() {
        var rng = SplitMix64(seed: 7)
        // Tight clusters (neighbour vectors of a lattice), a diffuse background, and points
        // exactly on the radius (coincident vectors at distance = radius).
        var v: [SIMD2<Double>] = []
        for c in [SIMD2(10.0, 0), SIMD2(0.3, 9.8), SIMD2(10.3, 9.8), SIMD2(-9.7, 9.8)] {
            for _ in 0..<500 { v.append(c + SIMD2(0.1 * rng.normal(), 0.1 * rng.normal())) }
        }
        for _ in 0..<300 { v.append(SIMD2(32 * rng.uniform() - 16, 16 * rng.uniform())) }
        for k in 0..<20 { v.append(SIMD2(Double(k) * 1.5, 3)) }
        for radius in [0.05, 0.3, 1.5, 4.0] {
            let pairwise = v.map { c in v.reduce(0) { $0 + (length($1 - c) < radius ? 1 : 0) } }
            XCTAssertEqual(MeasuredLattice.neighbourCounts(v, within: radius), pairwise, "radius \(radius)")
        }
    }
}

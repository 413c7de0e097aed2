import AtomCount
import TestSupport
import XCTest
import StemCore

final class FirstCountTests: XCTestCase {
    /// Means b·(n₀ + j)^γ with ±0.5 % noise: n₀ and γ recovered for thin and thick first components.
    func testRecoversFirstCountOfPowerLaw() {
        var rng = SplitMix64(seed: 9)
        for (n0, gamma, k) in [(1, 0.92, 12), (3, 0.92, 12), (7, 0.85, 30), (1, 0.9, 44), (15, 0.95, 40)] {
            let means = (0..<k).map { 240 * pow(Double(n0 + $0), gamma) * (1 + 0.005 * Double.random(in: -1...1, using: &rng)) }
            let (found, g) = FirstCount.infer(means: means, proportions: [Double](repeating: 1 / Double(k), count: k))
            XCTAssertEqual(found, n0, "n₀ = \(n0), γ = \(gamma)")
            XCTAssertEqual(g, gamma, accuracy: 0.02)
        }
    }
}

import AtomCount
import StemCore
import XCTest

/// Cross-section widths that grow with the count: one shared σ gains by splitting the widest
/// count, and ICL(k+1) can fall below ICL(k) at the true k. The selection must still find one
/// component per count.
final class HeteroscedasticSelectionTests: XCTestCase {
    /// 1,000 columns of 2…9 atoms, σ(n) = 2π·η·ρ² with η = 40·n^0.92 (ρ = 0.6 Å) and 2 % noise on
    /// each column's height per frame (σ ∝ cross-section), pooled over 16 and 20 frames and
    /// subsampled to 2,000 values as ``TimeSeriesCounter`` does. Before the split rule, 3 of these
    /// 16 pools selected 4 components (every second count).
    func testGrowingWidthsStillSelectOneComponentPerCount() throws {
        var selected: [Int] = []
        for seed in 1...8 {
            var rng = SplitMix64(seed: UInt64(seed))
            let counts = (0..<1000).map { _ in 2 + Int(rng.uniform() * 8) }
            for frames in [16, 20] {
                var all: [Double] = []
                for _ in 0..<frames {
                    for n in counts { all.append(2 * .pi * 0.36 * 40 * pow(Double(n), 0.92) * (1 + 0.02 * rng.normal())) }
                }
                let stride = Int((Double(all.count) / 2000).rounded(.up))
                let pooled = Swift.stride(from: 0, to: all.count, by: stride).map { all[$0] }
                let r = try MixtureCounter().count(pooled)
                selected.append(r.selected.components)
                XCTAssertEqual(r.model.counts.first, 2, "seed \(seed), \(frames) frames: \(r.reason)")
            }
        }
        XCTAssertEqual(selected, [Int](repeating: 8, count: 16))
    }
}

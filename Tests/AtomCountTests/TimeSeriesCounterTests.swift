@testable import AtomCount
import StemCore
import XCTest

final class TimeSeriesCounterTests: XCTestCase {
    /// The pooled subsample holds every column of a 20-frame pool of 1,000 columns; one stride
    /// over the concatenated frames held the same 100 columns 20 times.
    func testSubsampleKeepsEveryColumn() {
        let pool = (0..<20).map { f in (0..<1000).map { Double($0) + 10_000 * Double(f) } }
        let sample = TimeSeriesCounter.subsample(pool, maximum: 2000)
        XCTAssertLessThanOrEqual(sample.count, 2000 + 20)
        XCTAssertGreaterThanOrEqual(sample.count, 2000)
        XCTAssertEqual(Set(sample.map { Int($0) % 10_000 }).count, 1000)
        let all = Array(pool.joined())
        let global = stride(from: 0, to: all.count, by: 10).map { Int(all[$0]) % 10_000 }
        XCTAssertEqual(Set(global).count, 100, "the aliasing the rotation avoids")
        // One frame: every s-th column from the first.
        let one = [(0..<4500).map(Double.init)]
        XCTAssertEqual(TimeSeriesCounter.subsample(one, maximum: 2000), stride(from: 0, to: 4500, by: 3).map(Double.init))
        XCTAssertEqual(TimeSeriesCounter.subsample([[1, 2, 3]], maximum: 2000), [1, 2, 3])
    }

    /// A series whose columns do not change (1,000 columns of 2…9 atoms, 2 % noise on each
    /// height per frame) is refitted only while the pool fills (frames 0, 1, 3, 7, 15), never for
    /// "no longer fits", and keeps one component per count. The widest counts overlap a little
    /// (n = 9: σ ≈ 14 against a spacing of ≈ 70 to n = 8): a few columns in a thousand are
    /// miscounted in a frame, as the overlap of the Gaussians predicts (≈ 0.14 %; measured 114 of 80,000).
    func testUnchangingSeriesIsNotRefitted() throws {
        var rng = SplitMix64(seed: 11)
        let counts = (0..<1000).map { _ in 2 + Int(rng.uniform() * 8) }
        var counter = TimeSeriesCounter()
        var refits: [Int] = []
        var miscounted = 0
        for f in 0..<80 {
            let cs = counts.map { 2 * .pi * 0.36 * 40 * pow(Double($0), 0.92) * (1 + 0.02 * rng.normal()) }
            let r = try counter.count(frame: cs)
            if r.refitted { refits.append(f) }
            XCTAssertEqual(r.model.counts, Array(2...9), "frame \(f)")
            miscounted += zip(r.counts, counts).filter { $0 != $1 }.count
        }
        XCTAssertLessThan(Double(miscounted) / 80_000, 0.004, "\(miscounted) of 80,000 columns miscounted")
        XCTAssertEqual(refits, [0, 1, 3, 7, 15])
    }
}

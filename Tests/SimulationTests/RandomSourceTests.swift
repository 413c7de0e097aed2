import XCTest
@testable import Simulation

final class RandomSourceTests: XCTestCase {
    /// Sample mean and variance of 200 000 Poisson draws agree with λ within 3 standard errors:
    /// SE(mean) = √(λ/n), SE(variance) = √((λ + 2λ²)/n) (Poisson fourth central moment λ + 3λ²).
    func testPoissonMeanAndVariance() {
        for (lambda, seed) in [(3.0, UInt64(11)), (50.0, UInt64(12))] {
            var rng = RandomSource(seed: seed)
            let n = 200_000
            var sum = 0.0, sumSq = 0.0
            for _ in 0..<n {
                let k = rng.poisson(lambda)
                XCTAssertEqual(k, k.rounded())
                sum += k; sumSq += k * k
            }
            let mean = sum / Double(n)
            let variance = (sumSq - Double(n) * mean * mean) / Double(n - 1)
            let seMean = (lambda / Double(n)).squareRoot()
            let seVariance = ((lambda + 2 * lambda * lambda) / Double(n)).squareRoot()
            XCTAssertEqual(mean, lambda, accuracy: 3 * seMean, "mean at λ = \(lambda)")
            XCTAssertEqual(variance, lambda, accuracy: 3 * seVariance, "variance at λ = \(lambda)")
        }
    }

    /// Streams of one seed differ from each other and from the plain seed; the same (seed, stream)
    /// repeats exactly.
    func testStreams() {
        var a = RandomSource(seed: 5, stream: 1), b = RandomSource(seed: 5, stream: 1)
        var c = RandomSource(seed: 5, stream: 2), d = RandomSource(seed: 5)
        let xa = (0..<8).map { _ in a.next() }, xb = (0..<8).map { _ in b.next() }
        let xc = (0..<8).map { _ in c.next() }, xd = (0..<8).map { _ in d.next() }
        XCTAssertEqual(xa, xb)
        XCTAssertNotEqual(xa, xc)
        XCTAssertNotEqual(xa, xd)
    }

    /// Uniform integers below a bound: each of 5 values within 5 standard errors of n/5
    /// (binomial SE √(n·0.2·0.8)).
    func testIndexBelow() {
        var rng = RandomSource(seed: 3)
        var counts = [Int](repeating: 0, count: 5)
        let n = 100_000
        for _ in 0..<n { counts[rng.index(below: 5)] += 1 }
        let se = (Double(n) * 0.2 * 0.8).squareRoot()
        for c in counts { XCTAssertEqual(Double(c), Double(n) / 5, accuracy: 5 * se) }
    }
}

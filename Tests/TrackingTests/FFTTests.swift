import Foundation
import Simulation
@testable import Tracking
import XCTest

/// The FFT against a direct DFT, for power-of-two (radix-2) and other (Bluestein) lengths.
final class FFTTests: XCTestCase {
    func testMatchesDirectDFT() {
        var rng = RandomSource(seed: 3)
        for n in [1, 2, 8, 12, 13, 64, 100, 255] {
            let re = (0..<n).map { _ in rng.gaussian() }, im = (0..<n).map { _ in rng.gaussian() }
            var fr = re, fi = im
            FFTPlan(count: n).transform(&fr, &fi)
            var maxErr = 0.0
            for k in 0..<n {
                var sr = 0.0, si = 0.0
                for j in 0..<n {
                    let a = -2 * Double.pi * Double(k * j % n) / Double(n)
                    sr += re[j] * cos(a) - im[j] * sin(a)
                    si += re[j] * sin(a) + im[j] * cos(a)
                }
                maxErr = max(maxErr, abs(sr - fr[k]), abs(si - fi[k]))
            }
            XCTAssertLessThan(maxErr, 1e-9 * Double(n), "length \(n)")
            // Round trip.
            FFTPlan(count: n).transform(&fr, &fi, inverse: true)
            for k in 0..<n {
                XCTAssertEqual(fr[k], re[k], accuracy: 1e-10)
                XCTAssertEqual(fi[k], im[k], accuracy: 1e-10)
            }
        }
    }
}

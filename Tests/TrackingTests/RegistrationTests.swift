import Foundation
import Simulation
@testable import Tracking
import XCTest
import StemCore

/// Point-set registration of the simulator's column positions against known translations.
final class RegistrationTests: XCTestCase {
    /// True column positions of the default particle (117 columns, spacing 12 px).
    static func particle(seed: UInt64 = 1) throws -> [Point] {
        var s = SimulationSettings()
        s.frameCount = 1
        s.seed = seed
        return try SeriesSimulator(s).truth(0).columns.map { Point(x: $0.x, y: $0.y) }
    }

    /// Shifted copy with 0.05 px localisation noise, `drop` columns missing and `add` extra ones.
    static func moved(_ p: [Point], by s: Point, drop: Int = 0, add: Int = 0, seed: UInt64 = 9) -> [Point] {
        var rng = RandomSource(seed: seed)
        var q = p.map { Point(x: $0.x + s.x + 0.05 * rng.gaussian(), y: $0.y + s.y + 0.05 * rng.gaussian()) }
        for _ in 0..<drop { q.remove(at: rng.pick(q.count)) }
        for _ in 0..<add { q.append(Point(x: 128 + 60 * (rng.uniform() - 0.5), y: 128 + 60 * (rng.uniform() - 0.5))) }
        return q
    }

    func testJumpLargerThanSpacing() throws {
        let p = try Self.particle()
        let spacing = medianNearestNeighbourDistance(p)!
        for s in [Point(x: 13.7, y: -9.2), Point(x: -9, y: 0.4), Point(x: 40, y: 25), Point(x: 0.3, y: -0.2)] {
            let q = Self.moved(p, by: s, drop: 3, add: 3)
            let r = PointSetRegistration().register(reference: p, moving: q)
            let err = (r.shift - s).length
            print(String(format: "point-set registration: spacing %.2f px, jump (%.1f, %.1f) px (%.2f spacings), error %.4f px, matched %d/%d",
                         spacing, s.x, s.y, s.length / spacing, err, r.matched, p.count))
            XCTAssertLessThanOrEqual(err, 0.05)
            XCTAssertGreaterThanOrEqual(r.matched, p.count - 6)
        }
    }

    /// A jump of exactly one lattice vector plus a little: the lattice alias (the small residual)
    /// must lose against the true translation because the particle's rim does not overlap.
    func testLatticeAliasRejected() throws {
        let p = try Self.particle()
        // A nearest-neighbour lattice vector of the particle.
        let a = p[1...].map { $0 - p[0] }.min { $0.length < $1.length }!
        let s = a + Point(x: 0.8, y: -0.6)
        let r = PointSetRegistration().register(reference: p, moving: Self.moved(p, by: s))
        XCTAssertLessThanOrEqual((r.shift - s).length, 0.05, "found \(r.shift), true \(s)")
    }
}

/// `median` selects instead of sorting: the same value as the sorted definition.
final class MedianTests: XCTestCase {
    func testMedianEqualsSortedDefinition() {
        var rng = SplitMix64(seed: 42)
        for n in [1, 2, 3, 33, 34, 100, 1001, 4000] {
            for duplicates in [false, true] {
                let v = (0..<n).map { _ in duplicates ? (rng.uniform() * 7).rounded() : rng.normal() }
                let s = v.sorted()
                let expected = n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2])
                XCTAssertEqual(median(v), expected, "n = \(n), duplicates \(duplicates)")
            }
        }
        XCTAssertEqual(median([Double](repeating: 2.5, count: 64)), 2.5)
        XCTAssertEqual(median((0..<100).map(Double.init)), 49.5)
    }
}

import XCTest
@testable import Simulation

final class CrystalTests: XCTestCase {
    /// Smallest distance between two projected columns, Å.
    private func minimumColumnDistance(_ columns: [AtomColumn]) -> Double {
        var best = Double.infinity
        for i in columns.indices { for j in columns.indices where j > i {
            let dx = columns[i].x - columns[j].x, dy = columns[i].y - columns[j].y
            best = min(best, (dx * dx + dy * dy).squareRoot())
        } }
        return best
    }

    /// [110]: columns at (0,0) and (a/2, a/(2√2)) in the (x̂ = [001], ŷ = [1-10]/√2) frame, so the
    /// nearest column distance is √(a²/4 + a²/8) = a·√6/4 (2.4005 Å for Pt). Tolerance 1e-6 Å.
    func testNearestColumnDistance110() {
        let a = 3.92
        let particle = Particle(crystal: FCCCrystal(latticeConstant: a, zoneAxis: .z110), shape: .sphere(radius: 10))
        let expected = a * 6.0.squareRoot() / 4
        XCTAssertEqual(minimumColumnDistance(particle.columns), expected, accuracy: 1e-6)
        XCTAssertEqual(particle.crystal.nearestColumnDistance, expected, accuracy: 1e-6)
        // Atoms along a [110] column are a/√2 apart; a bulk column has 6 in-plane neighbours.
        XCTAssertEqual(particle.crystal.atomSpacingAlongColumn, a / 2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(particle.crystal.bulkNeighbourCount, 6)
    }

    /// [100]: a square column lattice of period a/2; atoms a apart along a column. Tolerance 1e-6 Å.
    func testNearestColumnDistance100() {
        let a = 3.92
        let particle = Particle(crystal: FCCCrystal(latticeConstant: a, zoneAxis: .z100), shape: .sphere(radius: 10))
        XCTAssertEqual(minimumColumnDistance(particle.columns), a / 2, accuracy: 1e-6)
        XCTAssertEqual(particle.crystal.atomSpacingAlongColumn, a, accuracy: 1e-12)
        XCTAssertEqual(particle.crystal.bulkNeighbourCount, 8)
    }

    /// The column counts add up to the atoms in the sphere, which equal an independent count of
    /// fcc sites (4-atom basis on the cubic lattice) within the radius. Exact.
    func testSphereAtomsEqualSumOfColumnCounts() {
        let a = 3.92, radius = 14.0
        var bruteForce = 0
        let basis: [SIMD3<Double>] = [SIMD3(0, 0, 0), SIMD3(0, 0.5, 0.5), SIMD3(0.5, 0, 0.5), SIMD3(0.5, 0.5, 0)]
        for i in -6...6 { for j in -6...6 { for k in -6...6 { for b in basis {
            let r = (SIMD3(Double(i), Double(j), Double(k)) + b) * a
            if (r * r).sum() <= radius * radius { bruteForce += 1 }
        } } } }
        for zone in [ZoneAxis.z110, .z100, .z111] {
            let particle = Particle(crystal: FCCCrystal(latticeConstant: a, zoneAxis: zone), shape: .sphere(radius: radius))
            XCTAssertEqual(particle.columns.reduce(0) { $0 + $1.count }, particle.atomCount, "\(zone)")
            XCTAssertEqual(particle.atomCount, bruteForce, "\(zone)")
            XCTAssertEqual(particle.columns.reduce(0) { $0 + $1.atoms.count }, bruteForce, "\(zone)")
        }
    }

    /// Every 3D atom of a column projects onto the column (within 1e-9 Å), consecutive atoms are
    /// one lattice repeat apart along the beam (1e-9 Å), and all atoms lie within the sphere.
    func testColumnAtomsAreConsistent() {
        let particle = Particle(shape: .sphere(radius: 12))
        let spacing = particle.crystal.atomSpacingAlongColumn
        for c in particle.columns {
            XCTAssertEqual(c.atoms.count, c.count)
            for (n, atom) in c.atoms.enumerated() {
                XCTAssertEqual(atom.x, c.x, accuracy: 1e-9)
                XCTAssertEqual(atom.y, c.y, accuracy: 1e-9)
                XCTAssertLessThanOrEqual((atom * atom).sum().squareRoot(), 12 + 1e-9)
                if n > 0 { XCTAssertEqual(atom.z - c.atoms[n - 1].z, spacing, accuracy: 1e-9) }
            }
        }
        XCTAssertEqual(particle.columns.map(\.id), Array(0..<particle.columns.count))
    }

    /// Truncation by {111} and {100} planes only removes atoms, and all remaining atoms satisfy
    /// the plane conditions (1e-9 Å).
    func testTruncatedSphere() {
        let a = 3.92
        let full = Particle(shape: .sphere(radius: 14))
        let cut = Particle(shape: .sphere(radius: 14, facet111: 10, facet100: 11))
        XCTAssertLessThan(cut.atomCount, full.atomCount)
        // Back to cubic coordinates through the [110] beam frame: x̂ = [001], ŷ = [1-10]/√2, ẑ = [110]/√2.
        for c in cut.columns { for r in c.atoms {
            let s = 1 / 2.0.squareRoot()
            let cubic = SIMD3((r.y + r.z) * s, (r.z - r.y) * s, r.x)
            XCTAssertLessThanOrEqual(max(abs(cubic.x), abs(cubic.y), abs(cubic.z)), 11 + 1e-9)
            XCTAssertLessThanOrEqual(abs(cubic.x + cubic.y + cubic.z) / 3.0.squareRoot(), 10 + 1e-9)
            // Still lattice sites: coordinates are multiples of a/2.
            for v in [cubic.x, cubic.y, cubic.z] {
                XCTAssertEqual((v / (a / 2)).rounded(), v / (a / 2), accuracy: 1e-9)
            }
        } }
    }

    /// A slab has the requested thickness per column (wedge: rising left to right) and only its
    /// rim columns are surface columns.
    func testSlabThicknessAndSurface() {
        let flat = Particle(crystal: FCCCrystal(zoneAxis: .z100), shape: .slab(width: 20, height: 20, thickness: 7))
        XCTAssertTrue(flat.columns.allSatisfy { $0.count == 7 })
        // [100] columns on a 1.96 Å square grid: 11 × 11 positions within ±10 Å (±5 steps).
        XCTAssertEqual(flat.columns.count, 121)
        let rim = flat.columns.filter { max(abs($0.x), abs($0.y)) > 9.8 - 0.1 }
        XCTAssertEqual(Set(flat.columns.filter(\.isSurface).map(\.id)), Set(rim.map(\.id)))

        let wedge = Particle(shape: .slab(width: 30, height: 20, thickness: 2, thicknessRight: 12))
        let left = wedge.columns.filter { $0.x < -12 }, right = wedge.columns.filter { $0.x > 12 }
        XCTAssertFalse(left.isEmpty); XCTAssertFalse(right.isEmpty)
        XCTAssertTrue(left.allSatisfy { $0.count <= 3 })
        XCTAssertTrue(right.allSatisfy { $0.count >= 11 })
    }

    /// Zone-axis text round trip.
    func testZoneAxisParsing() {
        XCTAssertEqual(ZoneAxis("110"), .z110)
        XCTAssertEqual(ZoneAxis("[1 0 0]"), .z100)
        XCTAssertEqual(ZoneAxis("1-10")?.description, "1-10")
        XCTAssertEqual(ZoneAxis(2, 2, 0), .z110)
        XCTAssertNil(ZoneAxis("000"))
        XCTAssertNil(ZoneAxis("11"))
    }
}

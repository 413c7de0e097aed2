import Foundation
import Simulation
import Structure
import TestSupport
import Testing
import StemCore

/// Projected lattices against their closed forms, and lattice measurement on exact positions.
@Suite struct LatticeTests {
    @Test func fcc110Projection() {
        let m = ProjectedLattice(Crystal(lattice: .fcc, latticeConstant: 3.92, zoneAxis: Direction(1, 1, 0)))
        let nn = 3.92 * 6.0.squareRoot() / 4                      // a√6/4 = 2.4005 Å
        #expect(abs(length(m.b1) - nn) < 1e-9 && abs(length(m.b2) - nn) < 1e-9)
        let angle = acos((m.b1 * m.b2).sum() / (nn * nn)) * 180 / .pi
        #expect(abs(angle - 70.5288) < 1e-3)                        // acos(1/3)
        #expect(m.bulkNeighbourCount == 6)
        #expect(abs(m.periodLength - 3.92 / 2.0.squareRoot()) < 1e-9)
        // Rows: {111} along b₁ and b₂ (2.40 Å), {100} (2.77 Å), {110} (3.92 Å).
        let rows = m.rowDirections(maximumLength: 1.75)
        let families = rows.map { m.family(ofRow: $0) }
        let lengths = rows.map { length(m.vector($0)) }
        #expect(families == ["{111}", "{111}", "{100}", "{110}"])
        #expect(abs(lengths[2] - 3.92 / 2.0.squareRoot()) < 1e-9 && abs(lengths[3] - 3.92) < 1e-9)
        // One site out for a {111} row, two (at ±½ step) for the {110} row.
        #expect(m.outerSites(row: rows[0], side: 1).count == 1)
        #expect(m.outerSites(row: rows[3], side: -1).count == 2)
    }

    @Test func otherZoneAxes() {
        let f100 = ProjectedLattice(Crystal(lattice: .fcc, latticeConstant: 4, zoneAxis: Direction(1, 0, 0)))
        #expect(abs(length(f100.b1) - 2) < 1e-9 && abs(length(f100.b2) - 2) < 1e-9)
        #expect(f100.bulkNeighbourCount == 8)             // 4 at a/2, 4 at a/√2
        let f111 = ProjectedLattice(Crystal(lattice: .fcc, latticeConstant: 4, zoneAxis: Direction(1, 1, 1)))
        #expect(abs(length(f111.b1) - 4 / 6.0.squareRoot()) < 1e-9)  // a/√6, triangular
        #expect(f111.bulkNeighbourCount == 12)            // 6 at a/√6 (out of plane), 6 at a/√2
        let b110 = ProjectedLattice(Crystal(lattice: .bcc, latticeConstant: 4, zoneAxis: Direction(1, 1, 0)))
        #expect(abs(length(b110.b1) - 2) < 1e-9)                         // a/2 along [001]
        #expect(abs(length(b110.b2) - 4 / 2.0.squareRoot()) < 1e-9)        // a/√2, at 90°
    }

    @Test func measuredLatticeOnExactColumns() throws {
        var s = SimulationSettings()
        s.shape = .sphere(radius: 20)
        let truth = try SeriesSimulator(s).truth(0)
        let pts = truth.columns.map { Point(x: $0.x, y: $0.y) }
        let m = try MeasuredLattice.measure(pts)
        let nn = 3.92 * 6.0.squareRoot() / 4 / s.pixelSize
        #expect(abs(m.length1 / nn - 1) < 1e-6 && abs(m.length2 / nn - 1) < 1e-6)
        #expect(abs(m.angle - 70.5288) < 1e-3)
        #expect(m.residual < 1e-6)
        let ranked = ZoneAxisMatch.rank(m, pixelSize: s.pixelSize)
        #expect(ranked[0].lattice == .fcc && ranked[0].zoneAxis == Direction(1, 1, 0))
        #expect(abs(ranked[0].impliedLatticeConstant - 3.92) < 1e-6)
        #expect(ranked[1].misfit > 0.1)
    }

    @Test func squareLatticeNeedsTheLatticeConstant() throws {
        var s = SimulationSettings()
        s.crystal = FCCCrystal(latticeConstant: 3.92, zoneAxis: .z100)
        s.shape = .sphere(radius: 14)
        let m = try MeasuredLattice.measure(try SeriesSimulator(s).truth(0).columns.map { Point(x: $0.x, y: $0.y) })
        // fcc [100] and bcc [100] both project onto square lattices: only the scale tells them apart.
        let shapeOnly = ZoneAxisMatch.rank(m, pixelSize: s.pixelSize)
        #expect(shapeOnly[0].misfit < 1e-6 && shapeOnly[1].misfit < 1e-6)
        let withScale = ZoneAxisMatch.rank(m, pixelSize: s.pixelSize, latticeConstant: 3.92)
        #expect(withScale[0].lattice == .fcc && withScale[0].zoneAxis == Direction(1, 0, 0) && withScale[1].misfit > 0.2)
    }

    @Test func tooFewColumns() {
        #expect(throws: StructureError.tooFewColumns(found: 2, needed: 4)) {
            try MeasuredLattice.measure([Point(x: 0, y: 0), Point(x: 5, y: 0)])
        }
        #expect(throws: StructureError.self) {
            try MeasuredLattice.measure((0..<10).map { Point(x: Double($0) * 5, y: 0) })
        }
    }
}

func length(_ v: SIMD2<Double>) -> Double { (v * v).sum().squareRoot() }

import AtomCount
import ColumnFit
import Foundation
import Structure
import TestSupport
import Testing
import TIFFFrame
import StemCore

/// The structure of the real PtIr particle from stemtrack's own fit, against the structure of
/// StatSTEM's published column positions and counts (fixtures/ptir).
@Suite struct PtIrStructureTests {
    static let pixelSize = 0.1211

    /// StatSTEM's columns with counts rebuilt by rank (see fixtures/ptir/README.md).
    static func referenceColumns() throws -> [StructureColumn] {
        let rows = try readCSV(fixture("ptir/statstem_columns.csv"))
        let volumes = rows.map { Double($0["volume"]!)! }
        let countsByRank = rows.map { Int($0["count"]!)! }.sorted()
        let order = volumes.indices.sorted { volumes[$0] < volumes[$1] }
        var counts = [Int](repeating: 0, count: rows.count)
        for (rank, i) in order.enumerated() { counts[i] = countsByRank[rank] }
        return rows.enumerated().map { i, r in StructureColumn(x: Double(r["x_px"]!)!, y: Double(r["y_px"]!)!, count: counts[i]) }
    }

    static func fittedColumns() throws -> [StructureColumn] {
        var s = FitSettings()
        s.pixelSize = pixelSize
        s.fitBackground = false
        s.fixedBackground = 0
        let fit = try ColumnFitter(settings: s).fit(try TIFFReader.readFirst(path: fixture("ptir/PtIr_haadf.tif")))
        let counts = try MixtureCounter().count(fit.columns.map { $0.crossSection(pixelSize: pixelSize) }).counts
        return fit.columns.enumerated().map { i, c in StructureColumn(x: c.x, y: c.y, count: counts[i]) }
    }

    @Test func latticeParticleAndFacetsAgreeWithTheReference() throws {
        let analyzer = try StructureAnalyzer(settings: StructureSettings(pixelSize: Self.pixelSize))
        let ref = try analyzer.analyze(try Self.referenceColumns())
        let ours = try analyzer.analyze(try Self.fittedColumns())
        print(StructureCommandText.describe(ref, title: "StatSTEM columns"))
        print(StructureCommandText.describe(ours, title: "stemtrack fit"))
        // Lattice: fcc [110] (cell angle 70.53°, equal vectors); same vectors from both fits.
        for st in [ref, ours] {
            #expect(st.crystal.lattice == .fcc && st.crystal.zoneAxis == Direction(1, 1, 0))
            #expect(abs(st.lattice.angle - 70.53) < 1.5)
            #expect(abs(st.lattice.length2 / st.lattice.length1 - 1) < 0.05)
            #expect(st.candidates[1].misfit > 3 * st.misfit)
        }
        // The image is distorted (RMS 1.4 px of the neighbour vectors from one lattice), so the
        // measured vectors depend a little on which edge columns are included: within 1 %.
        #expect(length(ref.lattice.a1 - ours.lattice.a1) < 0.01 * ref.lattice.length1)
        #expect(length(ref.lattice.a2 - ours.lattice.a2) < 0.01 * ref.lattice.length1)
        // One particle holding all but a few off-lattice edge columns; atoms within 2 % of 788.
        #expect(ref.particles.count == 1 && ref.particles[0].columns.count >= 130)
        #expect(abs(Double(ref.particles[0].atoms! - 788)) <= 0.02 * 788)
        let atoms = try #require(ours.particles[0].atoms)
        #expect(abs(Double(atoms - 788)) <= 0.02 * 788)
        // Facets: every reference facet found in our fit (same family, midpoint and length within
        // one column spacing), except where a column is missing from one of the two lists.
        var matched = 0
        for f in ref.facets {
            if ours.facets.contains(where: { g in
                g.family == f.family && hypot(g.midX - f.midX, g.midY - f.midY) * Self.pixelSize <= f.spacing
                    && abs(g.length - f.length) <= f.spacing
            }) { matched += 1 }
        }
        print("PtIr facets: \(ref.facets.count) from StatSTEM's columns, \(ours.facets.count) from stemtrack's fit, \(matched) of the former matched")
        #expect(ref.facets.count >= 8)
        #expect(Double(matched) >= 0.75 * Double(ref.facets.count))
        #expect(Set(ref.facets.map(\.family)).isSubset(of: ["{111}", "{100}", "{110}"]))
    }
}

/// Text of a structure for test logs.
enum StructureCommandText {
    static func describe(_ st: FrameStructure, title: String) -> String {
        var s = String(format: "%@: |a1| %.4f px, |a2| %.4f px, angle %.2f°, residual %.3f px; %@ misfit %.4f; ",
                       title, st.lattice.length1, st.lattice.length2, st.lattice.angle, st.lattice.residual,
                       st.crystal.description, st.misfit)
        s += "particles \(st.particles.map { "\($0.columns.count) columns/\($0.atoms ?? -1) atoms" }); facets:"
        for f in st.facets { s += String(format: " %@ %d col %.2f Å;", f.family, f.columns.count, f.length) }
        return s
    }
}

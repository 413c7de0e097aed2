import AtomCount
import ColumnFit
import Foundation
import Simulation
import Structure
import TestSupport
import Testing
import StemCore
import Tracking

/// Facets against the simulator's truth, computed independently on the exact lattice.
@Suite struct FacetTests {
    static func reshapingSettings(frames: Int = 24) -> SimulationSettings {
        var s = SimulationSettings()
        s.frameCount = frames
        s.shape = .sphere(radius: 15)
        s.reshaping = .faceting
        return s
    }

    static let analyzer = try! StructureAnalyzer(settings: StructureSettings(
        crystal: Crystal(lattice: .fcc, latticeConstant: 3.92, zoneAxis: Direction(1, 1, 0)), pixelSize: 0.2))

    /// Total facet length per family, Å.
    static func familyLengths(_ facets: [(String, Double)]) -> [String: Double] {
        var out: [String: Double] = [:]
        for (f, l) in facets { out[f, default: 0] += l }
        return out
    }

    @Test func exactPositionsGiveTheTrueFacets() throws {
        let sim = try SeriesSimulator(Self.reshapingSettings())
        for i in [0, 8, 16, 23] {
            let t = sim.truth(i)
            let st = try Self.analyzer.analyze(t.columns.map { StructureColumn(x: $0.x, y: $0.y, count: $0.count, track: $0.id) })
            let truth = sim.truthFacets(i)
            #expect(st.particles.count == 1)
            #expect(st.particles[0].atoms == t.atoms)
            #expect(st.facets.count == truth.count, "frame \(i)")
            // Same facets: same column ids (tracks are the true ids here) and lengths.
            let measured = Set(st.facets.map { "\($0.family) \($0.tracks.sorted())" })
            let expected = Set(truth.map { "\($0.family) \($0.columns.sorted())" })
            #expect(measured == expected, "frame \(i)")
            for f in st.facets {
                let t = truth.first { $0.columns.sorted() == f.tracks.sorted() }!
                #expect(abs(f.length - t.length) < 1e-6)
            }
            // Surface columns: those the simulator marks as surface.
            #expect(zip(st.surface, t.columns).allSatisfy { $0 == $1.surface })
        }
    }
}

/// The must-show of the structure issue: a reshaping particle fitted and counted frame by frame.
@Suite struct ReshapingSeriesTests {
    @Test func facetLengthsAndAtomTotalsFollowTheTruth() throws {
        let s = FacetTests.reshapingSettings(frames: 24)
        let sim = try SeriesSimulator(s)
        var fits: [[Column]] = []
        var truths: [FrameTruth] = []
        for i in 0..<s.frameCount {
            let (frame, t) = sim.frame(i)
            fits.append(try ColumnFitter().fit(frame).columns)
            truths.append(t)
        }
        let counted = SeriesCounting.count(fits.map { $0.map { $0.crossSection(pixelSize: s.pixelSize) } },
                                           counter: TimeSeriesCounter(window: 10))
        var framesWithin = 0, familyChecks = 0, familyWithin = 0, exactFrames = 0, atomsWithin = 0
        var lines: [String] = []
        for i in 0..<s.frameCount {
            let counts = counted.counts[i]!
            let st = try FacetTests.analyzer.analyze(fits[i].enumerated().map { k, c in
                StructureColumn(x: c.x, y: c.y, count: counts[k]) })
            let t = truths[i]
            // Family totals, Å, and the family's column spacing as tolerance.
            let measured = FacetTests.familyLengths(st.facets.map { ($0.family, $0.length) })
            let truthFacets = sim.truthFacets(i)
            let expected = FacetTests.familyLengths(truthFacets.map { ($0.family, $0.length) })
            let spacing = Dictionary(truthFacets.map { ($0.family, $0.spacing) }, uniquingKeysWith: { a, _ in a })
            var ok = true
            for family in Set(measured.keys).union(expected.keys) {
                let tol = spacing[family] ?? st.facets.first { $0.family == family }!.spacing
                let within = abs((measured[family] ?? 0) - (expected[family] ?? 0)) <= tol + 1e-6
                familyChecks += 1
                if within { familyWithin += 1 } else { ok = false }
            }
            if ok { framesWithin += 1 }
            // Counting exact: every true column found once, with its true count.
            let pairs = match(fits[i].map { ($0.x, $0.y) }, t.columns.map { ($0.x, $0.y) }, gate: 3)
            let exact = pairs.count == t.columns.count && fits[i].count == t.columns.count
                && pairs.allSatisfy { counts[$0.0] == t.columns[$0.1].count }
            if exact {
                exactFrames += 1
                if let atoms = st.particles.first?.atoms, abs(Double(atoms - t.atoms)) <= 0.02 * Double(t.atoms) {
                    atomsWithin += 1
                }
            }
            let fmt = { (d: [String: Double]) in d.keys.sorted().map { "\($0) \(String(format: "%.1f", d[$0]!))" }.joined(separator: ", ") }
            lines.append("frame \(i): atoms \(st.particles.first?.atoms ?? -1)/\(t.atoms) exact=\(exact) | measured \(fmt(measured)) | truth \(fmt(expected))")
        }
        print(lines.joined(separator: "\n"))
        print("reshaping series: \(framesWithin)/\(s.frameCount) frames with every family total within one spacing; "
              + "\(familyWithin)/\(familyChecks) family totals; counting exact in \(exactFrames) frames, "
              + "particle atoms within 2 % in \(atomsWithin) of them")
        #expect(Double(framesWithin) >= 0.9 * Double(s.frameCount))
        #expect(exactFrames >= s.frameCount / 2)
        #expect(atomsWithin == exactFrames)
    }
}

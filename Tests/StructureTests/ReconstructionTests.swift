import Foundation
import Simulation
import Structure
import Testing
import StemCore

/// 3D models from one projection against the simulator's true 3D particle.
@Suite struct ReconstructionTests {
    @Test func relaxationRecoversTheTrueStacking() throws {
        var s = SimulationSettings()
        s.shape = .sphere(radius: 14)
        let sim = try SeriesSimulator(s)
        let truth = sim.truth(0)
        let atoms3D = Dictionary(uniqueKeysWithValues: sim.columns(at: 0).map { ($0.id, $0.atoms) })
        let columns = truth.columns.map { StructureColumn(x: $0.x, y: $0.y, count: $0.count, track: $0.id) }
        let crystal = Crystal(lattice: .fcc, latticeConstant: 3.92, zoneAxis: Direction(1, 1, 0))
        let st = try StructureAnalyzer(settings: StructureSettings(crystal: crystal, pixelSize: s.pixelSize)).analyze(columns)
        let start = try ColumnStackModel.start(structure: st, columns: columns, particle: 0, pixelSize: s.pixelSize)
        #expect(start.counts.reduce(0, +) == truth.atoms)
        #expect(start.xyz().split(separator: "\n").count == truth.atoms + 2)
        // The true model in the same representation (z of each column's first atom).
        var trueModel = start
        for c in start.x.indices {
            let z0 = atoms3D[truth.columns[start.frameColumn[c]].id]!.map(\.z).min()!
            trueModel.base[c] = 0
            trueModel.shift[c] = 0
            trueModel.base[c] = z0
        }
        let relax = StackRelaxation(nearestNeighbourDistance: crystal.nearestNeighbourDistance)
        let eTrue = relax.energy(trueModel), eStart = relax.energy(start)
        // Lattice consistency: start and truth differ by whole periods per column up to one global offset.
        let offsets = start.x.indices.map { c in (trueModel.centre(c) - start.centre(c)) }
        let global = offsets.sorted()[offsets.count / 2]
        let onLattice = offsets.allSatisfy { o in
            let k = (o - global) / start.period
            return abs(k - k.rounded()) < 1e-6
        }
        #expect(onLattice)
        // Scramble every column by up to ±3 periods and relax.
        var scrambled = start
        var seed: UInt64 = 7
        for c in scrambled.x.indices {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            scrambled.shift[c] += Int((seed >> 33) % 7) - 3
        }
        let eScrambled = relax.energy(scrambled)
        let result = relax.relax(scrambled)
        let recovered = start.x.indices.filter { c in
            abs(result.model.centre(c) + global - trueModel.centre(c)) < start.period / 2
        }.count
        print(String(format: "3D: E(true) %.1f ε, E(symmetric start) %.1f ε, E(scrambled) %.1f ε → relaxed %.1f ε; ", eTrue, eStart, eScrambled, result.energy)
              + "\(recovered)/\(start.x.count) column centres within half a period of the truth")
        #expect(abs(relax.energy(result.model) - result.energy) < 1e-6 * abs(result.energy))
        #expect(result.energy <= eTrue + 0.005 * abs(eTrue))
        #expect(Double(recovered) >= 0.9 * Double(start.x.count))
    }
}

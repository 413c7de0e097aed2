import Foundation
import StemCore

/// One atom of a 3D model, Å: x, y in the image plane (x along image x, y along image y), z
/// along the beam.
public struct Atom3D: Sendable, Codable, Equatable {
    public var x: Double
    public var y: Double
    public var z: Double
    /// Index of its column in the frame's column list.
    public var column: Int
}

/// A 3D model of a particle from a single projection, following De Backer et al., "Three-
/// dimensional atomic models from a single projection using Z-contrast imaging: verification by
/// electron tomography and opportunities", Nanoscale 9 (2017) 8791: each column's counted atoms
/// sit on the crystal's lattice along the beam, first stacked symmetrically about a central
/// plane, then whole columns are shifted by one lattice period at a time in a Monte Carlo
/// minimisation of a Lennard-Jones energy (simulated annealing, then a zero-temperature finish).
public struct ColumnStackModel: Sendable, Equatable {
    /// Per column: image position, Å.
    public var x: [Double]
    public var y: [Double]
    /// Per column: atoms.
    public var counts: [Int]
    /// Per column: depth of its lattice (Å, modulo the period) and its shift in periods; the
    /// atoms are at base + (shift + k)·period, k = 0..<count.
    public var base: [Double]
    public var shift: [Int]
    /// Atom spacing along a column, Å.
    public let period: Double
    /// Column index in the frame of each model column.
    public var frameColumn: [Int]

    public init(x: [Double], y: [Double], counts: [Int], base: [Double], shift: [Int], period: Double, frameColumn: [Int]) {
        self.x = x; self.y = y; self.counts = counts; self.base = base; self.shift = shift
        self.period = period; self.frameColumn = frameColumn
    }

    /// Centre of column c along the beam, Å.
    public func centre(_ c: Int) -> Double { base[c] + (Double(shift[c]) + Double(counts[c] - 1) / 2) * period }

    /// All atoms.
    public var atoms: [Atom3D] {
        var out: [Atom3D] = []
        for c in x.indices {
            for k in 0..<counts[c] {
                out.append(Atom3D(x: x[c], y: y[c], z: base[c] + Double(shift[c] + k) * period, column: frameColumn[c]))
            }
        }
        return out
    }

    /// The symmetric starting model of one particle of `structure`: each column centred on z = 0
    /// as nearly as its lattice allows. Needs the pixel size and every column counted.
    public static func start(structure: FrameStructure, columns: [StructureColumn], particle: Int,
                             pixelSize: Double) throws(StructureError) -> ColumnStackModel {
        guard particle >= 0 && particle < structure.particles.count else {
            throw .invalidSettings("no particle \(particle) (the frame has \(structure.particles.count))")
        }
        let model = ProjectedLattice(structure.crystal)
        let p = model.periodLength
        var m = ColumnStackModel(x: [], y: [], counts: [], base: [], shift: [], period: p, frameColumn: [])
        for i in structure.particles[particle].columns {
            guard let n = columns[i].count else { throw .invalidSettings("column \(i) is not counted: a 3D model needs atom counts") }
            guard n > 0, let s = structure.site[i] else { continue }
            var b = (Double(s.i) * model.depth1 + Double(s.j) * model.depth2).truncatingRemainder(dividingBy: p)
            if b < 0 { b += p }
            let shift = Int((-b / p - Double(n - 1) / 2).rounded())
            m.x.append(columns[i].x * pixelSize); m.y.append(columns[i].y * pixelSize)
            m.counts.append(n); m.base.append(b); m.shift.append(shift); m.frameColumn.append(i)
        }
        return m
    }

    /// The model as an XYZ file (element symbol per atom, positions in Å).
    public func xyz(element: String = "Pt", comment: String = "stemtrack 3D model") -> String {
        let a = atoms
        var s = "\(a.count)\n\(comment.replacingOccurrences(of: "\n", with: " "))\n"
        for t in a { s += "\(element) \(String(format: "%.4f %.4f %.4f", t.x, t.y, t.z))\n" }
        return s
    }
}

/// Lennard-Jones Monte Carlo relaxation of a ``ColumnStackModel``.
public struct StackRelaxation: Sendable {
    /// LJ σ, Å (default: nearest-neighbour distance / 2^(1/6), so the pair minimum sits at it).
    public var sigma: Double
    /// Pair cutoff, × σ (default 2.5).
    public var cutoff: Double = 2.5
    /// Annealing sweeps (one sweep = one trial move per column), then `finishSweeps` at zero
    /// temperature.
    public var sweeps: Int = 60
    public var finishSweeps: Int = 10
    /// Starting temperature kT, in units of the LJ well depth ε (falls linearly to 0).
    public var temperature: Double = 0.5
    /// Seed of the move sequence.
    public var seed: UInt64 = 1

    public init(nearestNeighbourDistance: Double) { sigma = nearestNeighbourDistance / pow(2, 1.0 / 6) }

    /// Total LJ energy of the model, ε.
    public func energy(_ m: ColumnStackModel) -> Double { energy(m, pairs: neighbourPairs(m)) }

    private func energy(_ m: ColumnStackModel, pairs: [[Int]]) -> Double {
        var e = 0.0
        for c in m.x.indices { e += selfEnergy(m, c) }
        for (c, list) in pairs.enumerated() { for d in list where d > c { e += pairEnergy(m, c, d, m.shift[c], m.shift[d]) } }
        return e
    }

    /// Relaxes `model` and returns the lowest-energy configuration met, with its energy (ε).
    public func relax(_ model: ColumnStackModel) -> (model: ColumnStackModel, energy: Double, accepted: Int) {
        var m = model
        let pairs = neighbourPairs(m)
        var e = energy(m, pairs: pairs)
        var best = (m, e)
        var rng = SplitMix64(seed: seed)
        var accepted = 0
        let n = m.x.count
        guard n > 1 else { return (m, e, 0) }
        let total = sweeps + finishSweeps
        for sweep in 0..<total {
            let kT = sweep < sweeps ? temperature * (1 - Double(sweep) / Double(max(sweeps, 1))) : 0
            for _ in 0..<n {
                let c = Int(rng.next() % UInt64(n))
                let step = rng.next() & 1 == 0 ? 1 : -1
                let old = m.shift[c], new = old + step
                var dE = 0.0
                for d in pairs[c] { dE += pairEnergy(m, c, d, new, m.shift[d]) - pairEnergy(m, c, d, old, m.shift[d]) }
                if dE <= 0 || (kT > 0 && rng.uniform() < exp(-dE / kT)) {
                    m.shift[c] = new
                    e += dE
                    accepted += 1
                    if e < best.1 - 1e-12 { best = (m, e) }
                }
            }
        }
        return (best.0, best.1, accepted)
    }

    private func neighbourPairs(_ m: ColumnStackModel) -> [[Int]] {
        let rc = cutoff * sigma
        return m.x.indices.map { c in
            m.x.indices.filter { d in
                d != c && (m.x[c] - m.x[d]) * (m.x[c] - m.x[d]) + (m.y[c] - m.y[d]) * (m.y[c] - m.y[d]) < rc * rc
            }
        }
    }

    /// LJ energy (ε) between two atoms at squared distance r2, zero beyond the cutoff.
    private func lj(_ r2: Double) -> Double {
        let s2 = sigma * sigma / r2
        guard r2 < cutoff * cutoff * sigma * sigma else { return 0 }
        let s6 = s2 * s2 * s2
        return 4 * (s6 * s6 - s6)
    }

    /// Energy between the atoms of one column (independent of its shift).
    private func selfEnergy(_ m: ColumnStackModel, _ c: Int) -> Double {
        var e = 0.0
        for k in 0..<m.counts[c] { for l in (k + 1)..<max(k + 1, m.counts[c]) {
            let dz = Double(l - k) * m.period
            e += lj(dz * dz)
        } }
        return e
    }

    private func pairEnergy(_ m: ColumnStackModel, _ c: Int, _ d: Int, _ sc: Int, _ sd: Int) -> Double {
        let dx = m.x[c] - m.x[d], dy = m.y[c] - m.y[d]
        let r2xy = dx * dx + dy * dy
        let zc0 = m.base[c] + Double(sc) * m.period, zd0 = m.base[d] + Double(sd) * m.period
        var e = 0.0
        for k in 0..<m.counts[c] {
            let zc = zc0 + Double(k) * m.period
            for l in 0..<m.counts[d] {
                let dz = zc - (zd0 + Double(l) * m.period)
                e += lj(r2xy + dz * dz)
            }
        }
        return e
    }
}


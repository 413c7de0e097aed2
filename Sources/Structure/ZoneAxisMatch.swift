import Foundation
import StemCore

/// How well a crystal and zone axis explain a measured lattice.
public struct ZoneAxisCandidate: Sendable, Codable, Equatable {
    public var lattice: CrystalLattice
    public var zoneAxis: Direction
    /// Misfit of the cell shape: √((Δr/r)² + Δγ²) with r = |a₂|/|a₁| and γ the angle in radians,
    /// plus the relative scale error when the lattice constant and pixel size are both known.
    public var misfit: Double
    /// Lattice constant implied by |a₁| (Å; px when the pixel size is unknown).
    public var impliedLatticeConstant: Double
}

/// Ranks crystals and zone axes by how well their projected lattice matches a measured one.
public enum ZoneAxisMatch {
    /// Candidates sorted by misfit (best first). `latticeConstant` (Å) and `pixelSize` (Å/px)
    /// add a scale term when both are known; `lattices` restricts the crystal lattices.
    public static func rank(_ m: MeasuredLattice, pixelSize: Double?, latticeConstant: Double? = nil,
                            lattices: [CrystalLattice] = CrystalLattice.allCases,
                            zoneAxes: [(CrystalLattice, Direction)] = Crystal.commonZoneAxes) -> [ZoneAxisCandidate] {
        let measured = cellShape(m.a1, m.a2)
        let scale = pixelSize ?? 1
        var out: [ZoneAxisCandidate] = []
        for (lattice, axis) in zoneAxes where lattices.contains(lattice) {
            let model = ProjectedLattice(Crystal(lattice: lattice, latticeConstant: 1, zoneAxis: axis))
            let s = model.shape
            var misfit2 = pow((measured.ratio - s.ratio) / s.ratio, 2) + pow(measured.angle - s.angle, 2)
            let implied = m.length1 * scale / length(model.b1)
            if let a = latticeConstant, pixelSize != nil { misfit2 += pow(implied / a - 1, 2) }
            out.append(ZoneAxisCandidate(lattice: lattice, zoneAxis: axis, misfit: misfit2.squareRoot(),
                                         impliedLatticeConstant: implied))
        }
        return out.sorted { $0.misfit < $1.misfit }
    }
}

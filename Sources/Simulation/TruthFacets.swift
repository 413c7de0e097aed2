import Foundation
import StemCore

/// A facet of the true particle: a maximal run of occupied columns along a lattice row whose
/// next row out is empty, computed exactly on the lattice from the 3D model.
///
/// Definition (shared with the measurement, implemented independently here): rows are the
/// primitive in-plane lattice directions no longer than 1.75 × the nearest column distance; a
/// column is exposed on one side of a row when the sites of the next row out on that side
/// within half a row step along the row are empty; a facet is a run of ≥ 2 exposed columns.
/// The plane seen edge-on has normal (row vector × zone axis), which labels its family.
public struct TruthFacet: Sendable, Equatable, Codable {
    /// Miller family, e.g. "{111}".
    public var family: String
    /// Column ids along the facet.
    public var columns: [Int]
    /// (columns − 1) × row period, Å.
    public var length: Double
    /// Row period (column spacing along the facet), Å.
    public var spacing: Double
    /// End columns in the frame, px (with drift).
    public var x0: Double
    public var y0: Double
    public var x1: Double
    public var y1: Double
}

extension SeriesSimulator {
    /// True facets of frame `i`.
    public func truthFacets(_ i: Int) -> [TruthFacet] {
        let s = state(at: i)
        let truth = truth(i)
        let position = Dictionary(uniqueKeysWithValues: truth.columns.map { ($0.id, ($0.x, $0.y)) })
        return s.facets(maximumRow: 1.75).map { f in
            let a = position[f.ids.first!]!, b = position[f.ids.last!]!
            return TruthFacet(family: f.family, columns: f.ids, length: f.length, spacing: f.spacing,
                              x0: a.0, y0: a.1, x1: b.0, y1: b.1)
        }
    }
}

extension ColumnState {
    /// Facets on the exact lattice. Works in column-key space: the key of the column through
    /// lattice point h is h × d (d the zone axis), a copy of the projected plane rotated by 90°
    /// and scaled by |d|, so all geometry is integer.
    func facets(maximumRow: Double) -> [(family: String, ids: [Int], length: Double, spacing: Double)] {
        let d = crystal.zoneAxis.index
        let dl = Double(d.dot(d)).squareRoot()
        let half = crystal.latticeConstant / 2
        func len(_ k: LatticeIndex) -> Double { Double(k.dot(k)).squareRoot() }
        // Key-lattice vectors from lattice vectors in a box.
        var keys = Set<LatticeIndex>()
        for x in -6...6 { for y in -6...6 { for z in -6...6 {
            let h = LatticeIndex(x, y, z)
            guard h.isFCC else { continue }
            let k = h.cross(d)
            if k != .zero { keys.insert(k) }
        } } }
        let nearest = keys.map(len).min()!
        // Primitive row directions, one of each ± pair.
        var rows: [LatticeIndex] = []
        for k in keys where len(k) <= maximumRow * nearest * (1 + 1e-9) {
            let primitive = !(2...6).contains { m in
                k.x % m == 0 && k.y % m == 0 && k.z % m == 0 && keys.contains(LatticeIndex(k.x / m, k.y / m, k.z / m))
            }
            guard primitive else { continue }
            let neg = LatticeIndex.zero - k
            if rows.contains(neg) { continue }
            rows.append(k)
        }
        rows.sort { (len($0), $0.x, $0.y, $0.z) < (len($1), $1.x, $1.y, $1.z) }
        let occupied = Dictionary(uniqueKeysWithValues: records.map { ($0.key, $0.id) })
        let sites = records.map(\.key)
        var out: [(String, [Int], Double, Double)] = []
        for row in rows {
            let normal = row.cross(d)               // in the key plane, perpendicular to the row
            let rowLength = len(row)
            for side in [1, -1] {
                let n = side * normal
                let ups = keys.map { $0.dot(n) }.filter { $0 > 0 }
                guard let step = ups.min() else { continue }
                let outer = keys.filter { k in
                    k.dot(n) == step && 2 * abs(k.dot(row)) <= row.dot(row)
                }
                func exposed(_ s: LatticeIndex) -> Bool {
                    occupied[s] != nil && outer.allSatisfy { occupied[s + $0] == nil }
                }
                for start in sites where exposed(start) && !exposed(start - row) {
                    var run = [start]
                    while exposed(run.last! + row) { run.append(run.last! + row) }
                    guard run.count >= 2 else { continue }
                    let spacing = rowLength / dl * half
                    out.append((familyLabel(row), run.map { occupied[$0]! }, Double(run.count - 1) * spacing, spacing))
                }
            }
        }
        return out
    }

    /// "{hkl}" of a plane with normal `k` (cubic), indices sorted by size.
    private func familyLabel(_ k: LatticeIndex) -> String {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? abs(a) : gcd(b, a % b) }
        let g = gcd(gcd(k.x, k.y), k.z)
        let s = [abs(k.x / g), abs(k.y / g), abs(k.z / g)].sorted(by: >)
        return "{" + s.map(String.init).joined() + "}"
    }
}

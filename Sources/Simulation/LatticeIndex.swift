/// An fcc lattice point in half-lattice-constant units: position = (x, y, z)·a/2 in the cubic
/// axes, with x + y + z even. Integer arithmetic keeps column grouping exact.
struct LatticeIndex: Hashable, Sendable {
    var x: Int, y: Int, z: Int

    init(_ x: Int, _ y: Int, _ z: Int) { self.x = x; self.y = y; self.z = z }

    static let zero = LatticeIndex(0, 0, 0)

    static func + (l: LatticeIndex, r: LatticeIndex) -> LatticeIndex { .init(l.x + r.x, l.y + r.y, l.z + r.z) }
    static func - (l: LatticeIndex, r: LatticeIndex) -> LatticeIndex { .init(l.x - r.x, l.y - r.y, l.z - r.z) }
    static func * (k: Int, v: LatticeIndex) -> LatticeIndex { .init(k * v.x, k * v.y, k * v.z) }

    func dot(_ o: LatticeIndex) -> Int { x * o.x + y * o.y + z * o.z }
    func cross(_ o: LatticeIndex) -> LatticeIndex {
        .init(y * o.z - z * o.y, z * o.x - x * o.z, x * o.y - y * o.x)
    }

    var isFCC: Bool { (x + y + z) & 1 == 0 }
    var vector: SIMD3<Double> { SIMD3(Double(x), Double(y), Double(z)) }

    /// The 12 nearest neighbours of an fcc site, ⟨110⟩/2 (distance a/√2).
    static let nearestNeighbours: [LatticeIndex] = {
        var list: [LatticeIndex] = []
        for a in [-1, 1] { for b in [-1, 1] {
            list.append(.init(a, b, 0)); list.append(.init(a, 0, b)); list.append(.init(0, a, b))
        } }
        return list
    }()
}

/// Floor division for possibly negative numerators (positive divisor).
@inline(__always) func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

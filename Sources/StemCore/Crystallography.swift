/// The Bravais lattice of the crystal. Cubic lattices project onto 2D Bravais lattices along any
/// zone axis, which is what column indexing needs (hcp projects onto a lattice with a basis and
/// is not supported yet).
public enum CrystalLattice: String, Sendable, Codable, CaseIterable {
    /// Face-centred cubic (Pt, Au, Pd, Ir, Ag, Cu, Ni, Al).
    case fcc
    /// Body-centred cubic (Fe, W, Mo, Cr).
    case bcc
}

/// A crystal direction [u v w] in the conventional cubic cell, reduced to the smallest integers.
/// Text forms: "110", "[110]", "1-10", "[1 -1 0]", "1,1,0".
public struct Direction: Sendable, Hashable, Codable, CustomStringConvertible {
    public let u: Int, v: Int, w: Int

    /// [u v w]; not all zero. Common factors are divided out.
    public init(_ u: Int, _ v: Int, _ w: Int) {
        precondition(u != 0 || v != 0 || w != 0, "direction [000]")
        let g = gcd(gcd(u, v), w)
        self.u = u / g; self.v = v / g; self.w = w / g
    }

    public init?(_ text: String) {
        var digits: [Int] = []
        var sign = 1
        for ch in text where !"[] ,<>".contains(ch) {
            if ch == "-" { sign = -1; continue }
            guard let d = ch.wholeNumberValue else { return nil }
            digits.append(sign * d); sign = 1
        }
        guard digits.count == 3, digits.contains(where: { $0 != 0 }) else { return nil }
        self.init(digits[0], digits[1], digits[2])
    }

    public var description: String { [u, v, w].map { $0 < 0 ? "-\(-$0)" : "\($0)" }.joined() }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let d = Direction(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad direction \"\(text)\""))
        }
        self = d
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public var vector: Int3 { Int3(u, v, w) }
}

/// Crystal lattice, lattice constant and viewing direction.
public struct Crystal: Sendable, Hashable, Codable, CustomStringConvertible {
    public var lattice: CrystalLattice
    /// Cubic lattice constant, Å (Pt 3.92, Au 4.08, Pd 3.89, Ir 3.84).
    public var latticeConstant: Double
    /// Zone axis (beam direction).
    public var zoneAxis: Direction

    public init(lattice: CrystalLattice = .fcc, latticeConstant: Double = 3.92, zoneAxis: Direction = Direction(1, 1, 0)) {
        self.lattice = lattice; self.latticeConstant = latticeConstant; self.zoneAxis = zoneAxis
    }

    public var description: String {
        "\(lattice.rawValue) a = \((latticeConstant * 1000).rounded() / 1000) Å along [\(zoneAxis)]"
    }

    /// Zone axes compared when the crystal is not configured: the low-index axes of each lattice.
    public static let commonZoneAxes: [(CrystalLattice, Direction)] = [
        (.fcc, Direction(1, 1, 0)), (.fcc, Direction(1, 0, 0)), (.fcc, Direction(1, 1, 1)), (.fcc, Direction(2, 1, 1)),
        (.fcc, Direction(3, 1, 0)),
        (.bcc, Direction(1, 0, 0)), (.bcc, Direction(1, 1, 0)), (.bcc, Direction(1, 1, 1)), (.bcc, Direction(2, 1, 1)),
    ]

    /// Whether a point in half-lattice-constant units is a lattice point.
    public func isLatticePoint(_ h: Int3) -> Bool {
        switch lattice {
        case .fcc: (h.x + h.y + h.z) & 1 == 0
        case .bcc: (h.x & 1) == (h.y & 1) && (h.y & 1) == (h.z & 1)
        }
    }

    /// Nearest-neighbour vectors in half-lattice-constant units (fcc ⟨110⟩/2, bcc ⟨111⟩/2).
    public var nearestNeighbours: [Int3] {
        var list: [Int3] = []
        switch lattice {
        case .fcc:
            for a in [-1, 1] { for b in [-1, 1] {
                list += [Int3(a, b, 0), Int3(a, 0, b), Int3(0, a, b)]
            } }
        case .bcc:
            for a in [-1, 1] { for b in [-1, 1] { for c in [-1, 1] { list.append(Int3(a, b, c)) } } }
        }
        return list
    }

    /// Nearest-neighbour distance, Å (fcc a/√2, bcc a√3/2).
    public var nearestNeighbourDistance: Double {
        let v = nearestNeighbours[0]
        return Double(v.dot(v)).squareRoot() * latticeConstant / 2
    }
}

/// A small integer 3-vector (lattice points in half-lattice-constant units, Miller indices).
public struct Int3: Hashable, Sendable {
    public var x: Int, y: Int, z: Int
    public init(_ x: Int, _ y: Int, _ z: Int) { self.x = x; self.y = y; self.z = z }
    public static func + (l: Int3, r: Int3) -> Int3 { Int3(l.x + r.x, l.y + r.y, l.z + r.z) }
    public static func - (l: Int3, r: Int3) -> Int3 { Int3(l.x - r.x, l.y - r.y, l.z - r.z) }
    public static func * (k: Int, v: Int3) -> Int3 { Int3(k * v.x, k * v.y, k * v.z) }
    public func dot(_ o: Int3) -> Int { x * o.x + y * o.y + z * o.z }
    public func cross(_ o: Int3) -> Int3 { Int3(y * o.z - z * o.y, z * o.x - x * o.z, x * o.y - y * o.x) }
    public var double: SIMD3<Double> { SIMD3(Double(x), Double(y), Double(z)) }
    public var reduced: Int3 {
        let g = gcd(gcd(x, y), z)
        return g == 0 ? self : Int3(x / g, y / g, z / g)
    }
    /// The Miller family label of a cubic plane with this normal: "{111}", "{100}", "{311}".
    public var family: String {
        let r = reduced
        let s = [abs(r.x), abs(r.y), abs(r.z)].sorted(by: >)
        return "{" + s.map(String.init).joined() + "}"
    }
}

public func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? abs(a) : gcd(b, a % b) }

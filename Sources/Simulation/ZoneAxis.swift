import StemCore

/// The crystal direction [u v w] along which the beam travels (cubic Miller indices, reduced to
/// the smallest integers). Encoded in JSON as text, e.g. `"110"` or `"1-10"`.
public struct ZoneAxis: Sendable, Hashable, Codable, CustomStringConvertible {
    public let u: Int, v: Int, w: Int

    /// [u v w]; not all zero. Common factors are divided out ([220] → [110]).
    public init(_ u: Int, _ v: Int, _ w: Int) {
        precondition(u != 0 || v != 0 || w != 0, "zone axis [000]")
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? abs(a) : gcd(b, a % b) }
        let g = gcd(gcd(u, v), w)
        self.u = u / g; self.v = v / g; self.w = w / g
    }

    /// [110]: the usual zone axis for fcc nanoparticles (default).
    public static let z110 = ZoneAxis(1, 1, 0)
    /// [100]: square column pattern.
    public static let z100 = ZoneAxis(1, 0, 0)
    /// [111]: hexagonal column pattern.
    public static let z111 = ZoneAxis(1, 1, 1)

    /// Parses "110", "[110]", "1-10", "[1 -1 0]", "1,1,0" (as ``Structure/Direction``).
    public init?(_ text: String) {
        guard let d = Direction(text) else { return nil }
        self.init(d.u, d.v, d.w)
    }

    /// "110", "1-10" (minus before a negative index).
    public var description: String { Direction(u, v, w).description }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let axis = ZoneAxis(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "bad zone axis \"\(text)\""))
        }
        self = axis
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    var index: LatticeIndex { LatticeIndex(u, v, w) }
}

extension RandomSource {
    /// An independent generator for one purpose (`stream`) of one simulation (`seed`): stage drift,
    /// surface hops and the noise of each frame each get their own stream, so changing one
    /// setting (say the hop probability) leaves the others' random numbers unchanged, and any
    /// frame can be rendered on its own.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: RandomSource.mix(seed ^ RandomSource.mix(stream &+ 0x5851_F42D_4C95_7F2D)))
    }

    /// SplitMix64 finaliser: a bijective scramble of 64 bits.
    static func mix(_ value: UInt64) -> UInt64 {
        var x = value &+ 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }

    /// Uniform integer in `0..<bound` (bound > 0), without modulo bias worth mentioning
    /// (Lemire's multiply-shift; bias < bound/2⁶⁴).
    mutating func index(below bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}

/// Fixed stream numbers (see ``RandomSource/init(seed:stream:)``).
enum RandomStream {
    static let drift: UInt64 = 1
    static let hops: UInt64 = 2
    /// Frame `i`'s noise uses `noiseBase + i`.
    static let noiseBase: UInt64 = 1 << 32
}

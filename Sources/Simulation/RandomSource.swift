import StemCore

/// A small, fast, seedable generator (xoshiro256**, Blackman & Vigna 2018) so that simulated
/// series are identical on every machine and every run for the same seed.
public struct RandomSource: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        // SplitMix64 expands the seed into the state.
        var g = SplitMix64(seed: seed)
        s = (g.next(), g.next(), g.next(), g.next())
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal deviate (Box–Muller).
    public mutating func gaussian() -> Double {
        var u = uniform()
        while u <= 0 { u = uniform() }
        let v = uniform()
        return (-2 * _log(u)).squareRoot() * _cos(2 * Double.pi * v)
    }

    /// Poisson deviate with mean `lambda`: Knuth's product method for small means and
    /// Hörmann's transformed rejection (PTRS, 1993) otherwise; exact in both regimes.
    public mutating func poisson(_ lambda: Double) -> Double {
        if !(lambda > 0) { return 0 }
        if lambda < 10 {
            let limit = _exp(-lambda)
            var k = 0.0
            var p = uniform()
            while p > limit { k += 1; p *= uniform() }
            return k
        }
        let slam = lambda.squareRoot(), loglam = _log(lambda)
        let b = 0.931 + 2.53 * slam
        let a = -0.059 + 0.02483 * b
        let invalpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = uniform() - 0.5
            let v = uniform()
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + lambda + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return k }
            if k < 0 || (us < 0.013 && v > us) { continue }
            let lhs = _log(v) + _log(invalpha) - _log(a / (us * us) + b)
            let rhs = -lambda + k * loglam - lgammaPlusOne(k)
            if lhs <= rhs { return k }
        }
    }

    private func lgammaPlusOne(_ k: Double) -> Double { _lgamma(k + 1) }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _exp(_ x: Double) -> Double { Glibc.exp(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
@inline(__always) func _lgamma(_ x: Double) -> Double { Glibc.lgamma(x) }
@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
@inline(__always) func _sin(_ x: Double) -> Double { Glibc.sin(x) }
#else
import Darwin
@inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _exp(_ x: Double) -> Double { Darwin.exp(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Darwin.cos(x) }
@inline(__always) func _lgamma(_ x: Double) -> Double { Darwin.lgamma(x) }
@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { Darwin.pow(x, y) }
@inline(__always) func _sin(_ x: Double) -> Double { Darwin.sin(x) }
#endif

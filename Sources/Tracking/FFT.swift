import Foundation

/// Complex discrete Fourier transform of any length: iterative radix-2 Cooley–Tukey for powers of
/// two, Bluestein's chirp-z algorithm (a power-of-two convolution) for every other length.
///
/// Forward: X[k] = Σₙ x[n]·e^(−2πi·kn/N); inverse: x[n] = (1/N)·Σₖ X[k]·e^(+2πi·kn/N).
/// Data are split into real and imaginary arrays. A plan holds the twiddle factors of one length
/// and can be reused (it is a value, Sendable).
public struct FFTPlan: Sendable {
    public let count: Int
    private let log2n: Int
    private let cosTable: [Double], sinTable: [Double]
    private let bitReverse: [Int]
    /// Bluestein: chirp e^(−πi·n²/N) and the transform of its conjugate, padded to `inner.count`.
    private let chirpRe: [Double], chirpIm: [Double]
    private let kernelRe: [Double], kernelIm: [Double]
    private let inner: FFTPlanRadix2?

    public init(count n: Int) {
        precondition(n >= 1, "FFT length must be positive")
        count = n
        if n & (n - 1) == 0 {
            let r = FFTPlanRadix2(count: n)
            log2n = r.log2n; cosTable = r.cosTable; sinTable = r.sinTable; bitReverse = r.bitReverse
            chirpRe = []; chirpIm = []; kernelRe = []; kernelIm = []; inner = nil
            return
        }
        log2n = 0; cosTable = []; sinTable = []; bitReverse = []
        var m = 1
        while m < 2 * n - 1 { m <<= 1 }
        let r = FFTPlanRadix2(count: m)
        var cr = [Double](repeating: 0, count: n), ci = [Double](repeating: 0, count: n)
        for k in 0..<n {
            // k² mod 2N keeps the angle accurate for large k.
            let k2 = (k * k) % (2 * n)
            let a = Double.pi * Double(k2) / Double(n)
            cr[k] = cos(a); ci[k] = -sin(a)
        }
        var br = [Double](repeating: 0, count: m), bi = [Double](repeating: 0, count: m)
        br[0] = cr[0]; bi[0] = -ci[0]
        for k in 1..<n { br[k] = cr[k]; bi[k] = -ci[k]; br[m - k] = cr[k]; bi[m - k] = -ci[k] }
        r.transform(&br, &bi, inverse: false)
        chirpRe = cr; chirpIm = ci; kernelRe = br; kernelIm = bi; inner = r
    }

    /// In-place transform of `re`, `im` (length `count`). The inverse includes the 1/N factor.
    public func transform(_ re: inout [Double], _ im: inout [Double], inverse: Bool = false) {
        precondition(re.count == count && im.count == count, "FFT input length \(re.count) for a plan of \(count)")
        guard let inner else {
            FFTPlanRadix2.run(&re, &im, inverse: inverse, log2n: log2n, cos: cosTable, sin: sinTable, bitReverse: bitReverse)
            return
        }
        // Inverse via conjugation: IDFT(x) = conj(DFT(conj x))/N.
        let n = count, m = inner.count
        var ar = [Double](repeating: 0, count: m), ai = [Double](repeating: 0, count: m)
        for k in 0..<n {
            let xr = re[k], xi = inverse ? -im[k] : im[k]
            ar[k] = xr * chirpRe[k] - xi * chirpIm[k]
            ai[k] = xr * chirpIm[k] + xi * chirpRe[k]
        }
        inner.transform(&ar, &ai, inverse: false)
        for k in 0..<m {
            let xr = ar[k] * kernelRe[k] - ai[k] * kernelIm[k]
            let xi = ar[k] * kernelIm[k] + ai[k] * kernelRe[k]
            ar[k] = xr; ai[k] = xi
        }
        inner.transform(&ar, &ai, inverse: true)
        let scale = inverse ? 1 / Double(n) : 1
        for k in 0..<n {
            let yr = ar[k] * chirpRe[k] - ai[k] * chirpIm[k]
            let yi = ar[k] * chirpIm[k] + ai[k] * chirpRe[k]
            re[k] = yr * scale
            im[k] = (inverse ? -yi : yi) * scale
        }
    }
}

/// Radix-2 plan (power-of-two length).
struct FFTPlanRadix2: Sendable {
    let count: Int
    let log2n: Int
    let cosTable: [Double], sinTable: [Double]
    let bitReverse: [Int]

    init(count n: Int) {
        precondition(n >= 1 && n & (n - 1) == 0, "radix-2 FFT length must be a power of two")
        count = n
        var l = 0
        while (1 << l) < n { l += 1 }
        log2n = l
        cosTable = (0..<max(1, n / 2)).map { cos(2 * Double.pi * Double($0) / Double(n)) }
        sinTable = (0..<max(1, n / 2)).map { sin(2 * Double.pi * Double($0) / Double(n)) }
        bitReverse = (0..<n).map { i in
            var r = 0, v = i
            for _ in 0..<l { r = (r << 1) | (v & 1); v >>= 1 }
            return r
        }
    }

    func transform(_ re: inout [Double], _ im: inout [Double], inverse: Bool) {
        Self.run(&re, &im, inverse: inverse, log2n: log2n, cos: cosTable, sin: sinTable, bitReverse: bitReverse)
    }

    static func run(_ re: inout [Double], _ im: inout [Double], inverse: Bool, log2n: Int,
                    cos: [Double], sin: [Double], bitReverse: [Int]) {
        let n = re.count
        guard n > 1 else { return }
        re.withUnsafeMutableBufferPointer { r in
            im.withUnsafeMutableBufferPointer { m in
                for i in 0..<n {
                    let j = bitReverse[i]
                    if j > i { r.swapAt(i, j); m.swapAt(i, j) }
                }
                let sign: Double = inverse ? 1 : -1
                var half = 1
                while half < n {
                    let stride = n / (2 * half)
                    var start = 0
                    while start < n {
                        var t = 0
                        for k in start..<(start + half) {
                            let wr = cos[t], wi = sign * sin[t]
                            let a = k + half
                            let xr = r[a] * wr - m[a] * wi
                            let xi = r[a] * wi + m[a] * wr
                            r[a] = r[k] - xr; m[a] = m[k] - xi
                            r[k] += xr; m[k] += xi
                            t += stride
                        }
                        start += 2 * half
                    }
                    half *= 2
                }
                if inverse {
                    let s = 1 / Double(n)
                    for i in 0..<n { r[i] *= s; m[i] *= s }
                }
            }
        }
    }
}

/// Two-dimensional transform of a row-major `width × height` complex image (rows, then columns).
public struct FFT2D: Sendable {
    public let width: Int, height: Int
    private let rows: FFTPlan, columns: FFTPlan

    public init(width: Int, height: Int) {
        self.width = width; self.height = height
        rows = FFTPlan(count: width); columns = FFTPlan(count: height)
    }

    public func transform(_ re: inout [Double], _ im: inout [Double], inverse: Bool = false) {
        precondition(re.count == width * height && im.count == width * height, "FFT2D: wrong image size")
        var lr = [Double](repeating: 0, count: width), li = [Double](repeating: 0, count: width)
        for y in 0..<height {
            let o = y * width
            for x in 0..<width { lr[x] = re[o + x]; li[x] = im[o + x] }
            rows.transform(&lr, &li, inverse: inverse)
            for x in 0..<width { re[o + x] = lr[x]; im[o + x] = li[x] }
        }
        var cr = [Double](repeating: 0, count: height), ci = [Double](repeating: 0, count: height)
        for x in 0..<width {
            for y in 0..<height { cr[y] = re[y * width + x]; ci[y] = im[y * width + x] }
            columns.transform(&cr, &ci, inverse: inverse)
            for y in 0..<height { re[y * width + x] = cr[y]; im[y * width + x] = ci[y] }
        }
    }
}

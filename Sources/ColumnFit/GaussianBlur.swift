import Foundation

/// Separable Gaussian smoothing with mirrored edges.
enum GaussianBlur {
    static func apply(_ image: [Double], width: Int, height: Int, sigma: Double) -> [Double] {
        guard sigma > 0 else { return image }
        let r = max(1, Int((3.5 * sigma).rounded(.up)))
        var kernel = (-r...r).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let s = kernel.reduce(0, +)
        for i in kernel.indices { kernel[i] /= s }
        func mirror(_ i: Int, _ n: Int) -> Int {
            var j = i
            if n == 1 { return 0 }
            while j < 0 || j >= n { j = j < 0 ? -j : 2 * (n - 1) - j }
            return j
        }
        var tmp = [Double](repeating: 0, count: image.count)
        image.withUnsafeBufferPointer { src in
            tmp.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let row = y * width
                    for x in 0..<width {
                        var acc = 0.0
                        if x >= r && x < width - r {
                            for k in 0...(2 * r) { acc += kernel[k] * src[row + x - r + k] }
                        } else {
                            for k in 0...(2 * r) { acc += kernel[k] * src[row + mirror(x - r + k, width)] }
                        }
                        dst[row + x] = acc
                    }
                }
            }
        }
        var out = [Double](repeating: 0, count: image.count)
        tmp.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    for x in 0..<width { dst[y * width + x] = 0 }
                    for k in 0...(2 * r) {
                        let yy = (y - r + k >= 0 && y - r + k < height) ? y - r + k : mirror(y - r + k, height)
                        let w = kernel[k], srow = yy * width, drow = y * width
                        for x in 0..<width { dst[drow + x] += w * src[srow + x] }
                    }
                }
            }
        }
        return out
    }
}

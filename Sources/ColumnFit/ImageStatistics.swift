import StemCore
/// Noise and validity of pixels, measured from the image alone.
public enum ImageStatistics {
    /// Pixels that carry signal: false where the pixel and its four neighbours are identical
    /// (zero padding, saturation, masked areas), which carry no noise information.
    public static func validMask(_ image: [Double], width: Int, height: Int) -> [Bool] {
        var mask = [Bool](repeating: true, count: image.count)
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x, v = image[i]
                var flat = true
                if x > 0, image[i - 1] != v { flat = false }
                if flat, x < width - 1, image[i + 1] != v { flat = false }
                if flat, y > 0, image[i - width] != v { flat = false }
                if flat, y < height - 1, image[i + width] != v { flat = false }
                mask[i] = !flat
            }
        }
        return mask
    }

    /// Standard deviation of white noise, image units, from the 3×3 mask of Immerkær
    /// (Comput. Vis. Image Underst. 64 (1996) 300), which cancels smooth structure such as
    /// Gaussian peaks. Robust: median absolute response over valid pixels.
    public static func noiseSigma(_ image: [Double], width: Int, height: Int, valid: [Bool]) -> Double {
        guard width >= 3, height >= 3 else { return 0 }
        // At most ~250,000 samples: a regular subsample of rows is as good as all of them.
        let rowStep = max(1, (width - 2) * (height - 2) / 250_000)
        var responses: [Double] = []
        responses.reserveCapacity((width - 2) * (height - 2) / rowStep + 1)
        for y in stride(from: 1, to: height - 1, by: rowStep) {
            for x in 1..<(width - 1) {
                let i = y * width + x
                guard valid[i], valid[i - 1], valid[i + 1], valid[i - width], valid[i + width] else { continue }
                let corners = image[i - width - 1] + image[i - width + 1] + image[i + width - 1] + image[i + width + 1]
                let edges = image[i - width] + image[i + width] + image[i - 1] + image[i + 1]
                responses.append(abs(corners - 2 * edges + 4 * image[i]))
            }
        }
        guard !responses.isEmpty else { return 0 }
        let median = Statistics.median(&responses)
        // The mask has norm 6; median|N(0,1)| = 0.6745.
        return median / 0.6745 / 6
    }
}

enum Statistics {
    /// Median (reorders the array).
    static func median(_ v: inout [Double]) -> Double {
        precondition(!v.isEmpty)
        v.sort()
        let n = v.count
        return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

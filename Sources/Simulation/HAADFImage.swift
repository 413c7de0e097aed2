import TIFFFrame

/// Image formation: expected electron counts, Poisson shot noise and the detector response.
public enum HAADFImage {
    /// Expected detected electrons per pixel (row-major `width × height`): a background plus a
    /// round Gaussian per peak, all in electrons. Peaks are evaluated out to `cutoff` widths.
    public static func expectedElectrons(_ peaks: [Peak], width: Int, height: Int, background: Double,
                                         cutoff: Double = 6) -> [Double] {
        GaussianImage.render(peaks, width: width, height: height, background: background, cutoff: cutoff)
    }

    /// Image units from electrons, noise-free: offset + gain·λ.
    public static func expectedImage(electrons: [Double], detector: DetectorModel) -> [Double] {
        electrons.map { detector.offset + detector.gain * $0 }
    }

    /// One noisy realisation: offset + gain·Poisson(λ) + readNoise·N(0,1) per pixel, as `Float`.
    public static func noisy(electrons: [Double], detector: DetectorModel, rng: inout RandomSource) -> [Float] {
        var out = [Float](repeating: 0, count: electrons.count)
        let g = detector.gain, o = detector.offset, r = detector.readNoise
        out.withUnsafeMutableBufferPointer { dst in
            electrons.withUnsafeBufferPointer { src in
                if r > 0 {
                    for i in 0..<src.count { dst[i] = Float(o + g * rng.poisson(src[i]) + r * rng.gaussian()) }
                } else {
                    for i in 0..<src.count { dst[i] = Float(o + g * rng.poisson(src[i])) }
                }
            }
        }
        return out
    }
}

/// Why a file could not be turned into frames. Messages name the file and say what a
/// microscopist can do about it.
public enum FrameReadError: Error, Equatable, CustomStringConvertible, Sendable {
    case fileNotFound(path: String)
    case emptyFile(path: String)
    case notTIFF(path: String, detail: String)
    case truncated(path: String, bytesPresent: Int, bytesNeeded: Int)
    case unsupportedColor(path: String, samplesPerPixel: Int, photometric: Int)
    case unsupportedSampleType(path: String, bitsPerSample: Int, sampleFormat: Int)
    case corrupt(path: String, page: Int, detail: String)

    public var description: String {
        switch self {
        case .fileNotFound(let p):
            return "\(name(p)): file not found"
        case .emptyFile(let p):
            return "\(name(p)): zero-byte file (the writer may not have finished)"
        case .notTIFF(let p, let d):
            return "\(name(p)): not a TIFF file (\(d))"
        case .truncated(let p, let have, let need):
            return "\(name(p)): truncated TIFF, \(mb(have)) of \(mb(need)) read"
        case .unsupportedColor(let p, let spp, let photometric):
            let kind = photometric == 3 ? "palette (indexed colour)"
                : photometric == 2 ? "RGB" : "\(spp) samples per pixel, photometric \(photometric)"
            return "\(name(p)): \(kind) image; stemtrack needs a single-channel grayscale HAADF image"
        case .unsupportedSampleType(let p, let bits, let fmt):
            let kind = fmt == 3 ? "floating point" : fmt == 2 ? "signed integer" : "unsigned integer"
            return "\(name(p)): \(bits)-bit \(kind) pixels are not supported "
                + "(use 8/16/32-bit integers or 32/64-bit floats)"
        case .corrupt(let p, let page, let d):
            return "\(name(p)): corrupt TIFF data on page \(page) (\(d))"
        }
    }

    private func name(_ path: String) -> String {
        String(path.split(separator: "/").last ?? Substring(path))
    }

    private func mb(_ bytes: Int) -> String {
        if bytes < 100_000 { return "\(bytes) bytes" }
        let v = Double(bytes) / 1_000_000
        return "\((v * 10).rounded() / 10) MB"
    }
}

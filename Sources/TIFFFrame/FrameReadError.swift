#if canImport(Glibc)
import Glibc
#endif

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
    /// The path exists but is a directory, FIFO, device or socket.
    case notRegularFile(path: String, kind: String)
    /// The file exists but cannot be opened (permission denied, too many open files, I/O error).
    case unreadable(path: String, reason: String, errno: Int32)
    /// More pixels than the configured limit (refused before allocating them).
    case tooLarge(path: String, page: Int, width: Int, height: Int, maxPixels: Int)
    /// A readable file whose data is not a HAADF image (complex, RGB, bool, spectra).
    case unsupportedData(path: String, kind: String)
    /// Not a format stemtrack reads (TIFF, DigitalMicrograph DM3/DM4, Velox EMD).
    case unknownFormat(path: String, detail: String)
    /// A file of a known format that is damaged or not what it should be.
    case corruptFile(path: String, format: String, detail: String)

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
        case .notRegularFile(let p, let kind):
            return "\(name(p)): not a regular file (\(kind))"
        case .unreadable(let p, let reason, _):
            return "\(name(p)): cannot be read (\(reason))"
        case .unsupportedData(let p, let kind):
            return "\(name(p)): \(kind); stemtrack needs a real-valued grayscale HAADF image"
        case .unknownFormat(let p, let d):
            return "\(name(p)): not a TIFF, DigitalMicrograph (.dm3/.dm4) or Velox (.emd) file (\(d))"
        case .corruptFile(let p, let format, let d):
            return "\(name(p)): damaged \(format) file (\(d))"
        case .tooLarge(let p, let page, let w, let h, let limit):
            return "\(name(p)): page \(page) declares \(w)×\(h) = \(w * h) pixels, more than the limit of \(limit) "
                + "(max_pixels); refused before reading it"
        }
    }

    /// Whether retrying later can help without the file changing (the machine ran out of file
    /// descriptors or memory, an I/O error): such a failure is an environmental one, not the file's.
    public var isEnvironmental: Bool {
        if case .unreadable(_, let reason, let e) = self {
            return e == EMFILE || e == ENFILE || e == ENOMEM || e == EIO || reason == "too many open files"
        }
        return false
    }

    /// The error for a failed `stat`/`open` with `errno` `e`.
    public static func fromErrno(_ e: Int32, path: String) -> FrameReadError {
        if e == ENOENT || e == ENOTDIR { return .fileNotFound(path: path) }
        let reason: String
        switch e {
        case EACCES, EPERM: reason = "permission denied"
        case EMFILE, ENFILE: reason = "too many open files"
        case EIO: reason = "input/output error"
        case ELOOP: reason = "too many levels of symbolic links"
        default: reason = String(cString: strerror(e))
        }
        return .unreadable(path: path, reason: reason, errno: e)
    }

    /// "directory", "FIFO", … for a `st_mode`.
    public static func fileKind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a plain file"
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

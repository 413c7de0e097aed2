import CZlib
import Foundation

/// Encodes 8-bit images as PNG (ISO/IEC 15948): each row filtered with the PNG filter that
/// minimises the sum of its absolute filtered bytes (the heuristic of libpng and of the PNG
/// specification's §12.8), the rows deflated by zlib (RFC 1950/1951), CRC-32 per chunk.
/// `.stored` writes uncompressed deflate blocks (no zlib needed, about the size of the raw pixels).
/// Sizes and times on PtIr and a 2048² frame: `stemtrack-png-bench` (README, "Frame images").
public enum PNGEncoder {
    /// How the image data are compressed.
    public enum Compression: Sendable, Equatable {
        /// Stored deflate blocks, filter 0: no compression.
        case stored
        /// Adaptive row filters and zlib deflate at `level` (1 fastest … 9 smallest).
        case deflate(level: Int32)

        /// The default: adaptive filters, deflate level 1. On PtIr level 6 is 6 % smaller for the
        /// same time; on a noisy 1024² frame 12 % smaller but 3× slower (91 against 30 ms), and
        /// the live page asks for every new frame (`stemtrack-png-bench`).
        public static let standard = Compression.deflate(level: 1)
    }

    /// Pixel layout of the input bytes.
    public enum ColourType: UInt8, Sendable {
        /// One byte per pixel.
        case gray = 0
        /// Three bytes per pixel (r, g, b).
        case rgb = 2
        var channels: Int { self == .gray ? 1 : 3 }
    }

    /// Errors in the input.
    public enum EncodeError: Error, CustomStringConvertible, Equatable {
        case badSize(width: Int, height: Int, bytes: Int, expected: Int)
        /// zlib failed (out of memory).
        case compression
        public var description: String {
            switch self {
            case .badSize(let w, let h, let b, let e): "PNG: \(w)×\(h) image needs \(e) bytes, got \(b)"
            case .compression: "PNG: zlib could not compress the image (out of memory?)"
            }
        }
    }

    /// PNG file bytes for a row-major image of `width` × `height` pixels.
    public static func encode(width: Int, height: Int, pixels: [UInt8], colour: ColourType = .gray,
                              compression: Compression = .standard) throws(EncodeError) -> Data {
        let rowBytes = width * colour.channels
        guard width > 0, height > 0, pixels.count == rowBytes * height else {
            throw .badSize(width: width, height: height, bytes: pixels.count, expected: max(0, rowBytes * height))
        }
        let data: [UInt8]
        switch compression {
        case .stored:
            var raw = [UInt8]()
            raw.reserveCapacity((rowBytes + 1) * height)
            for r in 0..<height {
                raw.append(0)   // filter: none
                raw.append(contentsOf: pixels[(r * rowBytes)..<((r + 1) * rowBytes)])
            }
            data = zlibStored(raw)
        case .deflate(let level):
            let raw = filtered(pixels, rowBytes: rowBytes, height: height, bytesPerPixel: colour.channels)
            guard let z = deflate(raw, level: level) else { throw .compression }
            data = z
        }
        var out = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = [UInt8]()
        header += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, colour.rawValue, 0, 0, 0]   // bit depth, colour type, deflate, adaptive filter, no interlace
        chunk("IHDR", header, into: &out)
        chunk("IDAT", data, into: &out)
        chunk("IEND", [], into: &out)
        return out
    }

    /// The rows, each preceded by its filter type: the filter (0 none, 1 Sub, 2 Up, 3 Average,
    /// 4 Paeth; ISO/IEC 15948 §9) whose output has the smallest sum of absolute values as signed
    /// bytes.
    static func filtered(_ pixels: [UInt8], rowBytes: Int, height: Int, bytesPerPixel bpp: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: (rowBytes + 1) * height)
        var candidates = [UInt8](repeating: 0, count: 5 * rowBytes)
        let zeros = [UInt8](repeating: 0, count: rowBytes)
        pixels.withUnsafeBufferPointer { px in
            zeros.withUnsafeBufferPointer { zero in
                candidates.withUnsafeMutableBufferPointer { cand in
                    out.withUnsafeMutableBufferPointer { o in
                        for r in 0..<height {
                            let x = px.baseAddress! + r * rowBytes
                            let up = r > 0 ? px.baseAddress! + (r - 1) * rowBytes : zero.baseAddress!
                            var sums = [Int](repeating: 0, count: 5)
                            for f in 0..<5 {
                                let c = cand.baseAddress! + f * rowBytes
                                var sum = 0
                                for i in 0..<rowBytes {
                                    let a = i >= bpp ? Int(x[i - bpp]) : 0
                                    let b = Int(up[i])
                                    let predicted: Int
                                    switch f {
                                    case 0: predicted = 0
                                    case 1: predicted = a
                                    case 2: predicted = b
                                    case 3: predicted = (a + b) >> 1
                                    default: predicted = paeth(a, b, i >= bpp ? Int(up[i - bpp]) : 0)
                                    }
                                    let v = UInt8(truncatingIfNeeded: Int(x[i]) - predicted)
                                    c[i] = v
                                    sum &+= v < 128 ? Int(v) : 256 - Int(v)
                                }
                                sums[f] = sum
                            }
                            var best = 0
                            for f in 1..<5 where sums[f] < sums[best] { best = f }
                            let row = o.baseAddress! + r * (rowBytes + 1)
                            row[0] = UInt8(best)
                            (row + 1).update(from: cand.baseAddress! + best * rowBytes, count: rowBytes)
                        }
                    }
                }
            }
        }
        return out
    }

    /// The Paeth predictor (ISO/IEC 15948 §9.4): of left, above and upper-left, the one nearest
    /// to left + above − upper-left (ties: left, then above).
    @inline(__always) static func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let p = a + b - c
        let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
        return pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
    }

    /// A zlib stream (RFC 1950) of `data` deflated by zlib at `level`; nil if zlib fails.
    static func deflate(_ data: [UInt8], level: Int32) -> [UInt8]? {
        var size = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(size))
        let status = out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { d in compress2(o.baseAddress, &size, d.baseAddress, uLong(data.count), max(1, min(9, level))) }
        }
        guard status == Z_OK else { return nil }
        out.removeSubrange(Int(size)...)
        return out
    }

    /// A zlib stream (RFC 1950) holding `data` in stored deflate blocks (RFC 1951 §3.2.4).
    public static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        out.reserveCapacity(data.count + data.count / 65_535 * 5 + 16)
        var offset = 0
        repeat {
            let n = min(65_535, data.count - offset)
            let final: UInt8 = offset + n == data.count ? 1 : 0
            out.append(final)
            out.append(UInt8(n & 0xFF)); out.append(UInt8(n >> 8))
            out.append(UInt8(~n & 0xFF)); out.append(UInt8((~n >> 8) & 0xFF))
            out.append(contentsOf: data[offset..<(offset + n)])
            offset += n
        } while offset < data.count
        out += bigEndian(adler32(data))
        return out
    }

    /// Adler-32 checksum (RFC 1950).
    public static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var i = 0
        while i < data.count {
            let end = min(data.count, i + 5552)   // largest block without overflow before the modulo
            while i < end { a &+= UInt32(data[i]); b &+= a; i += 1 }
            a %= 65_521; b %= 65_521
        }
        return b << 16 | a
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 (ISO 3309, as PNG uses it) of the bytes.
    public static func crc32<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    private static func chunk(_ type: String, _ data: [UInt8], into out: inout Data) {
        let typeBytes = Array(type.utf8)
        out.append(contentsOf: bigEndian(UInt32(data.count)))
        out.append(contentsOf: typeBytes)
        out.append(contentsOf: data)
        out.append(contentsOf: bigEndian(crc32(typeBytes + data)))
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }
}

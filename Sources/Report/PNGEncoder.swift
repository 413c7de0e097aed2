import Foundation

/// Encodes 8-bit images as PNG (ISO/IEC 15948) without external libraries: filter type 0 rows,
/// zlib stream of stored (uncompressed) deflate blocks, CRC-32 per chunk and Adler-32 of the data.
/// Fast and exact; files are about the size of the raw pixels (a 1024² frame ≈ 1 MB).
public enum PNGEncoder {
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
        public var description: String {
            switch self {
            case .badSize(let w, let h, let b, let e): "PNG: \(w)×\(h) image needs \(e) bytes, got \(b)"
            }
        }
    }

    /// PNG file bytes for a row-major image of `width` × `height` pixels.
    public static func encode(width: Int, height: Int, pixels: [UInt8], colour: ColourType = .gray) throws(EncodeError) -> Data {
        let rowBytes = width * colour.channels
        guard width > 0, height > 0, pixels.count == rowBytes * height else {
            throw .badSize(width: width, height: height, bytes: pixels.count, expected: max(0, rowBytes * height))
        }
        var raw = [UInt8]()
        raw.reserveCapacity((rowBytes + 1) * height)
        for r in 0..<height {
            raw.append(0)   // filter: none
            raw.append(contentsOf: pixels[(r * rowBytes)..<((r + 1) * rowBytes)])
        }
        var out = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = [UInt8]()
        header += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, colour.rawValue, 0, 0, 0]   // bit depth, colour type, deflate, adaptive filter, no interlace
        chunk("IHDR", header, into: &out)
        chunk("IDAT", zlibStored(raw), into: &out)
        chunk("IEND", [], into: &out)
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

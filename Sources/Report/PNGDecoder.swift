import CZlib
import Foundation

/// Reads back the PNG files ``PNGEncoder`` writes (8-bit gray or RGB, not interlaced, any of the
/// five row filters, ISO/IEC 15948 §9): for checking images the API and the report serve.
public enum PNGDecoder {
    public struct DecodeError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// The image's size, colour type and row-major pixel bytes.
    public static func decode(_ png: Data) throws(DecodeError) -> (width: Int, height: Int, colour: PNGEncoder.ColourType, pixels: [UInt8]) {
        let bytes = [UInt8](png)
        guard bytes.count > 8, bytes.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw DecodeError(description: "not a PNG file (no signature)")
        }
        func u32(_ o: Int) -> Int { Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]) }
        var offset = 8, idat: [UInt8] = []
        var header: [UInt8]? = nil
        while offset + 12 <= bytes.count {
            let n = u32(offset)
            guard offset + 12 + n <= bytes.count else { throw DecodeError(description: "chunk at byte \(offset) runs past the end") }
            let type = Array(bytes[(offset + 4)..<(offset + 8)])
            let body = Array(bytes[(offset + 8)..<(offset + 8 + n)])
            guard PNGEncoder.crc32(type + body) == UInt32(u32(offset + 8 + n)) else {
                throw DecodeError(description: "CRC mismatch in chunk \(String(decoding: type, as: UTF8.self))")
            }
            switch String(decoding: type, as: UTF8.self) {
            case "IHDR": header = body
            case "IDAT": idat += body
            default: break
            }
            offset += 12 + n
        }
        guard let h = header, h.count == 13 else { throw DecodeError(description: "no IHDR chunk") }
        let width = Int(h[0]) << 24 | Int(h[1]) << 16 | Int(h[2]) << 8 | Int(h[3])
        let height = Int(h[4]) << 24 | Int(h[5]) << 16 | Int(h[6]) << 8 | Int(h[7])
        guard h[8] == 8, let colour = PNGEncoder.ColourType(rawValue: h[9]), h[12] == 0, width > 0, height > 0 else {
            throw DecodeError(description: "only 8-bit gray or RGB, non-interlaced PNGs are read")
        }
        let bpp = colour.channels, rowBytes = width * bpp
        var size = uLong((rowBytes + 1) * height)
        var raw = [UInt8](repeating: 0, count: Int(size))
        guard uncompress(&raw, &size, idat, uLong(idat.count)) == Z_OK, Int(size) == raw.count else {
            throw DecodeError(description: "the image data do not inflate to \(height) rows of \(rowBytes) bytes")
        }
        var out = [UInt8](repeating: 0, count: rowBytes * height)
        for r in 0..<height {
            let filter = raw[r * (rowBytes + 1)]
            for i in 0..<rowBytes {
                let x = Int(raw[r * (rowBytes + 1) + 1 + i])
                let a = i >= bpp ? Int(out[r * rowBytes + i - bpp]) : 0
                let b = r > 0 ? Int(out[(r - 1) * rowBytes + i]) : 0
                let c = r > 0 && i >= bpp ? Int(out[(r - 1) * rowBytes + i - bpp]) : 0
                let p: Int
                switch filter {
                case 0: p = 0
                case 1: p = a
                case 2: p = b
                case 3: p = (a + b) / 2
                case 4:
                    let q = a + b - c
                    let pa = abs(q - a), pb = abs(q - b), pc = abs(q - c)
                    p = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw DecodeError(description: "row \(r): unknown filter \(filter)")
                }
                out[r * rowBytes + i] = UInt8((x + p) & 0xFF)
            }
        }
        return (width, height, colour, out)
    }
}

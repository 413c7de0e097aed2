import Foundation

/// Reads the directory structure of a little-endian TIFF or BigTIFF file independently of
/// libtiff, so tests can check that `TIFFWriter` really produced the layout it was asked for
/// and know where a file's IFD and pixel data lie.
struct TIFFInspector {
    struct Field {
        var type: UInt16
        var count: Int
        /// Where the values start in the file (inside the entry when they fit).
        var dataOffset: Int
        var elementSize: Int
    }

    enum InspectError: Error {
        case notLittleEndianTIFF
        case badOffset(Int)
    }

    let bytes: [UInt8]
    let bigTIFF: Bool
    /// Offsets of every IFD in the chain, first page first.
    private(set) var ifdOffsets: [Int] = []

    init(bytes: [UInt8]) throws {
        self.bytes = bytes
        guard bytes.count >= 8, bytes[0] == 0x49, bytes[1] == 0x49 else { throw InspectError.notLittleEndianTIFF }
        switch bytes[2] {
        case 0x2A: bigTIFF = false
        case 0x2B: bigTIFF = true
        default: throw InspectError.notLittleEndianTIFF
        }
        var next = Int(Self.uint(bytes, bigTIFF ? 8 : 4, bigTIFF ? 8 : 4))
        while next != 0 {
            guard next < bytes.count, !ifdOffsets.contains(next) else { throw InspectError.badOffset(next) }
            ifdOffsets.append(next)
            let n = Int(Self.uint(bytes, next, bigTIFF ? 8 : 2))
            let end = next + (bigTIFF ? 8 : 2) + n * (bigTIFF ? 20 : 12)
            next = Int(Self.uint(bytes, end, bigTIFF ? 8 : 4))
        }
    }

    init(url: URL) throws {
        try self.init(bytes: [UInt8](Data(contentsOf: url)))
    }

    /// The fields of directory `page`, by tag.
    func fields(page: Int = 0) -> [UInt16: Field] {
        guard page < ifdOffsets.count else { return [:] }
        let start = ifdOffsets[page]
        let n = Int(Self.uint(bytes, start, bigTIFF ? 8 : 2))
        let slot = bigTIFF ? 8 : 4
        var out: [UInt16: Field] = [:]
        for i in 0..<n {
            let e = start + (bigTIFF ? 8 : 2) + i * (bigTIFF ? 20 : 12)
            let tag = UInt16(Self.uint(bytes, e, 2))
            let type = UInt16(Self.uint(bytes, e + 2, 2))
            let count = Int(Self.uint(bytes, e + 4, bigTIFF ? 8 : 4))
            let size: Int = [1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 16: 8][type] ?? 1
            let valueAt = e + (bigTIFF ? 12 : 8)
            let dataAt = count * size <= slot ? valueAt : Int(Self.uint(bytes, valueAt, slot))
            out[tag] = Field(type: type, count: count, dataOffset: dataAt, elementSize: size)
        }
        return out
    }

    /// Integer values of `tag` on `page` (empty when absent).
    func values(_ tag: UInt16, page: Int = 0) -> [UInt64] {
        guard let f = fields(page: page)[tag], f.type != 5 else { return [] }
        return (0..<f.count).map { Self.uint(bytes, f.dataOffset + $0 * f.elementSize, f.elementSize) }
    }

    /// First integer value of `tag` on `page`.
    func value(_ tag: UInt16, page: Int = 0) -> UInt64? { values(tag, page: page).first }

    /// A RATIONAL tag as numerator / denominator.
    func rational(_ tag: UInt16, page: Int = 0) -> Double? {
        guard let f = fields(page: page)[tag], f.type == 5 else { return nil }
        return Double(Self.uint(bytes, f.dataOffset, 4)) / Double(Self.uint(bytes, f.dataOffset + 4, 4))
    }

    var isTiled: Bool { fields()[Tag.tileOffsets] != nil }

    /// The end of the last strip or tile of `page`: the number of bytes a reader needs.
    func dataExtent(page: Int = 0) -> Int {
        let tiled = fields(page: page)[Tag.tileOffsets] != nil
        let offsets = values(tiled ? Tag.tileOffsets : Tag.stripOffsets, page: page)
        let counts = values(tiled ? Tag.tileByteCounts : Tag.stripByteCounts, page: page)
        return zip(offsets, counts).map { Int($0 + $1) }.max() ?? 0
    }

    static func uint(_ b: [UInt8], _ at: Int, _ n: Int) -> UInt64 {
        guard at >= 0, at + n <= b.count else { return 0 }
        var v: UInt64 = 0
        for i in (0..<n).reversed() { v = (v << 8) | UInt64(b[at + i]) }
        return v
    }
}

import Foundation

/// Builds classic (32-bit offset) TIFF files byte by byte, so that tests can produce layouts
/// `TIFFWriter` never writes: RGB, palette, 1- and 12-bit samples, big-endian byte order,
/// ImageJ-style resolution, and a directory placed *before* the pixel data (as many microscope
/// programs do), which makes a cut-short file report the strip extent it needs.
///
/// Layout of a built file: 8-byte header, the IFD at offset 8, out-of-line tag values, then the
/// strips in order. So the last strip ends exactly at the end of the file.
struct TIFFBytes {
    enum FieldType: UInt16 {
        case byte = 1, ascii = 2, short = 3, long = 4, rational = 5

        var size: Int {
            switch self {
            case .byte, .ascii: return 1
            case .short: return 2
            case .long: return 4
            case .rational: return 8
            }
        }
    }

    /// One directory entry: tag, type and the values (as numbers; rationals take two each).
    struct Entry {
        var tag: UInt16
        var type: FieldType
        var values: [UInt64]

        var count: Int { type == .rational ? values.count / 2 : values.count }
        var byteCount: Int { count * type.size }
    }

    var bigEndian = false
    var entries: [Entry] = []

    // MARK: Tag values

    mutating func short(_ tag: UInt16, _ values: UInt16...) { shorts(tag, values) }
    mutating func shorts(_ tag: UInt16, _ values: [UInt16]) {
        set(Entry(tag: tag, type: .short, values: values.map(UInt64.init)))
    }
    mutating func long(_ tag: UInt16, _ values: UInt32...) { longs(tag, values) }
    mutating func longs(_ tag: UInt16, _ values: [UInt32]) {
        set(Entry(tag: tag, type: .long, values: values.map(UInt64.init)))
    }
    mutating func rational(_ tag: UInt16, _ numerator: UInt32, _ denominator: UInt32) {
        set(Entry(tag: tag, type: .rational, values: [UInt64(numerator), UInt64(denominator)]))
    }
    mutating func ascii(_ tag: UInt16, _ text: String) {
        set(Entry(tag: tag, type: .ascii, values: (Array(text.utf8) + [0]).map(UInt64.init)))
    }
    mutating func remove(_ tag: UInt16) { entries.removeAll { $0.tag == tag } }

    private mutating func set(_ entry: Entry) {
        remove(entry.tag)
        entries.append(entry)
    }

    // MARK: Standard single-image directory

    /// A directory for a `width`×`height` image stored in strips of `rowsPerStrip` rows.
    /// `strips` holds the encoded bytes of each strip (already in the file's byte order).
    static func image(width: Int, height: Int, bitsPerSample: [UInt16], photometric: UInt16,
                      sampleFormat: UInt16? = nil, rowsPerStrip: Int, bigEndian: Bool = false) -> TIFFBytes {
        var t = TIFFBytes(bigEndian: bigEndian)
        t.long(Tag.imageWidth, UInt32(width))
        t.long(Tag.imageLength, UInt32(height))
        t.shorts(Tag.bitsPerSample, bitsPerSample)
        t.short(Tag.compression, 1)
        t.short(Tag.photometric, photometric)
        t.short(Tag.samplesPerPixel, UInt16(bitsPerSample.count))
        t.long(Tag.rowsPerStrip, UInt32(rowsPerStrip))
        t.short(Tag.planarConfig, 1)
        if let sampleFormat { t.short(Tag.sampleFormat, sampleFormat) }
        return t
    }

    /// The complete file: header, IFD (entries sorted by tag), out-of-line values, then `strips`.
    /// StripOffsets and StripByteCounts are filled in here.
    func file(strips: [[UInt8]]) -> [UInt8] {
        file(blocks: strips, offsetsTag: Tag.stripOffsets, countsTag: Tag.stripByteCounts)
    }

    /// Like `file(strips:)` for a tiled image (TileWidth/TileLength must be set; RowsPerStrip is dropped).
    func file(tiles: [[UInt8]]) -> [UInt8] {
        var dir = self
        dir.remove(Tag.rowsPerStrip)
        return dir.file(blocks: tiles, offsetsTag: Tag.tileOffsets, countsTag: Tag.tileByteCounts)
    }

    private func file(blocks strips: [[UInt8]], offsetsTag: UInt16, countsTag: UInt16) -> [UInt8] {
        var dir = self
        dir.longs(offsetsTag, Array(repeating: 0, count: strips.count))
        dir.longs(countsTag, strips.map { UInt32($0.count) })
        dir.entries.sort { $0.tag < $1.tag }

        let ifdSize = 2 + 12 * dir.entries.count + 4
        let outOfLine = dir.entries.filter { $0.byteCount > 4 }.reduce(0) { $0 + padded($1.byteCount) }
        var dataOffset = 8 + ifdSize + outOfLine
        var offsets: [UInt32] = []
        for s in strips {
            offsets.append(UInt32(dataOffset))
            dataOffset += s.count
        }
        dir.longs(offsetsTag, offsets)
        dir.entries.sort { $0.tag < $1.tag }

        var out: [UInt8] = bigEndian ? [0x4D, 0x4D, 0x00, 0x2A] : [0x49, 0x49, 0x2A, 0x00]
        out += uint(8, bytes: 4)
        out += uint(UInt64(dir.entries.count), bytes: 2)
        var extra: [UInt8] = []
        let extraStart = 8 + ifdSize
        for e in dir.entries {
            out += uint(UInt64(e.tag), bytes: 2)
            out += uint(UInt64(e.type.rawValue), bytes: 2)
            out += uint(UInt64(e.count), bytes: 4)
            let payload = encode(e)
            if payload.count <= 4 {
                out += payload + Array(repeating: 0, count: 4 - payload.count)
            } else {
                out += uint(UInt64(extraStart + extra.count), bytes: 4)
                extra += payload + Array(repeating: 0, count: padded(payload.count) - payload.count)
            }
        }
        out += uint(0, bytes: 4) // no next IFD
        out += extra
        for s in strips { out += s }
        return out
    }

    private func padded(_ n: Int) -> Int { (n + 1) & ~1 }

    private func encode(_ e: Entry) -> [UInt8] {
        switch e.type {
        case .byte, .ascii: return e.values.map { UInt8(truncatingIfNeeded: $0) }
        case .short: return e.values.flatMap { uint($0, bytes: 2) }
        case .long, .rational: return e.values.flatMap { uint($0, bytes: 4) }
        }
    }

    /// `value` as `bytes` bytes in the file's byte order.
    func uint(_ value: UInt64, bytes: Int) -> [UInt8] {
        let le = (0..<bytes).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
        return bigEndian ? le.reversed() : le
    }
}

/// TIFF tag numbers used by the tests.
enum Tag {
    static let imageWidth: UInt16 = 256
    static let imageLength: UInt16 = 257
    static let bitsPerSample: UInt16 = 258
    static let compression: UInt16 = 259
    static let photometric: UInt16 = 262
    static let imageDescription: UInt16 = 270
    static let stripOffsets: UInt16 = 273
    static let samplesPerPixel: UInt16 = 277
    static let rowsPerStrip: UInt16 = 278
    static let stripByteCounts: UInt16 = 279
    static let xResolution: UInt16 = 282
    static let yResolution: UInt16 = 283
    static let planarConfig: UInt16 = 284
    static let resolutionUnit: UInt16 = 296
    static let colorMap: UInt16 = 320
    static let tileWidth: UInt16 = 322
    static let tileLength: UInt16 = 323
    static let tileOffsets: UInt16 = 324
    static let tileByteCounts: UInt16 = 325
    static let sampleFormat: UInt16 = 339
}

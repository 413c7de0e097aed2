import Foundation
import CTIFF
#if canImport(Glibc)
import Glibc
#endif

/// Reads grayscale TIFF and BigTIFF files into ``Frame``s with libtiff.
///
/// Supported: 8/16/32-bit unsigned and signed integers, 32/64-bit floats, strips or tiles,
/// any libtiff compression, multi-page files (each page one frame). The pixel size is taken from
/// the resolution tags (centimetre or inch units) or from an ImageJ-style ImageDescription
/// (`unit=nm` with XResolution in pixels per unit); otherwise it is left `nil` for the caller's
/// configuration to supply. Colour, palette, empty, truncated and non-TIFF files throw a
/// ``FrameReadError`` and never crash or hang.
public enum TIFFReader {
    /// Frames with more pixels than this are refused before any pixel memory is allocated
    /// (a damaged or hostile file can declare 40,000² pixels in a few kilobytes of deflate data).
    /// 4096² by default: about 1.7 GB of working memory in the fit.
    public static let defaultMaxPixels = 4096 * 4096

    /// libtiff open mode: read, and never memory-map the file. A mapped file that another process
    /// truncates while it is read raises SIGBUS and kills the process; `read(2)` just comes up short.
    static let openMode = "rm"

    /// Reads every page of the file at `path`.
    ///
    /// With `keepGoodPages`, a damaged page after the first ends the file there instead of
    /// failing it: the pages before it are returned, and `damagedPage` receives the error.
    public static func read(path: String, maxPixels: Int = defaultMaxPixels) throws(FrameReadError) -> [Frame] {
        try read(path: path, maxPixels: maxPixels, damagedPage: nil)
    }

    /// ``read(path:maxPixels:)`` keeping the good pages of a multi-page file: reading stops at
    /// the first damaged page after page 0 and `damagedPage` is called with its error.
    public static func read(path: String, maxPixels: Int = defaultMaxPixels,
                            damagedPage: ((FrameReadError) -> Void)?) throws(FrameReadError) -> [Frame] {
        let size = try checkHeader(path: path)
        st_install_handlers()
        st_clear_error()
        guard let tif = TIFFOpen(path, openMode) else {
            throw openFailure(path: path, size: size)
        }
        defer { TIFFClose(tif) }
        var frames = [try readPage(tif, path: path, page: 0, fileSize: size, maxPixels: maxPixels)]
        // TIFFReadDirectory returns 0 both at the end of the chain and on error, so a page that
        // is cut off or damaged would silently vanish; only stop where the chain really ends.
        while TIFFLastDirectory(tif) == 0 {
            let page = frames.count
            let previous = TIFFCurrentDirOffset(tif)
            st_clear_error()
            do throws(FrameReadError) {
                guard TIFFReadDirectory(tif) == 1 else {
                    throw nextDirectoryFailure(tif, path: path, page: page, after: previous, size: size)
                }
                frames.append(try readPage(tif, path: path, page: page, fileSize: size, maxPixels: maxPixels))
            } catch {
                guard let damagedPage, !error.isEnvironmental else { throw error }
                damagedPage(error)
                break
            }
        }
        return frames
    }

    /// Reads the first page only (the common case of one frame per file).
    public static func readFirst(path: String, maxPixels: Int = defaultMaxPixels) throws(FrameReadError) -> Frame {
        let size = try checkHeader(path: path)
        st_install_handlers()
        st_clear_error()
        guard let tif = TIFFOpen(path, openMode) else {
            throw openFailure(path: path, size: size)
        }
        defer { TIFFClose(tif) }
        return try readPage(tif, path: path, page: 0, fileSize: size, maxPixels: maxPixels)
    }

    // MARK: - Header and open checks

    /// Returns the file size after checking it exists, is non-empty, starts like a TIFF and that
    /// its first directory lies inside the file.
    static func checkHeader(path: String) throws(FrameReadError) -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { throw FrameReadError.fromErrno(errno, path: path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw .notRegularFile(path: path, kind: FrameReadError.fileKind(st.st_mode))
        }
        let size = Int(st.st_size)
        if size == 0 { throw .emptyFile(path: path) }
        guard let f = fopen(path, "rb") else { throw FrameReadError.fromErrno(errno, path: path) }
        defer { fclose(f) }
        var head = [UInt8](repeating: 0, count: 16)
        let n = fread(&head, 1, 16, f)
        let magic = Array(head.prefix(4))
        let known: [[UInt8]] = [[0x49, 0x49, 0x2A, 0], [0x4D, 0x4D, 0, 0x2A],
                                [0x49, 0x49, 0x2B, 0], [0x4D, 0x4D, 0, 0x2B]]
        guard n >= 4, known.contains(magic) else {
            let shown = head.prefix(min(n, 4)).map { byte -> String in
                (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + hex(byte)
            }.joined()
            throw .notTIFF(path: path, detail: "starts with \"\(shown)\", not a TIFF signature")
        }
        let layout = Layout(big: magic[2] == 0x2B || magic[3] == 0x2B, little: magic[0] == 0x49)
        let headerSize = layout.big ? 16 : 8
        if size < headerSize { throw .truncated(path: path, bytesPresent: size, bytesNeeded: headerSize) }
        let ifd = layout.big ? layout.unsigned(head[8..<16]) : layout.unsigned(head[4..<8])
        if ifd == 0 {
            throw .corrupt(path: path, page: 0, detail: "no image directory (the writer may not have finished)")
        }
        // First IFD (or part of it) beyond the end of the file: the writer has not finished.
        try checkDirectory(f, at: ifd, layout: layout, size: size, path: path)
        return size
    }

    /// Byte order and offset size of a file.
    struct Layout {
        var big: Bool
        var little: Bool
        var countSize: UInt64 { big ? 8 : 2 }
        var entrySize: UInt64 { big ? 20 : 12 }
        var offsetSize: UInt64 { big ? 8 : 4 }

        func unsigned<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
            let ordered = little ? Array(bytes.reversed()) : Array(bytes)
            return ordered.reduce(0) { ($0 << 8) | UInt64($1) }
        }
    }

    /// `a + b` as an `Int`, saturating instead of overflowing (offsets in damaged files can be anything).
    static func saturating(_ a: UInt64, _ b: UInt64) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : Int(clamping: sum)
    }

    /// Reads an unsigned integer of `count` bytes at `offset`, or nil if the file ends first.
    private static func readUnsigned(_ f: UnsafeMutablePointer<FILE>, at offset: UInt64, count: Int,
                                     layout: Layout) -> UInt64? {
        guard offset <= UInt64(Int64.max), fseeko(f, off_t(offset), SEEK_SET) == 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: count)
        guard fread(&bytes, 1, count, f) == count else { return nil }
        return layout.unsigned(bytes)
    }

    /// Tags whose values the reader depends on: layout, sample type, description, resolution.
    private static let essentialTags: Set<UInt64> = [258, 270, 273, 279, 282, 283, 324, 325, 339]

    /// Throws `.truncated` unless the directory at `offset` (entry count, entries, next-directory
    /// pointer, and the out-of-line values of the tags the reader depends on) lies inside the file.
    /// Otherwise libtiff skips a cut-off tag with a warning, and e.g. the pixel size silently vanishes.
    private static func checkDirectory(_ f: UnsafeMutablePointer<FILE>, at offset: UInt64, layout: Layout,
                                       size: Int, path: String) throws(FrameReadError) {
        let countEnd = saturating(offset, layout.countSize)
        guard countEnd <= size,
              let entries = readUnsigned(f, at: offset, count: Int(layout.countSize), layout: layout) else {
            throw .truncated(path: path, bytesPresent: size, bytesNeeded: countEnd)
        }
        let (table, tableOverflow) = entries.multipliedReportingOverflow(by: layout.entrySize)
        let (rest, restOverflow) = table.addingReportingOverflow(layout.offsetSize)
        let end = tableOverflow || restOverflow ? Int.max : saturating(UInt64(countEnd), rest)
        if end > size { throw .truncated(path: path, bytesPresent: size, bytesNeeded: end) }

        // The whole table is inside the file now, so `entries` is bounded by the file size.
        var bytes = [UInt8](repeating: 0, count: Int(table))
        guard fseeko(f, off_t(countEnd), SEEK_SET) == 0, fread(&bytes, 1, bytes.count, f) == bytes.count else { return }
        let slot = Int(layout.offsetSize), countBytes = layout.big ? 8 : 4
        var needed = 0
        for e in stride(from: 0, to: bytes.count, by: Int(layout.entrySize)) {
            let tag = layout.unsigned(bytes[e..<(e + 2)])
            guard essentialTags.contains(tag) else { continue }
            let typeSize: UInt64
            switch layout.unsigned(bytes[(e + 2)..<(e + 4)]) {
            case 1, 2, 6, 7: typeSize = 1
            case 3, 8: typeSize = 2
            case 4, 9, 11, 13: typeSize = 4
            case 5, 10, 12, 16, 17, 18: typeSize = 8
            default: continue
            }
            let count = layout.unsigned(bytes[(e + 4)..<(e + 4 + countBytes)])
            let (valueBytes, overflow) = count.multipliedReportingOverflow(by: typeSize)
            guard overflow || valueBytes > UInt64(slot) else { continue }   // stored in the entry itself
            let valueAt = layout.unsigned(bytes[(e + 4 + countBytes)..<(e + 4 + countBytes + slot)])
            needed = max(needed, overflow ? Int.max : saturating(valueAt, valueBytes))
        }
        if needed > size { throw .truncated(path: path, bytesPresent: size, bytesNeeded: needed) }
    }

    /// `checkDirectory` for the directory libtiff has just read.
    private static func checkCurrentDirectory(_ tif: OpaquePointer, path: String, size: Int) throws(FrameReadError) {
        guard let f = fopen(path, "rb") else { throw FrameReadError.fromErrno(errno, path: path) }
        defer { fclose(f) }
        let layout = Layout(big: TIFFIsBigTIFF(tif) != 0, little: TIFFIsBigEndian(tif) == 0)
        try checkDirectory(f, at: TIFFCurrentDirOffset(tif), layout: layout, size: size, path: path)
    }

    /// Why the directory after the one at `previous` could not be read: cut off, or damaged.
    private static func nextDirectoryFailure(_ tif: OpaquePointer, path: String, page: Int, after previous: UInt64,
                                             size: Int) -> FrameReadError {
        let message = String(cString: st_last_error_message())
        let corrupt = FrameReadError.corrupt(path: path, page: page,
                                             detail: message.isEmpty ? "unreadable image directory" : message)
        guard let f = fopen(path, "rb") else { return corrupt }
        defer { fclose(f) }
        let layout = Layout(big: TIFFIsBigTIFF(tif) != 0, little: TIFFIsBigEndian(tif) == 0)
        guard let entries = readUnsigned(f, at: previous, count: Int(layout.countSize), layout: layout),
              entries < 1 << 32 else { return corrupt }
        let pointerAt = previous &+ layout.countSize &+ entries * layout.entrySize
        guard let next = readUnsigned(f, at: pointerAt, count: Int(layout.offsetSize), layout: layout) else {
            return corrupt
        }
        do {
            try checkDirectory(f, at: next, layout: layout, size: size, path: path)
        } catch {
            return error
        }
        return corrupt
    }

    private static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }

    private static func openFailure(path: String, size: Int) -> FrameReadError {
        // Out of descriptors or memory, or an I/O error: the machine's problem, not the file's.
        let e = errno
        if e == EMFILE || e == ENFILE || e == ENOMEM || e == EIO { return FrameReadError.fromErrno(e, path: path) }
        let msg = String(cString: st_last_error_message())
        return .corrupt(path: path, page: 0, detail: msg.isEmpty ? "libtiff could not open it" : msg)
    }

    // MARK: - One page

    private static func readPage(_ tif: OpaquePointer, path: String, page: Int,
                                 fileSize: Int, maxPixels: Int) throws(FrameReadError) -> Frame {
        if page > 0 { try checkCurrentDirectory(tif, path: path, size: fileSize) }  // page 0: checkHeader did
        var w: UInt32 = 0, h: UInt32 = 0
        var bits: UInt16 = 1, spp: UInt16 = 1, fmt: UInt16 = 1, photometric: UInt16 = 1
        guard st_get_u32(tif, UInt32(TIFFTAG_IMAGEWIDTH), &w) == 1,
              st_get_u32(tif, UInt32(TIFFTAG_IMAGELENGTH), &h) == 1, w > 0, h > 0 else {
            throw .corrupt(path: path, page: page, detail: "no image size")
        }
        _ = st_get_u16_defaulted(tif, UInt32(TIFFTAG_BITSPERSAMPLE), &bits)
        _ = st_get_u16_defaulted(tif, UInt32(TIFFTAG_SAMPLESPERPIXEL), &spp)
        _ = st_get_u16_defaulted(tif, UInt32(TIFFTAG_SAMPLEFORMAT), &fmt)
        if st_get_u16(tif, UInt32(TIFFTAG_PHOTOMETRIC), &photometric) != 1 { photometric = 1 }
        guard spp == 1, photometric <= 1 else {
            throw .unsupportedColor(path: path, samplesPerPixel: Int(spp), photometric: Int(photometric))
        }
        guard let type = SampleType(bits: Int(bits), format: Int(fmt)) else {
            throw .unsupportedSampleType(path: path, bitsPerSample: Int(bits), sampleFormat: Int(fmt))
        }
        let width = Int(w), height = Int(h)
        let (count, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, count < 1 << 31 else {
            throw .corrupt(path: path, page: page, detail: "implausible size \(width)×\(height)")
        }
        guard count <= maxPixels else {
            throw .tooLarge(path: path, page: page, width: width, height: height, maxPixels: maxPixels)
        }
        try checkExtent(tif, path: path, fileSize: fileSize)
        // Uncompressed pixels are stored as they are: a directory claiming more than the whole
        // file holds is damaged (and must not make us allocate gigabytes).
        var compression: UInt16 = 1
        _ = st_get_u16_defaulted(tif, UInt32(TIFFTAG_COMPRESSION), &compression)
        if compression == 1, count * type.bytes > fileSize {
            throw .corrupt(path: path, page: page, detail: "\(width)×\(height) pixels cannot fit in \(fileSize) bytes")
        }

        var pixels = [Float](repeating: 0, count: width * height)
        if TIFFIsTiled(tif) != 0 {
            try readTiles(tif, type: type, width: width, height: height, into: &pixels, path: path, page: page)
        } else {
            try readStrips(tif, type: type, width: width, height: height, into: &pixels, path: path, page: page)
        }
        if photometric == 0 { invert(&pixels, type: type) }

        var descPtr: UnsafePointer<CChar>? = nil
        let description = st_get_string(tif, UInt32(TIFFTAG_IMAGEDESCRIPTION), &descPtr) == 1
            ? descPtr.map { String(cString: $0) } : nil
        let pixelSize = PixelSize.fromTags(tif, description: description)
        var frame = Frame(width: width, height: height, pixels: pixels, pixelSize: pixelSize,
                          source: path, page: page, imageDescription: description)
        var datePtr: UnsafePointer<CChar>? = nil
        if st_get_string(tif, UInt32(TIFFTAG_DATETIME), &datePtr) == 1, let text = datePtr.map({ String(cString: $0) }),
           let t = dateTimeTag(text) {
            frame.acquiredAt = t
            frame.timeSource = .metadata
        }
        return frame
    }

    /// The TIFF `DateTime` tag, "YYYY:MM:DD HH:MM:SS" (TIFF 6.0: the time the image was created,
    /// with no zone; read as UTC). Nil for anything else.
    static func dateTimeTag(_ text: String) -> Double? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(whereSeparator: { $0 == ":" || $0 == " " }).compactMap { Int($0) }
        guard parts.count == 6, (1970...2200).contains(parts[0]), (1...12).contains(parts[1]), (1...31).contains(parts[2]),
              (0...23).contains(parts[3]), (0...59).contains(parts[4]), (0...60).contains(parts[5]) else { return nil }
        var c = DateComponents()
        (c.year, c.month, c.day, c.hour, c.minute, c.second) = (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        return cal.date(from: c)?.timeIntervalSince1970
    }

    /// Every strip or tile must lie inside the file; otherwise the file is still being written
    /// or was cut short.
    private static func checkExtent(_ tif: OpaquePointer, path: String, fileSize: Int) throws(FrameReadError) {
        let count = TIFFIsTiled(tif) != 0 ? TIFFNumberOfTiles(tif) : TIFFNumberOfStrips(tif)
        var needed = 0
        for i in 0..<count {
            // Saturating: offsets and counts in a damaged file can be anything up to 2^64 - 1.
            let end = saturating(TIFFGetStrileOffset(tif, i), TIFFGetStrileByteCount(tif, i))
            needed = max(needed, end)
        }
        if needed > fileSize {
            throw .truncated(path: path, bytesPresent: fileSize, bytesNeeded: needed)
        }
    }

    private static func readStrips(_ tif: OpaquePointer, type: SampleType, width: Int, height: Int,
                                   into pixels: inout [Float], path: String, page: Int) throws(FrameReadError) {
        var rowsPerStrip: UInt32 = 0
        if st_get_u32(tif, UInt32(TIFFTAG_ROWSPERSTRIP), &rowsPerStrip) != 1 || rowsPerStrip == 0 {
            rowsPerStrip = UInt32(height)
        }
        let stripSize = Int(TIFFStripSize(tif))
        guard stripSize > 0 else { throw .corrupt(path: path, page: page, detail: "empty strips") }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: stripSize, alignment: 16)
        defer { buffer.deallocate() }
        let strips = TIFFNumberOfStrips(tif)
        for s in 0..<strips {
            let row0 = Int(s) * Int(rowsPerStrip)
            if row0 >= height { break }
            let rows = min(Int(rowsPerStrip), height - row0)
            let got = TIFFReadEncodedStrip(tif, s, buffer, tmsize_t(stripSize))
            guard got >= 0, Int(got) >= rows * width * type.bytes else {
                throw .corrupt(path: path, page: page, detail: detail("strip \(s) unreadable"))
            }
            pixels.withUnsafeMutableBufferPointer { out in
                type.convert(buffer, count: rows * width, into: out.baseAddress! + row0 * width)
            }
        }
    }

    private static func readTiles(_ tif: OpaquePointer, type: SampleType, width: Int, height: Int,
                                  into pixels: inout [Float], path: String, page: Int) throws(FrameReadError) {
        var tw: UInt32 = 0, th: UInt32 = 0
        guard st_get_u32(tif, UInt32(TIFFTAG_TILEWIDTH), &tw) == 1,
              st_get_u32(tif, UInt32(TIFFTAG_TILELENGTH), &th) == 1, tw > 0, th > 0 else {
            throw .corrupt(path: path, page: page, detail: "tiled image without tile size")
        }
        let tileW = Int(tw), tileH = Int(th)
        let (tileCount, overflow) = tileW.multipliedReportingOverflow(by: tileH)
        let tileSize = Int(TIFFTileSize(tif))
        guard !overflow, tileCount < 1 << 26, tileSize >= tileCount * type.bytes else {
            throw .corrupt(path: path, page: page, detail: detail("implausible tile size \(tileW)×\(tileH)"))
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: tileSize, alignment: 16)
        defer { buffer.deallocate() }
        var row = [Float](repeating: 0, count: tileW * tileH)
        for ty in stride(from: 0, to: height, by: tileH) {
            for tx in stride(from: 0, to: width, by: tileW) {
                let index = TIFFComputeTile(tif, UInt32(tx), UInt32(ty), 0, 0)
                let got = TIFFReadEncodedTile(tif, index, buffer, tmsize_t(tileSize))
                guard got >= 0, Int(got) >= tileW * tileH * type.bytes else {
                    throw .corrupt(path: path, page: page, detail: detail("tile \(index) unreadable"))
                }
                row.withUnsafeMutableBufferPointer { type.convert(buffer, count: tileW * tileH, into: $0.baseAddress!) }
                let cols = min(tileW, width - tx)
                for r in 0..<min(tileH, height - ty) {
                    let dst = (ty + r) * width + tx
                    for c in 0..<cols { pixels[dst + c] = row[r * tileW + c] }
                }
            }
        }
    }

    private static func detail(_ fallback: String) -> String {
        let msg = String(cString: st_last_error_message())
        return msg.isEmpty ? fallback : "\(fallback): \(msg)"
    }

    /// MinIsWhite images store inverted intensities; flip them so that brighter means more signal.
    /// Integers flip about the type's maximum; floats (which have no natural maximum) about the
    /// image's own range, so that the result keeps its precision and its range [min, max].
    private static func invert(_ pixels: inout [Float], type: SampleType) {
        if type.isFloat {
            var lo = Float.infinity, hi = -Float.infinity
            for v in pixels where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
            guard lo <= hi else { return }
            for i in pixels.indices where pixels[i].isFinite { pixels[i] = (hi - pixels[i]) + lo }
            return
        }
        let top = type.maximum
        for i in pixels.indices { pixels[i] = top - pixels[i] }
    }
}

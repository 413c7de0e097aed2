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
    /// Reads every page of the file at `path`.
    public static func read(path: String) throws(FrameReadError) -> [Frame] {
        let size = try checkHeader(path: path)
        st_install_handlers()
        st_clear_error()
        guard let tif = TIFFOpen(path, "r") else {
            throw openFailure(path: path, size: size)
        }
        defer { TIFFClose(tif) }
        var frames: [Frame] = []
        var page = 0
        repeat {
            frames.append(try readPage(tif, path: path, page: page, fileSize: size))
            page += 1
        } while TIFFReadDirectory(tif) == 1
        return frames
    }

    /// Reads the first page only (the common case of one frame per file).
    public static func readFirst(path: String) throws(FrameReadError) -> Frame {
        let size = try checkHeader(path: path)
        st_install_handlers()
        st_clear_error()
        guard let tif = TIFFOpen(path, "r") else {
            throw openFailure(path: path, size: size)
        }
        defer { TIFFClose(tif) }
        return try readPage(tif, path: path, page: 0, fileSize: size)
    }

    // MARK: - Header and open checks

    /// Returns the file size after checking it exists, is non-empty and starts like a TIFF.
    static func checkHeader(path: String) throws(FrameReadError) -> Int {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw .fileNotFound(path: path)
        }
        let size = Int(st.st_size)
        if size == 0 { throw .emptyFile(path: path) }
        guard let f = fopen(path, "rb") else { throw .fileNotFound(path: path) }
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
        let big = magic[2] == 0x2B || magic[3] == 0x2B
        let headerSize = big ? 16 : 8
        if size < headerSize { throw .truncated(path: path, bytesPresent: size, bytesNeeded: headerSize) }
        // First IFD offset beyond the end of the file: the writer has not finished.
        let little = magic[0] == 0x49
        let offsetBytes = big ? Array(head[8..<16]) : Array(head[4..<8])
        let ordered = little ? offsetBytes.reversed() : offsetBytes
        let ifd = ordered.reduce(0) { ($0 << 8) | Int($1) }
        if ifd >= size { throw .truncated(path: path, bytesPresent: size, bytesNeeded: ifd + 2) }
        return size
    }

    private static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }

    private static func openFailure(path: String, size: Int) -> FrameReadError {
        let msg = String(cString: st_last_error_message())
        return .corrupt(path: path, page: 0, detail: msg.isEmpty ? "libtiff could not open it" : msg)
    }

    // MARK: - One page

    private static func readPage(_ tif: OpaquePointer, path: String, page: Int,
                                 fileSize: Int) throws(FrameReadError) -> Frame {
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
        guard width.multipliedReportingOverflow(by: height).partialValue < 1 << 31 else {
            throw .corrupt(path: path, page: page, detail: "implausible size \(width)×\(height)")
        }
        try checkExtent(tif, path: path, fileSize: fileSize)

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
        return Frame(width: width, height: height, pixels: pixels, pixelSize: pixelSize,
                     source: path, page: page, imageDescription: description)
    }

    /// Every strip or tile must lie inside the file; otherwise the file is still being written
    /// or was cut short.
    private static func checkExtent(_ tif: OpaquePointer, path: String, fileSize: Int) throws(FrameReadError) {
        let count = TIFFIsTiled(tif) != 0 ? TIFFNumberOfTiles(tif) : TIFFNumberOfStrips(tif)
        var needed = 0
        for i in 0..<count {
            let end = Int(TIFFGetStrileOffset(tif, i)) + Int(TIFFGetStrileByteCount(tif, i))
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
        let tileSize = Int(TIFFTileSize(tif))
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
    private static func invert(_ pixels: inout [Float], type: SampleType) {
        let top = type.maximum
        for i in pixels.indices { pixels[i] = top - pixels[i] }
    }
}

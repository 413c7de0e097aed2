import CTIFF

/// Writes frames as grayscale TIFF (used by the simulator, tests and exports).
public enum TIFFWriter {
    /// How pixels are encoded in the file.
    public enum Encoding: Sendable, CaseIterable {
        case uint8, uint16, uint32, int8, int16, int32, float32, float64

        var bits: UInt16 {
            switch self {
            case .uint8, .int8: return 8
            case .uint16, .int16: return 16
            case .uint32, .int32, .float32: return 32
            case .float64: return 64
            }
        }
        var sampleFormat: UInt16 {
            switch self {
            case .uint8, .uint16, .uint32: return 1
            case .int8, .int16, .int32: return 2
            case .float32, .float64: return 3
            }
        }
    }

    /// File layout options.
    public struct Options: Sendable {
        public var encoding: Encoding
        /// 64-bit offsets (BigTIFF).
        public var bigTIFF: Bool
        /// Tile edge in pixels (multiple of 16), or `nil` for strips.
        public var tileSize: Int?
        /// Rows per strip when writing strips.
        public var rowsPerStrip: Int
        /// Deflate compression.
        public var compress: Bool

        public init(encoding: Encoding = .float32, bigTIFF: Bool = false, tileSize: Int? = nil,
                    rowsPerStrip: Int = 64, compress: Bool = false) {
            self.encoding = encoding
            self.bigTIFF = bigTIFF
            self.tileSize = tileSize
            self.rowsPerStrip = rowsPerStrip
            self.compress = compress
        }
    }

    public enum WriteError: Error, CustomStringConvertible {
        case cannotCreate(path: String)
        case writeFailed(path: String, detail: String)
        public var description: String {
            switch self {
            case .cannotCreate(let p): return "\(p): cannot create file"
            case .writeFailed(let p, let d): return "\(p): write failed (\(d))"
            }
        }
    }

    /// Writes `frames` as the pages of one file. The pixel size, if known, is stored as
    /// resolution in pixels per centimetre (in pixels per unit, with ResolutionUnit none, when the
    /// frame's ImageJ-style description names a length unit, as ImageJ expects).
    public static func write(_ frames: [Frame], to path: String, options: Options = Options()) throws(WriteError) {
        if let tile = options.tileSize, tile <= 0 || tile % 16 != 0 {
            // TIFF requires it; libtiff would reject the tag and fail later with a confusing message.
            throw .writeFailed(path: path, detail: "tile size \(tile) is not a positive multiple of 16")
        }
        st_install_handlers()
        st_clear_error()
        guard let tif = TIFFOpen(path, options.bigTIFF ? "w8" : "w") else { throw .cannotCreate(path: path) }
        defer { TIFFClose(tif) }
        for frame in frames {
            try writePage(tif, frame: frame, options: options, path: path)
            guard TIFFWriteDirectory(tif) == 1 else {
                throw .writeFailed(path: path, detail: String(cString: st_last_error_message()))
            }
        }
    }

    private static func writePage(_ tif: OpaquePointer, frame: Frame, options: Options, path: String) throws(WriteError) {
        let enc = options.encoding
        _ = st_set_u32(tif, UInt32(TIFFTAG_IMAGEWIDTH), UInt32(frame.width))
        _ = st_set_u32(tif, UInt32(TIFFTAG_IMAGELENGTH), UInt32(frame.height))
        _ = st_set_u16(tif, UInt32(TIFFTAG_BITSPERSAMPLE), enc.bits)
        _ = st_set_u16(tif, UInt32(TIFFTAG_SAMPLEFORMAT), enc.sampleFormat)
        _ = st_set_u16(tif, UInt32(TIFFTAG_SAMPLESPERPIXEL), 1)
        _ = st_set_u16(tif, UInt32(TIFFTAG_PHOTOMETRIC), UInt16(PHOTOMETRIC_MINISBLACK))
        _ = st_set_u16(tif, UInt32(TIFFTAG_PLANARCONFIG), UInt16(PLANARCONFIG_CONTIG))
        _ = st_set_u16(tif, UInt32(TIFFTAG_COMPRESSION),
                       UInt16(options.compress ? COMPRESSION_ADOBE_DEFLATE : COMPRESSION_NONE))
        if let px = frame.pixelSize, px > 0 {
            // An ImageJ description's `unit=` makes readers (ImageJ and ours) take XResolution as
            // pixels per that unit, so write it that way; otherwise pixels per centimetre.
            let imageJScale = frame.imageDescription
                .flatMap(PixelSize.imageJUnit).flatMap(PixelSize.angstrom(perUnit:))
            let unit = imageJScale == nil ? RESUNIT_CENTIMETER : RESUNIT_NONE
            let perPixel = Float((imageJScale ?? 1e8) / px)
            _ = st_set_u16(tif, UInt32(TIFFTAG_RESOLUTIONUNIT), UInt16(unit))
            _ = st_set_float(tif, UInt32(TIFFTAG_XRESOLUTION), perPixel)
            _ = st_set_float(tif, UInt32(TIFFTAG_YRESOLUTION), perPixel)
        }
        if let d = frame.imageDescription { _ = st_set_string(tif, UInt32(TIFFTAG_IMAGEDESCRIPTION), d) }
        _ = st_set_string(tif, UInt32(TIFFTAG_SOFTWARE), "stemtrack")

        let bytes = Int(enc.bits) / 8
        if let tile = options.tileSize {
            _ = st_set_u32(tif, UInt32(TIFFTAG_TILEWIDTH), UInt32(tile))
            _ = st_set_u32(tif, UInt32(TIFFTAG_TILELENGTH), UInt32(tile))
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: tile * tile * bytes, alignment: 16)
            defer { buffer.deallocate() }
            var block = [Float](repeating: 0, count: tile * tile)
            for ty in stride(from: 0, to: frame.height, by: tile) {
                for tx in stride(from: 0, to: frame.width, by: tile) {
                    for i in block.indices { block[i] = 0 }
                    for r in 0..<min(tile, frame.height - ty) {
                        for c in 0..<min(tile, frame.width - tx) {
                            block[r * tile + c] = frame.pixels[(ty + r) * frame.width + tx + c]
                        }
                    }
                    encode(block[...], enc, into: buffer)
                    let index = TIFFComputeTile(tif, UInt32(tx), UInt32(ty), 0, 0)
                    guard TIFFWriteEncodedTile(tif, index, buffer, tmsize_t(tile * tile * bytes)) >= 0 else {
                        throw .writeFailed(path: path, detail: String(cString: st_last_error_message()))
                    }
                }
            }
        } else {
            let rps = max(1, min(options.rowsPerStrip, frame.height))
            _ = st_set_u32(tif, UInt32(TIFFTAG_ROWSPERSTRIP), UInt32(rps))
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: rps * frame.width * bytes, alignment: 16)
            defer { buffer.deallocate() }
            var strip: UInt32 = 0
            for row0 in stride(from: 0, to: frame.height, by: rps) {
                let rows = min(rps, frame.height - row0)
                let slice = frame.pixels[(row0 * frame.width)..<((row0 + rows) * frame.width)]
                encode(slice, enc, into: buffer)
                guard TIFFWriteEncodedStrip(tif, strip, buffer, tmsize_t(rows * frame.width * bytes)) >= 0 else {
                    throw .writeFailed(path: path, detail: String(cString: st_last_error_message()))
                }
                strip += 1
            }
        }
    }

    private static func encode(_ values: ArraySlice<Float>, _ enc: Encoding, into raw: UnsafeMutableRawPointer) {
        func put<T>(_: T.Type, _ f: (Float) -> T) {
            let p = raw.bindMemory(to: T.self, capacity: values.count)
            for (i, v) in values.enumerated() { p[i] = f(v) }
        }
        func clamp(_ v: Float, _ lo: Float, _ hi: Float) -> Float {
            v.isNaN ? 0 : Swift.min(Swift.max(v.rounded(), lo), hi)
        }
        switch enc {
        case .uint8: put(UInt8.self) { UInt8(clamp($0, 0, 255)) }
        case .uint16: put(UInt16.self) { UInt16(clamp($0, 0, 65535)) }
        // Bounds are the extreme Floats that still convert: 2^32 - 256 and -2^31 … 2^31 - 128.
        case .uint32: put(UInt32.self) { UInt32(clamp($0, 0, 4_294_967_040)) }
        case .int8: put(Int8.self) { Int8(clamp($0, -128, 127)) }
        case .int16: put(Int16.self) { Int16(clamp($0, -32768, 32767)) }
        case .int32: put(Int32.self) { Int32(clamp($0, -2_147_483_648, 2_147_483_520)) }
        case .float32: put(Float.self) { $0 }
        case .float64: put(Double.self) { Double($0) }
        }
    }
}

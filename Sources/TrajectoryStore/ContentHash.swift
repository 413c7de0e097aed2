import Foundation

/// A fast 128-bit content hash of a frame file, as 32 hex digits (not cryptographic: it tells
/// whether a file's bytes changed, together with its path identifies a frame in the store).
public enum ContentHash {
    /// Hash of the bytes of the file at `path`.
    ///
    /// The file is read with `read(2)`, never memory-mapped: a mapped file that another process
    /// truncates meanwhile raises SIGBUS, which would kill the daemon. Reading stops at
    /// `maxBytes` (a hash of the first `maxBytes` then).
    public static func ofFile(_ path: String, maxBytes: Int = 1 << 34) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
        defer { close(fd) }
        var data = Data()
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        while data.count < maxBytes {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, min(chunk, maxBytes - data.count)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path])
            }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        return of(data)
    }

    /// Hash of a decoded image (its size and pixel values), independent of how the file encodes it:
    /// the same frame re-saved, renamed or with tags changed hashes the same.
    public static func ofPixels(_ pixels: [Float], width: Int, height: Int) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(16 + pixels.count * 4)
        withUnsafeBytes(of: UInt64(width).littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(height).littleEndian) { bytes.append(contentsOf: $0) }
        pixels.withUnsafeBytes { bytes.append(contentsOf: $0) }
        return bytes.withUnsafeBytes { of($0) }
    }

    public static func of(_ data: Data) -> String {
        data.withUnsafeBytes { of($0) }
    }

    /// Two 64-bit lanes over little-endian 8-byte words, length-seeded, splitmix-finalised.
    public static func of(_ bytes: UnsafeRawBufferPointer) -> String {
        let n = bytes.count
        var h1: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        var h2: UInt64 = 0xC2B2_AE3D_27D4_EB4F &+ UInt64(n)
        let words = n / 8
        var i = 0
        while i < words {
            let w = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
            h1 = rotate(h1 ^ (w &* 0x87C3_7B91_1142_53D5), 31) &* 0x4CF5_AD43_2745_937F
            h2 = rotate(h2 &+ (w &* 0x52DC_E729_DA3E_D7C9), 27) &* 0x9E37_79B9_7F4A_7C15 ^ h1
            i += 1
        }
        var tail: UInt64 = 0
        for j in stride(from: n - 1, through: words * 8, by: -1) { tail = tail << 8 | UInt64(bytes[j]) }
        h1 ^= mix(tail ^ 0xFF51_AFD7_ED55_8CCD)
        h2 ^= mix(h1 &+ tail)
        h1 = mix(h1 &+ h2)
        h2 = mix(h2 &+ h1)
        return hex(h1) + hex(h2)
    }

    @inline(__always) static func rotate(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }

    static func mix(_ x0: UInt64) -> UInt64 {
        var x = x0
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

/// 64-bit keys that recognise a version of a file without reading it: its path, size and
/// modification time, or (for a file renamed within the directory) its device, inode, size and
/// modification time. Equal keys for different files are possible in principle (2⁻⁶⁴ per pair).
public enum FileKey {
    public static func of(path: String, size: Int, modified: Double) -> Int64 {
        var bytes = Array(path.utf8)
        append(&bytes, UInt64(bitPattern: Int64(size)))
        append(&bytes, modified.bitPattern)
        return key(bytes)
    }

    public static func inode(device: Int64, inode: Int64, size: Int, modified: Double) -> Int64 {
        var bytes: [UInt8] = []
        append(&bytes, UInt64(bitPattern: device))
        append(&bytes, UInt64(bitPattern: inode))
        append(&bytes, UInt64(bitPattern: Int64(size)))
        append(&bytes, modified.bitPattern)
        return key(bytes)
    }

    private static func append(_ bytes: inout [UInt8], _ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func key(_ bytes: [UInt8]) -> Int64 {
        let hex = bytes.withUnsafeBytes { ContentHash.of($0) }
        return Int64(bitPattern: UInt64(hex.prefix(16), radix: 16) ?? 0)
    }
}

import Foundation

/// A value written to and read from a compact, fixed-layout binary form: integers as 64-bit
/// little-endian, doubles as their IEEE-754 bit patterns (exact: a value read back is the value
/// written, NaN payloads included), strings as a length and UTF-8 bytes, optionals with a one-byte
/// tag, collections with their count first.
///
/// Used for the large, regular parts of the analysis state saved with every frame (track windows,
/// pooled cross-sections), where `Codable`'s keyed JSON spent more time than the analysis itself.
public protocol BinaryPackable {
    func pack(into w: inout BinaryWriter)
    init(unpacking r: inout BinaryReader) throws(BinaryReader.Malformed)
}

/// Appends values in the layout of ``BinaryPackable``.
public struct BinaryWriter: Sendable {
    public var bytes: [UInt8] = []

    public init(reservingCapacity n: Int = 0) { bytes.reserveCapacity(n) }

    @inlinable public mutating func write(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
    @inlinable public mutating func write(_ v: Int) { write(UInt64(bitPattern: Int64(v))) }
    @inlinable public mutating func write(_ v: Double) { write(v.bitPattern) }
    @inlinable public mutating func write(_ v: UInt8) { bytes.append(v) }
    public mutating func write(_ v: String) {
        let utf8 = Array(v.utf8)
        write(utf8.count)
        bytes.append(contentsOf: utf8)
    }
}

/// Reads values written by ``BinaryWriter``; every read checks the remaining length.
public struct BinaryReader {
    /// The bytes end early or hold an impossible value (a damaged or foreign state).
    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ data: Data) { self.bytes = [UInt8](data) }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { offset == bytes.count }

    public mutating func readUInt64() throws(Malformed) -> UInt64 {
        guard bytes.count - offset >= 8 else { throw Malformed("ends after \(offset) bytes, in a number") }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[offset + k]) << (8 * UInt64(k)) }
        offset += 8
        return v
    }
    public mutating func readInt() throws(Malformed) -> Int {
        let v = Int64(bitPattern: try readUInt64())
        guard let i = Int(exactly: v) else { throw Malformed("integer \(v) out of range") }
        return i
    }
    public mutating func readDouble() throws(Malformed) -> Double { Double(bitPattern: try readUInt64()) }
    public mutating func readByte() throws(Malformed) -> UInt8 {
        guard offset < bytes.count else { throw Malformed("ends after \(offset) bytes, in a tag") }
        defer { offset += 1 }
        return bytes[offset]
    }
    /// A count of elements that each take at least `minimumSize` bytes (bounded by what is left,
    /// so that a damaged count cannot allocate without limit).
    public mutating func readCount(minimumSize: Int = 1) throws(Malformed) -> Int {
        let n = try readInt()
        guard n >= 0, n <= (bytes.count - offset) / max(1, minimumSize) else {
            throw Malformed("count \(n) does not fit in the \(bytes.count - offset) bytes left")
        }
        return n
    }
    public mutating func readString() throws(Malformed) -> String {
        let n = try readCount()
        defer { offset += n }
        return String(decoding: bytes[offset..<offset + n], as: UTF8.self)
    }
}

extension Int: BinaryPackable {
    public func pack(into w: inout BinaryWriter) { w.write(self) }
    public init(unpacking r: inout BinaryReader) throws(BinaryReader.Malformed) { self = try r.readInt() }
}

extension Double: BinaryPackable {
    public func pack(into w: inout BinaryWriter) { w.write(self) }
    public init(unpacking r: inout BinaryReader) throws(BinaryReader.Malformed) { self = try r.readDouble() }
}

extension Bool: BinaryPackable {
    public func pack(into w: inout BinaryWriter) { w.write(self ? 1 as UInt8 : 0) }
    public init(unpacking r: inout BinaryReader) throws(BinaryReader.Malformed) {
        switch try r.readByte() {
        case 0: self = false
        case 1: self = true
        case let b: throw BinaryReader.Malformed("\(b) is not a truth value")
        }
    }
}

extension String: BinaryPackable {
    public func pack(into w: inout BinaryWriter) { w.write(self) }
    public init(unpacking r: inout BinaryReader) throws(BinaryReader.Malformed) { self = try r.readString() }
}

extension Point: BinaryPackable {
    public func pack(into w: inout BinaryWriter) { w.write(x); w.write(y) }
    public init(unpacking r: inout BinaryReader) throws(BinaryReader.Malformed) {
        self.init(x: try r.readDouble(), y: try r.readDouble())
    }
}

extension Optional: BinaryPackable where Wrapped: BinaryPackable {
    public func pack(into w: inout BinaryWriter) {
        if let v = self { w.write(1 as UInt8); v.pack(into: &w) } else { w.write(0 as UInt8) }
    }
    public init(unpacking r: inout BinaryReader) throws(BinaryReader.Malformed) {
        switch try r.readByte() {
        case 0: self = nil
        case 1: self = try Wrapped(unpacking: &r)
        case let b: throw BinaryReader.Malformed("\(b) is not an optional's tag")
        }
    }
}

extension Array: BinaryPackable where Element: BinaryPackable {
    public func pack(into w: inout BinaryWriter) {
        w.write(count)
        for e in self { e.pack(into: &w) }
    }
    public init(unpacking r: inout BinaryReader) throws(BinaryReader.Malformed) {
        let n = try r.readCount()
        var a: [Element] = []
        a.reserveCapacity(Swift.min(n, 1 << 16))  // a damaged count fails on reading, before it allocates
        for _ in 0..<n { a.append(try Element(unpacking: &r)) }
        self = a
    }
}

/// Entries in key order, so that equal dictionaries pack to equal bytes.
extension Dictionary: BinaryPackable where Key: BinaryPackable & Comparable, Value: BinaryPackable {
    public func pack(into w: inout BinaryWriter) {
        w.write(count)
        for k in keys.sorted() { k.pack(into: &w); self[k]!.pack(into: &w) }
    }
    public init(unpacking r: inout BinaryReader) throws(BinaryReader.Malformed) {
        let n = try r.readCount(minimumSize: 2)
        var d: [Key: Value] = [:]
        d.reserveCapacity(Swift.min(n, 1 << 16))
        for _ in 0..<n {
            let k = try Key(unpacking: &r)
            guard d.updateValue(try Value(unpacking: &r), forKey: k) == nil else {
                throw BinaryReader.Malformed("a key appears twice")
            }
        }
        self = d
    }
}

/// A stored property that `Codable` writes as one base64 string of its ``BinaryPackable`` bytes
/// (a leading format byte, then the value) instead of keyed JSON. The string is written and read
/// as a string whatever the coder's data strategy, so that the earlier form (an array or object,
/// never a string) is told apart.
///
/// Decoding also accepts the value's own `Codable` form, so that states saved before a property
/// was packed are still read.
@propertyWrapper
public struct BinaryPacked<Value: BinaryPackable & Codable>: Codable {
    public var wrappedValue: Value

    public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }

    /// The first byte of the packed form.
    static var format: UInt8 { 1 }

    public func encode(to encoder: any Encoder) throws {
        var w = BinaryWriter()
        w.write(Self.format)
        wrappedValue.pack(into: &w)
        var c = encoder.singleValueContainer()
        try c.encode(Data(w.bytes).base64EncodedString())
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        guard let text = try? c.decode(String.self) else {
            // Saved before this property was packed: its own Codable form (never a string here).
            wrappedValue = try c.decode(Value.self)
            return
        }
        guard let data = Data(base64Encoded: text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "packed \(Value.self): not base64")
        }
        var r = BinaryReader(data)
        do {
            let format = try r.readByte()
            guard format == Self.format else { throw BinaryReader.Malformed("unknown packed format \(format)") }
            wrappedValue = try Value(unpacking: &r)
            guard r.isAtEnd else { throw BinaryReader.Malformed("bytes left after the value") }
        } catch {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "packed \(Value.self): \(error)")
        }
    }
}

extension BinaryPacked: Sendable where Value: Sendable {}
extension BinaryPacked: Equatable where Value: Equatable {}

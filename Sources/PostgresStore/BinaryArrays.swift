import Foundation
import NIOCore
import PostgresNIO

/// Fast decoding of one-dimensional PostgreSQL arrays from their binary wire format.
///
/// postgres-nio decodes an array element by element through its generic decoder (about 50 ns per
/// element); a 50,000-point track history is 300,000 elements. The wire format is simple — a
/// header (`ndim`, `has_nulls`, element type, then `size` and `lower bound` per dimension) and,
/// per element, a 4-byte length (-1 for NULL) and the big-endian value — so the store reads the
/// cell as raw bytes and walks it once. Only the element types the store writes are accepted
/// (`int8`, `float8`, `bool`), without NULLs (the store writes sentinels instead).
enum BinaryArray {
    /// The elements of an `int8[]` cell.
    static func int64s(_ cell: ByteBuffer) throws -> [Int64] {
        try elements(cell, type: .int8, width: 8) { $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self).bigEndian }
            .map { Int64(bitPattern: $0) }
    }

    /// The elements of a `float8[]` cell.
    static func doubles(_ cell: ByteBuffer) throws -> [Double] {
        try elements(cell, type: .float8, width: 8) { Double(bitPattern: $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self).bigEndian) }
    }

    private static func elements<T>(_ cell: ByteBuffer, type: PostgresDataType, width: Int,
                                    _ load: (UnsafeRawBufferPointer) -> T) throws -> [T] {
        try cell.withUnsafeReadableBytes { raw -> [T] in
            func int32(_ at: Int) throws -> Int32 {
                guard at + 4 <= raw.count else { throw PostgresStoreError.malformedArray("truncated at byte \(at)") }
                return Int32(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self).bigEndian)
            }
            let dimensions = try int32(0)
            if dimensions == 0 { return [] }
            guard dimensions == 1 else { throw PostgresStoreError.malformedArray("\(dimensions) dimensions, expected 1") }
            let element = UInt32(bitPattern: try int32(8))
            guard element == type.rawValue else {
                throw PostgresStoreError.malformedArray("element type \(element), expected \(type.rawValue)")
            }
            let n = Int(try int32(12))
            guard n >= 0, raw.count >= 20 + n * (4 + width) else {
                throw PostgresStoreError.malformedArray("\(n) elements in \(raw.count) bytes")
            }
            var out = [T]()
            out.reserveCapacity(n)
            var at = 20
            for _ in 0..<n {
                let length = try int32(at)
                guard length == Int32(width) else {
                    throw PostgresStoreError.malformedArray(length < 0 ? "a NULL element" : "an element of \(length) bytes")
                }
                out.append(load(UnsafeRawBufferPointer(rebasing: raw[(at + 4)..<(at + 4 + width)])))
                at += 4 + width
            }
            return out
        }
    }
}

/// A Double as JSON for `json_populate_recordset`: finite values as numbers (Swift prints the
/// shortest digits that round-trip, and PostgreSQL's `float8in` reads them back exactly), the
/// non-finite ones as the strings `float8in` accepts ("NaN", "Infinity", "-Infinity"); -0 as 0.
struct JSONFloat: Encodable {
    let value: Double
    init(_ value: Double) { self.value = value == 0 ? 0 : value }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if value.isFinite { try c.encode(value) } else { try c.encode(value.isNaN ? "NaN" : value > 0 ? "Infinity" : "-Infinity") }
    }
}

extension Optional where Wrapped == Double {
    var json: JSONFloat? { map(JSONFloat.init) }
}

/// Arrays bound in PostgreSQL's binary array format, written in one pass (postgres-nio's generic
/// array encoder writes each element through `ByteBuffer`'s checked appends; a frame binds 14
/// arrays of 1,000 elements).
protocol PackedArray: PostgresNonThrowingEncodable {
    associatedtype Element
    static var elementType: PostgresDataType { get }
    var elements: [Element] { get }
    /// Writes element `i`'s 8 (or 1) value bytes at `at`, big-endian.
    static var width: Int { get }
    static func store(_ e: Element, at: UnsafeMutableRawPointer)
}

extension PackedArray {
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        let n = elements.count
        guard n > 0 else {
            // An empty array: no dimensions.
            buffer.writeInteger(Int32(0)); buffer.writeInteger(Int32(0)); buffer.writeInteger(Self.elementType.rawValue)
            return
        }
        let size = 20 + n * (4 + Self.width)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
            let p = raw.baseAddress!
            func put32(_ v: UInt32, _ at: Int) { p.storeBytes(of: v.bigEndian, toByteOffset: at, as: UInt32.self) }
            put32(1, 0); put32(0, 4); put32(Self.elementType.rawValue, 8); put32(UInt32(n), 12); put32(1, 16)
            var at = 20
            let length = UInt32(Self.width).bigEndian
            for e in elements {
                p.storeBytes(of: length, toByteOffset: at, as: UInt32.self)
                Self.store(e, at: p + at + 4)
                at += 4 + Self.width
            }
            return size
        }
    }
}

/// An `int8[]` parameter.
struct Int8Array: PackedArray {
    let elements: [Int64]
    init(_ elements: [Int64]) { self.elements = elements }
    static var psqlType: PostgresDataType { .int8Array }
    static var elementType: PostgresDataType { .int8 }
    static var width: Int { 8 }
    static func store(_ e: Int64, at: UnsafeMutableRawPointer) { at.storeBytes(of: UInt64(bitPattern: e).bigEndian, as: UInt64.self) }
}

/// A `float8[]` parameter.
struct Float8Array: PackedArray {
    let elements: [Double]
    init(_ elements: [Double]) { self.elements = elements }
    static var psqlType: PostgresDataType { .float8Array }
    static var elementType: PostgresDataType { .float8 }
    static var width: Int { 8 }
    static func store(_ e: Double, at: UnsafeMutableRawPointer) { at.storeBytes(of: e.bitPattern.bigEndian, as: UInt64.self) }
}

/// A `bool[]` parameter.
struct BoolArray: PackedArray {
    let elements: [Bool]
    init(_ elements: [Bool]) { self.elements = elements }
    static var psqlType: PostgresDataType { .boolArray }
    static var elementType: PostgresDataType { .bool }
    static var width: Int { 1 }
    static func store(_ e: Bool, at: UnsafeMutableRawPointer) { at.storeBytes(of: e ? 1 : 0, as: UInt8.self) }
}

/// Track blocks' packed values: big-endian 8-byte integers or IEEE doubles back to back in a
/// bytea (the bytes of `int8send`/`float8send`), copied as they are in both directions.
enum PackedValues {
    static func bytes(_ values: [Int64]) -> ByteBuffer {
        var b = ByteBufferAllocator().buffer(capacity: values.count * 8)
        b.writeWithUnsafeMutableBytes(minimumWritableBytes: values.count * 8) { raw in
            let p = raw.baseAddress!
            for (i, v) in values.enumerated() { p.storeBytes(of: UInt64(bitPattern: v).bigEndian, toByteOffset: 8 * i, as: UInt64.self) }
            return values.count * 8
        }
        return b
    }

    static func bytes(_ values: [Double]) -> ByteBuffer {
        bytes(values.map { Int64(bitPattern: $0.bitPattern) })
    }

    static func int64s(_ cell: ByteBuffer) throws -> [Int64] {
        try cell.withUnsafeReadableBytes { raw in
            guard raw.count % 8 == 0 else { throw PostgresStoreError.malformedArray("packed values of \(raw.count) bytes") }
            return (0..<(raw.count / 8)).map { Int64(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self).bigEndian) }
        }
    }

    static func doubles(_ cell: ByteBuffer) throws -> [Double] {
        try int64s(cell).map { Double(bitPattern: UInt64(bitPattern: $0)) }
    }
}

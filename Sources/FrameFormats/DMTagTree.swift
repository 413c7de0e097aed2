import Foundation
import TIFFFrame

/// The tag tree of a Gatan DigitalMicrograph file, version 3 (`.dm3`) or 4 (`.dm4`).
///
/// Layout (as documented by Gatan's DM file format notes and read by RosettaSciIO, ncempy and
/// others): a header (version, file size: 4 bytes in DM3 and 8 in DM4, byte order of the data:
/// 1 little endian), then the root tag group. A group holds a `sorted` and an `open` byte and a tag
/// count; each tag is a type byte (20 group, 21 data), a name (2-byte length + bytes), in DM4 an
/// 8-byte tag size, then either a group or data: the marker `%%%%`, the number of type-info words
/// and the words (4 bytes each in DM3, 8 in DM4), then the value. The structure is big endian; the
/// values use the header's byte order. Types: 2 int16, 3 int32, 4 uint16, 5 uint32, 6 float32,
/// 7 float64, 8 bool, 9 char, 10 uint8, 11 int64, 12 uint64, 15 struct, 18 string, 20 array.
///
/// Arrays are not copied: they are kept as an element type, a count and a file offset, so an
/// image's data is read once, straight into the frame. Every size is checked against the file
/// before it is used, so a damaged or hostile file gives an error, never a crash or a huge
/// allocation.
struct DMTagTree {
    indirect enum Node {
        case group([(name: String, node: Node)])
        case number(Double)
        case text(String)
        /// Simple array: element type, count, offset of the first element.
        case array(type: Int, count: Int, offset: Int)
        /// Struct (or array of structs, flattened): field values.
        case fields([Double])
    }

    let version: Int
    let littleEndian: Bool
    let root: Node
    let bytes: [UInt8]

    /// Bytes per element of the simple types (nil: not a simple type).
    static func size(of type: Int) -> Int? {
        switch type {
        case 2, 4: 2
        case 3, 5, 6: 4
        case 7, 11, 12: 8
        case 8, 9, 10: 1
        default: nil
        }
    }

    init(bytes: [UInt8], path: String) throws(FrameReadError) {
        self.bytes = bytes
        var r = Reader(bytes: bytes, path: path)
        let v = try r.be(4)
        guard v == 3 || v == 4 else {
            throw .corruptFile(path: path, format: "DigitalMicrograph", detail: "version \(v), expected 3 or 4")
        }
        version = Int(v)
        r.wide = v == 4
        let declared = try r.be(r.wide ? 8 : 4)
        let order = try r.be(4)
        guard order <= 1 else { throw .corruptFile(path: path, format: "DigitalMicrograph", detail: "byte order word \(order)") }
        littleEndian = order == 1
        r.littleEndian = littleEndian
        // A file shorter than its header says was cut off (still being written, or copied in part).
        let expected = Int(declared) + (r.wide ? 24 : 16) - (r.wide ? 0 : 4)
        if bytes.count < min(expected, 1 << 40) - 16 {
            throw .truncated(path: path, bytesPresent: bytes.count, bytesNeeded: expected)
        }
        root = try r.group(depth: 0)
    }

    /// The node at a path of names; a number in the path selects that entry of a list.
    func node(_ path: [String], from start: Node? = nil) -> Node? {
        var cur = start ?? root
        for key in path {
            guard case .group(let entries) = cur else { return nil }
            if let i = Int(key), i < entries.count, entries.allSatisfy({ $0.name.isEmpty }) {
                cur = entries[i].node
            } else if let e = entries.first(where: { $0.name == key }) {
                cur = e.node
            } else {
                return nil
            }
        }
        return cur
    }

    func number(_ path: [String], from start: Node? = nil) -> Double? {
        if case .number(let v) = node(path, from: start) { return v }
        return nil
    }

    /// A string stored as an array of UTF-16 code units (or bytes), or a string tag.
    func string(_ path: [String], from start: Node? = nil) -> String? {
        switch node(path, from: start) {
        case .text(let s): return s
        case .array(let type, let count, let offset):
            guard count < 1 << 20 else { return nil }
            if type == 4 {
                var units: [UInt16] = []
                for i in 0..<count { units.append(UInt16(truncatingIfNeeded: uint(at: offset + 2 * i, size: 2))) }
                return String(decoding: units, as: UTF16.self)
            }
            if type == 9 || type == 10 { return String(decoding: bytes[offset..<(offset + count)], as: UTF8.self) }
            return nil
        default: return nil
        }
    }

    /// Entries of a list group.
    func list(_ path: [String], from start: Node? = nil) -> [Node] {
        if case .group(let entries) = node(path, from: start) { return entries.map(\.node) }
        return []
    }

    func uint(at offset: Int, size: Int) -> UInt64 { Self.uint(bytes, littleEndian, at: offset, size: size) }

    /// The value of a simple type at `offset`, as a number.
    func value(type: Int, at offset: Int) -> Double { Self.value(bytes, littleEndian, type: type, at: offset) }

    static func uint(_ bytes: [UInt8], _ littleEndian: Bool, at offset: Int, size: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<size {
            let b = UInt64(bytes[offset + (littleEndian ? k : size - 1 - k)])
            v |= b << (8 * UInt64(k))
        }
        return v
    }

    static func value(_ bytes: [UInt8], _ le: Bool, type: Int, at offset: Int) -> Double {
        switch type {
        case 2: Double(Int16(truncatingIfNeeded: uint(bytes, le, at: offset, size: 2)))
        case 3: Double(Int32(truncatingIfNeeded: uint(bytes, le, at: offset, size: 4)))
        case 4: Double(uint(bytes, le, at: offset, size: 2))
        case 5: Double(uint(bytes, le, at: offset, size: 4))
        case 6: Double(Float(bitPattern: UInt32(truncatingIfNeeded: uint(bytes, le, at: offset, size: 4))))
        case 7: Double(bitPattern: uint(bytes, le, at: offset, size: 8))
        case 8, 10: Double(bytes[offset])
        case 9: Double(Int8(bitPattern: bytes[offset]))
        case 11: Double(Int64(bitPattern: uint(bytes, le, at: offset, size: 8)))
        case 12: Double(uint(bytes, le, at: offset, size: 8))
        default: .nan
        }
    }

    /// A cursor over the file with bounds checks.
    struct Reader {
        let bytes: [UInt8]
        let path: String
        var position = 0
        var wide = false
        var littleEndian = true

        init(bytes: [UInt8], path: String) { self.bytes = bytes; self.path = path }

        func truncated(_ need: Int) -> FrameReadError {
            .truncated(path: path, bytesPresent: bytes.count, bytesNeeded: need)
        }

        mutating func be(_ n: Int) throws(FrameReadError) -> UInt64 {
            guard position + n <= bytes.count else { throw truncated(position + n) }
            var v: UInt64 = 0
            for k in 0..<n { v = v << 8 | UInt64(bytes[position + k]) }
            position += n
            return v
        }

        mutating func word() throws(FrameReadError) -> Int {
            let v = try be(wide ? 8 : 4)
            guard v < 1 << 40 else { throw .corruptFile(path: path, format: "DigitalMicrograph", detail: "a tag declares \(v) entries") }
            return Int(v)
        }

        mutating func skip(_ n: Int) throws(FrameReadError) {
            guard n >= 0, position + n <= bytes.count else { throw truncated(position + max(n, 0)) }
            position += n
        }

        mutating func group(depth: Int) throws(FrameReadError) -> Node {
            guard depth < 64 else { throw .corruptFile(path: path, format: "DigitalMicrograph", detail: "tag groups nested more than 64 deep") }
            try skip(2)   // sorted, open
            let count = try word()
            // Every tag takes at least 3 bytes: more tags than bytes left is a damaged count.
            guard count <= (bytes.count - position) / 3 + 1 else {
                throw .corruptFile(path: path, format: "DigitalMicrograph", detail: "a group declares \(count) tags in \(bytes.count - position) bytes")
            }
            var entries: [(String, Node)] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let kind = try be(1)
                let nameLength = Int(try be(2))
                guard position + nameLength <= bytes.count else { throw truncated(position + nameLength) }
                let name = String(decoding: bytes[position..<(position + nameLength)], as: UTF8.self)
                position += nameLength
                if wide { _ = try be(8) }   // tag size (DM4)
                switch kind {
                case 20: entries.append((name, try group(depth: depth + 1)))
                case 21: entries.append((name, try data(name: name)))
                case 0: break   // end marker some writers leave
                default: throw .corruptFile(path: path, format: "DigitalMicrograph", detail: "tag '\(name)' of unknown kind \(kind)")
                }
            }
            return .group(entries)
        }

        mutating func data(name: String) throws(FrameReadError) -> Node {
            guard position + 4 <= bytes.count else { throw truncated(position + 4) }
            guard bytes[position..<(position + 4)].elementsEqual("%%%%".utf8) else {
                throw .corruptFile(path: path, format: "DigitalMicrograph", detail: "tag '\(name)' has no %%%% marker")
            }
            position += 4
            let n = try word()
            guard n >= 1, n <= 4096 else { throw .corruptFile(path: path, format: "DigitalMicrograph", detail: "tag '\(name)' has \(n) type words") }
            var info: [Int] = []
            for _ in 0..<n { info.append(try word()) }
            return try value(info: info, name: name)
        }

        mutating func value(info: [Int], name: String) throws(FrameReadError) -> Node {
            let type = info[0]
            func bad(_ what: String) -> FrameReadError { .corruptFile(path: path, format: "DigitalMicrograph", detail: "tag '\(name)': \(what)") }
            if let size = DMTagTree.size(of: type) {
                guard info.count == 1 else { throw bad("\(info.count) type words for a simple value") }
                guard position + size <= bytes.count else { throw truncated(position + size) }
                let v = DMTagTree.value(bytes, littleEndian, type: type, at: position)
                position += size
                return .number(v)
            }
            switch type {
            case 18:   // string: length, then bytes
                guard info.count >= 2 else { throw bad("string without a length") }
                let length = info[1]
                guard length >= 0, position + length <= bytes.count else { throw truncated(position + max(0, length)) }
                let s = String(decoding: bytes[position..<(position + length)], as: UTF8.self)
                position += length
                return .text(s)
            case 15:   // struct: name length, field count, (name length, type) per field
                guard info.count >= 3 else { throw bad("struct without fields") }
                let fields = info[2]
                guard fields >= 0, info.count >= 3 + 2 * fields else { throw bad("struct of \(fields) fields in \(info.count) words") }
                var out: [Double] = []
                for f in 0..<fields {
                    let t = info[4 + 2 * f]
                    guard let size = DMTagTree.size(of: t) else { throw bad("struct field of type \(t)") }
                    guard position + size <= bytes.count else { throw truncated(position + size) }
                    out.append(DMTagTree.value(bytes, littleEndian, type: t, at: position))
                    position += size
                }
                return .fields(out)
            case 20:   // array
                guard info.count >= 3 else { throw bad("array without an element type") }
                let element = info[1]
                if element == 15 {
                    // Array of structs: [20, 15, name length, field count, (name length, type)…, count].
                    let fields = info[3]
                    guard fields >= 0, info.count == 5 + 2 * fields else { throw bad("array of structs with \(info.count) type words") }
                    let count = info[info.count - 1]
                    var size = 0
                    for f in 0..<fields {
                        guard let s = DMTagTree.size(of: info[5 + 2 * f]) else { throw bad("array of structs with a field of type \(info[5 + 2 * f])") }
                        size += s
                    }
                    let total = count.multipliedReportingOverflow(by: size)
                    guard !total.overflow, total.partialValue >= 0, position + total.partialValue <= bytes.count else {
                        throw truncated(position + (total.overflow ? Int.max / 2 : total.partialValue))
                    }
                    let start = position
                    position += total.partialValue
                    return .array(type: 15, count: count, offset: start)
                }
                guard info.count == 3, let size = DMTagTree.size(of: element) else {
                    throw bad("array of element type \(element) (\(info.count) type words)")
                }
                let count = info[2]
                let total = count.multipliedReportingOverflow(by: size)
                guard !total.overflow, position + total.partialValue <= bytes.count else {
                    throw truncated(position + (total.overflow ? Int.max / 2 : total.partialValue))
                }
                let start = position
                position += total.partialValue
                return .array(type: element, count: count, offset: start)
            default:
                throw bad("unknown value type \(type)")
            }
        }
    }
}

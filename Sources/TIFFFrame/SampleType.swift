/// The pixel encodings stemtrack reads, and their conversion to `Float`.
enum SampleType {
    case u8, u16, u32, i8, i16, i32, f32, f64

    init?(bits: Int, format: Int) {
        switch (format, bits) {
        case (1, 8): self = .u8
        case (1, 16): self = .u16
        case (1, 32): self = .u32
        case (2, 8): self = .i8
        case (2, 16): self = .i16
        case (2, 32): self = .i32
        case (3, 32): self = .f32
        case (3, 64): self = .f64
        default: return nil
        }
    }

    var bytes: Int {
        switch self {
        case .u8, .i8: return 1
        case .u16, .i16: return 2
        case .u32, .i32, .f32: return 4
        case .f64: return 8
        }
    }

    var isFloat: Bool { self == .f32 || self == .f64 }

    /// The largest value of the encoding (floats: 0; they are inverted about their own range).
    var maximum: Float {
        switch self {
        case .u8: return 255
        case .u16: return 65535
        case .u32: return 4_294_967_296
        case .i8: return 127
        case .i16: return 32767
        case .i32: return 2_147_483_648
        case .f32, .f64: return 0
        }
    }

    /// Converts `count` samples (already in host byte order, as libtiff delivers them).
    func convert(_ raw: UnsafeMutableRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        func copy<T>(_: T.Type, _ f: (T) -> Float) {
            let p = raw.bindMemory(to: T.self, capacity: count)
            for i in 0..<count { out[i] = f(p[i]) }
        }
        switch self {
        case .u8: copy(UInt8.self) { Float($0) }
        case .u16: copy(UInt16.self) { Float($0) }
        case .u32: copy(UInt32.self) { Float($0) }
        case .i8: copy(Int8.self) { Float($0) }
        case .i16: copy(Int16.self) { Float($0) }
        case .i32: copy(Int32.self) { Float($0) }
        case .f32: copy(Float.self) { $0 }
        case .f64: copy(Double.self) { Float($0) }
        }
    }
}

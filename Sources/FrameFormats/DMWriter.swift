import Foundation
import TIFFFrame

/// Writes frames as a DigitalMicrograph 4 file (`.dm4`): one image (2-D, or a 3-D stack of equal
/// frames) of float32 samples, the pixel size as the x/y calibration in nm, the frame's
/// acquisition time in the DataBar (date, time, and the exact instant as "Acquisition Time (OS)").
/// What ``DMReader`` reads back is bit-identical.
public enum DMWriter {
    public static func write(_ frames: [Frame], to path: String) throws(FrameReadError) {
        guard let first = frames.first, frames.allSatisfy({ $0.width == first.width && $0.height == first.height }) else {
            throw .unsupportedData(path: path, kind: "frames of different sizes (a DM stack needs equal frames)")
        }
        var w = Writer()
        // Root: one ImageList entry (no thumbnail: the reader keeps a single entry).
        let image = imageGroup(frames)
        let root: Tag = .group([("ImageList", .group([("", image)]))])
        w.header(root)
        do { try Data(w.bytes).write(to: URL(fileURLWithPath: path)) } catch {
            throw .unreadable(path: path, reason: "cannot write (\(error.localizedDescription))", errno: EIO)
        }
    }

    indirect enum Tag {
        case group([(String, Tag)])
        case int32(Int32)
        case float64(Double)
        case uint64(UInt64)
        case string(String)
        case floats([Float])
    }

    static func imageGroup(_ frames: [Frame]) -> Tag {
        let f = frames[0]
        let nm = (f.pixelSize ?? 1) / 10
        let unit = f.pixelSize == nil ? "" : "nm"
        var dims: [(String, Tag)] = [("", .int32(Int32(f.width))), ("", .int32(Int32(f.height)))]
        if frames.count > 1 { dims.append(("", .int32(Int32(frames.count)))) }
        var calibrations: [(String, Tag)] = [
            ("", .group([("Origin", .float64(0)), ("Scale", .float64(f.pixelSize == nil ? 1 : nm)), ("Units", .string(unit))])),
            ("", .group([("Origin", .float64(0)), ("Scale", .float64(f.pixelSize == nil ? 1 : nm)), ("Units", .string(unit))])),
        ]
        if frames.count > 1 {
            calibrations.append(("", .group([("Origin", .float64(0)), ("Scale", .float64(frames.count > 1 ? (f.frameTime ?? 1) : 1)),
                                             ("Units", .string(f.frameTime == nil ? "" : "s"))])))
        }
        var tags: [(String, Tag)] = []
        if let t = f.acquiredAt {
            let d = Date(timeIntervalSince1970: t)
            var cal = Calendar(identifier: .gregorian)
            cal.timeZone = TimeZone(identifier: "UTC")!
            let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
            let hour12 = (c.hour! + 11) % 12 + 1
            let date = "\(c.month!)/\(c.day!)/\(c.year!)"
            let time = String(format: "%d:%02d:%02d %@", hour12, c.minute!, c.second!, c.hour! < 12 ? "AM" : "PM")
            // FILETIME: 100 ns since 1601 (exact to 0.1 µs).
            let filetime = UInt64(((t + 11_644_473_600) * 1e7).rounded())
            tags.append(("DataBar", .group([("Acquisition Date", .string(date)), ("Acquisition Time", .string(time)),
                                             ("Acquisition Time (OS)", .uint64(filetime))])))
        }
        var pixels: [Float] = []
        pixels.reserveCapacity(f.width * f.height * frames.count)
        for frame in frames { pixels += frame.pixels }
        let data: Tag = .group([
            ("Calibrations", .group([("Brightness", .group([("Origin", .float64(0)), ("Scale", .float64(1)), ("Units", .string(""))])),
                                     ("Dimension", .group(calibrations))])),
            ("Data", .floats(pixels)),
            ("DataType", .int32(2)),
            ("Dimensions", .group(dims)),
            ("PixelDepth", .int32(4)),
        ])
        return .group([("ImageData", data), ("ImageTags", .group(tags)), ("Name", .string(f.title ?? "stemtrack"))])
    }

    /// DM4 encoding: big-endian structure, little-endian values (byte order 1).
    struct Writer {
        var bytes: [UInt8] = []

        mutating func be(_ v: UInt64, _ n: Int) { for k in stride(from: n - 1, through: 0, by: -1) { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) } }
        mutating func le(_ v: UInt64, _ n: Int) { for k in 0..<n { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) } }

        mutating func header(_ root: Tag) {
            be(4, 4)
            let sizeAt = bytes.count
            be(0, 8)
            be(1, 4)   // little-endian values
            guard case .group(let entries) = root else { return }
            groupBody(entries)
            bytes += [UInt8](repeating: 0, count: 8)
            // Declared size: everything after the 16-byte header but the closing 8 bytes… as DM4 files
            // store it (file size − 24).
            let size = UInt64(bytes.count - 24)
            for k in 0..<8 { bytes[sizeAt + k] = UInt8(truncatingIfNeeded: size >> (8 * UInt64(7 - k))) }
        }

        mutating func groupBody(_ entries: [(String, Tag)]) {
            bytes += [0, 0]   // sorted, open
            be(UInt64(entries.count), 8)
            for (name, tag) in entries { self.tag(name, tag) }
        }

        mutating func tag(_ name: String, _ t: Tag) {
            let isGroup: Bool
            if case .group = t { isGroup = true } else { isGroup = false }
            bytes.append(isGroup ? 20 : 21)
            let n = Array(name.utf8)
            be(UInt64(n.count), 2)
            bytes += n
            let sizeAt = bytes.count
            be(0, 8)
            let start = bytes.count
            switch t {
            case .group(let entries): groupBody(entries)
            case .int32(let v): data([3]) { $0.le(UInt64(UInt32(bitPattern: v)), 4) }
            case .float64(let v): data([7]) { $0.le(v.bitPattern, 8) }
            case .uint64(let v): data([12]) { $0.le(v, 8) }
            case .string(let s):
                let units = Array(s.utf16)
                data([20, 4, units.count]) { w in for u in units { w.le(UInt64(u), 2) } }
            case .floats(let values):
                data([20, 6, values.count]) { w in
                    w.bytes.reserveCapacity(w.bytes.count + 4 * values.count)
                    for v in values { w.le(UInt64(v.bitPattern), 4) }
                }
            }
            let size = UInt64(bytes.count - start)
            for k in 0..<8 { bytes[sizeAt + k] = UInt8(truncatingIfNeeded: size >> (8 * UInt64(7 - k))) }
        }

        mutating func data(_ info: [Int], _ body: (inout Writer) -> Void) {
            bytes += Array("%%%%".utf8)
            be(UInt64(info.count), 8)
            for i in info { be(UInt64(i), 8) }
            body(&self)
        }
    }
}

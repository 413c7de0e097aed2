import Foundation
import TIFFFrame

/// Reads Gatan DigitalMicrograph 3 and 4 files (`.dm3`, `.dm4`): 2-D images and 3-D stacks
/// (DigiScan / StackBuilder), every real and integer sample type, with the spatial calibration
/// (scale, origin, unit → pixel size in Å) and the acquisition date and time of the DataBar tags
/// (per slice for StackBuilder stacks when their plane tags carry one). Complex, RGB and bool
/// images are refused with ``FrameReadError/unsupportedData(path:kind:)``.
///
/// The thumbnail that DigitalMicrograph stores as the first entry of `ImageList` is skipped.
public enum DMReader {
    /// What a DM file holds, before any conversion to frames.
    public struct Image: Sendable, Equatable {
        /// Sizes, fastest first (x, y, then slices).
        public var dimensions: [Int]
        /// DM's data type code and its name (`int16`, `float32`, …).
        public var dataType: Int
        public var typeName: String
        /// Calibration per dimension: scale, origin (offset = −origin × scale) and unit.
        public var scales: [Double]
        public var origins: [Double]
        public var units: [String]
        public var title: String?
        /// Acquisition instant (Unix s, the DataBar's date and time in UTC, the file having no zone).
        public var acquired: Double?
        /// Times of each slice (Unix s) when the stack's tags give them.
        public var sliceTimes: [Double?]
        /// Sample values as Double (real and integer types only).
        public var values: [Double]
    }

    /// DM image data types: code → (name, bytes per sample, readable as HAADF intensities).
    static let types: [Int: (name: String, size: Int, real: Bool)] = [
        1: ("int16", 2, true), 2: ("float32", 4, true), 3: ("complex64", 8, false), 5: ("complex64 (packed)", 8, false),
        6: ("uint8", 1, true), 7: ("int32", 4, true), 8: ("RGB", 4, false), 9: ("int8", 1, true), 10: ("uint16", 2, true),
        11: ("uint32", 4, true), 12: ("float64", 8, true), 13: ("complex128", 16, false), 14: ("bool", 1, false),
        23: ("RGBA", 4, false), 27: ("complex64", 8, false), 28: ("complex128", 16, false),
    ]

    /// The images of the file (thumbnail excluded), with their data.
    public static func images(path: String, maxPixels: Int = TIFFReader.defaultMaxPixels) throws(FrameReadError) -> [Image] {
        let bytes = try FileBytes.read(path: path)
        let tree = try DMTagTree(bytes: bytes, path: path)
        var entries = tree.list(["ImageList"])
        guard !entries.isEmpty else { throw .corruptFile(path: path, format: "DigitalMicrograph", detail: "no ImageList in the tag tree") }
        if entries.count > 1 { entries.removeFirst() }   // the thumbnail
        var out: [Image] = []
        for entry in entries {
            guard case .array(let elementType, let count, let offset)? = tree.node(["ImageData", "Data"], from: entry) else {
                throw .corruptFile(path: path, format: "DigitalMicrograph", detail: "an image without ImageData.Data")
            }
            let code = Int(tree.number(["ImageData", "DataType"], from: entry) ?? -1)
            let dims = tree.list(["ImageData", "Dimensions"], from: entry).compactMap { n -> Int? in
                if case .number(let v) = n, v >= 1, v < 2_147_483_648.0 { return Int(v) }
                return nil
            }
            guard !dims.isEmpty else { throw .corruptFile(path: path, format: "DigitalMicrograph", detail: "image without dimensions") }
            let total = dims.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
            let plane = dims.count >= 2 ? dims[0] * dims[1] : dims[0]
            if plane > maxPixels {
                throw .tooLarge(path: path, page: 0, width: dims[0], height: dims.count > 1 ? dims[1] : 1, maxPixels: maxPixels)
            }
            let type = types[code]
            let calibrations = tree.list(["ImageData", "Calibrations", "Dimension"], from: entry)
            var image = Image(dimensions: dims, dataType: code, typeName: type?.name ?? "type \(code)",
                              scales: calibrations.map { tree.number(["Scale"], from: $0) ?? 1 },
                              origins: calibrations.map { tree.number(["Origin"], from: $0) ?? 0 },
                              units: calibrations.map { tree.string(["Units"], from: $0) ?? "" },
                              title: tree.string(["Name"], from: entry), acquired: nil, sliceTimes: [], values: [])
            image.acquired = acquisitionTime(tree, entry)
            if dims.count == 3 {
                image.sliceTimes = sliceTimes(tree, entry, slices: dims[2])
                // A stack calibrated in time along z: slice k began k × scale after the acquisition.
                if image.sliceTimes.allSatisfy({ $0 == nil }), let t0 = image.acquired, image.units.count == 3,
                   image.units[2] == "s", image.scales[2] > 0 {
                    image.sliceTimes = (0..<dims[2]).map { t0 + Double($0) * image.scales[2] }
                }
            }
            guard let type, type.real else {
                out.append(image)
                continue
            }
            // The array's own element type must hold the declared samples (DM stores RGB and
            // complex data with other element types; the real types match one to one).
            let bytesPerElement = DMTagTree.size(of: elementType) ?? 0
            guard count * bytesPerElement == total * type.size else {
                throw .corruptFile(path: path, format: "DigitalMicrograph", detail: "image data of \(count * bytesPerElement) bytes for "
                    + "\(dims.map(String.init).joined(separator: "×")) \(type.name) samples")
            }
            image.values = samples(tree, code: code, count: total, offset: offset)
            out.append(image)
        }
        return out
    }

    /// The frames of a DM file: one per slice of each image (a 2-D image is one frame).
    public static func read(path: String, maxPixels: Int = TIFFReader.defaultMaxPixels) throws(FrameReadError) -> [Frame] {
        var frames: [Frame] = []
        for image in try images(path: path, maxPixels: maxPixels) {
            guard let type = types[image.dataType], type.real else {
                throw .unsupportedData(path: path, kind: "\(image.typeName) image"
                    + (image.dataType == 14 ? " (a mask)" : ""))
            }
            guard image.dimensions.count == 2 || image.dimensions.count == 3 else {
                throw .unsupportedData(path: path, kind: "\(image.dimensions.count)-dimensional data (a spectrum or spectrum image)")
            }
            let w = image.dimensions[0], h = image.dimensions[1]
            let slices = image.dimensions.count == 3 ? image.dimensions[2] : 1
            let px = pixelSize(scale: image.scales.first, unit: image.units.first)
            for k in 0..<slices {
                let start = k * w * h
                var f = Frame(width: w, height: h, pixels: image.values[start..<(start + w * h)].map { Float($0) },
                              pixelSize: px, source: path, page: frames.count)
                f.sampleType = type.name
                f.title = image.title
                if k < image.sliceTimes.count, let t = image.sliceTimes[k] {
                    f.acquiredAt = t; f.timeSource = .metadata
                } else if let t = image.acquired {
                    f.acquiredAt = t; f.timeSource = .metadata
                }
                frames.append(f)
            }
        }
        return frames
    }

    /// Pixel size in Å from a calibration scale and unit (nil for unknown or non-length units).
    static func pixelSize(scale: Double?, unit: String?) -> Double? {
        guard let scale, scale > 0, scale.isFinite, let unit else { return nil }
        switch unit.trimmingCharacters(in: .whitespaces) {
        case "nm": return scale * 10
        case "µm", "um", "μm": return scale * 1e4
        case "pm": return scale / 100
        case "Å", "A", "Ang", "angstrom": return scale
        case "m": return scale * 1e10
        default: return nil
        }
    }

    private static func samples(_ tree: DMTagTree, code: Int, count: Int, offset: Int) -> [Double] {
        let le = tree.littleEndian
        let b = tree.bytes
        var out = [Double](repeating: 0, count: count)
        switch code {
        case 1: for i in 0..<count { out[i] = DMTagTree.value(b, le, type: 2, at: offset + 2 * i) }
        case 2: for i in 0..<count { out[i] = DMTagTree.value(b, le, type: 6, at: offset + 4 * i) }
        case 6: for i in 0..<count { out[i] = Double(b[offset + i]) }
        case 7: for i in 0..<count { out[i] = DMTagTree.value(b, le, type: 3, at: offset + 4 * i) }
        case 9: for i in 0..<count { out[i] = Double(Int8(bitPattern: b[offset + i])) }
        case 10: for i in 0..<count { out[i] = DMTagTree.value(b, le, type: 4, at: offset + 2 * i) }
        case 11: for i in 0..<count { out[i] = DMTagTree.value(b, le, type: 5, at: offset + 4 * i) }
        case 12: for i in 0..<count { out[i] = DMTagTree.value(b, le, type: 7, at: offset + 8 * i) }
        default: break
        }
        return out
    }

    /// The DataBar of an image: `ImageTags.DataBar`, or for stacks built from other images
    /// `ImageTags.source.Tags at creation.DataBar`.
    static func dataBar(_ tree: DMTagTree, _ entry: DMTagTree.Node) -> DMTagTree.Node? {
        tree.node(["ImageTags", "DataBar"], from: entry)
            ?? tree.node(["ImageTags", "source", "Tags at creation", "DataBar"], from: entry)
    }

    /// The acquisition instant, Unix s: the DataBar's "Acquisition Time (OS)" (a Windows FILETIME,
    /// 100 ns since 1601, in UTC) when present, else its "Acquisition Date" and "Acquisition Time"
    /// (the acquisition PC's local time; read as UTC, the file keeping no zone).
    static func acquisitionTime(_ tree: DMTagTree, _ entry: DMTagTree.Node) -> Double? {
        guard let bar = dataBar(tree, entry) else { return nil }
        if let os = tree.number(["Acquisition Time (OS)"], from: bar), os > 1e17, os < 3e18 {
            return os * 1e-7 - 11_644_473_600
        }
        return localAcquisitionTime(tree, bar)
    }

    private static func localAcquisitionTime(_ tree: DMTagTree, _ bar: DMTagTree.Node) -> Double? {
        guard let date = tree.string(["Acquisition Date"], from: bar),
              let time = tree.string(["Acquisition Time"], from: bar) else { return nil }
        return DateParsing.dmDateTime(date: date, time: time)
    }

    /// Slice times of a StackBuilder stack: each plane's "added @ time" (a clock time on the
    /// DataBar's date), put on UTC with the zone offset that the DataBar's OS time and local time
    /// imply, and refined to milliseconds by the planes' "added @ tick" counters.
    static func sliceTimes(_ tree: DMTagTree, _ entry: DMTagTree.Node, slices: Int) -> [Double?] {
        let planes = tree.list(["ImageTags", "plane info"], from: entry)
        guard planes.count >= slices, let bar = dataBar(tree, entry),
              let date = tree.string(["Acquisition Date"], from: bar) else { return [Double?](repeating: nil, count: slices) }
        var offset = 0.0
        if let os = tree.number(["Acquisition Time (OS)"], from: bar), os > 1e17, let local = localAcquisitionTime(tree, bar) {
            // Whole quarter hours between the local clock and UTC.
            offset = ((os * 1e-7 - 11_644_473_600 - local) / 900).rounded() * 900
        }
        var times: [Double?] = (0..<slices).map { k in
            tree.string(["added @ time"], from: planes[k]).flatMap { DateParsing.dmDateTime(date: date, time: $0) }.map { $0 + offset }
        }
        let ticks = (0..<slices).map { tree.number(["added @ tick"], from: planes[$0]) }
        if let t0 = times[0], let tick0 = ticks[0] {
            for k in 0..<slices {
                if let tick = ticks[k], let tk = times[k], abs(t0 + (tick - tick0) / 1000 - tk) < 1.5 { times[k] = t0 + (tick - tick0) / 1000 }
            }
        }
        return times
    }
}

/// A file's bytes read with checks (missing, not a regular file, zero-byte, unreadable).
enum FileBytes {
    /// The first `count` bytes (fewer for a shorter file).
    static func header(path: String, count: Int) throws(FrameReadError) -> [UInt8] {
        try withFile(path) { h in [UInt8]((try? h.read(upToCount: count)) ?? Data()) }
    }

    /// The whole file.
    static func read(path: String) throws(FrameReadError) -> [UInt8] {
        try withFile(path) { h throws(FrameReadError) in
            do { return [UInt8](try h.readToEnd() ?? Data()) } catch {
                throw .unreadable(path: path, reason: error.localizedDescription, errno: EIO)
            }
        }
    }

    private static func withFile<T>(_ path: String, _ body: (FileHandle) throws(FrameReadError) -> T) throws(FrameReadError) -> T {
        var st = stat()
        guard stat(path, &st) == 0 else { throw FrameReadError.fromErrno(errno, path: path) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw .notRegularFile(path: path, kind: FrameReadError.fileKind(st.st_mode)) }
        guard st.st_size > 0 else { throw .emptyFile(path: path) }
        guard let h = FileHandle(forReadingAtPath: path) else { throw FrameReadError.fromErrno(errno == 0 ? EACCES : errno, path: path) }
        defer { try? h.close() }
        return try body(h)
    }
}

/// Date and time texts of microscope files.
enum DateParsing {
    /// DM's DataBar: date "12/5/2019" or "5.12.2019" or "2019-12-05", time "10:03:44 AM" or "10:03:44".
    static func dmDateTime(date: String, time: String) -> Double? {
        var y = 0, m = 0, d = 0
        let dparts = date.split(whereSeparator: { "/.-".contains($0) }).compactMap { Int($0) }
        guard dparts.count == 3 else { return nil }
        if dparts[0] > 31 { (y, m, d) = (dparts[0], dparts[1], dparts[2]) }
        else if date.contains("/") { (m, d, y) = (dparts[0], dparts[1], dparts[2]) }
        else { (d, m, y) = (dparts[0], dparts[1], dparts[2]) }
        var t = time.uppercased()
        let pm = t.hasSuffix("PM"), am = t.hasSuffix("AM")
        t = t.replacingOccurrences(of: "AM", with: "").replacingOccurrences(of: "PM", with: "").trimmingCharacters(in: .whitespaces)
        let tparts = t.split(separator: ":").compactMap { Double($0) }
        guard tparts.count >= 2 else { return nil }
        var hour = Int(tparts[0])
        if pm && hour < 12 { hour += 12 }
        if am && hour == 12 { hour = 0 }
        return utc(y, m, d, hour, Int(tparts[1]), tparts.count > 2 ? tparts[2] : 0)
    }

    /// An ISO 8601 date-time, or DM's "date time" pair in one string.
    static func loose(_ s: String) -> Double? {
        let f = ISO8601DateFormatter()
        if let d = f.date(from: s) { return d.timeIntervalSince1970 }
        let parts = s.split(separator: " ", maxSplits: 1).map(String.init)
        if parts.count == 2 { return dmDateTime(date: parts[0], time: parts[1]) }
        return nil
    }

    static func utc(_ y: Int, _ m: Int, _ d: Int, _ h: Int, _ min: Int, _ s: Double) -> Double? {
        guard (1...12).contains(m), (1...31).contains(d), (0...23).contains(h), (0...59).contains(min) else { return nil }
        var c = DateComponents()
        c.year = y; c.month = m; c.day = d; c.hour = h; c.minute = min; c.second = Int(s)
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        guard let date = cal.date(from: c) else { return nil }
        return date.timeIntervalSince1970 + (s - s.rounded(.down))
    }
}

import CHDF5
import Foundation
import TIFFFrame

/// Reads Thermo Fisher Velox EMD files (HDF5) through libhdf5: each image signal is a group
/// `/Data/Image/<id>` with a dataset `Data` (height × width × frames, the frame index fastest) and
/// a dataset `Metadata` (one zero-padded JSON text per frame, as bytes). A file with several
/// detectors' images gives the one chosen by detector name (default: the HAADF one).
///
/// Per frame: pixel size and unit (`BinaryResult.PixelSize`, `PixelUnitX`), acquisition time
/// (`Acquisition.AcquisitionStartDatetime.DateTime`, Unix s, plus the frame's index × frame time),
/// detector name, dwell time and frame time (`Scan.DwellTime`, `Scan.FrameTime`, s).
public enum EMDReader {
    /// One image signal of the file.
    public struct Signal: Sendable, Equatable {
        /// The group id under /Data/Image.
        public var id: String
        /// Detector (the signal's title in Velox).
        public var detector: String?
        /// Height, width, frames.
        public var height: Int, width: Int, frames: Int
        /// HDF5 type class and size, and the name (`int16`, `float32`, `complex64`, …).
        public var typeName: String
        public var real: Bool
        /// Metadata of the first frame (JSON object).
        public var pixelSize: Double?
        public var pixelUnit: String?
        public var start: Double?
        public var dwellTime: Double?
        public var frameTime: Double?
    }

    /// Serialises calls into libhdf5 (the serial build is not thread-safe).
    static let hdf5Lock = NSLock()

    /// The image signals of the file, without their data.
    public static func signals(path: String) throws(FrameReadError) -> [Signal] {
        try withFile(path) { file throws(FrameReadError) in try listSignals(file, path: path) }
    }

    /// The frames of the signal of detector `detector` (nil: the HAADF signal, or the only one).
    public static func read(path: String, detector: String? = nil,
                            maxPixels: Int = TIFFReader.defaultMaxPixels) throws(FrameReadError) -> [Frame] {
        try withFile(path) { file throws(FrameReadError) in
            let all = try listSignals(file, path: path)
            guard !all.isEmpty else { throw .unsupportedData(path: path, kind: "EMD file without image data (/Data/Image)") }
            let signal = try choose(all, detector: detector, path: path)
            guard signal.real else {
                throw .unsupportedData(path: path, kind: "\(signal.typeName) image (\(signal.detector ?? signal.id))")
            }
            guard signal.width * signal.height <= maxPixels else {
                throw .tooLarge(path: path, page: 0, width: signal.width, height: signal.height, maxPixels: maxPixels)
            }
            let values = try readData(file, signal: signal, path: path)
            let metadata = readMetadata(file, signal: signal)
            let n = signal.width * signal.height, frames = signal.frames
            var out: [Frame] = []
            out.reserveCapacity(frames)
            for f in 0..<frames {
                var pixels = [Float](repeating: 0, count: n)
                for i in 0..<n { pixels[i] = Float(values[i * frames + f]) }
                let m = f < metadata.count ? metadata[f] : metadata.first
                let px = angstrom(m?.pixelSize ?? signal.pixelSize, unit: m?.pixelUnit ?? signal.pixelUnit)
                var frame = Frame(width: signal.width, height: signal.height, pixels: pixels, pixelSize: px, source: path, page: f)
                frame.sampleType = signal.typeName
                frame.detector = signal.detector ?? m?.detector
                frame.title = frame.detector
                frame.dwellTime = m?.dwellTime ?? signal.dwellTime
                frame.frameTime = m?.frameTime ?? signal.frameTime
                if let start = m?.start ?? signal.start {
                    // Frames of one acquisition share its start time: frame f began f frame times later.
                    let sameStart = f > 0 && (f < metadata.count ? metadata[f].start : nil) == (metadata.first?.start)
                    let step = sameStart || f >= metadata.count ? Double(f) * (frame.frameTime ?? 0) : 0
                    frame.acquiredAt = start + step
                    frame.timeSource = .metadata
                }
                out.append(frame)
            }
            return out
        }
    }

    static func choose(_ all: [Signal], detector: String?, path: String) throws(FrameReadError) -> Signal {
        let names = all.map { $0.detector ?? $0.id }.joined(separator: ", ")
        if let detector {
            if let s = all.first(where: { ($0.detector ?? "").caseInsensitiveCompare(detector) == .orderedSame })
                ?? all.first(where: { ($0.detector ?? "").localizedCaseInsensitiveContains(detector) }) { return s }
            throw .unsupportedData(path: path, kind: "no '\(detector)' signal (the file holds \(names))")
        }
        if let s = all.first(where: { ($0.detector ?? "").localizedCaseInsensitiveContains("HAADF") }) { return s }
        if all.count == 1 { return all[0] }
        throw .unsupportedData(path: path, kind: "\(all.count) signals and none is HAADF (\(names)); choose one by detector name (setting emd_detector)")
    }

    /// Å per pixel from a length and its unit.
    static func angstrom(_ v: Double?, unit: String?) -> Double? {
        guard let v, v > 0, v.isFinite else { return nil }
        switch unit ?? "m" {
        case "m": return v * 1e10
        case "nm": return v * 10
        case "pm": return v / 100
        case "µm", "um": return v * 1e4
        case "Å", "A": return v
        default: return nil
        }
    }

    // MARK: HDF5

    private static func withFile<T>(_ path: String, _ body: (hid_t) throws(FrameReadError) -> T) throws(FrameReadError) -> T {
        _ = try FileBytes.header(path: path, count: 8)
        hdf5Lock.lock()
        defer { hdf5Lock.unlock() }
        st_h5_quiet()
        let fapl = st_h5_fapl_nolock()
        defer { H5Pclose(fapl) }
        let file = H5Fopen(path, st_h5f_acc_rdonly(), fapl)
        guard file >= 0 else {
            // Not HDF5 at all, or an HDF5 file still being written (superblock or tables incomplete).
            let head = (try? FileBytes.header(path: path, count: 8)) ?? []
            if head.elementsEqual([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) {
                throw .corruptFile(path: path, format: "Velox EMD (HDF5)", detail: "libhdf5 cannot open it: truncated, still being written or locked")
            }
            throw .unknownFormat(path: path, detail: "no HDF5 signature")
        }
        defer { H5Fclose(file) }
        return try body(file)
    }

    private static func children(_ group: hid_t) -> [String] {
        var count: hsize_t = 0
        guard st_h5_group_count(group, &count) >= 0, count < 100_000 else { return [] }
        var out: [String] = []
        for i in 0..<count {
            var buffer = [CChar](repeating: 0, count: 512)
            let n = st_h5_link_name(group, i, &buffer, 512)
            if n > 0 { out.append(String(cString: buffer)) }
        }
        return out
    }

    /// Titles of the image signals, by their path: from Velox's operations (`/Operations/…`: a STEM
    /// input's detector, "DF4-A"; a subtraction of two segments, "A-C"; "DPC"; the surface
    /// reconstruction's "iDPC" and, filtered, "Filtered iDPC"), else from the label of the display
    /// that shows the signal (`/Presentation/…`).
    private static func displayLabels(_ file: hid_t) -> [String: String] {
        var labels: [String: String] = [:]
        var operations: [(kind: String, path: String, object: [String: Any])] = []
        func walk(_ path: String, depth: Int) {
            guard depth < 6 else { return }
            switch st_h5_object_kind(file, path) {
            case 0:
                let g = H5Gopen2(file, path, st_h5_default())
                guard g >= 0 else { return }
                let names = children(g)
                H5Gclose(g)
                for n in names.prefix(10_000) { walk(path + "/" + n, depth: depth + 1) }
            case 1:
                guard let text = readText(file, path, limit: 1 << 16),
                      let o = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any] else { return }
                if path.hasPrefix("/Operations/") {
                    operations.append((path.split(separator: "/").dropFirst().first.map(String.init) ?? "", path, o))
                    return
                }
                guard let dataPath = o["dataPath"] as? String,
                      let label = (o["display"] as? [String: Any])?["label"] as? String else { return }
                labels[dataPath] = label
            default:
                return
            }
        }
        walk("/Presentation", depth: 0)
        walk("/Operations", depth: 0)
        // Segment letters of the STEM inputs feeding each operation, by input index.
        var inputs: [String: [Int: String]] = [:]
        for (kind, _, o) in operations where kind == "StemInputOperation" {
            guard let detector = o["detector"] as? String else { continue }
            if let dataPath = o["dataPath"] as? String { labels[dataPath] = detector }
            for out in (o["outputs"] as? [[String: Any]]) ?? [] {
                guard let op = out["operation"] as? String, let index = Int(out["inputIndex"] as? String ?? "") else { continue }
                inputs[op, default: [:]][index] = String(detector.split(separator: "-").last ?? Substring(detector))
            }
        }
        for (kind, path, o) in operations {
            guard let dataPath = o["dataPath"] as? String else { continue }
            switch kind {
            case "MathematicsOperation":
                if let a = inputs[path]?[0], let b = inputs[path]?[1], (o["mathematicsMode"] as? String) == "Subtraction" {
                    labels[dataPath] = "\(a)-\(b)"
                }
            case "DpcOperation":
                labels[dataPath] = "DPC"
            case "SurfaceReconstructionOperation":
                let filtered = (o["enableFilter"] as? String) == "true"
                labels[dataPath] = filtered ? "Filtered iDPC" : "iDPC"
                if let unfiltered = o["unfilteredDataPath"] as? String { labels[unfiltered] = "iDPC" }
            default:
                break
            }
        }
        return labels
    }


    /// A uint8 dataset or a variable-length string as bytes up to the first NUL; nil when larger than `limit`.
    private static func readText(_ file: hid_t, _ name: String, limit: Int) -> [UInt8]? {
        let ds = H5Dopen2(file, name, st_h5_default())
        guard ds >= 0 else { return nil }
        defer { H5Dclose(ds) }
        var buffer = [CChar](repeating: 0, count: 4096)
        var length = st_h5_read_string(ds, &buffer, buffer.count)
        if length >= buffer.count, length <= limit {
            buffer = [CChar](repeating: 0, count: length + 1)
            length = st_h5_read_string(ds, &buffer, buffer.count)
        }
        if length >= 0 { return length <= limit ? Array(buffer.prefix(length).map { UInt8(bitPattern: $0) }) : nil }
        let type = H5Dget_type(ds)
        defer { H5Tclose(type) }
        guard H5Tget_class(type) == H5T_INTEGER, H5Tget_size(type) == 1 else { return nil }
        let space = H5Dget_space(ds)
        defer { H5Sclose(space) }
        let n = Int(H5Sget_simple_extent_npoints(space))
        guard n > 0, n <= limit else { return nil }
        var bytes = [UInt8](repeating: 0, count: n)
        let status = bytes.withUnsafeMutableBytes { H5Dread(ds, st_h5t_native_uint8(), st_h5s_all(), st_h5s_all(), st_h5_default(), $0.baseAddress) }
        guard status >= 0 else { return nil }
        if let z = bytes.firstIndex(of: 0) { bytes.removeSubrange(z...) }
        return bytes
    }

    private static func listSignals(_ file: hid_t, path: String) throws(FrameReadError) -> [Signal] {
        guard st_h5_object_kind(file, "/Data") == 0, st_h5_object_kind(file, "/Data/Image") == 0 else { return [] }
        let labels = displayLabels(file)
        let images = H5Gopen2(file, "/Data/Image", st_h5_default())
        guard images >= 0 else { throw .corruptFile(path: path, format: "Velox EMD", detail: "cannot open /Data/Image") }
        defer { H5Gclose(images) }
        var out: [Signal] = []
        for id in children(images) {
            let base = "/Data/Image/" + id
            guard st_h5_object_kind(file, base + "/Data") == 1 else { continue }
            let ds = H5Dopen2(file, base + "/Data", st_h5_default())
            guard ds >= 0 else { throw .corruptFile(path: path, format: "Velox EMD", detail: "cannot open \(base)/Data") }
            defer { H5Dclose(ds) }
            let space = H5Dget_space(ds)
            defer { H5Sclose(space) }
            let rank = Int(H5Sget_simple_extent_ndims(space))
            guard rank == 2 || rank == 3 else {
                throw .unsupportedData(path: path, kind: "\(rank)-dimensional dataset \(base)/Data (not an image or image series)")
            }
            var dims = [hsize_t](repeating: 0, count: rank)
            H5Sget_simple_extent_dims(space, &dims, nil)
            let type = H5Dget_type(ds)
            defer { H5Tclose(type) }
            let cls = H5Tget_class(type), size = H5Tget_size(type)
            let name: String, real: Bool
            switch cls {
            case H5T_INTEGER:
                let signed = H5Tget_sign(type) == H5T_SGN_2
                name = (signed ? "int" : "uint") + "\(8 * size)"; real = true
            case H5T_FLOAT:
                name = "float\(8 * size)"; real = true
            case H5T_COMPOUND:
                name = "complex\(8 * size)"; real = false
            default:
                name = "HDF5 class \(cls.rawValue)"; real = false
            }
            var signal = Signal(id: id, detector: nil, height: Int(dims[0]), width: Int(dims[1]),
                                frames: rank == 3 ? Int(dims[2]) : 1, typeName: name, real: real)
            if let m = readMetadata(file, signal: signal, firstOnly: true).first {
                signal.detector = m.detector; signal.pixelSize = m.pixelSize; signal.pixelUnit = m.pixelUnit
                signal.start = m.start; signal.dwellTime = m.dwellTime; signal.frameTime = m.frameTime
            }
            // The title Velox shows (a DPC segment "DF4-A", a derived "iDPC") names the signal better
            // than the detector it came from.
            if let label = labels[base] { signal.detector = label }
            out.append(signal)
        }
        return out
    }

    private static func readData(_ file: hid_t, signal: Signal, path: String) throws(FrameReadError) -> [Double] {
        let ds = H5Dopen2(file, "/Data/Image/\(signal.id)/Data", st_h5_default())
        guard ds >= 0 else { throw .corruptFile(path: path, format: "Velox EMD", detail: "cannot open the image data") }
        defer { H5Dclose(ds) }
        let total = signal.width * signal.height * signal.frames
        var values = [Double](repeating: 0, count: total)
        let status = values.withUnsafeMutableBytes { H5Dread(ds, st_h5t_native_double(), st_h5s_all(), st_h5s_all(), st_h5_default(), $0.baseAddress) }
        guard status >= 0 else {
            throw .corruptFile(path: path, format: "Velox EMD", detail: "the image data cannot be read (truncated or still being written)")
        }
        return values
    }

    /// What a frame's JSON metadata says.
    struct FrameMetadata {
        var detector: String?
        var pixelSize: Double?
        var pixelUnit: String?
        var start: Double?
        var dwellTime: Double?
        var frameTime: Double?
    }

    private static func readMetadata(_ file: hid_t, signal: Signal, firstOnly: Bool = false) -> [FrameMetadata] {
        let name = "/Data/Image/\(signal.id)/Metadata"
        guard st_h5_object_kind(file, name) == 1 else { return [] }
        let ds = H5Dopen2(file, name, st_h5_default())
        guard ds >= 0 else { return [] }
        defer { H5Dclose(ds) }
        let space = H5Dget_space(ds)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank == 1 || rank == 2 else { return [] }
        var dims = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(space, &dims, nil)
        let length = Int(dims[0]), count = rank == 2 ? Int(dims[1]) : 1
        guard length > 0, length * count < 1 << 30 else { return [] }
        var bytes = [UInt8](repeating: 0, count: length * count)
        let status = bytes.withUnsafeMutableBytes { H5Dread(ds, st_h5t_native_uint8(), st_h5s_all(), st_h5s_all(), st_h5_default(), $0.baseAddress) }
        guard status >= 0 else { return [] }
        var out: [FrameMetadata] = []
        for f in 0..<(firstOnly ? min(1, count) : count) {
            // Column f of a (length × count) array: bytes f, f + count, … (C order).
            var text = [UInt8]()
            text.reserveCapacity(length)
            for i in 0..<length { let b = bytes[i * count + f]; if b == 0 { break }; text.append(b) }
            out.append(parse(text))
        }
        return out
    }

    static func parse(_ json: [UInt8]) -> FrameMetadata {
        var m = FrameMetadata()
        guard let o = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else { return m }
        func number(_ v: Any?) -> Double? {
            if let s = v as? String { return Double(s) }
            return (v as? NSNumber)?.doubleValue
        }
        let binary = o["BinaryResult"] as? [String: Any]
        m.pixelSize = number((binary?["PixelSize"] as? [String: Any])?["width"])
        m.pixelUnit = binary?["PixelUnitX"] as? String
        m.detector = binary?["Detector"] as? String
        if m.detector == nil, let index = number(binary?["DetectorIndex"]).map(Int.init),
           let detectors = o["Detectors"] as? [String: Any] {
            m.detector = (detectors["Detector-\(index)"] as? [String: Any])?["DetectorName"] as? String
        }
        let acquisition = o["Acquisition"] as? [String: Any]
        m.start = number((acquisition?["AcquisitionStartDatetime"] as? [String: Any])?["DateTime"])
        let scan = o["Scan"] as? [String: Any]
        m.dwellTime = number(scan?["DwellTime"])
        m.frameTime = number(scan?["FrameTime"])
        if m.frameTime == nil, let index = number(binary?["DetectorIndex"]).map(Int.init),
           let detector = (o["Detectors"] as? [String: Any])?["Detector-\(index)"] as? [String: Any] {
            m.frameTime = number(detector["ExposureTime"])   // a camera: its exposure per frame
        }
        return m
    }
}

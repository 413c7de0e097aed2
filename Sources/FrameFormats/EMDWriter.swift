import CHDF5
import Foundation
import TIFFFrame

/// Writes frames as a Velox-like EMD file (HDF5): one image signal `/Data/Image/<id>` with
/// `Data` (height × width × frames, float32, the frame index fastest, as Velox stores it) and
/// `Metadata` (one JSON text per frame: pixel size in m, detector, acquisition start, frame and
/// dwell time), and `/Version`. What ``EMDReader`` reads back is bit-identical.
public enum EMDWriter {
    public static func write(_ frames: [Frame], to path: String, detector: String = "HAADF") throws(FrameReadError) {
        guard let first = frames.first, frames.allSatisfy({ $0.width == first.width && $0.height == first.height }) else {
            throw .unsupportedData(path: path, kind: "frames of different sizes (an EMD series needs equal frames)")
        }
        let lock = EMDReader.hdf5Lock
        lock.lock()
        defer { lock.unlock() }
        st_h5_quiet()
        let file = H5Fcreate(path, st_h5f_acc_trunc(), st_h5_default(), st_h5_default())
        guard file >= 0 else { throw .unreadable(path: path, reason: "libhdf5 cannot create the file", errno: EIO) }
        defer { H5Fclose(file) }
        let id = "00000000000000000000000000000001"
        for g in ["/Data", "/Data/Image", "/Data/Image/\(id)"] {
            let h = H5Gcreate2(file, g, st_h5_default(), st_h5_default(), st_h5_default())
            guard h >= 0 else { throw .unreadable(path: path, reason: "cannot create \(g)", errno: EIO) }
            H5Gclose(h)
        }
        let w = first.width, h = first.height, n = frames.count
        var values = [Float](repeating: 0, count: w * h * n)
        for (f, frame) in frames.enumerated() { for i in 0..<(w * h) { values[i * n + f] = frame.pixels[i] } }
        try dataset(file, "/Data/Image/\(id)/Data", dims: [hsize_t(h), hsize_t(w), hsize_t(n)], type: st_h5t_native_float(),
                    bytes: values.withUnsafeBytes { Array($0) }, path: path)
        // Metadata: a (length × frames) uint8 array, frame f's JSON in column f, zero-padded.
        let texts = frames.map { metadata($0, detector: detector) }
        let length = (texts.map(\.count).max() ?? 1) + 1
        var meta = [UInt8](repeating: 0, count: length * n)
        for (f, t) in texts.enumerated() { for (i, b) in t.enumerated() { meta[i * n + f] = b } }
        try dataset(file, "/Data/Image/\(id)/Metadata", dims: [hsize_t(length), hsize_t(n)], type: st_h5t_native_uint8(),
                    bytes: meta, path: path)
        let version = Array(#"{"format": "Velox", "version": "9", "writer": "stemtrack"}"#.utf8)
        try dataset(file, "/Version", dims: [hsize_t(version.count)], type: st_h5t_native_uint8(), bytes: version, path: path)
    }

    private static func dataset(_ file: hid_t, _ name: String, dims: [hsize_t], type: hid_t, bytes: [UInt8],
                                path: String) throws(FrameReadError) {
        let space = H5Screate_simple(Int32(dims.count), dims, nil)
        defer { H5Sclose(space) }
        let ds = H5Dcreate2(file, name, type, space, st_h5_default(), st_h5_default(), st_h5_default())
        guard ds >= 0 else { throw .unreadable(path: path, reason: "cannot create \(name)", errno: EIO) }
        defer { H5Dclose(ds) }
        let status = bytes.withUnsafeBytes { H5Dwrite(ds, type, st_h5s_all(), st_h5s_all(), st_h5_default(), $0.baseAddress) }
        guard status >= 0 else { throw .unreadable(path: path, reason: "cannot write \(name)", errno: EIO) }
    }

    static func metadata(_ f: Frame, detector: String) -> [UInt8] {
        func s(_ v: Double) -> String { String(v) }
        var o: [String: Any] = [
            "BinaryResult": ["Detector": f.detector ?? detector, "PixelUnitX": "m", "PixelUnitY": "m",
                             "PixelSize": ["width": s((f.pixelSize ?? 1) * 1e-10), "height": s((f.pixelSize ?? 1) * 1e-10)],
                             "ImageSize": ["width": String(f.width), "height": String(f.height)]],
        ]
        if let t = f.acquiredAt { o["Acquisition"] = ["AcquisitionStartDatetime": ["DateTime": s(t)]] }
        var scan: [String: String] = [:]
        if let d = f.dwellTime { scan["DwellTime"] = s(d) }
        if let ft = f.frameTime { scan["FrameTime"] = s(ft) }
        if !scan.isEmpty { o["Scan"] = scan }
        return Array(((try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data("{}".utf8)))
    }
}

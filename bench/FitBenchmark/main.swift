// Fit benchmark: wall time per frame and per column, peak memory, for 512², 1024² and 2048²
// frames of a simulated fcc [110] particle (release build: `swift run -c release stemtrack-bench`).
import ColumnFit
import FrameFormats
import Foundation
import Simulation
import TIFFFrame

/// A particle of projected fcc [110] columns filling a disc; counts from the sphere's chord.
func particleFrame(size: Int, columns target: Int, seed: UInt64) -> (Frame, [Peak]) {
    let pixel = 0.2, a = 3.92, rhoA = 0.66, dose = 5e4, background = 0.02
    let du = a / 2.0.squareRoot() / pixel, dv = a / pixel          // px
    let areaPerColumn = du * dv / 2
    let radius = (Double(target) * areaPerColumn / Double.pi).squareRoot()
    let c = Double(size - 1) / 2
    var peaks: [Peak] = []
    let perPixel = dose * pixel * pixel
    let rho = rhoA / pixel
    let nu = Int(radius / du) + 2, nv = Int(radius / dv) + 2
    for i in -nu...nu {
        for j in -nv...nv {
            for centred in [false, true] {
                let x = c + Double(i) * du + (centred ? du / 2 : 0)
                let y = c + Double(j) * dv + (centred ? dv / 2 : 0)
                let r2 = (x - c) * (x - c) + (y - c) * (y - c)
                guard r2 < radius * radius else { continue }
                let chordA = 2 * (radius * radius - r2).squareRoot() * pixel
                let n = max(1, Int((chordA / (a / 2.0.squareRoot())).rounded()))
                let sigma = 0.03 * pow(Double(n), 0.92)                 // fraction × Å²
                let eta = sigma / (2 * Double.pi * rhoA * rhoA) * perPixel // counts
                peaks.append(Peak(x: x, y: y, height: eta, width: rho))
            }
        }
    }
    var rng = RandomSource(seed: seed)
    let expected = GaussianImage.render(peaks, width: size, height: size, background: background * perPixel)
    let counts = GaussianImage.poissonNoise(expected, rng: &rng)
    return (Frame(width: size, height: size, pixels: counts.map(Float.init), pixelSize: pixel), peaks)
}

func peakMemoryMB() -> Double {
    // VmHWM: the process's peak resident set size.
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kb / 1024
    }
    return .nan
}

let arguments = Array(CommandLine.arguments.dropFirst())
let requested = arguments.compactMap { Int($0) }

var sizesForWrite: [Int] { requested.isEmpty ? [512, 1024, 2048] : requested }

// `stemtrack-bench --write DIR [sizes]`: write the benchmark frames and their truth for peers
// (bench/compare_atomap.py) instead of timing.
if let k = arguments.firstIndex(of: "--write"), k + 1 < arguments.count {
    let dir = arguments[k + 1]
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for size in sizesForWrite {
        let (frame, peaks) = particleFrame(size: size, columns: size * size * 1000 / (1024 * 1024), seed: 7)
        try TIFFWriter.write([frame], to: "\(dir)/bench_\(size).tif")
        let csv = "x_px,y_px,eta,rho_px\n" + peaks.map { "\($0.x),\($0.y),\($0.height),\($0.width)" }.joined(separator: "\n") + "\n"
        try csv.write(toFile: "\(dir)/bench_\(size)_truth.csv", atomically: true, encoding: .utf8)
        print("wrote \(dir)/bench_\(size).tif (\(peaks.count) columns)")
    }
    exit(0)
}
// `stemtrack-bench read [sizes]`: time to read one frame from TIFF, Velox EMD and DM4 (median of
// 5 reads after a warm-up), next to the fit time of the same frame.
if arguments.first == "read" {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-read-bench").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    print("stemtrack read benchmark (median of 5 reads of one frame; fit: one least-squares fit)")
    print("| frame | TIFF ms | EMD ms | DM4 ms | fit s |")
    print("|---|---|---|---|---|")
    for size in sizesForWrite {
        let (frame, _) = particleFrame(size: size, columns: size * size * 1000 / (1024 * 1024), seed: 7)
        var f = frame
        f.acquiredAt = 1_790_000_000
        let paths = ["\(dir)/b.tif", "\(dir)/b.emd", "\(dir)/b.dm4"]
        try TIFFWriter.write([f], to: paths[0])
        try EMDWriter.write([f], to: paths[1])
        try DMWriter.write([f], to: paths[2])
        var cells: [String] = []
        for p in paths {
            _ = try FrameFiles.read(path: p)
            var times: [Double] = []
            for _ in 0..<5 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let frames = try FrameFiles.read(path: p)
                precondition(frames[0].pixels == f.pixels)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            cells.append(String(format: "%.1f", times.sorted()[2]))
        }
        let t0 = DispatchTime.now().uptimeNanoseconds
        _ = try? ColumnFitter().fit(frame)
        let fit = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        print("| \(size)² | \(cells.joined(separator: " | ")) | \(String(format: "%.2f", fit)) |")
    }
    exit(0)
}
let sizes = requested.isEmpty ? [512, 1024, 2048] : requested
print("stemtrack fit benchmark (\(ProcessInfo.processInfo.activeProcessorCount) cores, least squares, same width)")
print("| frame | true columns | fitted | iterations | find s | wall s/frame | ms/column | peak RSS MB |")
print("|---|---|---|---|---|---|---|---|")
for size in sizes {
    let target = size * size * 1000 / (1024 * 1024)
    let (frame, peaks) = particleFrame(size: size, columns: target, seed: 7)
    let fitter = ColumnFitter()
    _ = try? fitter.fit(frame)   // warm-up
    let repeats = size <= 1024 ? 3 : 1
    var best = Double.infinity
    var result: FrameFit? = nil
    for _ in 0..<repeats {
        let t0 = DispatchTime.now().uptimeNanoseconds
        result = try fitter.fit(frame)
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    let n = result?.columns.count ?? 0
    let image = frame.pixels.map(Double.init)
    let t1 = DispatchTime.now().uptimeNanoseconds
    _ = ColumnFinder().find(image, width: size, height: size,
                            valid: ImageStatistics.validMask(image, width: size, height: size))
    let find = Double(DispatchTime.now().uptimeNanoseconds - t1) / 1e9
    print(String(format: "| %d² | %d | %d | %d | %.3f | %.3f | %.3f | %.0f |", size, peaks.count, n,
                 result?.iterations ?? 0, find, best, best * 1000 / Double(max(n, 1)), peakMemoryMB()))
}

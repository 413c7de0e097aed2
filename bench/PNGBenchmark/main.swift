// PNG frame images before and after compression: size and encode time of the image the API
// serves (`/api/frames/{n}/image.png`, reduced to ≤ 1024 px) and of the full image, for the PtIr
// frame (fixtures/ptir) and a simulated 2048² frame (an Au particle of radius 120 Å at the
// default dose). Medians of 15 encodes; every PNG is decoded again and compared with the pixels.
//
//   swift build -c release --product stemtrack-png-bench
//   .build/release/stemtrack-png-bench [--ptir fixtures/ptir/PtIr_haadf.tif]
import BenchSupport
import Foundation
import Report
import Simulation
import TIFFFrame

var ptirPath = "fixtures/ptir/PtIr_haadf.tif"
var it = CommandLine.arguments.dropFirst().makeIterator()
while let a = it.next() {
    switch a {
    case "--ptir": ptirPath = it.next() ?? ptirPath
    case "-h", "--help": print("usage: stemtrack-png-bench [--ptir PATH]"); exit(0)
    default: FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8)); exit(64)
    }
}

func median(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count / 2] }

struct Row { var image: String; var size: String; var mode: String; var bytes: Int; var ms: Double }
var rows: [Row] = []

func measure(_ name: String, _ image: FrameImage) -> [Row] {
    var rows: [Row] = []
    for (mode, c) in [("stored (before)", PNGEncoder.Compression.stored), ("deflate 1 (default)", .deflate(level: 1)),
                      ("deflate 6", .deflate(level: 6)), ("deflate 9", .deflate(level: 9))] {
        var times: [Double] = []
        var png = Data()
        for _ in 0..<15 {
            let t0 = now()
            png = try! PNGEncoder.encode(width: image.width, height: image.height, pixels: image.pixels, compression: c)
            times.append(now() - t0)
        }
        guard (try? PNGDecoder.decode(png))?.pixels == image.pixels else {
            log("\(name) \(mode): the PNG does not decode to the pixels"); exit(1)
        }
        rows.append(Row(image: name, size: "\(image.width)×\(image.height)", mode: mode, bytes: png.count, ms: median(times) * 1e3))
    }
    return rows
}

let ptir = try TIFFReader.readFirst(path: ptirPath)
rows += measure("PtIr (\(ptir.width)×\(ptir.height))", FrameImage(frame: ptir))
var s = SimulationSettings()
s.width = 2048; s.height = 2048; s.frameCount = 1
s.shape = .sphere(radius: 120)
let simulated = try SeriesSimulator(s).frame(0).frame
rows += measure("simulated 2048², as served", FrameImage(frame: simulated))
rows += measure("simulated 2048², full size", FrameImage(frame: simulated, maxSide: 2048))

print("| image | PNG size | compression | bytes | ratio to stored | encode (median of 15) |")
print("|---|---|---|---|---|---|")
for r in rows {
    let stored = rows.first { $0.image == r.image && $0.mode.hasPrefix("stored") }!.bytes
    print("| \(r.image) | \(r.size) | \(r.mode) | \(r.bytes) | \(String(format: "%.2f", Double(r.bytes) / Double(stored))) | \(String(format: "%.2f", r.ms)) ms |")
}

// stemtrack-track-bench: linking accuracy and time per frame on dense lattices of ~1,000 and
// ~10,000 columns per frame with a 9 px stage jump (0.75 × the 12 px spacing), detections given
// directly (true positions + 0.05 px Gaussian localisation noise), so that only the linking is
// measured. `--write DIR` also writes the detections as CSV (frame,x,y,id) and stemtrack's numbers
// as JSON for bench/compare_trackpy.py.
//
//   swift build -c release --product stemtrack-track-bench
//   .build/release/stemtrack-track-bench [--frames 10] [--write /tmp/trackbench]
import Foundation
import Simulation
import Tracking

struct Options {
    var frames = 10
    var write: String? = nil
    var sizes = [1000, 10000]
}

var options = Options()
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--frames": options.frames = Int(args.popFirst() ?? "") ?? options.frames
    case "--write": options.write = args.popFirst()
    case "--sizes": options.sizes = (args.popFirst() ?? "").split(separator: ",").compactMap { Int($0) }
    case "-h", "--help":
        print("usage: stemtrack-track-bench [--frames N] [--sizes 1000,10000] [--write DIR]"); exit(0)
    default: FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8)); exit(2)
    }
}

/// One synthetic series: per frame, detections with their true ids.
struct Series {
    var frames: [[(x: Double, y: Double, id: Int)]]
    var field: Double
    var jumpFrame: Int
}

/// A triangular lattice (nearest spacing 12 px, rotated by 10°) inside a slightly lobed disc holding
/// about `target` columns; a random-walk drift (0.3 px per frame) with one 9 px jump at the middle
/// frame; per frame 0.3 % of the rim columns vanish and as many appear at empty rim sites.
func makeSeries(target: Int, frames: Int, seed: UInt64) -> Series {
    let s = 12.0
    let density = 2 / (3.0.squareRoot() * s * s)
    let radius = (Double(target) / density / Double.pi).squareRoot()
    let field = (2 * radius + 240).rounded()
    let angle = 10 * Double.pi / 180
    let (ca, sa) = (cos(angle), sin(angle))
    var sites: [(x: Double, y: Double)] = []
    let n = Int(radius / s) + 4
    for j in -2 * n...2 * n {
        for i in -2 * n...2 * n {
            let u = (Double(i) + 0.5 * Double(j)) * s, v = Double(j) * 3.0.squareRoot() / 2 * s
            let x = ca * u - sa * v, y = sa * u + ca * v
            let r = (x * x + y * y).squareRoot(), th = atan2(y, x)
            if r <= radius * (1 + 0.04 * sin(3 * th) + 0.03 * cos(5 * th)) + 2 * s { sites.append((x, y)) }
        }
    }
    // Occupancy: inside the lobed disc.
    var occupied = sites.map { p -> Bool in
        let r = (p.x * p.x + p.y * p.y).squareRoot(), th = atan2(p.y, p.x)
        return r <= radius * (1 + 0.04 * sin(3 * th) + 0.03 * cos(5 * th))
    }
    var ids = sites.indices.map { $0 }
    var nextID = sites.count
    var rng = RandomSource(seed: seed)
    let jumpFrame = frames / 2
    var dx = 0.0, dy = 0.0
    var out: [[(x: Double, y: Double, id: Int)]] = []
    // Neighbour lists for rim changes.
    let grid = Dictionary(grouping: sites.indices) { k in "\(Int((sites[k].x / s).rounded(.down))),\(Int((sites[k].y / s).rounded(.down)))" }
    func neighbours(_ k: Int) -> [Int] {
        let cx = Int((sites[k].x / s).rounded(.down)), cy = Int((sites[k].y / s).rounded(.down))
        var r: [Int] = []
        for a in -2...2 { for b in -2...2 { for m in grid["\(cx + a),\(cy + b)"] ?? [] where m != k {
            let d = ((sites[m].x - sites[k].x) * (sites[m].x - sites[k].x) + (sites[m].y - sites[k].y) * (sites[m].y - sites[k].y)).squareRoot()
            if d < 1.2 * s { r.append(m) }
        } } }
        return r
    }
    let changes = max(1, target * 3 / 1000)
    for t in 0..<frames {
        if t > 0 {
            dx += 0.3 * rng.gaussian(); dy += 0.3 * rng.gaussian()
            if t == jumpFrame { let a = 2 * Double.pi * rng.uniform(); dx += 9 * cos(a); dy += 9 * sin(a) }
            // Rim changes: vanish occupied sites with an empty neighbour, fill empty sites with an occupied neighbour.
            for _ in 0..<changes {
                for _ in 0..<50 {
                    let k = Int(rng.uniform() * Double(sites.count))
                    let nb = neighbours(k)
                    if occupied[k] && nb.contains(where: { !occupied[$0] }) { occupied[k] = false; break }
                }
                for _ in 0..<50 {
                    let k = Int(rng.uniform() * Double(sites.count))
                    let nb = neighbours(k)
                    if !occupied[k] && nb.filter({ occupied[$0] }).count >= 2 { occupied[k] = true; ids[k] = nextID; nextID += 1; break }
                }
            }
        }
        var frame: [(x: Double, y: Double, id: Int)] = []
        for k in sites.indices where occupied[k] {
            frame.append((sites[k].x + field / 2 + dx + 0.05 * rng.gaussian(), sites[k].y + field / 2 + dy + 0.05 * rng.gaussian(), ids[k]))
        }
        frame.sort { ($0.y, $0.x) < ($1.y, $1.x) }
        out.append(frame)
    }
    return Series(frames: out, field: field, jumpFrame: jumpFrame)
}

struct Measured: Codable {
    var columns: Int
    var frames: Int
    var accuracy: Double
    var msPerFrame: Double
    var tracks: Int
    var trueIDs: Int
}

var rows: [Measured] = []
for target in options.sizes {
    let series = makeSeries(target: target, frames: options.frames, seed: UInt64(target))
    var settings = TrackerSettings()
    settings.registration.maxShift = series.field / 4     // a quarter of the field of view
    var tracker = try Tracker(settings: settings)
    var trackIDs: [[Int]] = []
    let start = ContinuousClock.now
    for (t, frame) in series.frames.enumerated() {
        let links = try tracker.link(frame: t, detections: frame.map { Detection(x: $0.x, y: $0.y) })
        trackIDs.append(links.trackIDs)
    }
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    var links = 0, right = 0
    var trueIDs = Set<Int>(), tracks = Set<Int>()
    for t in series.frames.indices {
        for (k, d) in series.frames[t].enumerated() { trueIDs.insert(d.id); tracks.insert(trackIDs[t][k]) }
        guard t > 0 else { continue }
        var before: [Int: Int] = [:]
        for (k, d) in series.frames[t - 1].enumerated() { before[d.id] = trackIDs[t - 1][k] }
        for (k, d) in series.frames[t].enumerated() {
            guard let b = before[d.id] else { continue }
            links += 1
            if b == trackIDs[t][k] { right += 1 }
        }
    }
    let columns = series.frames.map(\.count).reduce(0, +) / series.frames.count
    rows.append(Measured(columns: columns, frames: series.frames.count, accuracy: Double(right) / Double(links),
                         msPerFrame: 1000 * seconds / Double(series.frames.count), tracks: tracks.count, trueIDs: trueIDs.count))
    if let dir = options.write {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var csv = "frame,x,y,id\n"
        for (t, frame) in series.frames.enumerated() {
            for d in frame { csv += "\(t),\(String(format: "%.4f", d.x)),\(String(format: "%.4f", d.y)),\(d.id)\n" }
        }
        try csv.write(toFile: "\(dir)/lattice_\(target).csv", atomically: true, encoding: .utf8)
    }
}

print("| columns/frame | frames | method | true links reproduced | ms/frame | tracks / true ids |")
print("|---|---|---|---|---|---|")
for r in rows {
    print(String(format: "| %d | %d | stemtrack (registration + gated LAPJV) | %.4f | %.1f | %d / %d |",
                 r.columns, r.frames, r.accuracy, r.msPerFrame, r.tracks, r.trueIDs))
}
if let dir = options.write {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    try enc.encode(rows).write(to: URL(fileURLWithPath: "\(dir)/stemtrack.json"))
    print("\nwrote \(dir)/lattice_*.csv and \(dir)/stemtrack.json")
}

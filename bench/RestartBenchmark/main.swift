// Restart benchmark: a directory of N small frames already stored plus F files recorded as failed;
// measures how long `stemtrack watch` takes from start to READY=1 (sd_notify, a socket plays
// systemd) and how many bytes it reads meanwhile (/proc/PID/io rchar, all reads including the
// store's), and prints a table. Release build: `swift build -c release` first.
// Usage: stemtrack-restart-bench [--frames 50000] [--failed 100] [--dir /tmp/restart-bench]
import Foundation
import TIFFFrame
import TrajectoryStore
import StemCore

var frames = 50_000, failed = 100, root = "/tmp/stemtrack-restart-bench"
var it = CommandLine.arguments.dropFirst().makeIterator()
while let a = it.next() {
    switch a {
    case "--frames": frames = Int(it.next() ?? "") ?? frames
    case "--failed": failed = Int(it.next() ?? "") ?? failed
    case "--dir": root = it.next() ?? root
    default: FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8)); exit(64)
    }
}
let fm = FileManager.default
let acq = root + "/acq", db = root + "/store.sqlite"
try? fm.removeItem(atPath: root)
try fm.createDirectory(atPath: acq, withIntermediateDirectories: true)

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
func fileStat(_ path: String) -> (size: Int, mtime: Double, dev: Int64, ino: Int64, ctime: Double) {
    var st = stat()
    precondition(stat(path, &st) == 0)
    return (Int(st.st_size), Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) * 1e-9,
            Int64(bitPattern: UInt64(st.st_dev)), Int64(bitPattern: UInt64(st.st_ino)),
            Double(st.st_ctim.tv_sec) + Double(st.st_ctim.tv_nsec) * 1e-9)
}

// 1. The directory: 64×64 uint16 frames (8 KB each) and garbage files.
var t0 = now()
let base = (0..<(64 * 64)).map { Float($0 % 251) }
let template = acq + "/template.tif"
try TIFFWriter.write([Frame(width: 64, height: 64, pixels: base)], to: template, options: .init(encoding: .uint16))
let bytes = try Data(contentsOf: URL(fileURLWithPath: template))
try fm.removeItem(atPath: template)
var directoryBytes = 0
for i in 0..<frames {
    var b = bytes
    b[b.count - 1] = UInt8(i & 0xFF); b[b.count - 2] = UInt8((i >> 8) & 0xFF)   // distinct content
    fm.createFile(atPath: acq + String(format: "/frame_%06d.tif", i), contents: b)
    directoryBytes += b.count
}
for i in 0..<failed {
    let garbage = Data("not a frame \(i)".utf8)
    fm.createFile(atPath: acq + String(format: "/frame_%06d_bad.tif", i), contents: garbage)
    directoryBytes += garbage.count
}
let tWrite = now() - t0

// 2. The store, as a previous run left it: every frame stored, the bad files failed.
t0 = now()
let store = try FrameStore(path: db, options: .init(trackIndexBlock: 1024))
let run = try store.beginSession(SessionRecord(softwareVersion: "bench", directory: acq))
let names = try fm.contentsOfDirectory(atPath: acq).sorted()
for (k, name) in names.enumerated() {
    let path = acq + "/" + name
    let s = fileStat(path)
    let bad = name.hasSuffix("_bad.tif")
    var r = FrameRecord(frame: k, path: path, contentHash: String(format: "%032x", k), fileSize: s.size, modified: s.mtime,
                        status: bad ? .failed : .ok, error: bad ? "\(name): not a TIFF file" : nil)
    r.device = s.dev; r.inode = s.ino; r.changed = s.ctime
    try store.write(FrameResult(frame: r), run: run.id!)
}
try store.endSession(run.id!)
try store.checkpoint()
let tStore = now() - t0
let dbBytes = (try fm.attributesOfItem(atPath: db)[.size] as? Int) ?? 0

// 3. Restart: time to READY=1, bytes read.
let socketPath = root + "/notify.sock"
let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
var address = sockaddr_un()
address.sun_family = sa_family_t(AF_UNIX)
withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in socketPath.utf8.enumerated() { raw[i] = b } }
_ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("stemtrack").path
func restart() -> (ready: Double, rchar: Int, opened: Int?) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = ["watch", acq, "--db", db]
    var env = ProcessInfo.processInfo.environment
    env["NOTIFY_SOCKET"] = socketPath
    env["OPENBLAS_NUM_THREADS"] = "1"
    p.environment = env
    p.standardError = FileHandle(forWritingAtPath: "/dev/null")
    let start = now()
    try! p.run()
    var buffer = [UInt8](repeating: 0, count: 4096)
    var ready = -1.0
    while now() - start < 120 {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n > 0, String(decoding: buffer[0..<n], as: UTF8.self).hasPrefix("READY=1") { ready = now() - start; break }
    }
    let io = (try? String(contentsOfFile: "/proc/\(p.processIdentifier)/io", encoding: .utf8)) ?? ""
    let rchar = io.split(separator: "\n").first { $0.hasPrefix("rchar:") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? -1
    // Frame files the daemon has open or opened: none should be (counted from /proc/PID/fd now).
    let fds = (try? fm.contentsOfDirectory(atPath: "/proc/\(p.processIdentifier)/fd")) ?? []
    let open = fds.filter { ((try? fm.destinationOfSymbolicLink(atPath: "/proc/\(p.processIdentifier)/fd/\($0)")) ?? "").hasPrefix(acq + "/frame") }.count
    kill(p.processIdentifier, SIGTERM)
    p.waitUntilExit()
    return (ready, rchar, open)
}
var runs: [(ready: Double, rchar: Int, opened: Int?)] = []
for _ in 0..<3 { runs.append(restart()) }
let readies = runs.map(\.ready).sorted()
print("restart benchmark: \(frames) stored frames + \(failed) failed files; directory \(String(format: "%.1f", Double(directoryBytes) / 1e6)) MB, store \(String(format: "%.1f", Double(dbBytes) / 1e6)) MB (set-up: files \(String(format: "%.0f", tWrite)) s, store \(String(format: "%.0f", tStore)) s)")
print("")
print("| run | start → READY=1 s | bytes read (rchar) | of the directory | frame files open at READY |")
print("|---|---|---|---|---|")
for (i, r) in runs.enumerated() {
    print("| \(i + 1) | \(String(format: "%.2f", r.ready)) | \(String(format: "%.1f", Double(r.rchar) / 1e6)) MB | \(String(format: "%.2f", 100 * Double(r.rchar) / Double(directoryBytes))) % | \(r.opened.map(String.init) ?? "?") |")
}
print("")
print("median start → ready: \(String(format: "%.2f", readies[readies.count / 2])) s")
try? fm.removeItem(atPath: root)

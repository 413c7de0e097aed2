import Foundation
import XCTest
@testable import TrajectoryStore

/// A fresh directory under the system temporary directory, removed by `cleanUp`.
func temporaryDirectory(_ name: String = #function) -> URL {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("stemtrack-store-tests-\(safe)-\(UInt32.random(in: 0...UInt32.max))")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Deterministic synthetic series: frame k has `columns` columns on a grid; column i belongs to
/// track i + columns·(k / trackLife) (tracks renew every `trackLife` frames), except column 0
/// whose track 0 spans the series. Every frame has one event and two facets.
struct SyntheticSeries {
    var columns: Int
    var trackLife = 50
    var directory = "/data/series"
    var startTime = 1_700_000_000.0
    var frameInterval = 2.0
    /// Cross-sections are at most 0.38 here; the store's quantum is ≤ 2⁻²⁰ of the median, so a
    /// value read back (or printed with 7 significant digits) is within this of the one written.
    static let crossSectionTolerance = 4e-7

    func path(_ k: Int) -> String { "\(directory)/frame_\(String(10_000 + k).dropFirst()).tif" }
    func hash(_ k: Int) -> String { ContentHash.of(Data("frame \(k) of \(directory)".utf8)) }
    func time(_ k: Int) -> Double { startTime + Double(k) * frameInterval }
    func temperature(_ k: Int) -> Double { 300 + 2 * Double(k) }
    func track(_ k: Int, _ i: Int) -> Int { i == 0 ? 0 : i + columns * (k / trackLife) }
    func count(_ k: Int, _ i: Int) -> Int { 1 + (i * 7 + k / 3) % 12 }

    func column(_ k: Int, _ i: Int) -> ColumnRecord {
        let n = count(k, i)
        let side = max(1, Int(Double(columns).squareRoot().rounded(.up)))
        let x = 30 + Double(i % side) * 11.7 + 0.013 * Double(k) + 0.0123456 * Double(i % 7)
        let y = 30 + Double(i / side) * 11.7 - 0.007 * Double(k) + 0.0654321 * Double(i % 5)
        let cs = 0.0312 * Double(n) * (1 + 0.001 * Double((i + k) % 9))
        let width = 3.3
        return ColumnRecord(x: x, y: y, sigmaX: 0.031 + 0.0001 * Double(i % 10), sigmaY: 0.029,
                            width: width, height: cs / (2 * .pi * width * width * 0.0146), sigmaHeight: 0.0123,
                            crossSection: cs, crlbX: i % 4 == 0 ? nil : 0.021, crlbY: 0.022,
                            count: i % 13 == 5 ? nil : n, track: track(k, i))
    }

    func result(_ k: Int, resumeState: Data? = nil) -> FrameResult {
        let cols = (0..<columns).map { column(k, $0) }
        var frame = FrameRecord(frame: k, path: path(k), contentHash: hash(k), fileSize: 2_000_000 + k,
                                modified: time(k) + 0.5, acquiredAt: time(k), temperature: temperature(k),
                                imageWidth: 512, imageHeight: 512, pixelSize: 0.1211, background: 0.01, sharedWidth: 3.3,
                                estimator: "least-squares", iterations: 10, converged: true, driftX: 0.013 * Double(k),
                                driftY: -0.007 * Double(k), modelID: "gmm-12-test\(k / 20)",
                                timings: StageTimings(read: 0.01, fit: 0.2, total: 0.25))
        frame.processedAt = time(k) + 1
        let kinds = ["appear", "vanish", "hop", "count_change"]
        let event = EventRecord(kind: kinds[k % 4], frame: k, x: 30 + Double(k % 10) * 10, y: 40 + Double(k % 7) * 10,
                                track: track(k, 1), otherTrack: k % 4 == 2 ? track(k, 2) : nil,
                                before: k % 4 == 3 ? 3 : nil, after: k % 4 == 3 ? 4 : nil, delta: k % 4 == 3 ? 1 : nil,
                                confidence: 0.75)
        let facets = [
            FacetRecord(frame: k, index: 0, family: "{111}", x0: 10, y0: 10, x1: 50, y1: 12, columns: 4, length: 4.7, angle: 2.9),
            FacetRecord(frame: k, index: 1, family: "{100}", x0: 100, y0: 100, x1: 120, y1: 140, columns: 3, length: 5.4, angle: 63.4),
        ]
        let model = CountingModelRecord(id: "gmm-12-test\(k / 20)", source: "mixture", counts: Array(1...12),
                                        means: (1...12).map { 0.0312 * Double($0) },
                                        proportions: Array(repeating: 1.0 / 12, count: 12), sigma: 0.002)
        return FrameResult(frame: frame, columns: cols, events: [event], facets: facets, model: model,
                           resumeState: resumeState)
    }
}

func assertClose(_ a: Double?, _ b: Double?, _ tolerance: Double, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    guard let a, let b else {
        XCTAssertEqual(a == nil, b == nil, "nil mismatch \(message)", file: file, line: line)
        return
    }
    XCTAssertLessThanOrEqual(abs(a - b), tolerance, "\(a) vs \(b) \(message)", file: file, line: line)
}

/// A lock-protected value shared with another thread.
final class Atomic<Value: Sendable>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ v: Value) { lock.lock(); value = v; lock.unlock() }
}

import Foundation
@_exported import StemCore

/// Helpers shared by the test targets: fixture paths, one-to-one point matching and small statistics.

/// Package root, from this file's location (tests read `fixtures/`, never anything outside the clone).
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// Absolute path of a file under `fixtures/`.
public func fixture(_ path: String) -> String { packageRoot.appendingPathComponent("fixtures/" + path).path }

/// One-to-one matching of found points to true points: globally closest pairs first, within `gate`.
/// Returns pairs (found index, truth index).
public func match(_ found: [(x: Double, y: Double)], _ truth: [(x: Double, y: Double)], gate: Double) -> [(Int, Int)] {
    var candidates: [(Double, Int, Int)] = []
    for (i, f) in found.enumerated() {
        for (j, t) in truth.enumerated() {
            let d = ((f.x - t.x) * (f.x - t.x) + (f.y - t.y) * (f.y - t.y)).squareRoot()
            if d < gate { candidates.append((d, i, j)) }
        }
    }
    candidates.sort { $0.0 != $1.0 ? $0.0 < $1.0 : ($0.1, $0.2) < ($1.1, $1.2) }
    var usedF = Set<Int>(), usedT = Set<Int>(), pairs: [(Int, Int)] = []
    for (_, i, j) in candidates where !usedF.contains(i) && !usedT.contains(j) {
        usedF.insert(i); usedT.insert(j); pairs.append((i, j))
    }
    return pairs
}


/// Reads a simple CSV with a header into rows of name → string.
public func readCSV(_ path: String) throws -> [[String: String]] {
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline)
    let header = lines[0].split(separator: ",").map(String.init)
    return lines.dropFirst().map { line in
        Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: ",").map(String.init)))
    }
}


import Foundation
import HolderLogs
import XCTest

/// Mutated copies of every real log (bytes flipped, ranges cut, duplicated or truncated, lines
/// swapped, delimiters, newlines and NULs inserted) are read without a crash or a hang: each
/// read gives a log whose channels match its times and whose times never go back, or a
/// `HolderLogError`.
final class FuzzTests: XCTestCase {
    static let logs = [
        "protochips/protochips_electrothermal.csv", "protochips/protochips_gas_cell.csv",
        "protochips/protochips_thermal.csv", "protochips/invalid_protochips_file.csv",
        "densolutions/file1.dens", "densolutions/file2.dens",
        "densolutions/StubExperiment_Synchronized data.csv", "densolutions/StubExperiment_Heat raw.csv",
    ]
    /// Mutated copies per log.
    static let copies = 300

    func testMutatedLogsNeverCrash() throws {
        let tmp = try TempLogs()
        // Impulse copies keep their metadata log next to them.
        try FileManager.default.copyItem(atPath: fixtureLog("densolutions/StubExperiment_Metadata.log"),
                                         toPath: tmp.dir.appendingPathComponent("StubExperiment_Metadata.log").path)
        var rng = SplitMix(seed: 2026)
        var read = 0, refused = 0
        let begin = Date()
        for name in Self.logs {
            let original = try Data(contentsOf: URL(fileURLWithPath: fixtureLog(name)))
            let target = (name as NSString).lastPathComponent
            for _ in 0..<Self.copies {
                let path = try tmp.write(target, Self.mutate(original, &rng))
                do {
                    let log = try HolderLogReader.read(path: path)
                    for c in log.channels { XCTAssertEqual(c.values.count, log.times.count, name) }
                    XCTAssertFalse(zip(log.times, log.times.dropFirst()).contains { $0 > $1 }, name)
                    if let t = log.times.first { _ = log.value(of: log.channels.first?.name ?? "", at: t) }
                    read += 1
                } catch {
                    XCTAssertFalse("\(error)".isEmpty)
                    refused += 1
                }
            }
        }
        let seconds = Date().timeIntervalSince(begin)
        print("HolderLogs fuzz: \(read + refused) mutated logs, \(read) read, \(refused) refused, \(String(format: "%.1f", seconds)) s")
        XCTAssertEqual(read + refused, Self.logs.count * Self.copies)
        XCTAssertGreaterThan(read, 0)
        XCTAssertGreaterThan(refused, 0)
    }

    /// One to four random edits of `data`.
    static func mutate(_ data: Data, _ rng: inout SplitMix) -> Data {
        var bytes = [UInt8](data)
        for _ in 0...rng.below(4) {
            guard !bytes.isEmpty else { break }
            let at = rng.below(bytes.count)
            switch rng.below(8) {
            case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
            case 1: bytes.removeSubrange(at..<min(bytes.count, at + 1 + rng.below(200)))
            case 2: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 1 + rng.below(300))], at: rng.below(bytes.count))
            case 3: bytes.removeSubrange(at...)
            case 4: bytes.insert([UInt8(ascii: ","), UInt8(ascii: ";"), 9, 10, 13, 0, UInt8(ascii: "\""), UInt8(ascii: ":")][rng.below(8)], at: at)
            case 5: // swap two lines
                let lines = bytes.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
                guard lines.count > 2 else { continue }
                var l = lines
                l.swapAt(rng.below(l.count), rng.below(l.count))
                bytes = Array(l.joined(separator: [10]))
            case 6: bytes[at] = [UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "N")][rng.below(5)]
            default: bytes.replaceSubrange(at..<min(bytes.count, at + 4), with: Array("1e308".utf8))
            }
        }
        return Data(bytes)
    }
}

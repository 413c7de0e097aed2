import Foundation
import HolderLogs
import TestSupport
import XCTest

/// Logs that must be refused, each with a message saying what is wrong.
final class BadLogTests: XCTestCase {
    /// RosettaSciIO refuses invalid_protochips_file.csv (its header says `Test units` where a
    /// log says `Time units`); so do we, naming the missing line.
    func testInvalidProtochipsFileIsRefused() {
        XCTAssertThrowsError(try HolderLogReader.read(path: fixtureLog("protochips/invalid_protochips_file.csv"))) { e in
            guard case HolderLogError.malformed(_, .protochips, _, let reason) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(reason.contains("Time units"), reason)
            XCTAssertTrue("\(e)".contains("not a valid Protochips"), "\(e)")
        }
    }

    /// RosettaSciIO refuses file2.dens (its column header runs `… Pheat [mW] c Tset[C]
    /// Tmeas[C]` with the status word in the middle of the rows): rows don't fit the header.
    func testMalformedDensFileIsRefused() {
        XCTAssertThrowsError(try HolderLogReader.read(path: fixtureLog("densolutions/file2.dens"))) { e in
            guard case HolderLogError.wrongFieldCount(_, let line, let found, let expected, let bad, let rows) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(line, 6)
            XCTAssertEqual(found, 10)
            XCTAssertEqual(expected, 8)
            XCTAssertEqual(bad, 7)
            XCTAssertEqual(rows, 7)
            XCTAssertTrue("\(e)".contains("line 6 has 10 fields where the header names 8"), "\(e)")
        }
    }

    func testEmptyAndBlankFiles() throws {
        let tmp = try TempLogs()
        for text in ["", "\n\n  \r\n\t\n"] {
            XCTAssertThrowsError(try HolderLogReader.read(path: tmp.write("e.csv", text))) { e in
                XCTAssertEqual(e as? HolderLogError, .empty(path: tmp.dir.appendingPathComponent("e.csv").path))
                XCTAssertTrue("\(e)".contains("is empty"))
            }
        }
        XCTAssertThrowsError(try HolderLogReader.read(path: tmp.write("h.csv", "Time,T\n"))) { e in
            guard case HolderLogError.noSamples = e else { return XCTFail("\(e)") }
        }
    }

    func testBinaryGarbageIsRefused() throws {
        let tmp = try TempLogs()
        var rng = SplitMix(seed: 7)
        let bytes = Data((0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        XCTAssertThrowsError(try HolderLogReader.read(path: tmp.write("g.csv", bytes))) { e in
            XCTAssertEqual(e as? HolderLogError, .notText(path: tmp.dir.appendingPathComponent("g.csv").path))
            XCTAssertTrue("\(e)".contains("binary data"))
        }
        // A TIFF frame renamed .csv is binary too.
        var tiff = Data([0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00])
        tiff.append(contentsOf: [UInt8](repeating: 0, count: 64))
        XCTAssertThrowsError(try HolderLogReader.read(path: tmp.write("frame.csv", tiff)))
    }

    func testMissingFileAndFolder() throws {
        let tmp = try TempLogs()
        XCTAssertThrowsError(try HolderLogReader.read(path: tmp.dir.appendingPathComponent("nope.csv").path)) { e in
            guard case HolderLogError.cannotOpen(_, let reason) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(reason, "no such file")
        }
        XCTAssertThrowsError(try HolderLogReader.read(path: tmp.dir.path)) { e in
            guard case HolderLogError.cannotOpen = e else { return XCTFail("\(e)") }
        }
    }

    /// Rows with the wrong field count: one cut-off last line is skipped (a log being written),
    /// up to 1 % of the rows are skipped, more is refused.
    func testWrongFieldCounts() throws {
        let tmp = try TempLogs()
        var rows = (0..<200).map { "\($0),\(20 + $0)" }
        let cut = try HolderLogReader.read(path: tmp.write("cut.csv", "t,T\n" + rows.joined(separator: "\n") + "\n200,"))
        XCTAssertEqual(cut.times.count, 201)
        XCTAssertEqual(cut.skippedRows, 0, "`200,` has two fields: an empty (NaN) reading")
        XCTAssertTrue(cut.channels[0].values.last!.isNaN)
        let truncated = try HolderLogReader.read(path: tmp.write("tr.csv", "t,T\n" + rows.joined(separator: "\n") + "\n201"))
        XCTAssertEqual(truncated.skippedRows, 1)
        XCTAssertEqual(truncated.times.count, 200)
        rows[50] = "50,70,9"
        rows[120] = "120"
        let two = try HolderLogReader.read(path: tmp.write("two.csv", "t,T\n" + rows.joined(separator: "\n")))
        XCTAssertEqual(two.skippedRows, 2)
        XCTAssertEqual(two.times.count, 198)
        for k in [10, 60, 90] { rows[k] = "\(k);1;2" }
        XCTAssertThrowsError(try HolderLogReader.read(path: tmp.write("bad.csv", "t,T\n" + rows.joined(separator: "\n")))) { e in
            guard case HolderLogError.wrongFieldCount(_, let line, 1, 2, 5, 200) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(line, 12)
        }
    }

    /// Time going backwards is refused, naming the line.
    func testNonMonotonicTime() throws {
        let tmp = try TempLogs()
        let path = try tmp.write("back.csv", "Time,T\n2026-12-01T10:00:00,1\n2026-12-01T10:00:05,2\n2026-12-01T10:00:03,3\n")
        XCTAssertThrowsError(try HolderLogReader.read(path: path)) { e in
            guard case HolderLogError.timeNotMonotonic(_, 4, let p, let c) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(p - c, 2, accuracy: 1e-9)
            XCTAssertTrue("\(e)".contains("time goes backwards"), "\(e)")
        }
    }

    func testNotANumber() throws {
        let tmp = try TempLogs()
        let path = try tmp.write("nan.csv", "t,T\n0,1\n1,2\n2,hot\n")
        // `T` is numeric in the sniffed rows only if every sniffed row is a number: here it is
        // not, so it is left out as a text column and nothing numeric remains.
        XCTAssertThrowsError(try HolderLogReader.read(path: path)) { e in
            guard case HolderLogError.malformed(_, .generic, _, _) = e else { return XCTFail("\(e)") }
        }
        let rows = (0..<100).map { "\($0),\($0)" }.joined(separator: "\n")
        XCTAssertThrowsError(try HolderLogReader.read(path: tmp.write("late.csv", "t,T\n" + rows + "\n100,hot\n"))) { e in
            XCTAssertEqual(e as? HolderLogError, .notANumber(path: tmp.dir.appendingPathComponent("late.csv").path, line: 102, column: "T", text: "hot"))
        }
    }

    /// Size limits: bytes, rows, columns.
    func testAbsurdSizes() throws {
        let tmp = try TempLogs()
        let rows = (0..<1000).map { "\($0),\($0)" }.joined(separator: "\n")
        let path = try tmp.write("big.csv", "t,T\n" + rows)
        XCTAssertThrowsError(try HolderLogReader.read(path: path, options: .init(maxBytes: 1000))) { e in
            guard case HolderLogError.tooLarge(_, let bytes, 1000) = e else { return XCTFail("\(e)") }
            XCTAssertGreaterThan(bytes, 1000)
        }
        XCTAssertThrowsError(try HolderLogReader.read(path: path, options: .init(maxRows: 999))) { e in
            XCTAssertEqual(e as? HolderLogError, .tooManyValues(path: path, what: "rows", limit: 999))
        }
        let wide = (0..<600).map { "c\($0)" }.joined(separator: ",") + "\n" + (0..<600).map { "\($0)" }.joined(separator: ",")
        XCTAssertThrowsError(try HolderLogReader.read(path: tmp.write("wide.csv", wide))) { e in
            guard case HolderLogError.tooManyValues(_, "columns", 512) = e else { return XCTFail("\(e)") }
        }
    }

    func testUnknownFormat() throws {
        let tmp = try TempLogs()
        XCTAssertThrowsError(try HolderLogReader.read(path: tmp.write("notes.txt", "just a sentence about the sample\nand another\n"))) { e in
            guard case HolderLogError.unknownFormat = e else { return XCTFail("\(e)") }
            XCTAssertTrue("\(e)".contains("not a heating-holder log"))
        }
    }
}

/// SplitMix64: a small seeded generator for reproducible garbage and mutations.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}

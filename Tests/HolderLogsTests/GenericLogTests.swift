import Foundation
import HolderLogs
import XCTest

/// Generic CSV/TSV logs: locale (delimiter, decimal comma), time kinds, clock offset, column
/// choice, and interpolation on the time axis.
final class GenericLogTests: XCTestCase {
    /// European-locale log: `;` delimiter and decimal comma; `23,5` is 23.5 °C, not 23.
    func testEuropeanLocaleDecimalComma() throws {
        let tmp = try TempLogs()
        let path = try tmp.write("eu.csv", "Zeit;Temperatur (°C);Leistung [mW]\n2026-12-01T10:00:00;23,5;1,25\n2026-12-01T10:00:10;24,5;1,5\n")
        let log = try HolderLogReader.read(path: path)
        XCTAssertEqual(log.format, .generic)
        XCTAssertEqual(log.channels.map(\.name), ["Temperatur", "Leistung"])
        XCTAssertEqual(log.channels.map(\.unit), ["°C", "mW"])
        XCTAssertEqual(log.channels[0].values, [23.5, 24.5])
        XCTAssertEqual(log.channels[1].values, [1.25, 1.5])
        let t0 = utc(2026, 12, 1, 10, 0, 0)
        XCTAssertEqual(log.start, t0)
        XCTAssertEqual(log.times, [t0, t0 + 10])
        XCTAssertEqual(log.temperature?.name, "Temperatur")
        XCTAssertEqual(log.value(of: "Temperatur", at: t0 + 5)!, 24.0, accuracy: 1e-12)
    }

    /// Tab-separated with decimal comma, detected the same way.
    func testTabSeparatedDecimalComma() throws {
        let tmp = try TempLogs()
        let path = try tmp.write("eu.tsv", "time\tT\n2026-12-01 10:00:00,5\t23,5\n2026-12-01 10:00:01,5\t-1,25e1\n")
        let log = try HolderLogReader.read(path: path)
        XCTAssertEqual(log.channels[0].values, [23.5, -12.5])
        XCTAssertEqual(log.times[0], utc(2026, 12, 1, 10, 0, 0.5), accuracy: 1e-9)
    }

    /// A comma-delimited log keeps decimal points, even with a `,` inside a quoted note column.
    func testCommaDelimitedWithQuotedNotes() throws {
        let tmp = try TempLogs()
        let path = try tmp.write("us.csv", "Time,Note,Temp (C)\n2026-12-01T10:00:00Z,\"ramp, start\",23.5\n2026-12-01T11:00:00+01:00,,25.0\n")
        let log = try HolderLogReader.read(path: path)
        XCTAssertEqual(log.channels.map(\.title), ["Temp (C)"], "the text column is left out")
        XCTAssertEqual(log.channels[0].values, [23.5, 25.0])
        XCTAssertEqual(log.times, [utc(2026, 12, 1, 10, 0, 0), utc(2026, 12, 1, 10, 0, 0)])
    }

    /// Elapsed seconds with a given start and a clock offset give absolute microscope times.
    func testElapsedTimeWithStartAndClockOffset() throws {
        let tmp = try TempLogs()
        let path = try tmp.write("elapsed.csv", "elapsed_s,T,P\n0,20,1\n1.5,30,2\n3,40,3\n")
        let start = utc(2026, 12, 1, 10, 0, 0)
        let log = try HolderLogReader.read(path: path, options: .init(clockOffset: 2.5, timeKind: .elapsedSeconds(start: start)))
        XCTAssertEqual(log.times, [start + 2.5, start + 4, start + 5.5])
        XCTAssertEqual(log.start, start + 2.5)
        XCTAssertEqual(log.value(of: "T", at: start + 4.75)!, 35, accuracy: 1e-9)
        // Without a start the times stay elapsed seconds (plus the offset), and start is nil.
        let bare = try HolderLogReader.read(path: path, options: .init(clockOffset: -1))
        XCTAssertNil(bare.start)
        XCTAssertEqual(bare.times, [-1, 0.5, 2])
    }

    /// Unix seconds are recognised (values above 10⁸), and can be asked for explicitly.
    func testEpochSeconds() throws {
        let tmp = try TempLogs()
        let path = try tmp.write("epoch.csv", "t,T\n1796119200,20\n1796119201.5,21\n")
        let log = try HolderLogReader.read(path: path)
        XCTAssertEqual(log.times, [1796119200, 1796119201.5])
        XCTAssertEqual(log.start, 1796119200)
        let forced = try HolderLogReader.read(path: path, options: .init(timeKind: .elapsedSeconds(start: 100)))
        XCTAssertEqual(forced.times, [100 + 1796119200, 100 + 1796119201.5])
    }

    /// Explicit delimiter, decimal, time column and channel choice override detection.
    func testOverrides() throws {
        let tmp = try TempLogs()
        let path = try tmp.write("odd.txt", "T|stamp|P\n1,5|0|7\n2,5|10|8\n")
        let log = try HolderLogReader.read(path: path, options: .init(
            timeColumn: "stamp", timeKind: .elapsedSeconds(start: 0), columns: ["P", "T"], delimiter: "|", decimalComma: true))
        XCTAssertEqual(log.channels.map(\.name), ["P", "T"])
        XCTAssertEqual(log.channels[1].values, [1.5, 2.5])
        XCTAssertEqual(log.times, [0, 10])
        XCTAssertThrowsError(try HolderLogReader.read(path: path, options: .init(timeColumn: "stamp", columns: ["Q"], delimiter: "|"))) { e in
            guard case HolderLogError.columnNotFound(_, "Q", _) = e else { return XCTFail("\(e)") }
            XCTAssertTrue("\(e)".contains("no column \"Q\""), "\(e)")
        }
    }

    /// Interpolation: exact at samples, linear between, nil outside the span or for NaN.
    func testInterpolation() throws {
        let log = HolderLog(format: .generic, start: 100, headerStart: nil, times: [100, 110, 110, 130, 140],
                            channels: [.init(name: "T", unit: "C", values: [20, 30, 31, 51, .nan])])
        XCTAssertEqual(log.value(of: "T", at: 100), 20)
        XCTAssertEqual(log.value(of: "t (c)", at: 130), 51, "lookup by title, any case")
        XCTAssertEqual(log.value(of: "T", at: 105)!, 25, accuracy: 1e-12)
        XCTAssertEqual(log.value(of: "T", at: 110), 31, "at a repeated time: the later sample")
        XCTAssertEqual(log.value(of: "T", at: 120)!, 41, accuracy: 1e-12)
        XCTAssertNil(log.value(of: "T", at: 99.999))
        XCTAssertNil(log.value(of: "T", at: 140.001))
        XCTAssertNil(log.value(of: "T", at: 135), "next to a NaN sample")
        XCTAssertNil(log.value(of: "T", at: .nan))
        XCTAssertNil(log.value(of: "nope", at: 120))
        let single = HolderLog(format: .generic, start: nil, headerStart: nil, times: [5], channels: [.init(name: "T", unit: nil, values: [1])])
        XCTAssertEqual(single.value(of: "T", at: 5), 1)
        XCTAssertNil(single.value(of: "T", at: 5.1))
    }

    /// Interpolating a real log at its own sample times returns the samples; halfway between two
    /// samples, their mean (to 1e-6 °C: Unix seconds near 1.4·10⁹ resolve 0.24 µs, so the
    /// midpoint time itself is rounded).
    func testInterpolationOnARealLog() throws {
        let log = try HolderLogReader.read(path: TestPaths.electrothermal)
        let t = try XCTUnwrap(log.temperature)
        for k in stride(from: 11, to: log.times.count - 1, by: 97) where log.times[k] < log.times[k + 1] {
            XCTAssertEqual(log.value(of: t.name, at: log.times[k]), t.values[k])
            let mid = (log.times[k] + log.times[k + 1]) / 2
            XCTAssertEqual(log.value(of: t.name, at: mid)!, (t.values[k] + t.values[k + 1]) / 2, accuracy: 1e-6)
        }
        XCTAssertNil(log.value(of: t.name, at: log.times[0] - 0.001))
        XCTAssertNil(log.value(of: t.name, at: log.times.last! + 0.001))
    }
}

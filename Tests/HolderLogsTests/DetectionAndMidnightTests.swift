import Foundation
import HolderLogs
import XCTest

/// Format detection from content, and clock times that wrap past midnight.
final class DetectionAndMidnightTests: XCTestCase {
    /// A Protochips log renamed `.dens` (or without extension) is still read as Protochips.
    func testFormatFromContentNotName() throws {
        let tmp = try TempLogs()
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.electrothermal))
        for name in ["renamed.dens", "noextension"] {
            let path = try tmp.write(name, data)
            XCTAssertEqual(try HolderLogReader.format(path: path), .protochips)
            let renamed = try HolderLogReader.read(path: path), original = try HolderLogReader.read(path: TestPaths.electrothermal)
            // (Not `==` on the logs: the Resistance channel is all NaN, and NaN ≠ NaN.)
            XCTAssertEqual(renamed.times, original.times)
            XCTAssertEqual(renamed.channels.map(\.title), original.channels.map(\.title))
            XCTAssertEqual(renamed.temperature?.values, original.temperature?.values)
        }
    }

    /// A DigiHeater log opened at 23:59 on 31/12/'25 whose samples run past midnight.
    func testDigiHeaterPastMidnight() throws {
        let tmp = try TempLogs()
        let text = "\n31/12/'25 23:59\tDigiheater 3.1\nTsample = 330 [ms]\nsample\ttime\tTset[C]\tTmeas[C]\n"
            + "1\t23:59:59.50\t20\t21\tnorm\n2\t00:00:00.00\t20\t22\tnorm\n3\t00:00:00.50\t20\t23\n"
        let log = try HolderLogReader.read(path: tmp.write("night.dens", text), options: .init(clockOffset: 0.25))
        let midnight = utc(2026, 1, 1, 0, 0, 0)
        XCTAssertEqual(log.headerStart, utc(2025, 12, 31, 23, 59, 0.25))
        XCTAssertEqual(log.times, [midnight - 0.5 + 0.25, midnight + 0.25, midnight + 0.75])
        XCTAssertEqual(log.temperature?.values, [21, 22, 23])
        XCTAssertEqual(log.channel(named: "Tset")?.unit, "C")
    }

    /// An Impulse log whose stamps wrap past midnight keeps going forward.
    func testImpulsePastMidnight() throws {
        let tmp = try TempLogs()
        _ = try tmp.write("Night_Metadata.log", "Experiment date, 31-12-2025\nExperiment time, 23:59:58\n")
        let path = try tmp.write("Night_Synchronized data.csv",
                                 "TimeStamp,Experiment time,Temperature Measured (degC),MixValve\n23:59:59.500,1.5,300,1; 0; -1\n00:00:00.250,2.25,301,0; 0; 0\n")
        let log = try HolderLogReader.read(path: path)
        let midnight = utc(2026, 1, 1, 0, 0, 0)
        XCTAssertEqual(log.times, [midnight - 0.5, midnight + 0.25])
        XCTAssertEqual(log.headerStart, midnight - 2)
        XCTAssertEqual(log.channel(named: "MixValve 1")?.values, [1, 0])
        XCTAssertEqual(log.channel(named: "MixValve 3")?.values, [-1, 0])
        XCTAssertEqual(log.value(of: "Temperature Measured (degC)", at: midnight - 0.125)!, 300.5, accuracy: 1e-6)
    }
}

import Foundation
import HolderLogs
import XCTest

/// How long reading each real log takes (median of 15 reads, printed for the README), with a
/// generous bound so that a pathological slowdown fails.
final class ReadSpeedTests: XCTestCase {
    func testReadSpeedOfRealLogs() throws {
        for name in ["protochips/protochips_electrothermal.csv", "protochips/protochips_gas_cell.csv",
                     "protochips/protochips_thermal.csv", "densolutions/file1.dens",
                     "densolutions/StubExperiment_Synchronized data.csv"] {
            var ms: [Double] = []
            var samples = 0
            for _ in 0..<15 {
                let begin = DispatchTime.now().uptimeNanoseconds
                samples = try HolderLogReader.read(path: fixtureLog(name)).times.count
                ms.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
            }
            let median = ms.sorted()[ms.count / 2]
            print("HolderLogs read: \(name): \(samples) samples, median \(String(format: "%.2f", median)) ms")
            XCTAssertLessThan(median, 2000, name)
        }
    }
}

import Foundation
import TestSupport

/// A scratch folder for logs written by a test, removed when the test ends.
final class TempLogs {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("holderlogs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    /// Writes `text` (UTF-8) to `name` and returns its path.
    func write(_ name: String, _ text: String) throws -> String { try write(name, Data(text.utf8)) }

    /// Writes `data` to `name` and returns its path.
    func write(_ name: String, _ data: Data) throws -> String {
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }
}

/// Unix seconds of a UTC date-time through Foundation's calendar (independent of the reader).
func utc(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Double) -> Double {
    var c = DateComponents()
    c.year = y; c.month = mo; c.day = d; c.hour = h; c.minute = mi; c.second = 0
    var cal = Calendar(identifier: .gregorian)
    cal.timeZone = TimeZone(identifier: "UTC")!
    return cal.date(from: c)!.timeIntervalSince1970 + s
}

/// Paths of the real logs the tests share.
enum TestPaths {
    static let electrothermal = fixtureLog("protochips/protochips_electrothermal.csv")
}

/// A file of fixtures/holder_logs.
func fixtureLog(_ name: String) -> String { fixture("holder_logs/" + name) }

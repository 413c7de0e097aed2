import Foundation
import HolderLogs
import TestSupport
import XCTest

/// Every log of fixtures/holder_logs read as RosettaSciIO 0.15 reads it (`expected.json`): start
/// date and time, number of samples, time axis, first/last values and mean per channel.
///
/// Conventions that differ, and how they are compared:
/// - Times. RosettaSciIO gives a uniform axis, step = mean of the interior steps
///   (`np.diff(t[1:-1]).mean()`); Protochips and Impulse axes start at 0, DigiHeater's at the
///   first sample's seconds since midnight. We keep each row's own logged time as Unix s. So we
///   check: the step equals the mean interior step of our times (1 µs, as Unix seconds near 1.4·10⁹
///   resolve 0.24 µs; 1 ms for Impulse,
///   whose times we take from the millisecond wall-clock stamps while RosettaSciIO steps the
///   elapsed-time column), and each reference time (first three, last) lies within one step of
///   ours measured the same way (from our first sample, or from midnight for DigiHeater).
/// - Values: the first three and the last value to 1e-9 relative (+1e-15 absolute, for the zeros),
///   NaN where RosettaSciIO has NaN; the mean likewise.
/// - Channels: RosettaSciIO reports only `Tmeas` of a DigiHeater log (title null); we keep all
///   its columns and compare `Tmeas`. Impulse's `MixValve` (`0; 0; 0`, three valve states)
///   RosettaSciIO encodes as one number (a+2)·100 + (b+2)·10 + (c+2); we keep three channels
///   `MixValve 1…3` and compare that encoding of them.
/// - Start: RosettaSciIO's date and time are the header's (Impulse: the metadata log's
///   `06-08-2021`, which we read day first, 6 August); compared with `headerStart` to 1 µs.
final class ReferenceTests: XCTestCase {
    struct Axis: Decodable { var scale: Double; var offset: Double; var units: String; var first: [Double]; var last: Double }
    struct Expected: Decodable {
        var title: String?
        var n: Int
        var time_axis: Axis
        var first_values: [Double?]
        var last_value: Double?
        var mean: Double?
        var date: String
        var time: String
        var quantity: String
    }
    enum Entry: Decodable {
        case channels([Expected])
        case error(String)
        init(from decoder: Decoder) throws {
            if let list = try? [Expected](from: decoder) { self = .channels(list); return }
            struct E: Decodable { var error: String }
            self = .error(try E(from: decoder).error)
        }
    }

    /// expected.json with its bare `NaN` tokens (numpy's) read as null.
    static func expected() throws -> [String: Entry] {
        var text = try String(contentsOfFile: fixture("holder_logs/expected.json"), encoding: .utf8)
        text = text.replacingOccurrences(of: "NaN", with: "null")
        return try JSONDecoder().decode([String: Entry].self, from: Data(text.utf8))
    }

    /// Unix seconds of a reference date (`yyyy-mm-dd`, or Impulse's `dd-mm-yyyy`) and time,
    /// through Foundation's Gregorian UTC calendar (independent of the reader's own arithmetic).
    static func unix(date: String, time: String) -> Double {
        let d = date.split(separator: "-").map { Int($0)! }
        let (y, m, day) = d[0] > 31 ? (d[0], d[1], d[2]) : (d[2], d[1], d[0])
        let t = time.split(separator: ":")
        var c = DateComponents()
        c.year = y; c.month = m; c.day = day; c.hour = Int(t[0]); c.minute = Int(t[1]); c.second = 0
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        return cal.date(from: c)!.timeIntervalSince1970 + (t.count > 2 ? Double(t[2])! : 0)
    }

    static func close(_ a: Double?, _ b: Double?, rel: Double = 1e-9) -> Bool {
        guard let a, let b, !a.isNaN, !b.isNaN else {
            return (a == nil || a!.isNaN) && (b == nil || b!.isNaN)
        }
        return abs(a - b) <= rel * abs(b) + 1e-15
    }

    func testEveryPresentLogAsRosettaSciIOReadsIt() throws {
        var missing: [String] = [], compared = 0, listed = 0
        for (name, entry) in try Self.expected().sorted(by: { $0.key < $1.key }) {
            let path = fixture("holder_logs/" + name)
            guard FileManager.default.fileExists(atPath: path) else { missing.append(name); continue }
            guard case .channels(let list) = entry else { continue }
            listed += list.count
            let log = try HolderLogReader.read(path: path)
            let isDens = name.hasSuffix(".dens"), isImpulse = name.contains("Synchronized")
            XCTAssertEqual(log.format, isDens ? .densDigiHeater : isImpulse ? .densImpulse : .protochips, name)
            for e in list {
                let label = "\(name) \(e.title ?? e.quantity)"
                // Start date and time as the header states them.
                XCTAssertEqual(try XCTUnwrap(log.headerStart, label), Self.unix(date: e.date, time: e.time), accuracy: 1e-6, label)
                XCTAssertEqual(log.times.count, e.n, "\(label): samples")
                // Time axis (see the class comment).
                let origin = isDens ? (log.times[0] / 86_400).rounded(.down) * 86_400 : log.times[0]
                let ours = log.times.map { $0 - origin }
                let interior = (ours[ours.count - 2] - ours[1]) / Double(ours.count - 3)
                XCTAssertEqual(interior, e.time_axis.scale, accuracy: isImpulse ? 1e-3 : 1e-6, "\(label): step")
                XCTAssertEqual(ours[0], e.time_axis.offset, accuracy: 1e-6, "\(label): first time")
                for (k, t) in e.time_axis.first.enumerated() {
                    XCTAssertEqual(ours[k], t, accuracy: e.time_axis.scale, "\(label): time \(k)")
                }
                XCTAssertEqual(ours.last!, e.time_axis.last, accuracy: e.time_axis.scale, "\(label): last time")
                // Values.
                let values: [Double]
                if isDens {
                    XCTAssertNil(e.title)
                    values = try XCTUnwrap(log.temperature, label).values
                    XCTAssertEqual(log.temperature?.name, "Tmeas")
                } else if e.title == "MixValve" {
                    let a = try XCTUnwrap(log.channel(named: "MixValve 1")).values
                    let b = try XCTUnwrap(log.channel(named: "MixValve 2")).values
                    let c = try XCTUnwrap(log.channel(named: "MixValve 3")).values
                    values = (0..<a.count).map { (k: Int) -> Double in
                        let hundreds: Double = (a[k] + 2) * 100
                        let tens: Double = (b[k] + 2) * 10
                        return hundreds + tens + (c[k] + 2)
                    }
                } else {
                    values = try XCTUnwrap(log.channel(named: e.title!), "\(label): channel missing").values
                }
                XCTAssertEqual(values.count, e.n, label)
                for (k, v) in e.first_values.enumerated() {
                    XCTAssertTrue(Self.close(values[k], v), "\(label): value \(k) \(values[k]) vs \(String(describing: v))")
                }
                XCTAssertTrue(Self.close(values.last, e.last_value), "\(label): last value")
                let mean = values.reduce(0, +) / Double(values.count)
                XCTAssertTrue(Self.close(mean, e.mean), "\(label): mean \(mean) vs \(String(describing: e.mean))")
                compared += 1
            }
        }
        // expected.json entries whose file is not in fixtures/ (none at the time of writing).
        if !missing.isEmpty { print("HolderLogs: expected.json entries without a file: \(missing)") }
        XCTAssertEqual(compared, listed, "every reference channel of a present file compared")
        XCTAssertGreaterThan(compared, 0)
    }

    /// The DigiHeater log keeps every column, in °C / Ω / V / mA / mW, and its samples are at the
    /// header's date (16/04/'15) plus the clock times.
    func testDigiHeaterKeepsEveryChannel() throws {
        let log = try HolderLogReader.read(path: fixture("holder_logs/densolutions/file1.dens"))
        XCTAssertEqual(log.channels.map(\.name), ["Tset", "Tmeas", "Rheat", "Vheat", "Iheat", "Pheat", "c"])
        XCTAssertEqual(log.channels.map(\.unit), ["C", "C", "ohm", "V", "mA", "mW", nil])
        XCTAssertEqual(log.channel(.power)?.name, "Pheat")
        XCTAssertEqual(log.channel(.resistance)?.name, "Rheat")
        XCTAssertEqual(log.start!, Self.unix(date: "2015-04-16", time: "13:54:37.68"), accuracy: 1e-6)
    }

    /// The Impulse raw heater log and the synchronized log agree where their time stamps meet.
    func testImpulseRawAndSynchronizedAgree() throws {
        let synced = try HolderLogReader.read(path: fixture("holder_logs/densolutions/StubExperiment_Synchronized data.csv"))
        let raw = try HolderLogReader.read(path: fixture("holder_logs/densolutions/StubExperiment_Heat raw.csv"))
        XCTAssertEqual(raw.format, .densImpulse)
        XCTAssertEqual(raw.headerStart, synced.headerStart)
        let t = try XCTUnwrap(synced.channel(named: "Temperature Measured (degC)"))
        var checked = 0
        for (k, time) in synced.times.enumerated() {
            guard let r = raw.value(of: "Temperature Measured", at: time) else { continue }
            XCTAssertEqual(r, t.values[k], accuracy: 1e-6 * max(1, abs(r)), "sample \(k)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, synced.times.count * 9 / 10)
        XCTAssertEqual(synced.temperature?.unit, "degC")
        XCTAssertEqual(synced.channel(.pressure)?.name, "Pin Measured")
    }

    /// Without `_Metadata.log` next to it, an Impulse log has no start: elapsed experiment times.
    func testImpulseWithoutMetadataGivesElapsedTimes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("holder-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("Lonely_Synchronized data.csv")
        try FileManager.default.copyItem(atPath: fixture("holder_logs/densolutions/StubExperiment_Synchronized data.csv"), toPath: copy.path)
        let log = try HolderLogReader.read(path: copy.path, options: .init(clockOffset: 10))
        XCTAssertNil(log.start)
        XCTAssertNil(log.headerStart)
        let withDate = try HolderLogReader.read(path: fixture("holder_logs/densolutions/StubExperiment_Synchronized data.csv"))
        // Elapsed column first value (7.787 s) + offset; the wall-clock span matches the elapsed span to 0.1 s.
        let text = try String(contentsOf: copy, encoding: .utf8)
        let firstElapsed = Double(text.split(separator: "\n")[1].split(separator: ",")[1])!
        XCTAssertEqual(log.times[0], firstElapsed + 10, accuracy: 1e-9)
        XCTAssertEqual(log.times.last! - log.times[0], withDate.times.last! - withDate.times[0], accuracy: 0.1)
        XCTAssertLessThan(log.times[0], 1e6)
    }
}

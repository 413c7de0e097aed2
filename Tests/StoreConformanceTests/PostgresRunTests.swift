import Foundation
import XCTest
@testable import PostgresStore
import PostgresNIO
import TrajectoryStore

/// Collects a stream's elements on a task of its own.
final class Collected<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []
    func append(_ x: T) { lock.lock(); items.append(x); lock.unlock() }
    var all: [T] { lock.lock(); defer { lock.unlock() }; return items }
}

final class PostgresRunTests: XCTestCase {
    /// Waits up to `seconds` for `condition`.
    func eventually(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return condition()
    }

    /// Two runs in one database: each reader sees only its own frames, the catalogue lists both
    /// (most recently started first), and `changes()` yields one change per committed frame, in
    /// order, to every iterator.
    func testManyRunsOneDatabase() throws {
        let url = try testPostgresURL()
        let series = ConformanceSeries(frames: 6, columns: 8)
        let a = RunKey(instrument: "microscope-A", name: uniqueRunName())
        let b = RunKey(instrument: "microscope-B", name: uniqueRunName())
        let catalogue = try PostgresCatalogue(url: url)
        let first = Collected<StoreChange>(), second = Collected<StoreChange>()
        let ours: Set = [a.name, b.name]
        let t1 = Task { for await c in catalogue.changes() where ours.contains(c.run) { first.append(c) } }
        let t2 = Task { for await c in catalogue.changes() where ours.contains(c.run) { second.append(c) } }
        defer { t1.cancel(); t2.cancel() }
        XCTAssertTrue(eventually { catalogue.listener.isListening }, "the catalogue never started listening")

        let wa = try PostgresFrameStore(url: url, run: a)
        let wb = try PostgresFrameStore(url: url, run: b)
        let sa = try wa.beginSession(SessionRecord(startedAt: 1_000, softwareVersion: "t", host: "A"))
        let sb = try wb.beginSession(SessionRecord(startedAt: 2_000, softwareVersion: "t", host: "B"))
        for k in 0..<series.frames {
            try wa.write(series.result(k), run: sa.id!)
            if k < 3 { try wb.write(series.result(k), run: sb.id!) }
        }
        XCTAssertEqual(try wa.reader.frames().map(\.frame), Array(0..<6))
        XCTAssertEqual(try wb.reader.frames().map(\.frame), [0, 1, 2])
        XCTAssertEqual(try wb.reader.summary().frames, 3)
        XCTAssertEqual(try wb.reader.events().map(\.frame).max(), 2)

        let runs = try catalogue.runs().filter { ours.contains($0.name) }
        XCTAssertEqual(runs.map(\.name), [b.name, a.name], "most recently started first")
        XCTAssertEqual(runs.map(\.frames), [3, 6])
        XCTAssertEqual(runs.map(\.instrument), ["microscope-B", "microscope-A"])
        XCTAssertEqual(try catalogue.reader(run: a.name).frames().count, 6)
        XCTAssertEqual(try catalogue.reader(run: b.name, instrument: "microscope-B").frames().count, 3)
        XCTAssertThrowsError(try catalogue.reader(run: "no-such-run-\(a.name)")) { error in
            guard case StoreError.unknownRunName = error else { return XCTFail("\(error)") }
        }

        let expected = (0..<6).map { StoreChange(instrument: a.instrument, run: a.name, frame: $0) }
            + (0..<3).map { StoreChange(instrument: b.instrument, run: b.name, frame: $0) }
        XCTAssertTrue(eventually { first.all.count >= 9 && second.all.count >= 9 }, "changes: \(first.all.count), \(second.all.count)")
        for got in [first.all, second.all] {
            XCTAssertEqual(got.filter { $0.run == a.name }, Array(expected[0..<6]))
            XCTAssertEqual(got.filter { $0.run == b.name }, Array(expected[6...]))
            XCTAssertEqual(got.count, 9)
        }
    }

    /// The same run name on two instruments: asked without an instrument, the catalogue names both.
    func testAmbiguousRunNameListsInstruments() throws {
        let url = try testPostgresURL()
        let name = uniqueRunName()
        let w1 = try PostgresFrameStore(url: url, run: RunKey(instrument: "titan", name: name))
        let w2 = try PostgresFrameStore(url: url, run: RunKey(instrument: "spectra", name: name))
        _ = try w1.beginSession(SessionRecord(softwareVersion: "t"))
        _ = try w2.beginSession(SessionRecord(softwareVersion: "t"))
        let catalogue = try PostgresCatalogue(url: url)
        XCTAssertThrowsError(try catalogue.reader(run: name)) { error in
            XCTAssertEqual(error as? PostgresStoreError, .ambiguousRun(name, instruments: ["spectra", "titan"]))
        }
        XCTAssertNoThrow(try catalogue.reader(run: name, instrument: "titan"))
    }

    /// One writer per run: a second writer of the same run is refused, naming the holder; a writer
    /// of another run is fine.
    func testOneWriterPerRun() throws {
        let url = try testPostgresURL()
        let key = RunKey(instrument: "m", name: uniqueRunName())
        let writer = try PostgresFrameStore(url: url, run: key)
        XCTAssertThrowsError(try PostgresFrameStore(url: url, run: key)) { error in
            guard case StoreError.runInUse(let run, let holder) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(run, key.description)
            XCTAssertTrue(holder.contains("writer of"), holder)
            XCTAssertTrue(holder.contains("pid \(getpid())"), holder)
        }
        let other = try PostgresFrameStore(url: url, run: RunKey(instrument: "m", name: uniqueRunName()))
        XCTAssertNotEqual(other.runID, writer.runID)
        _ = try other.beginSession(SessionRecord(softwareVersion: "t"))
    }

    /// A transaction whose backend is killed after the frame's columns are in leaves nothing; the
    /// error is environmental, and the next attempt reconnects, takes the run's lock again and stores it.
    func testKilledTransactionLeavesNothing() throws {
        let url = try testPostgresURL()
        let series = ConformanceSeries(frames: 4, columns: 30)
        let store = try PostgresFrameStore(url: url, run: RunKey(instrument: "m", name: uniqueRunName()))
        let s = try store.beginSession(SessionRecord(softwareVersion: "t"))
        for k in 0..<2 { try store.write(series.result(k), run: s.id!) }
        let killer = try Connector(url: url).connect(role: "test killer")
        defer { try? killer.close().wait() }
        let logger = store.logger
        store.afterColumnsInserted = { k, c in
            guard k == 2 else { return }
            let rows = try c.run("SELECT count(*) FROM columns WHERE run_id = \(store.runID) AND frame = 2", logger)
            XCTAssertEqual(try Cells(rows[0])(0, as: Int.self), 30, "the columns are in, uncommitted")
            let pid = try Cells(c.run("SELECT pg_backend_pid()", logger)[0])(0, as: Int32.self)
            _ = try killer.run("SELECT pg_terminate_backend(\(pid))", logger)
        }
        XCTAssertThrowsError(try store.write(series.result(2), run: s.id!)) { error in
            XCTAssertTrue(store.isEnvironmental(error), "\(error) should be environmental")
            XCTAssertFalse(store.describe(error).isEmpty)
            // A statement sent just as the server closed the connection is failed by the close, not
            // left to the 60-s statement limit (postgres-nio never answers it).
            if case PostgresStoreError.statementTimedOut = error { XCTFail("the write waited for the statement limit") }
        }
        XCTAssertNil(try store.reader.frame(2))
        XCTAssertEqual(try store.reader.columns(frame: 2), [])
        let rows = try killer.run("SELECT count(*) FROM columns WHERE run_id = \(store.runID) AND frame = 2", logger)
        XCTAssertEqual(try Cells(rows[0])(0, as: Int.self), 0)
        store.afterColumnsInserted = nil
        XCTAssertEqual(try store.write(series.result(2), run: s.id!), .inserted)
        XCTAssertEqual(try store.write(series.result(2), run: s.id!), .duplicate)
        XCTAssertEqual(try store.reader.columns(frame: 2).count, 30)
        // The reconnected writer holds the lock again.
        XCTAssertThrowsError(try PostgresFrameStore(url: url, run: store.run)) { error in
            guard case StoreError.runInUse = error else { return XCTFail("\(error)") }
        }
    }

    /// An unreachable server: environmental, described in a microscopist's words.
    func testUnreachableServer() throws {
        _ = try testPostgresURL()
        let url = try PostgresURL(parsing: "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
        XCTAssertThrowsError(try PostgresFrameStore(url: url, run: RunKey(instrument: "m", name: "x"))) { error in
            XCTAssertTrue(PostgresBackend.backends.isEnvironmental(error), "\(error)")
            XCTAssertEqual(PostgresBackend.backends.describe(error), "PostgreSQL at 127.0.0.1:1 is not reachable (connection refused)")
        }
    }
}

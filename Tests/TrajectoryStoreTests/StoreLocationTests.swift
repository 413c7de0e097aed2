import Foundation
import TrajectoryStore
import XCTest

/// `--db` values: SQLite paths and PostgreSQL URLs (libpq's option names), and where the password comes from.
final class StoreLocationTests: XCTestCase {
    func testPathsAndURLs() throws {
        XCTAssertEqual(try StoreLocation(parsing: "/data/run.sqlite"), .sqlite(path: "/data/run.sqlite"))
        XCTAssertEqual(try StoreLocation(parsing: "run.sqlite").path, "run.sqlite")
        guard case .postgres(let u) = try StoreLocation(parsing: "postgres://stem@db.example:6543/facility?sslmode=require&pool=8") else {
            return XCTFail("not a postgres location")
        }
        XCTAssertEqual(u.host, "db.example")
        XCTAssertEqual(u.port, 6543)
        XCTAssertEqual(u.user, "stem")
        XCTAssertEqual(u.database, "facility")
        XCTAssertEqual(u.sslMode, .require)
        XCTAssertEqual(u.poolSize, 8)
        XCTAssertEqual(u.description, "postgres://stem@db.example:6543/facility (sslmode require)")
        guard case .postgres(let s) = try StoreLocation(parsing: "postgresql://stem@/facility?host=/run/postgresql") else {
            return XCTFail("not a postgres location")
        }
        XCTAssertTrue(s.isSocket)
        XCTAssertEqual(s.host, "/run/postgresql")
        XCTAssertEqual(s.sslMode, .prefer, "libpq's default")
    }

    func testBadURLsAreClearErrors() {
        func message(_ text: String) -> String {
            do { _ = try StoreLocation(parsing: text); return "" } catch { return error.description }
        }
        XCTAssertTrue(message("postgres://stem:secret@db/facility").contains("password"), "a password in the URL is refused")
        XCTAssertFalse(message("postgres://stem:secret@db/facility").contains("secret"), "and never echoed")
        XCTAssertTrue(message("postgres://db/f?sslmode=sometimes").contains("sslmode 'sometimes'"))
        XCTAssertTrue(message("postgres://db/f?colour=blue").contains("unknown option 'colour'"))
        XCTAssertTrue(message("postgres://db:99999/f").contains("port"))
        XCTAssertTrue(message("postgres://db/f?pool=0").contains("pool"))
        XCTAssertTrue(message("").contains("empty"))
    }

    func testPasswordFromFileEnvironmentOrPgpass() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-pgpass-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("pw").path
        try "s3cret\n".write(toFile: file, atomically: true, encoding: .utf8)
        guard case .postgres(let u) = try StoreLocation(parsing: "postgres://stem@db:5432/facility?password_file=\(file)") else {
            return XCTFail()
        }
        XCTAssertEqual(try u.password(), "s3cret")
        // ~/.pgpass lines (PGPASSFILE): escaped colons, wildcards, the first matching line wins.
        let pgpass = dir.appendingPathComponent("pgpass").path
        try "# comment\nother:*:*:*:no\ndb:5432:facility:stem:pa\\:ss\n*:*:*:stem:fallback\n".write(toFile: pgpass, atomically: true, encoding: .utf8)
        setenv("PGPASSFILE", pgpass, 1)
        unsetenv("PGPASSWORD")
        defer { unsetenv("PGPASSFILE") }
        guard case .postgres(let a) = try StoreLocation(parsing: "postgres://stem@db:5432/facility"),
              case .postgres(let b) = try StoreLocation(parsing: "postgres://stem@elsewhere:5432/x"),
              case .postgres(let c) = try StoreLocation(parsing: "postgres://nobody@db:5432/facility") else { return XCTFail() }
        XCTAssertEqual(try a.password(), "pa:ss")
        XCTAssertEqual(try b.password(), "fallback")
        XCTAssertNil(try c.password())
        setenv("PGPASSWORD", "from-env", 1)
        defer { unsetenv("PGPASSWORD") }
        XCTAssertEqual(try a.password(), "from-env", "PGPASSWORD comes before ~/.pgpass, as in libpq")
        XCTAssertEqual(try u.password(), "s3cret", "password_file comes first")
    }
}

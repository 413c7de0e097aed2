import Foundation
import TrajectoryStore
#if PostgreSQL
import PostgresStore
#endif

/// The stores this build opens: SQLite files always, `postgres://` URLs in builds with the
/// PostgreSQL trait (the default).
enum Stores {
    static var backends: StoreBackends {
        #if PostgreSQL
        PostgresBackend.backends
        #else
        .sqliteOnly
        #endif
    }

    /// The location of a `--db` value, or a usage error.
    static func location(_ db: String) throws -> StoreLocation {
        do { return try StoreLocation(parsing: db) } catch { throw StoreCommandError(error.description) }
    }

    /// The reader of a run (`run` nil: the only run, or the latest one).
    static func reader(_ db: String, run: String? = nil, instrument: String? = nil) throws -> any StoreQuerying {
        let location = try location(db)
        do {
            return try backends.openCatalogue(location).reader(run: run, instrument: instrument)
        } catch let error as StoreError {
            throw StoreCommandError(error.description)
        } catch {
            throw StoreCommandError("\(location): \(backends.describe(error))")
        }
    }

    /// The runs at `db`.
    static func catalogue(_ db: String) throws -> any RunCatalogue {
        let location = try location(db)
        do { return try backends.openCatalogue(location) } catch let error as StoreError {
            throw StoreCommandError(error.description)
        } catch {
            throw StoreCommandError("\(location): \(backends.describe(error))")
        }
    }
}

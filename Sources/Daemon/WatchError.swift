/// Why the daemon cannot start or go on. Each message says what to do about it.
public enum WatchError: Error, CustomStringConvertible, Equatable {
    /// Another daemon holds the store's lock.
    case storeInUse(database: String, holder: String)
    case cannotLock(path: String, reason: String)
    /// The store would be a SQLite WAL file on a network file system.
    case networkDatabase(database: String, fileSystem: String)
    /// The database file exists and is not a trajectory store.
    case notAStore(String)
    /// A setting cannot be used (e.g. an unreadable temperature log or crystal).
    case configuration(String)
    /// The store failed in a way that is neither the data's nor the machine's (an unexpected database error).
    case store(String)

    public var description: String {
        switch self {
        case .storeInUse(let db, let holder):
            return "\(db): already being written by \(holder); stop that daemon first, or give this one its own --db"
        case .cannotLock(let p, let r):
            return "\(p): cannot create the store's lock file (\(r))"
        case .networkDatabase(let db, let fs):
            return "\(db): on a \(fs) network file system, where SQLite's write-ahead log does not work; "
                + "put the database on a local disk (--db /var/lib/stemtrack/NAME.sqlite, or 'database' in the configuration)"
        case .notAStore(let p):
            return "\(p): not a stemtrack store; give another --db"
        case .store(let m): return m
        case .configuration(let m):
            return m
        }
    }

    /// Configuration problems (sysexits EX_CONFIG = 78): restarting does not help.
    public var isConfigurationError: Bool {
        switch self {
        case .networkDatabase, .notAStore, .storeInUse, .configuration: return true
        case .cannotLock, .store: return false
        }
    }
}

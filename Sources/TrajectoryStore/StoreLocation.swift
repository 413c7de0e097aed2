import Foundation

/// Where a store is: the value of `--db`. A file path (SQLite, the default) or a
/// `postgres://` URL (a facility's PostgreSQL database, many runs in one database).
///
/// A URL never carries the password (it would show in the process list): the password comes from
/// `password_file=PATH` in the URL, the `PGPASSWORD` environment variable, or the `PGPASSFILE` /
/// `~/.pgpass` file as libpq reads them.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresURL)

    /// Parses a `--db` value (`postgres://` or `postgresql://` URLs, anything else a path).
    public init(parsing value: String) throws(StoreError) {
        if value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") {
            self = .postgres(try PostgresURL(parsing: value))
        } else {
            guard !value.isEmpty else { throw .badLocation("the database path is empty") }
            self = .sqlite(path: value)
        }
    }

    public var isPostgres: Bool { if case .postgres = self { true } else { false } }
    /// The SQLite file, if this is one.
    public var path: String? { if case .sqlite(let p) = self { p } else { nil } }

    public var description: String {
        switch self {
        case .sqlite(let p): p
        case .postgres(let u): u.description
        }
    }
}

/// A PostgreSQL connection, parsed from `postgres://[user@]host[:port]/database[?options]` as libpq
/// names them: `sslmode` (disable, allow, prefer (default), require, verify-ca, verify-full),
/// `sslrootcert` (CA file for verify-ca/verify-full), `password_file`, `application_name`,
/// `pool` (connections, default 4) and `connect_timeout` (s, default 10). The host may be a
/// directory (a Unix-domain socket), written `%2Fpath%2Fto%2Fdir` or as `?host=/path`.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require, verifyCA = "verify-ca", verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var sslMode: SSLMode
    public var sslRootCert: String?
    public var passwordFile: String?
    public var applicationName: String
    public var poolSize: Int
    public var connectTimeout: Double

    /// Whether `host` is a Unix-socket directory.
    public var isSocket: Bool { host.hasPrefix("/") }

    public init(parsing text: String) throws(StoreError) {
        guard let c = URLComponents(string: text), let scheme = c.scheme, scheme == "postgres" || scheme == "postgresql" else {
            throw .badLocation("\(text): not a postgres:// URL")
        }
        if c.password != nil {
            throw .badLocation("the URL holds a password, which would show in the process list: put it in a file "
                + "(password_file=PATH in the URL, or ~/.pgpass) or in the PGPASSWORD environment variable")
        }
        var options: [String: String] = [:]
        for item in c.queryItems ?? [] { options[item.name] = item.value ?? "" }
        let known: Set = ["sslmode", "sslrootcert", "password_file", "application_name", "pool", "connect_timeout", "host", "port", "user"]
        if let unknown = options.keys.sorted().first(where: { !known.contains($0) }) {
            throw .badLocation("unknown option '\(unknown)' in the database URL (known: \(known.sorted().joined(separator: ", ")))")
        }
        let env = ProcessInfo.processInfo.environment
        let rawHost = options["host"] ?? c.percentEncodedHost.flatMap { $0.removingPercentEncoding } ?? ""
        host = rawHost.isEmpty ? (env["PGHOST"] ?? "127.0.0.1") : rawHost
        let portText = options["port"] ?? c.port.map(String.init) ?? env["PGPORT"] ?? "5432"
        guard let p = Int(portText), (1...65535).contains(p) else { throw .badLocation("port '\(portText)' is not a TCP port") }
        port = p
        user = options["user"] ?? c.user ?? env["PGUSER"] ?? NSUserName()
        let path = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        database = path.isEmpty ? (env["PGDATABASE"] ?? user) : path
        guard !database.contains("/") else { throw .badLocation("database name '\(database)' contains '/'") }
        let mode = options["sslmode"] ?? env["PGSSLMODE"] ?? "prefer"
        guard let m = SSLMode(rawValue: mode) else {
            throw .badLocation("sslmode '\(mode)' (one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        sslMode = m
        sslRootCert = options["sslrootcert"] ?? env["PGSSLROOTCERT"]
        passwordFile = options["password_file"]
        applicationName = options["application_name"] ?? "stemtrack"
        let pool = options["pool"] ?? "4"
        guard let n = Int(pool), (1...64).contains(n) else { throw .badLocation("pool '\(pool)' must be 1…64 connections") }
        poolSize = n
        let timeout = options["connect_timeout"] ?? env["PGCONNECT_TIMEOUT"] ?? "10"
        guard let t = Double(timeout), t > 0, t <= 3600 else { throw .badLocation("connect_timeout '\(timeout)' must be 0…3600 s") }
        connectTimeout = t
        if (m == .verifyCA || m == .verifyFull) && sslRootCert == nil {
            let home = FileManager.default.homeDirectoryForCurrentUser.path
            let standard = home + "/.postgresql/root.crt"
            guard FileManager.default.fileExists(atPath: standard) else {
                throw .badLocation("sslmode \(m.rawValue) needs the CA certificate: sslrootcert=PATH (or ~/.postgresql/root.crt)")
            }
            sslRootCert = standard
        }
    }

    /// The password: `password_file`, else `PGPASSWORD`, else the matching `~/.pgpass` (or
    /// `PGPASSFILE`) line `host:port:database:user:password` (`*` matches anything).
    public func password() throws(StoreError) -> String? {
        if let f = passwordFile {
            guard let text = try? String(contentsOfFile: f, encoding: .utf8) else {
                throw .badLocation("password file \(f) cannot be read")
            }
            return text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        }
        let env = ProcessInfo.processInfo.environment
        if let p = env["PGPASSWORD"] { return p }
        let file = env["PGPASSFILE"] ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.pgpass"
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let f = Self.pgpassFields(String(line))
            guard f.count == 5 else { continue }
            let matches = [host == f[0] || f[0] == "*" || (isSocket && f[0] == "localhost"),
                           String(port) == f[1] || f[1] == "*", database == f[2] || f[2] == "*", user == f[3] || f[3] == "*"]
            if matches.allSatisfy({ $0 }) { return f[4] }
        }
        return nil
    }

    /// Splits a .pgpass line on unescaped colons (`\:` and `\\` are escapes).
    static func pgpassFields(_ line: String) -> [String] {
        var fields: [String] = [], current = "", escaped = false
        for ch in line {
            if escaped { current.append(ch); escaped = false } else if ch == "\\" { escaped = true }
            else if ch == ":" { fields.append(current); current = "" } else { current.append(ch) }
        }
        fields.append(current)
        return fields
    }

    public var description: String {
        let where_ = isSocket ? "socket \(host) port \(port)" : "\(host):\(port)"
        return "postgres://\(user)@\(where_)/\(database) (sslmode \(sslMode.rawValue))"
    }
}

import Foundation
import PostgresNIO
import TrajectoryStore

/// A connection to the server could not be opened (unreachable, refused, restarting, TLS or
/// authentication failed); `description` names the server.
public struct PostgresConnectError: Error, CustomStringConvertible {
    public let url: PostgresURL
    public let underlying: any Error
    public var description: String {
        PostgresErrors.describe(underlying, url: url) ?? "PostgreSQL at \(url.host):\(url.port): \(underlying)"
    }
}

/// Errors of the PostgreSQL store that the shared ``StoreError`` has no case for.
public enum PostgresStoreError: Error, CustomStringConvertible, Equatable {
    /// A run name used on several instruments, asked for without an instrument.
    case ambiguousRun(String, instruments: [String])
    /// The database has no runs yet (nothing to read).
    case noRuns
    /// No answer to a statement within this many seconds: the connection was closed.
    case statementTimedOut(seconds: Int64)
    /// The connection closed while a statement waited for its answer (postgres-nio leaves a query
    /// sent on a channel that has just closed without an answer; the store fails it instead).
    case connectionClosed
    /// An array cell the store wrote could not be read back (a damaged or foreign table).
    case malformedArray(String)

    public var description: String {
        switch self {
        case .ambiguousRun(let name, let instruments):
            "run '\(name)' exists on several instruments (\(instruments.joined(separator: ", "))): say which one"
        case .noRuns: "the database has no runs yet"
        case .statementTimedOut(let t): "PostgreSQL did not answer within \(t) s; the connection was closed and is reopened"
        case .connectionClosed: "the connection to PostgreSQL closed before the statement was answered; it is reopened"
        case .malformedArray(let why): "an array in the database is not what this store writes (\(why))"
        }
    }
}

/// What went wrong with the PostgreSQL store, for the daemon's retry decision and for people.
enum PostgresErrors {
    /// The SQLSTATE of a server error (nil: not one).
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// The texts of the error and of the errors it wraps (postgres-nio wraps NIO's connection errors).
    static func chain(_ error: any Error) -> [any Error] {
        var out: [any Error] = [error]
        var current: (any Error)? = (error as? PSQLError)?.underlying
        while let e = current, out.count < 6 {
            out.append(e)
            current = (e as? PSQLError)?.underlying
        }
        return out
    }

    /// The connection itself failed or was lost (as opposed to a query the server refused).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if case PostgresStoreError.statementTimedOut = error { return true }
        if case PostgresStoreError.connectionClosed = error { return true }
        if let e = error as? PostgresConnectError { return isEnvironmental(e.underlying) || isConnectionLoss(e.underlying) }
        if let e = error as? PSQLError {
            switch e.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown,
                 .messageDecodingFailure, .unexpectedBackendMessage:
                return true
            case .server:
                let state = sqlState(e) ?? ""
                return state.hasPrefix("57P0") || state.hasPrefix("08")
            default:
                break
            }
        }
        for e in chain(error) {
            if e is ChannelError || e is IOError || e is NIOConnectionError { return true }
        }
        return false
    }

    /// SQLSTATEs of a server going away or not there yet: shutting down (57P01 admin shutdown,
    /// 57P02 crash shutdown), starting (57P03), connection exceptions (class 08), insufficient
    /// resources (class 53: disk full, out of memory, too many connections), and the writer's
    /// query cancelled by a statement or lock timeout (57014, 55P03).
    static func isServerUnavailable(_ state: String) -> Bool {
        ["57P01", "57P02", "57P03", "57014", "55P03", "40001", "40P01"].contains(state)
            || state.hasPrefix("08") || state.hasPrefix("53")
    }

    /// Whether writing the same frame again later can succeed: the server is unreachable,
    /// restarting, out of resources, the connection broke or timed out (also a serialization
    /// failure or deadlock, which the next attempt does not meet).
    static func isEnvironmental(_ error: any Error) -> Bool {
        if case PostgresStoreError.statementTimedOut = error { return true }
        if case PostgresStoreError.connectionClosed = error { return true }
        if let e = error as? PostgresConnectError {
            // Authentication, a missing database or a TLS misconfiguration do not mend themselves.
            if let state = sqlState(e.underlying) { return isServerUnavailable(state) }
            let text = String(describing: e.underlying).lowercased()
            if text.contains("ssl") || text.contains("tls") || text.contains("certificate") || text.contains("auth") { return false }
            return true
        }
        if case StoreError.unavailable = error { return true }
        if let state = sqlState(error) { return isServerUnavailable(state) }
        return isConnectionLoss(error)
    }

    /// A one-line description of a PostgreSQL error for a microscopist (nil: not a PostgreSQL error).
    static func describe(_ error: any Error, url: PostgresURL?) -> String? {
        let place = url.map { $0.isSocket ? "PostgreSQL at socket \($0.host)" : "PostgreSQL at \($0.host):\($0.port)" } ?? "PostgreSQL"
        if let e = error as? StoreError { return e.description }
        if let e = error as? PostgresConnectError { return describe(e.underlying, url: e.url) }
        if let e = error as? PostgresStoreError { return e.description }
        guard error is PSQLError || error is ChannelError || error is IOError || error is NIOConnectionError else { return nil }
        if let e = error as? PSQLError, e.code == .server {
            let state = sqlState(e) ?? ""
            let message = e.serverInfo?[.message] ?? "error \(state)"
            switch state {
            case "57P01", "57P02": return "\(place) is shutting down or restarting (\(message))"
            case "57P03": return "\(place) is starting up and not accepting connections yet"
            case "28P01", "28000": return "\(place): authentication failed for user \(url?.user ?? "?") (\(message))"
            case "3D000": return "\(place): the database \(url?.database ?? "?") does not exist"
            case "53100": return "\(place): the disk holding the database is full"
            case "53300": return "\(place) has too many connections open (\(message))"
            case "42501": return "\(place): permission denied (\(message)); the user \(url?.user ?? "?") may only read"
            default:
                if state.hasPrefix("08") { return "\(place): the connection failed (\(message))" }
                return "\(place): \(message) (SQLSTATE \(state))"
            }
        }
        let text = chain(error).map { String(describing: $0) }.joined(separator: " ")
        let lower = text.lowercased()
        if lower.contains("refused") { return "\(place) is not reachable (connection refused)" }
        if lower.contains("timeout") || lower.contains("timed out") { return "\(place) is not reachable (timed out)" }
        if lower.contains("reset") { return "\(place): the connection was reset (server restarting?)" }
        if lower.contains("ssl") || lower.contains("tls") || lower.contains("certificate") {
            return "\(place): the TLS connection failed (\(text))"
        }
        if lower.contains("password") || lower.contains("authentication") || lower.contains("sasl") {
            return "\(place): authentication failed for user \(url?.user ?? "?")"
        }
        if let e = error as? PSQLError {
            switch e.code {
            case .serverClosedConnection, .uncleanShutdown:
                return "\(place) closed the connection (restarting?)"
            case .connectionError:
                return "\(place) is not reachable (\(text))"
            case .clientClosedConnection:
                return "\(place): the connection was closed"
            default: break
            }
        }
        return "\(place): \(text)"
    }
}

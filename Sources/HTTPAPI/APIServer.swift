import Foundation
import Hummingbird
import HummingbirdCore
import Logging

/// Where the API listens: `HOST:PORT` (IPv4 or a name; `[v6]:PORT` for IPv6). The default is the
/// loopback address only, so the dashboard is not reachable from other machines unless asked.
public struct HTTPAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 8080) { self.host = host; self.port = port }

    /// Parses `HOST:PORT`, `[V6]:PORT` or `PORT` (loopback).
    public init(parsing text: String) throws(APIError) {
        var host = "127.0.0.1", portText = Substring(text)
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = text[text.index(after: close)...].drop { $0 == ":" }
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65_535).contains(port) else {
            throw .badRequest("'\(text)': give the HTTP address as HOST:PORT, e.g. 127.0.0.1:8080")
        }
        self.host = host; self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// The dashboard server: the API and live page over a trajectory store, as a Hummingbird
/// `Application` (a swift-service-lifecycle `Service`, so it can run in the daemon's service group).
public enum APIServer {
    /// Connections served at once; more wait in the kernel's accept queue (the daemon's own file
    /// descriptors are never starved by HTTP clients).
    public static let maxConnections = 256
    /// Seconds a connection may stay idle (no request arriving) before it is closed.
    public static let idleTimeout: Int64 = 5

    /// An application serving the store at `databasePath` read-only on `address`.
    /// `onServerRunning` receives the bound port (useful with port 0). `health` answers `/healthz`
    /// and `/metrics` (default: the heartbeat a daemon writes into the store).
    public static func application(databasePath: String, address: HTTPAddress = HTTPAddress(), logger: Logger? = nil,
                                   health: HealthSource? = nil,
                                   onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> Application<RouterResponder<BasicRequestContext>> {
        application(store: StoreAccess(path: databasePath), address: address, logger: logger, health: health,
                    onServerRunning: onServerRunning)
    }

    /// An application serving `store` (a SQLite file or a PostgreSQL database of many runs).
    public static func application(store: StoreAccess, address: HTTPAddress = HTTPAddress(), logger: Logger? = nil,
                                   health: HealthSource? = nil,
                                   onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> Application<RouterResponder<BasicRequestContext>> {
        let api = DashboardAPI(store: store)
        var log = logger ?? Logger(label: "stemtrack.http")
        if logger == nil { log.logLevel = .warning }
        return Application(
            router: APIRouter.make(api, health: health),
            server: .http1(configuration: .init(idleTimeout: .seconds(idleTimeout))),
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port), serverName: "stemtrack",
                                                    availableConnectionsDelegate: MaximumAvailableConnections(maxConnections)),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? address.port) },
            logger: log)
    }
}

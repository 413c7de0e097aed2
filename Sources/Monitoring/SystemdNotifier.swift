import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The sd_notify protocol without libsystemd: one datagram per message to the `AF_UNIX` socket
/// named by `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace), as documented in
/// sd_notify(3). Outside systemd (`NOTIFY_SOCKET` unset) every call does nothing.
///
/// The daemon sends `READY=1` once it has resumed and scanned its backlog, `STATUS=…` with a
/// one-line summary, `RELOADING=1` … `READY=1` around a configuration reload, `STOPPING=1` at
/// shutdown, and `WATCHDOG=1` while its frame loop is alive (`WatchdogSec=` in the unit).
public struct SystemdNotifier: Sendable {
    /// The socket address, or nil when not started by systemd with `Type=notify`.
    public let socketPath: String?
    /// The watchdog interval systemd asked for (`$WATCHDOG_USEC`), seconds; nil: no watchdog.
    public let watchdogInterval: Double?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        if let usec = environment["WATCHDOG_USEC"].flatMap(Double.init), usec > 0,
           environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true {
            watchdogInterval = usec / 1e6
        } else {
            watchdogInterval = nil
        }
    }

    public var isEnabled: Bool { socketPath != nil }

    /// Sends `state` (newline-separated `KEY=value` assignments). Returns false when there is no
    /// socket or the datagram could not be sent (systemd gone); never throws.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(socketPath.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }   // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, message.count, Int32(MSG_NOSIGNAL), sa, length) }
            }
        }
        return sent == message.count
    }

    /// `STATUS=` with newlines removed (one status line).
    @discardableResult
    public func status(_ text: String) -> Bool {
        notify("STATUS=" + text.replacingOccurrences(of: "\n", with: " "))
    }
}

import Foundation
import Logging

/// A swift-log handler for a service: one line per message on standard error. Under systemd
/// (`$JOURNAL_STREAM` set, i.e. stderr is connected to journald) each line starts with the
/// syslog priority as `<N>`, which journald turns into the entry's priority (sd-daemon(3)), and
/// carries no time stamp (journald adds its own). Otherwise lines read
/// `2026-12-01T09:30:00Z warning stemtrack: message key=value`.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public let label: String
    let journal: Bool
    let sink: @Sendable (String) -> Void

    public init(label: String, level: Logger.Level = .info,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                sink: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        self.logLevel = level
        self.journal = !(environment["JOURNAL_STREAM"] ?? "").isEmpty
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The syslog priority of a swift-log level (0 emerg … 7 debug).
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let tail = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let text = "\(event.message)\(tail)".replacingOccurrences(of: "\n", with: " ")
        if journal {
            sink("<\(Self.priority(event.level))>\(text)\n")
        } else {
            let stamp = ISO8601DateFormatter().string(from: Date())
            sink("\(stamp) \(event.level) \(label): \(text)\n")
        }
    }
}

extension Logger.Level {
    /// Parses `trace`, `debug`, `info`, `notice`, `warning` (or `warn`), `error`, `critical`.
    public init?(name: String) {
        switch name.lowercased() {
        case "warn": self = .warning
        default:
            guard let l = Logger.Level(rawValue: name.lowercased()) else { return nil }
            self = l
        }
    }
}

import Foundation

/// The one-line live status: frames done, rate, lag (with the time to clear it while a backlog
/// is being re-processed), and the last frame's columns and atoms.
/// On a terminal it rewrites one line; otherwise (systemd journal, a file) it prints a line at
/// most every `logInterval` seconds.
public struct StatusLine: Sendable {
    public var frames = 0
    public var failed = 0
    public var pending = 0
    public var lastFile = ""
    public var lastColumns = 0
    public var lastAtoms: Int? = nil
    public var lastLatency = 0.0
    private var times: [Double] = []
    private var lastPrinted = 0.0
    private let isTerminal = isatty(STDERR_FILENO) != 0
    public var logInterval = 10.0
    /// Print nothing (the caller shows its own progress).
    public var silent = false

    public init() {}

    /// Frames per second over the last 30 frames.
    public var rate: Double {
        guard let first = times.first, let last = times.last, times.count > 1, last > first else { return 0 }
        return Double(times.count - 1) / (last - first)
    }

    public mutating func frameDone(file: String, columns: Int, atoms: Int?, failed didFail: Bool, latency: Double) {
        frames += 1
        if didFail { failed += 1 }
        lastFile = file; lastColumns = columns; lastAtoms = atoms; lastLatency = latency
        times.append(Date().timeIntervalSince1970)
        if times.count > 30 { times.removeFirst(times.count - 30) }
    }

    public var text: String {
        let name = lastFile.split(separator: "/").last.map(String.init) ?? lastFile
        var lag = "lag \(pending)"
        if pending > 0, rate > 0 {
            let t = Int((Double(pending) / rate).rounded())
            lag += String(format: " (ETA %d:%02d:%02d)", t / 3600, t / 60 % 60, t % 60)
        }
        return String(format: "frames %d (%d failed) · %.2f frames/s · %@ · last %@: %d columns, %@ atoms, %.2f s",
                      frames, failed, rate, lag, name, lastColumns, lastAtoms.map(String.init) ?? "–", lastLatency)
    }

    public mutating func show(force: Bool = false) {
        guard !silent else { return }
        let now = Date().timeIntervalSince1970
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        } else if force || now - lastPrinted >= logInterval {
            lastPrinted = now
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }
}

import Foundation

/// Progress of a long offline command on standard error: on a terminal a bar redrawn in place
/// with count, rate and ETA; otherwise (log files, pipes) plain lines, at most one per `logInterval`
/// seconds plus the last one.
struct Progress {
    let label: String
    var total: Int
    let unit: String
    let isTerminal: Bool
    let logInterval: Double
    private let started = Date()
    /// Logs start quiet: the first line comes after `logInterval` (or at the end).
    private var lastShown: Date
    private(set) var done = 0

    init(_ label: String, total: Int, unit: String = "frames", logInterval: Double = 5,
         isTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.label = label; self.total = total; self.unit = unit; self.isTerminal = isTerminal; self.logInterval = logInterval
        lastShown = isTerminal ? .distantPast : Date()
    }

    /// The bar or line for `done` of `total` after `elapsed` seconds.
    static func line(label: String, done: Int, total: Int, unit: String, elapsed: Double, width: Int = 30, bar: Bool) -> String {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 && total > done ? duration(Double(total - done) / rate) : (done >= total ? "0:00" : "–")
        let stats = String(format: "%d/%d %@ %.1f/s ETA %@", done, total, unit, rate, eta)
        guard bar else { return "\(label): \(stats) (\(Int(fraction * 100))%)" }
        let filled = Int((fraction * Double(width)).rounded(.down))
        return "\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            + String(format: "] %3d%% ", Int(fraction * 100)) + stats
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }

    /// Records progress and redraws (terminal: at most 10 times per second; log: every `logInterval` s).
    mutating func update(_ done: Int, total newTotal: Int? = nil) {
        self.done = done
        if let newTotal { total = newTotal }
        let now = Date()
        let interval = isTerminal ? 0.1 : logInterval
        guard now.timeIntervalSince(lastShown) >= interval || done >= total else { return }
        lastShown = now
        let text = Self.line(label: label, done: done, total: total, unit: unit,
                             elapsed: now.timeIntervalSince(started), bar: isTerminal)
        FileHandle.standardError.write(Data((isTerminal ? "\r\u{1B}[K" + text : text + "\n").utf8))
    }

    /// A message that must not be overwritten by the bar (a skipped file, a warning).
    func log(_ message: String) {
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + message + "\n").utf8))
    }

    /// Ends the bar's line.
    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

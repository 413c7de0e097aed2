import Foundation
import XCTest

/// Headless Chromium (Debian's `chromium` package, installed by deploy/setup-debian.sh) run on a
/// URL: the DOM after the page's scripts ran, or a screenshot. Screenshots go to
/// /tmp/stemtrack-screens (outside the repository).
struct Chromium {
    let executable: String
    static let screenshotDirectory = "/tmp/stemtrack-screens"

    /// Finds the browser or fails the test with instructions (never skips silently).
    static func find(file: StaticString = #filePath, line: UInt = #line) throws -> Chromium {
        for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return Chromium(executable: path)
        }
        XCTFail("headless Chromium is not installed: run 'apt-get install chromium' (deploy/setup-debian.sh installs it)",
                file: file, line: line)
        throw XCTSkip("no chromium")
    }

    /// Runs the browser with `arguments` on `url`; returns stdout and stderr.
    func run(_ url: String, _ arguments: [String]) async throws -> (stdout: String, stderr: String) {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-chromium-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: profile) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                       "--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0"] + arguments + [url]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let outData = OutputCollector(out.fileHandleForReading), errData = OutputCollector(err.fileHandleForReading)
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            p.terminationHandler = { _ in c.resume() }
            do { try p.run() } catch { c.resume(throwing: error) }
        }
        return (outData.text(), errData.text())
    }

    /// The DOM after scripts ran for `budget` ms of virtual time.
    func dom(_ url: String, budget: Int = 6000) async throws -> (dom: String, log: String) {
        let r = try await run(url, ["--virtual-time-budget=\(budget)", "--window-size=1400,1000", "--dump-dom"])
        return (r.stdout, r.stderr)
    }

    /// A PNG screenshot of the page; returns its path.
    func screenshot(_ url: String, name: String, width: Int = 1400, height: Int = 1000, budget: Int = 6000) async throws -> String {
        try FileManager.default.createDirectory(atPath: Self.screenshotDirectory, withIntermediateDirectories: true)
        let path = Self.screenshotDirectory + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        _ = try await run(url, ["--virtual-time-budget=\(budget)", "--window-size=\(width),\(height)",
                                "--hide-scrollbars", "--screenshot=\(path)"])
        return path
    }

    /// Console messages that report script errors (Chromium logs them as CONSOLE lines).
    static func consoleErrors(_ log: String) -> [String] {
        log.split(separator: "\n").map(String.init).filter { line in
            line.contains("CONSOLE") && (line.contains("Uncaught") || line.contains("Error") || line.contains("error"))
        }
    }
}

/// Reads a pipe to the end on a background thread (so a chatty child never blocks on a full pipe).
final class OutputCollector: @unchecked Sendable {
    private var data = Data()
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            let d = handle.readDataToEndOfFile()
            lock.lock(); data = d; lock.unlock()
            done.signal()
        }
    }

    func text() -> String {
        done.wait()
        lock.lock(); defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The value of attribute `name` on the first element whose opening tag contains `marker`.
func attribute(_ name: String, of marker: String, in dom: String) -> String? {
    guard let m = dom.range(of: marker) else { return nil }
    let tagStart = dom[..<m.lowerBound].lastIndex(of: "<") ?? m.lowerBound
    guard let tagEnd = dom[m.lowerBound...].firstIndex(of: ">") else { return nil }
    let tag = dom[tagStart..<tagEnd]
    guard let a = tag.range(of: " \(name)=\"") else { return nil }
    let rest = tag[a.upperBound...]
    return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
}

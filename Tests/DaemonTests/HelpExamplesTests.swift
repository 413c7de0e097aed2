import Foundation
import XCTest

/// Every example command in the README's usage and in each subcommand's --help is accepted by
/// the parser: run against files that do not exist, it fails at run time (exit 1, one line),
/// never with a usage error (exit 64), which is what a wrong example in the help gives.
final class HelpExamplesTests: XCTestCase {
    private static let skipped: Set<String> = ["watch", "serve", "simulate"]   // long-running or writing outside a temp dir

    private func examples() throws -> [String] {
        var lines: [String] = []
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        lines += text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("stemtrack ") }
        for sub in ["fit", "count", "track", "structure", "query", "export", "report"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try DaemonProcess.executable())
            p.arguments = [sub, "--help"]
            var env = ProcessInfo.processInfo.environment
            env["COLUMNS"] = "300"
            p.environment = env
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let help = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            lines += help.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("stemtrack \(sub)") }
        }
        return lines
    }

    /// Words of a shell line, without its comment and redirection.
    static func words(_ line: String) -> [String] {
        var s = line
        if let hash = s.range(of: "  #") ?? s.range(of: " # ") { s = String(s[..<hash.lowerBound]) }
        if let redirect = s.range(of: " > ") { s = String(s[..<redirect.lowerBound]) }
        s = s.replacingOccurrences(of: "[", with: "").replacingOccurrences(of: "]", with: "")
        return s.split(separator: " ").map(String.init)
    }

    func testExamplesParse() throws {
        let all = try examples()
        XCTAssertGreaterThan(all.count, 20, "examples found")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("stemtrack-help-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var checked = 0
        for line in all {
            let w = Self.words(line)
            guard w.count >= 2, !Self.skipped.contains(w[1]) else { continue }
            let args = Array(w.dropFirst()).map { $0.hasPrefix("/data/") ? work.path + $0 : $0 }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try DaemonProcess.executable())
            p.arguments = args
            p.currentDirectoryURL = work
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            try p.run()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertNotEqual(p.terminationStatus, 64, "usage error for the documented example `\(line)`: \(stderr)")
            XCTAssertFalse(stderr.contains("Usage:") || stderr.contains("USAGE:"), "`\(line)`: \(stderr)")
            checked += 1
        }
        print("help examples: \(checked) documented commands parsed")
    }
}

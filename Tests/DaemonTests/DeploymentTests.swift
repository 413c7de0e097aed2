import Foundation
import XCTest

/// The shipped systemd unit: notify type with watchdog and reload, no restart loop on a
/// configuration error, and hardened to an exposure of at most 2.0 by `systemd-analyze security`.
final class DeploymentTests: XCTestCase {
    private var unitPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/stemtrack.service").path
    }

    func testUnitSpeaksTheServiceContract() throws {
        let unit = try String(contentsOfFile: unitPath, encoding: .utf8)
        for line in ["Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID", "RestartPreventExitStatus=78",
                     "StateDirectory=stemtrack", "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes",
                     "SystemCallFilter=@system-service", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"] {
            XCTAssertTrue(unit.contains(line), "the unit needs \(line)")
        }
    }

    func testSecurityExposureAtMostTwo() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        p.arguments = ["security", "--offline=true", unitPath]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        XCTAssertNoThrow(try p.run(), "systemd-analyze (Debian package systemd) is needed")
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("Overall exposure level") }, text)
        let score = try XCTUnwrap(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }, String(line))
        print("systemd-analyze security: \(score)")
        XCTAssertLessThanOrEqual(score, 2.0, String(line))
    }
}

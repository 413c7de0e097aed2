import Foundation
import HTTPAPI
import Hummingbird
import Report
import TIFFFrame
import TrajectoryStore
import XCTest

/// The live page and the report opened in headless Chromium: every plot drew (non-empty SVG),
/// the frame image loaded (or, without the file, the overlay on a blank background with a note),
/// no script error (the pages record window.onerror in the DOM) and no console error.
/// Screenshots: /tmp/stemtrack-screens/live.png, live-no-image.png, report.png.
final class BrowserTests: XCTestCase {
    /// Runs the API on a free loopback port while `body` runs.
    func withServer(_ database: String, _ body: (String) async throws -> Void) async throws {
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = APIServer.application(databasePath: database, address: HTTPAddress(host: "127.0.0.1", port: 0)) { port in
            portContinuation.yield(port)
        }
        let server = Task { try await app.run() }
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next() else { XCTFail("server did not start"); return }
        defer { server.cancel() }
        // poll=1: no change stream (an open EventSource stops headless Chromium's virtual time).
        try await body("http://127.0.0.1:\(port)/?poll=1")
    }

    static let charts = ["hist", "icl", "atomsTime", "columnsTime", "atomsTemp", "facets", "facetsTemp"]

    func testLivePageRendersFrameOverlayAndPlots() async throws {
        let chromium = try Chromium.find()
        let run = try StoredRun.make()
        defer { run.cleanUp() }
        try await withServer(run.database) { url in
            let (dom, log) = try await chromium.dom(url)
            XCTAssertEqual(attribute("data-state", of: "<body", in: dom), "rendered",
                           "page state; errors: \(attribute("id", of: "id=\"errors\"", in: dom) ?? "") \(dom.prefix(3000))")
            XCTAssertTrue(dom.contains("<div id=\"errors\"></div>"), "no script error recorded")
            XCTAssertEqual(attribute("data-image", of: "id=\"frameSVG\"", in: dom), "loaded", "the frame's PNG loaded")
            XCTAssertEqual(attribute("data-columns", of: "id=\"frameSVG\"", in: dom), "\(StoredRun.columns - 1)")
            XCTAssertEqual(dom.components(separatedBy: "fill-opacity=\"0.85\"").count - 1, StoredRun.columns - 1, "one circle per column")
            for chart in Self.charts {
                let points = Int(attribute("data-points", of: "data-chart=\"\(chart)\"", in: dom) ?? "0") ?? 0
                XCTAssertGreaterThan(points, 0, "chart \(chart) drew nothing")
            }
            XCTAssertEqual(attribute("data-rows", of: "id=\"events\"", in: dom), "12")
            XCTAssertTrue(dom.contains("Frame 11: 63 columns"))
            XCTAssertEqual(Chromium.consoleErrors(log), [])
            let shot = try await chromium.screenshot(url, name: "live.png")
            let size = (try FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
            XCTAssertGreaterThan(size, 50_000, "screenshot \(shot) looks empty")
        }
    }

    func testLivePageWithoutTheImageFileShowsTheOverlayOnBlank() async throws {
        let chromium = try Chromium.find()
        let run = try StoredRun.make()
        defer { run.cleanUp() }
        try FileManager.default.removeItem(at: run.directory.appendingPathComponent(StoredRun.fileName(11)))
        try await withServer(run.database) { url in
            let (dom, log) = try await chromium.dom(url)
            XCTAssertEqual(attribute("data-state", of: "<body", in: dom), "rendered")
            XCTAssertEqual(attribute("data-image", of: "id=\"frameSVG\"", in: dom), "missing")
            XCTAssertTrue(dom.contains("Image file of frame 11 not found: columns shown on a blank background."))
            XCTAssertEqual(attribute("data-columns", of: "id=\"frameSVG\"", in: dom), "\(StoredRun.columns - 1)")
            // A failed image request is logged by the browser as a network error, not a script error.
            XCTAssertEqual(Chromium.consoleErrors(log).filter { $0.contains("Uncaught") }, [])
            _ = try await chromium.screenshot(url, name: "live-no-image.png")
        }
    }

    func testReportRendersInChromium() async throws {
        let chromium = try Chromium.find()
        let run = try StoredRun.make()
        defer { run.cleanUp() }
        let html = try RunReport().html(reader: try StoreReader(path: run.database), title: "stemtrack report: test run",
                                        databasePath: run.database)
        // The last frame's image under its column map: the PNG embedded decodes to its display image.
        let marker = "href=\"data:image/png;base64,"
        let start = try XCTUnwrap(html.range(of: marker)).upperBound
        let encoded = html[start...].prefix { $0 != "\"" }
        let png = try PNGDecoder.decode(try XCTUnwrap(Data(base64Encoded: String(encoded))))
        let last = FrameImage(frame: try TIFFReader.readFirst(path: run.directory.appendingPathComponent("frame_011.tif").path))
        XCTAssertEqual(png.pixels, last.pixels)
        XCTAssertTrue(html.contains("coloured by atom count over its image"))
        XCTAssertTrue(html.contains(Viridis.hex(0)) || html.contains(Viridis.hex(1)), "counts coloured by viridis")
        for external in ["src=\"http", "href=\"http", "<link", "@import"] {
            XCTAssertFalse(html.contains(external), "report must be self-contained: found \(external)")
        }
        try FileManager.default.createDirectory(atPath: Chromium.screenshotDirectory, withIntermediateDirectories: true)
        let file = Chromium.screenshotDirectory + "/report.html"
        try html.write(toFile: file, atomically: true, encoding: .utf8)
        let (dom, log) = try await chromium.dom("file://" + file, budget: 2000)
        XCTAssertEqual(attribute("data-state", of: "<body", in: dom), "rendered")
        // 4 series plots, facets against time and temperature, histogram, ICL, column map.
        XCTAssertEqual(attribute("data-plots", of: "<body", in: dom), "9")
        XCTAssertTrue(dom.contains("gmm-8-b (6 frames)"))
        XCTAssertTrue(dom.contains("{111}") && dom.contains("{100}"), "facet families in the legend")
        XCTAssertEqual(dom.components(separatedBy: "<tr><td>").count - 1, 12, "one table row per event")
        XCTAssertEqual(Chromium.consoleErrors(log), [])
        _ = try await chromium.screenshot("file://" + file, name: "report.png", width: 1400, height: 2000, budget: 2000)
    }
}

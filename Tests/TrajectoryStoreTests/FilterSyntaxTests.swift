import Foundation
import XCTest
@testable import StorePresentation
@testable import TrajectoryStore

final class FilterSyntaxTests: XCTestCase {
    func testFrameAndValueRanges() throws {
        XCTAssertEqual(try FilterSyntax.frames("10000:20000"), 10_000...20_000)
        XCTAssertEqual(try FilterSyntax.frames("7"), 7...7)
        XCTAssertEqual(try FilterSyntax.frames("5:").lowerBound, 5)
        XCTAssertEqual(try FilterSyntax.frames(":5"), 0...5)
        XCTAssertThrowsError(try FilterSyntax.frames("9:3"))
        XCTAssertThrowsError(try FilterSyntax.frames("a:3"))
        XCTAssertThrowsError(try FilterSyntax.frames(":"))
        XCTAssertEqual(try FilterSyntax.values("400:450.5", name: "--temperature"), 400...450.5)
        XCTAssertEqual(try FilterSyntax.values("-20:", name: "t").lowerBound, -20)
        XCTAssertThrowsError(try FilterSyntax.values("nan:1", name: "t"))
    }

    func testTimes() throws {
        let start = 1_750_000_000.0
        XCTAssertEqual(try FilterSyntax.times("10:20", seriesStart: start), (start + 10)...(start + 20))
        XCTAssertEqual(try FilterSyntax.times(":1.5", seriesStart: start).upperBound, start + 1.5)
        XCTAssertEqual(FilterSyntax.instant("2025-06-15T15:06:40Z"), start)
        XCTAssertEqual(FilterSyntax.instant("2025-06-15T17:06:40.25+02:00"), start + 0.25)
        XCTAssertEqual(FilterSyntax.instant("2025-06-15T15:07Z"), start + 20)
        XCTAssertNil(FilterSyntax.instant("2025-06-15T15:06:40Z:junk"))
        XCTAssertEqual(try FilterSyntax.times("2025-06-15T15:06:40Z:2025-06-15T15:06:41.5Z", seriesStart: nil),
                       start...(start + 1.5))
        XCTAssertEqual(try FilterSyntax.times("2025-06-15T15:06:41Z", seriesStart: nil), (start + 1)...(start + 1))
        XCTAssertEqual(try FilterSyntax.times("2025-06-15T15:06:41Z:", seriesStart: nil).lowerBound, start + 1)
        XCTAssertThrowsError(try FilterSyntax.times("3:1", seriesStart: start)) {
            XCTAssertTrue("\($0)".contains("ends before it starts"))
        }
        XCTAssertThrowsError(try FilterSyntax.times("abc", seriesStart: start))
        XCTAssertThrowsError(try FilterSyntax.times("1:2", seriesStart: nil))
    }

    func testRegionsAndLists() throws {
        XCTAssertEqual(try FilterSyntax.region("0, 0,256,128.5"), Region(x0: 0, y0: 0, x1: 256, y1: 128.5))
        XCTAssertEqual(try FilterSyntax.region("10,10,0,0"), Region(x0: 0, y0: 0, x1: 10, y1: 10))
        XCTAssertThrowsError(try FilterSyntax.region("1,2,3"))
        XCTAssertThrowsError(try FilterSyntax.region("1,2,,4"))
        XCTAssertEqual(FilterSyntax.list(["hop,merge", " split "]), ["hop", "merge", "split"])
        XCTAssertNil(FilterSyntax.list([]))
        XCTAssertNil(FilterSyntax.list([" , "]))
    }
}

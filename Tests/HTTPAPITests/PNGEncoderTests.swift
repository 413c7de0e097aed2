import Foundation
import Report
import XCTest

final class PNGEncoderTests: XCTestCase {
    func testChecksumsMatchPublishedValues() {
        XCTAssertEqual(PNGEncoder.crc32(Array("IEND".utf8)), 0xAE42_6082)
        XCTAssertEqual(PNGEncoder.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(PNGEncoder.adler32(Array("Wikipedia".utf8)), 0x11E6_0398)
        XCTAssertEqual(PNGEncoder.adler32(Array(repeating: 255, count: 100_000)), adlerReference(Array(repeating: 255, count: 100_000)))
    }

    func testStoredBlocksSplitAt65535Bytes() {
        let data = (0..<150_000).map { UInt8($0 % 251) }
        let z = PNGEncoder.zlibStored(data)
        XCTAssertEqual(z.count, 2 + 3 * 5 + data.count + 4)
        XCTAssertEqual(z[2], 0, "first block not final")
        XCTAssertEqual(Int(z[3]) | Int(z[4]) << 8, 65_535)
        let lastHeader = 2 + 2 * (5 + 65_535)
        XCTAssertEqual(z[lastHeader], 1, "last block final")
        XCTAssertEqual(Int(z[lastHeader + 1]) | Int(z[lastHeader + 2]) << 8, 150_000 - 2 * 65_535)
    }

    func testRejectsWrongPixelCount() {
        XCTAssertThrowsError(try PNGEncoder.encode(width: 3, height: 2, pixels: [1, 2, 3]))
    }

    private func adlerReference(_ d: [UInt8]) -> UInt32 {
        var a: UInt64 = 1, b: UInt64 = 0
        for x in d { a = (a + UInt64(x)) % 65_521; b = (b + a) % 65_521 }
        return UInt32(b << 16 | a)
    }
}

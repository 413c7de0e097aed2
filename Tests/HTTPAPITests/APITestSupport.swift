import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPAPI
import XCTest

/// Sends GET requests to the API's router (no sockets) and decodes the answers.
struct APIClient {
    let client: any TestClientProtocol

    func get(_ uri: String) async throws -> (status: Int, body: Data, contentType: String?) {
        try await client.execute(uri: uri, method: .get) { response in
            (Int(response.status.code), Data(buffer: response.body), response.headers[.contentType])
        }
    }

    /// Decodes a 200 answer as `T`.
    func json<T: Decodable>(_ uri: String, as type: T.Type, file: StaticString = #filePath, line: UInt = #line) async throws -> T {
        let (status, body, contentType) = try await get(uri)
        XCTAssertEqual(status, 200, "\(uri): \(String(decoding: body, as: UTF8.self))", file: file, line: line)
        XCTAssertEqual(contentType?.hasPrefix("application/json"), true, uri, file: file, line: line)
        return try JSONDecoder().decode(T.self, from: body)
    }

    /// Asserts an error answer with this status and a `{"error": "..."}` body; returns the message.
    @discardableResult
    func error(_ uri: String, status expected: Int, file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        let (status, body, _) = try await get(uri)
        XCTAssertEqual(status, expected, "\(uri): \(String(decoding: body, as: UTF8.self))", file: file, line: line)
        let decoded = try? JSONDecoder().decode(ErrorBody.self, from: body)
        XCTAssertNotNil(decoded, "\(uri): error body is not {\"error\": …}: \(String(decoding: body, as: UTF8.self))", file: file, line: line)
        XCTAssertFalse(decoded?.error.isEmpty ?? true, uri, file: file, line: line)
        return decoded?.error ?? ""
    }
}

extension Data {
    init(buffer: ByteBuffer) {
        var b = buffer
        self = Data(b.readBytes(length: b.readableBytes) ?? [])
    }
}

/// Runs `body` with a client of the API over `database`.
func withAPI(_ database: String, _ body: @escaping @Sendable (APIClient) async throws -> Void) async throws {
    let app = APIServer.application(databasePath: database)
    try await app.test(.router) { client in try await body(APIClient(client: client)) }
}

import Foundation

/// An API failure with its HTTP status; the body is `{"error": "<message>"}`.
public enum APIError: Error, Equatable, CustomStringConvertible {
    /// A query parameter or path component is invalid (400).
    case badRequest(String)
    /// No such frame, track or resource (404).
    case notFound(String)
    /// The database cannot be read yet (e.g. the daemon has not created it) (503).
    case unavailable(String)
    /// Anything else (500).
    case failed(String)

    /// HTTP status code.
    public var status: Int {
        switch self {
        case .badRequest: 400
        case .notFound: 404
        case .unavailable: 503
        case .failed: 500
        }
    }

    public var description: String {
        switch self {
        case .badRequest(let m), .notFound(let m), .unavailable(let m), .failed(let m): m
        }
    }
}

/// JSON body of an error response.
public struct ErrorBody: Codable, Sendable, Equatable {
    public var error: String
    public init(error: String) { self.error = error }
}

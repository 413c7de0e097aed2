import Foundation
import TrajectoryStore

// JSON bodies of the API. Store records (FrameRecord, TrackRecord, EventRecord, FacetRecord,
// CountingModelRecord, StoreSummary) are encoded with their own Codable keys; positions in px,
// times in Unix s, temperatures in °C, as in the store (Sources/TrajectoryStore/SCHEMA.md).

/// `GET /api/summary`.
public struct SummaryResponse: Codable, Sendable, Equatable {
    public var summary: StoreSummary
    /// Latest frame with status ok (the live page shows it), nil when none.
    public var latestFrame: Int?
    /// Acquisition time of the earliest frame, Unix s.
    public var seriesStart: Double?
}

/// `GET /api/frames`: one page; `next` is the `after` value for the following page (nil: last page).
public struct FramesPage: Codable, Sendable, Equatable {
    public var frames: [FrameRecord]
    public var next: Int?
}

/// One column in `GET /api/frames/{n}/columns` (width nil only when the frame has no shared width).
public struct ColumnJSON: Codable, Sendable, Equatable {
    public var index: Int
    public var x: Double
    public var y: Double
    public var sigmaX: Double?
    public var sigmaY: Double?
    public var width: Double?
    public var height: Double
    public var sigmaHeight: Double?
    public var crossSection: Double
    public var crlbX: Double?
    public var crlbY: Double?
    public var count: Int?
    public var track: Int?

    /// The names of the column tables of `fit`, `count`, `track` and `export` (units in the name).
    enum CodingKeys: String, CodingKey {
        case index = "idx", x = "x_px", y = "y_px", sigmaX = "sigma_x_px", sigmaY = "sigma_y_px", width = "rho_px"
        case height = "eta", sigmaHeight = "sigma_eta", crossSection = "cross_section", crlbX = "crlb_x_px"
        case crlbY = "crlb_y_px", count, track
    }

    public init(index: Int, _ c: ColumnRecord) {
        self.index = index; x = c.x; y = c.y; sigmaX = c.sigmaX; sigmaY = c.sigmaY
        width = c.width.isFinite ? c.width : nil; height = c.height; sigmaHeight = c.sigmaHeight
        crossSection = c.crossSection; crlbX = c.crlbX; crlbY = c.crlbY; count = c.count; track = c.track
    }
}

/// `GET /api/frames/{n}/columns`.
public struct FrameColumns: Codable, Sendable, Equatable {
    public var frame: Int
    public var imageWidth: Int?
    public var imageHeight: Int?
    public var pixelSize: Double?
    public var modelID: String?
    public var columns: [ColumnJSON]
}

/// `GET /api/tracks`: one page in id order; `next` is the `after` value for the following page.
public struct TracksPage: Codable, Sendable, Equatable {
    public var tracks: [TrackRecord]
    public var next: Int?
}

/// `GET /api/tracks/{id}`.
public struct TrackHistory: Codable, Sendable, Equatable {
    public var track: TrackRecord
    public var observations: [TrackObservation]
}

/// `GET /api/events`; `truncated`: more events match than `limit`.
public struct EventsList: Codable, Sendable, Equatable {
    public var events: [EventRecord]
    public var truncated: Bool
}

/// `GET /api/facets`; `truncated`: more facets match than `limit`.
public struct FacetsList: Codable, Sendable, Equatable {
    public var facets: [FacetRecord]
    public var truncated: Bool
}

/// `GET /api/models`.
public struct ModelsList: Codable, Sendable, Equatable {
    public var models: [CountingModelRecord]
}

/// One track's recent positions, oldest first.
public struct TrackPath: Codable, Sendable, Equatable {
    public var track: Int
    public var frames: [Int]
    public var x: [Double]
    public var y: [Double]
}

/// `GET /api/frames/{n}/paths`: the recent path of every track present in frame n.
public struct TrackPaths: Codable, Sendable, Equatable {
    public var frame: Int
    public var length: Int
    public var paths: [TrackPath]
}

/// `GET /api/runs`.
public struct RunsList: Codable, Sendable, Equatable {
    public var runs: [RunSummary]
}

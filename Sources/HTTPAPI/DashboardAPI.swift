import Foundation
import Report
import TIFFFrame
import TrajectoryStore

/// The API's endpoints as plain functions of validated parameters (the HTTP layer in
/// ``APIRouter`` only decodes requests and encodes answers). Read-only: it never writes the store.
public struct DashboardAPI: Sendable {
    public let store: StoreAccess
    /// The run this value's endpoints read (set per request from `run` and `instrument`).
    public var run = RunSelection()
    /// Largest `limit` accepted by the paged endpoints.
    public static let maxLimit = 5_000
    /// Default page size.
    public static let defaultLimit = 1_000
    /// Frames a track path may span.
    public static let maxPathLength = 200

    private let icl = ResultCache<String, ICLCurve>(capacity: 32)
    private let images = ResultCache<String, Data?>(capacity: 4)
    /// Committed frames of every run, from one change stream of the store, to every browser.
    let changes: ChangeHub

    public init(store: StoreAccess) {
        self.store = store
        changes = ChangeHub(store: store)
    }

    /// This API reading `run`.
    public func reading(_ run: RunSelection) -> DashboardAPI {
        var a = self
        a.run = run
        return a
    }

    /// The cache key of frame `number` of this run (the latest run resolved to its name first).
    func cacheKey(_ number: Int) async throws -> String {
        var r = run
        if r.name == nil, let latest = try await store.withCatalogue({ try $0.runs().first }) {
            r = RunSelection(name: latest.name, instrument: latest.instrument)
        }
        return "\(r.instrument ?? "")\u{1F}\(r.name ?? "")\u{1F}\(number)"
    }

    static let frameIDs = 0...QueryParameters.maxID
    static let times = 0.0...1e11
    static let temperatures = -300.0...1e5
    static let kindCharacters = Set("abcdefghijklmnopqrstuvwxyz_")
    static let familyCharacters = Set("{}<>()[]0123456789-¯ abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")

    /// Frame-range, time and temperature conditions shared by the list endpoints.
    static let filterKeys: Set<String> = ["from", "to", "time_from", "time_to", "temp_min", "temp_max"]

    static func filter(_ q: QueryParameters) throws(APIError) -> StoreFilter {
        var f = StoreFilter()
        f.frames = try q.range(try q.int("from", in: frameIDs), try q.int("to", in: frameIDs),
                               lowKey: "from", highKey: "to", full: frameIDs)
        f.time = try q.range(try q.double("time_from", in: times), try q.double("time_to", in: times),
                             lowKey: "time_from", highKey: "time_to", full: times)
        f.temperature = try q.range(try q.double("temp_min", in: temperatures), try q.double("temp_max", in: temperatures),
                                    lowKey: "temp_min", highKey: "temp_max", full: temperatures)
        return f
    }

    static func limit(_ q: QueryParameters) throws(APIError) -> Int {
        try q.int("limit", in: 1...maxLimit) ?? defaultLimit
    }

    // MARK: Endpoints

    /// `GET /api/summary` (filters: frame range, time, temperature).
    public func summary(_ q: QueryParameters) async throws -> SummaryResponse {
        let filter = try Self.filter(q)
        return try await store.read(run) { r in
            let s = try r.summary(filter)
            var latest: Int? = nil
            if let last = s.lastFrame {
                // The latest ok frame: look back in growing windows (the last frames are usually ok).
                var width = 64
                while latest == nil {
                    let lo = max(s.firstFrame ?? 0, last - width + 1)
                    var f = filter
                    f.frames = lo...last
                    f.status = .ok
                    latest = try r.frames(f).last?.frame
                    if lo <= (s.firstFrame ?? 0) { break }
                    width *= 16
                }
            }
            return SummaryResponse(summary: s, latestFrame: latest, seriesStart: try r.seriesStart())
        }
    }

    /// `GET /api/frames`: `after` (frame number) and `limit` page through the frames in order.
    public func frames(_ q: QueryParameters) async throws -> FramesPage {
        var filter = try Self.filter(q)
        let limit = try Self.limit(q)
        if let after = try q.int("after", in: -1...QueryParameters.maxID) {
            let lo = max(after + 1, filter.frames?.lowerBound ?? 0)
            let hi = filter.frames?.upperBound ?? QueryParameters.maxID
            if lo > hi { return FramesPage(frames: [], next: nil) }
            filter.frames = lo...hi
        }
        if let s = try q.names("status", allowedCharacters: Self.kindCharacters) {
            guard s.count == 1, let status = FrameStatus(rawValue: s[0]) else {
                throw APIError.badRequest("parameter 'status' must be 'ok' or 'failed'")
            }
            filter.status = status
        }
        filter.limit = limit + 1
        let f = filter
        let frames = try await store.read(run) { try $0.frames(f) }
        let page = Array(frames.prefix(limit))
        return FramesPage(frames: page, next: frames.count > limit ? page.last?.frame : nil)
    }

    /// `GET /api/frames/{n}`.
    public func frame(_ number: Int) async throws -> FrameRecord {
        guard let f = try await store.read(run, { try $0.frame(number) }) else { throw APIError.notFound("no frame \(number)") }
        return f
    }

    /// `GET /api/frames/{n}/columns`.
    public func columns(frame number: Int) async throws -> FrameColumns {
        let result: FrameColumns? = try await store.read(run) { r in
            guard let f = try r.frame(number) else { return nil }
            let columns = try r.columns(frame: number)
            return FrameColumns(frame: number, imageWidth: f.imageWidth, imageHeight: f.imageHeight, pixelSize: f.pixelSize,
                                modelID: f.modelID, columns: columns.enumerated().map { ColumnJSON(index: $0.offset, $0.element) })
        }
        guard let result else { throw APIError.notFound("no frame \(number)") }
        return result
    }

    /// `GET /api/frames/{n}/icl`: the ICL curve of the frame's cross-sections (computed once per frame).
    public func icl(frame number: Int) async throws -> ICLCurve {
        let columns = try await columns(frame: number)
        let xs = columns.columns.map(\.crossSection)
        let store = self.store
        return try await icl.value(for: try await cacheKey(number)) {
            try await store.compute { ICLCurve.compute(frame: number, crossSections: xs) }
        }
    }

    /// `GET /api/frames/{n}/image.png`: the frame rendered to PNG (404 when the file is gone).
    public func image(frame number: Int) async throws -> Data {
        let f = try await frame(number)
        let runs = try await store.read(run) { try $0.sessions() }
        let locator = FrameLocator(databasePath: store.path, runDirectories: runs.compactMap(\.directory))
        let store = self.store
        let png = try await images.value(for: try await cacheKey(number)) {
            try await store.compute { () -> Data? in
                guard let image = locator.read(f.path) else { return nil }
                return try FrameImage(frame: image).png()
            }
        }
        guard let png else { throw APIError.notFound("frame \(number): image file \(f.path) not found or unreadable") }
        return png
    }

    /// `GET /api/frames/{n}/paths`: positions over the last `length` frames of the tracks in frame n.
    public func paths(frame number: Int, _ q: QueryParameters) async throws -> TrackPaths {
        let length = try q.int("length", in: 1...Self.maxPathLength) ?? 20
        _ = try await frame(number)
        return try await store.read(run) { r in
            var byTrack: [Int: TrackPath] = [:]
            let filter = StoreFilter(frames: max(0, number - length + 1)...number)
            try r.forEachColumn(filter) { f, _, c in
                guard let t = c.track else { return }
                byTrack[t, default: TrackPath(track: t, frames: [], x: [], y: [])].frames.append(f.frame)
                byTrack[t]!.x.append(c.x)
                byTrack[t]!.y.append(c.y)
            }
            let current = byTrack.values.filter { $0.frames.last == number }.sorted { $0.track < $1.track }
            return TrackPaths(frame: number, length: length, paths: current)
        }
    }

    /// `GET /api/tracks`: `after` (track id) and `limit` page through tracks in id order; frame
    /// range (tracks overlapping it) and `min_observations`.
    public func tracks(_ q: QueryParameters) async throws -> TracksPage {
        var filter = try Self.filter(q)
        let limit = try Self.limit(q)
        filter.afterTrack = try q.int("after", in: -1...QueryParameters.maxID)
        filter.minObservations = try q.int("min_observations", in: 1...QueryParameters.maxID)
        filter.limit = limit + 1
        let f = filter
        let tracks = try await store.read(run) { try $0.tracks(f) }
        let page = Array(tracks.prefix(limit))
        return TracksPage(tracks: page, next: tracks.count > limit ? page.last?.id : nil)
    }

    /// `GET /api/tracks/{id}`: the track's summary and history (optionally within `from`…`to`).
    public func track(_ id: Int, _ q: QueryParameters) async throws -> TrackHistory {
        let range = try q.range(try q.int("from", in: Self.frameIDs), try q.int("to", in: Self.frameIDs),
                                lowKey: "from", highKey: "to", full: Self.frameIDs)
        let result: TrackHistory? = try await store.read(run) { r in
            guard let summary = try r.tracks(StoreFilter(track: id)).first else { return nil }
            return TrackHistory(track: summary, observations: try r.track(id, frames: range, withTimes: true))
        }
        guard let result else { throw APIError.notFound("no track \(id)") }
        return result
    }

    /// `GET /api/events`: filters `kind` (comma-separated), frame range, time, temperature, `track`.
    public func events(_ q: QueryParameters) async throws -> EventsList {
        var filter = try Self.filter(q)
        let limit = try Self.limit(q)
        filter.kinds = try q.names("kind", allowedCharacters: Self.kindCharacters)
        filter.track = try q.int("track", in: Self.frameIDs)
        filter.limit = limit + 1
        let f = filter
        let events = try await store.read(run) { try $0.events(f) }
        return EventsList(events: Array(events.prefix(limit)), truncated: events.count > limit)
    }

    /// `GET /api/facets`: filters `family` (comma-separated, e.g. `{111}`), frame range, time, temperature.
    public func facets(_ q: QueryParameters) async throws -> FacetsList {
        var filter = try Self.filter(q)
        let limit = try Self.limit(q)
        filter.kinds = try q.names("family", allowedCharacters: Self.familyCharacters)
        filter.limit = limit + 1
        let f = filter
        let facets = try await store.read(run) { try $0.facets(f) }
        return FacetsList(facets: Array(facets.prefix(limit)), truncated: facets.count > limit)
    }

    /// `GET /api/runs`: every run in the store (a SQLite file: its one run), most recently started first.
    public func runs() async throws -> RunsList {
        RunsList(runs: try await store.withCatalogue { try $0.runs() })
    }

    /// `GET /api/models`.
    public func models() async throws -> ModelsList {
        ModelsList(models: try await store.read(run) { try $0.models() })
    }
}

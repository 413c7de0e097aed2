import Foundation
import TrajectoryStore

/// `GET /api/series`: one quantity of every ok frame against frame number, acquisition time or
/// temperature, reduced for drawing.
///
/// Parameters: `y` (``SeriesQuantity``, required), `x` (`frame`, `time` or `temperature`;
/// default `time`), `x_min`/`x_max` (the visible range of x: only points inside it), `buckets`
/// (2…4,000, default 1,000), `since` (a frame number: only the frames after it, not reduced, at
/// most 5,000, for polling), and the frame-range, time and temperature filters of the other lists.
///
/// Reduction (without `since`): with more than 2 × `buckets` points, the x range is cut into
/// `buckets` equal intervals and each keeps its smallest and its largest y (the first of equal
/// values), in frame order: every extreme a plot could show at that width is kept (the "min/max"
/// decimation of oscilloscopes and of dygraphs' range selector).
///
/// Polling: `finalThrough` is the last frame up to which every frame's counts are final (their
/// atoms never change again). A page that keeps its points asks next with `since=finalThrough`
/// and replaces every point after it; frames whose counts smoothing may still revise are thereby
/// read again until they are final.
public struct SeriesResponse: Codable, Sendable, Equatable {
    public var x: String
    public var y: String
    /// Points in the range before reduction.
    public var total: Int
    /// Whether the points were reduced (min and max per bucket).
    public var reduced: Bool
    /// The points, in frame order: frame numbers, x and y (units of the quantities).
    public var frames: [Int]
    public var xs: [Double]
    public var ys: [Double]
    /// Largest frame number read (nil: none).
    public var lastFrame: Int?
    /// Every frame up to this one has final counts (nil: no frame yet, or the first is not final).
    public var finalThrough: Int?
    /// With `since`: more frames follow (ask again with `since` = the last frame here).
    public var more: Bool
}

/// A per-frame quantity of `GET /api/series` (store units: atoms, columns, Å² × image units, °C, px).
public enum SeriesQuantity: String, CaseIterable, Sendable {
    case atoms, columns, counted_columns, mean_cross_section, temperature, drift_x, drift_y, background, shared_width

    func value(_ f: FrameRecord) -> Double? {
        switch self {
        case .atoms: f.atoms.map(Double.init)
        case .columns: Double(f.columnCount)
        case .counted_columns: Double(f.countedColumns)
        case .mean_cross_section: f.meanCrossSection
        case .temperature: f.temperature
        case .drift_x: f.driftX
        case .drift_y: f.driftY
        case .background: f.background
        case .shared_width: f.sharedWidth
        }
    }
}

/// The x axis of `GET /api/series`.
public enum SeriesAxis: String, CaseIterable, Sendable {
    /// Frame number; acquisition time, Unix s; holder temperature, °C.
    case frame, time, temperature

    func value(_ f: FrameRecord) -> Double? {
        switch self {
        case .frame: Double(f.frame)
        case .time: f.acquiredAt
        case .temperature: f.temperature
        }
    }
}

/// Min/max reduction of a series for drawing (pure: see ``SeriesResponse``).
public enum SeriesReduction {
    /// Indices into `xs`/`ys` (same length) of the points kept: all of them when there are at most
    /// 2 × `buckets`; else, for each of `buckets` equal intervals of `range`, the index of the
    /// smallest and of the largest y in it (first of equals), in increasing index order.
    public static func minMax(xs: [Double], ys: [Double], buckets: Int, range: ClosedRange<Double>) -> [Int] {
        precondition(xs.count == ys.count)
        guard xs.count > 2 * buckets, buckets > 0 else { return Array(xs.indices) }
        let width = range.upperBound - range.lowerBound
        var low = [Int](repeating: -1, count: buckets), high = [Int](repeating: -1, count: buckets)
        for i in xs.indices {
            let b = width > 0 ? min(buckets - 1, max(0, Int((xs[i] - range.lowerBound) / width * Double(buckets)))) : 0
            if low[b] < 0 || ys[i] < ys[low[b]] { low[b] = i }
            if high[b] < 0 || ys[i] > ys[high[b]] { high[b] = i }
        }
        var kept = Set<Int>()
        for b in 0..<buckets where low[b] >= 0 { kept.insert(low[b]); kept.insert(high[b]) }
        return kept.sorted()
    }
}

extension DashboardAPI {
    static let seriesKeys: Set<String> = filterKeys.union(["x", "y", "x_min", "x_max", "buckets", "since"])
    static let maxSeriesPoints = 5_000

    /// `GET /api/series` (see ``SeriesResponse``).
    public func series(_ q: QueryParameters) async throws -> SeriesResponse {
        guard let yName = try q.names("y", allowedCharacters: Self.kindCharacters)?.first else {
            throw APIError.badRequest("parameter 'y' is required: one of " + SeriesQuantity.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard let y = SeriesQuantity(rawValue: yName) else {
            throw APIError.badRequest("parameter 'y' must be one of " + SeriesQuantity.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let x: SeriesAxis
        if let name = try q.names("x", allowedCharacters: Self.kindCharacters)?.first {
            guard let a = SeriesAxis(rawValue: name) else {
                throw APIError.badRequest("parameter 'x' must be one of " + SeriesAxis.allCases.map(\.rawValue).joined(separator: ", "))
            }
            x = a
        } else {
            x = .time
        }
        let xMin = try q.double("x_min", in: -1e12...1e12), xMax = try q.double("x_max", in: -1e12...1e12)
        if let xMin, let xMax, xMin > xMax { throw APIError.badRequest("parameter 'x_min' must not exceed 'x_max'") }
        let buckets = try q.int("buckets", in: 2...4_000) ?? 1_000
        let since = try q.int("since", in: -1...QueryParameters.maxID)
        var filter = try Self.filter(q)
        if let since {
            let lo = max(since + 1, filter.frames?.lowerBound ?? 0), hi = filter.frames?.upperBound ?? QueryParameters.maxID
            filter.frames = lo <= hi ? lo...hi : nil
            if lo > hi {
                return SeriesResponse(x: x.rawValue, y: y.rawValue, total: 0, reduced: false, frames: [], xs: [], ys: [],
                                      lastFrame: nil, finalThrough: nil, more: false)
            }
        }
        let base = filter
        let read = try await store.read(run) { r -> (frames: [Int], xs: [Double], ys: [Double], last: Int?, final: Int?, more: Bool) in
            var frames: [Int] = [], xs: [Double] = [], ys: [Double] = []
            var last: Int? = nil, finalThrough: Int? = nil, pendingSeen = false, more = false
            var f = base
            f.limit = 5_000
            var lower = f.frames?.lowerBound ?? 0
            let upper = f.frames?.upperBound ?? QueryParameters.maxID
            pages: while lower <= upper {
                f.frames = lower...upper
                let page = try r.frames(f)
                for record in page {
                    if since != nil, frames.count == Self.maxSeriesPoints { more = true; break pages }
                    last = record.frame
                    if record.countsPending > 0 { pendingSeen = true }
                    if !pendingSeen { finalThrough = record.frame }
                    guard record.status == .ok, let xv = x.value(record), let yv = y.value(record), xv.isFinite, yv.isFinite else { continue }
                    if let xMin, xv < xMin { continue }
                    if let xMax, xv > xMax { continue }
                    frames.append(record.frame); xs.append(xv); ys.append(yv)
                }
                guard page.count == 5_000, let end = page.last?.frame else { break }
                lower = end + 1
            }
            return (frames, xs, ys, last, finalThrough, more)
        }
        var frames = read.frames, xs = read.xs, ys = read.ys
        let total = xs.count
        var reduced = false
        if since == nil, total > 2 * buckets {
            let lo = xMin ?? xs.min()!, hi = xMax ?? xs.max()!
            let kept = SeriesReduction.minMax(xs: xs, ys: ys, buckets: buckets, range: lo...hi)
            frames = kept.map { frames[$0] }; xs = kept.map { xs[$0] }; ys = kept.map { ys[$0] }
            reduced = true
        }
        return SeriesResponse(x: x.rawValue, y: y.rawValue, total: total, reduced: reduced, frames: frames, xs: xs, ys: ys,
                              lastFrame: read.last, finalThrough: read.final, more: read.more)
    }
}

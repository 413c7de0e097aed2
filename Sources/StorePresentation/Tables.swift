import Foundation
import TrajectoryStore

/// Result tables of `stemtrack query` and the rows of `stemtrack export` (the export headers
/// are a contract with downstream tools: fields are only ever appended).
///
/// Units: x, y, widths, standard errors and bounds in px; `*_A` in Å; `time_s` in seconds since
/// the first acquired frame; `acquired` an ISO 8601 UTC instant; temperatures in °C;
/// cross-sections and heights in the fit's image units (× Å² for cross-sections).
public enum StoreTables {
    // MARK: Exports

    /// `export columns`: one row per column per frame. The first seven fields are the contract
    /// (frame = 0-based acquisition order, x/y in pixels).
    public static let columnHeaders = [
        "frame", "file", "track", "x_px", "y_px", "count", "cross_section",
        "idx", "x_A", "y_A", "sigma_x_px", "sigma_y_px", "rho_px", "eta", "sigma_eta", "crlb_x_px", "crlb_y_px",
        "raw_count", "count_final",
    ]

    public static func columnRow(_ f: FrameRecord, _ index: Int, _ c: ColumnRecord) -> [Cell] {
        let p = f.pixelSize
        return [
            .int(f.frame), .text(f.path), .integer(c.track), .fixed(c.x, places: 3), .fixed(c.y, places: 3),
            .integer(c.count), .number(c.crossSection),
            .int(index), .number(p.map { c.x * $0 }, digits: 8), .number(p.map { c.y * $0 }, digits: 8),
            .fixed(c.sigmaX, places: 4), .fixed(c.sigmaY, places: 4), .number(c.width, digits: 8),
            .number(c.height), .number(c.sigmaHeight), .fixed(c.crlbX, places: 4), .fixed(c.crlbY, places: 4),
            .integer(c.rawCount ?? c.count), .int(c.countFinal ? 1 : 0),
        ]
    }

    /// `export events` and `query events`.
    public static let eventHeaders = [
        "frame", "kind", "x_px", "y_px", "track", "other_track", "before", "after", "delta", "confidence", "time_s", "acquired",
    ]

    public static func eventRow(_ e: EventRecord, seriesStart: Double?) -> [Cell] {
        [
            .int(e.frame), .text(e.kind), .fixed(e.x, places: 3), .fixed(e.y, places: 3), .integer(e.track),
            .integer(e.otherTrack), .integer(e.before), .integer(e.after), .integer(e.delta),
            .number(e.confidence, digits: 4), relative(e.acquiredAt, seriesStart), .time(e.acquiredAt),
        ]
    }

    /// `export facets` and `query facets`.
    public static let facetHeaders = ["frame", "idx", "family", "x0", "y0", "x1", "y1", "columns", "length", "angle"]

    public static func facetRow(_ f: FacetRecord) -> [Cell] {
        [
            .int(f.frame), .int(f.index), .string(f.family), .fixed(f.x0, places: 3), .fixed(f.y0, places: 3),
            .fixed(f.x1, places: 3), .fixed(f.y1, places: 3), .integer(f.columns), .number(f.length, digits: 6),
            .number(f.angle, digits: 5),
        ]
    }

    /// `export particles` and `query particles`.
    public static let particleHeaders = ["frame", "idx", "columns", "surface_columns", "atoms", "area", "perimeter",
                                         "cx", "cy", "radius_of_gyration", "aspect_ratio"]

    public static func particleRow(_ p: ParticleRecord) -> [Cell] {
        [
            .int(p.frame), .int(p.index), .int(p.columns), .int(p.surfaceColumns), .integer(p.atoms),
            .number(p.area, digits: 6), .number(p.perimeter, digits: 6), .fixed(p.centreX, places: 3),
            .fixed(p.centreY, places: 3), .number(p.radiusOfGyration, digits: 6),
            .number(p.aspectRatio.isFinite ? p.aspectRatio : nil, digits: 4),
        ]
    }

    // MARK: Queries

    /// `query runs`: one line per run of the store, most recently started first.
    public static func runs(_ runs: [RunSummary]) -> ResultTable {
        ResultTable(headers: ["instrument", "run", "status", "frames", "failed", "last_frame", "started", "stopped",
                              "last_acquired", "directory"], rows: runs.map { r in
            [.text(r.instrument), .text(r.name), .text(r.status), .int(r.frames), .int(r.failedFrames), .integer(r.lastFrame),
             .time(r.startedAt), .time(r.stoppedAt), .time(r.lastAcquiredAt), r.directory.map(Cell.text) ?? .null]
        })
    }

    public static func summary(_ s: StoreSummary) -> ResultTable {
        var headers = [
            "frames", "ok_frames", "failed_frames", "first_frame", "last_frame", "first_acquired", "last_acquired",
            "duration_s", "min_temperature", "max_temperature", "columns", "counted_columns", "atoms",
            "mean_columns_per_frame", "mean_atoms_per_frame", "mean_cross_section",
        ]
        var row: [Cell] = [
            .int(s.frames), .int(s.okFrames), .int(s.failedFrames), .integer(s.firstFrame), .integer(s.lastFrame),
            .time(s.firstAcquiredAt), .time(s.lastAcquiredAt),
            .fixed(s.firstAcquiredAt.flatMap { a in s.lastAcquiredAt.map { $0 - a } }, places: 3),
            .number(s.minTemperature, digits: 6), .number(s.maxTemperature, digits: 6),
            .int(s.columns), .int(s.countedColumns), .int(s.atoms),
            .number(s.meanColumnsPerFrame, digits: 6), .number(s.meanAtomsPerFrame, digits: 6), .number(s.meanCrossSection),
        ]
        headers.append("events"); row.append(.int(s.events.values.reduce(0, +)))
        for kind in s.events.keys.sorted() { headers.append("events_" + kind); row.append(.int(s.events[kind]!)) }
        headers.append("models")
        row.append(.text(s.models.keys.sorted().map { "\($0) (\(s.models[$0]!) frames)" }.joined(separator: "; ")))
        return ResultTable(headers: headers, rows: [row], isRecord: true)
    }

    public static func frames(_ frames: [FrameRecord], seriesStart: Double?) -> ResultTable {
        ResultTable(headers: [
            "frame", "time_s", "acquired", "temperature", "status", "columns", "atoms", "mean_cross_section",
            "drift_x", "drift_y", "model", "t_total_s", "t_store_s", "file", "error", "rotation_deg", "scale",
        ], rows: frames.map { f in
            [
                .int(f.frame), relative(f.acquiredAt, seriesStart), .time(f.acquiredAt), .number(f.temperature, digits: 6),
                .text(f.status.rawValue), .int(f.columnCount), .integer(f.atoms), .number(f.meanCrossSection),
                .fixed(f.driftX, places: 3), .fixed(f.driftY, places: 3), .string(f.modelID),
                .fixed(f.timings.total, places: 4), .fixed(f.timings.store, places: 4), .text(f.path), .string(f.error),
                .fixed(f.rotation, places: 4), .fixed(f.scale, places: 6),
            ]
        })
    }

    public static func tracks(_ tracks: [TrackRecord]) -> ResultTable {
        ResultTable(headers: [
            "track", "first_frame", "last_frame", "observations", "mean_x", "mean_y", "mean_count", "min_count",
            "max_count", "mean_cross_section",
        ], rows: tracks.map { t in
            [
                .int(t.id), .int(t.firstFrame), .int(t.lastFrame), .int(t.observations), .fixed(t.meanX, places: 3),
                .fixed(t.meanY, places: 3), .number(t.meanCount, digits: 4), .integer(t.minCount), .integer(t.maxCount),
                .number(t.meanCrossSection),
            ]
        })
    }

    public static func trackHistory(_ points: [TrackObservation], seriesStart: Double?) -> ResultTable {
        ResultTable(headers: ["frame", "time_s", "idx", "x_px", "y_px", "count", "cross_section"], rows: points.map { p in
            [
                .int(p.frame), relative(p.acquiredAt, seriesStart), .int(p.index), .fixed(p.x, places: 3),
                .fixed(p.y, places: 3), .integer(p.count), .number(p.crossSection),
            ]
        })
    }

    public static func events(_ events: [EventRecord], seriesStart: Double?) -> ResultTable {
        ResultTable(headers: eventHeaders, rows: events.map { eventRow($0, seriesStart: seriesStart) })
    }

    public static func facets(_ facets: [FacetRecord]) -> ResultTable {
        ResultTable(headers: facetHeaders, rows: facets.map(facetRow))
    }

    public static func particles(_ particles: [ParticleRecord]) -> ResultTable {
        ResultTable(headers: particleHeaders, rows: particles.map(particleRow))
    }

    static func relative(_ t: Double?, _ start: Double?) -> Cell {
        guard let t, let start else { return .null }
        return .fixed(t - start, places: 3)
    }
}

import ColumnFit
import Foundation
import StemCore

/// Online linking of fitted columns through a series, one frame at a time as frames arrive.
///
/// For each frame: (1) the translation and rotation relative to the previous frame come from
/// point-set registration of the column positions (``PointSetRegistration``, optionally hinted by
/// image ``PhaseCorrelation``) and are composed with the cumulative transform (`transform`: frame
/// position = transform(corrected position), a ``SimilarityTransform`` about the centroid of the
/// first frame, whose translation is the cumulative drift); (2) drift-corrected positions (the
/// inverse transform of the frame positions: translation, rotation and any scale undone) are
/// linked to the active tracks and to tracks missed in up to `maxGap` frames by a globally optimal
/// assignment on the gated cost graph (``GatedAssignment``: cost d² + gap penalty + optional
/// cross-section term, no-link cost = gate² + the largest penalties, so every gated link is
/// preferred to a death and a birth, and among links the total squared distance is minimal);
/// (3) unlinked columns start tracks (ids in detection order), tracks missed for more than
/// `maxGap` frames end.
///
/// Online events (`FrameLinks.events`): appear (a track starts after the first frame), vanish
/// (dated at the first missing frame, known `maxGap` frames later), count changes by a persistence
/// rule (a new count seen in `persistence` consecutive observations; dated at the first), and the
/// hops, merges and splits among them (``EventPairing``). Events are released with a lag of
/// max(`maxGap`, `persistence` − 1) frames, when everything about their frame is known; call
/// ``finish()`` after the last frame. The offline analysis (``SeriesTracker``) recomputes events
/// from hidden-Markov-smoothed counts instead.
///
/// Peers: with `gateRadius` = search_range, `maxGap` = memory, `gapCostFraction` = 0, no
/// cross-section term and ``DriftInput/known(_:)`` zero drift, the links are those of trackpy's
/// `link(search_range, memory)` (Crocker & Grier, J. Colloid Interface Sci. 179 (1996) 298:
/// minimal Σ d² + search_range² per unlinked particle; tested on trackpy's own reference). For
/// TrackMate's two-step LAP tracker with gap closing, splitting and merging see ``LAPLinker``.
///
/// All state is plain values (`Codable`), bounded by the active tracks and the lag window, so a
/// tracker can be saved and rebuilt after a restart. Ties are broken by index order throughout:
/// the same input gives the same tracks.
public struct Tracker: Sendable, Codable, Equatable {
    /// A track the tracker can still continue.
    public struct TrackState: Sendable, Codable, Equatable {
        public var id: Int
        /// Last drift-corrected position, px, and last position in its frame, px.
        public var position: Point
        public var rawPosition: Point
        public var crossSection: Double?
        public var count: Int?
        public var firstFrame: Int
        public var lastFrame: Int
        /// Observations so far.
        public var observations: Int
        /// Online count-change state: the count last reported, and a candidate new count with the
        /// frame it was first seen and how many consecutive observations showed it.
        public var confirmedCount: Int?
        public var candidateCount: Int?
        public var candidateFrame: Int
        public var candidateRun: Int
        public var candidatePosition: Point
    }

    public var settings: TrackerSettings
    public private(set) var tracks: [TrackState] = []
    public private(set) var nextTrackID = 0
    public private(set) var firstFrame: Int?
    public private(set) var lastFrame: Int?
    /// Cumulative transform of the last frame: position in the frame = transform(drift-corrected
    /// position). About the centroid of the first frame's columns.
    public private(set) var transform: SimilarityTransform = .identity
    /// Cumulative drift of the last frame, px: the translation of `transform` (the displacement of
    /// the first frame's centroid).
    public var drift: Point { transform.translation }
    /// Cumulative rotation of the last frame relative to the first, degrees.
    public var rotation: Double { transform.rotation }
    /// Rotation of the last frame relative to the one before, degrees: the rotation hint of the
    /// next registration (a steady turn is expected to go on).
    public private(set) var lastRotationStep: Double = 0
    /// Spacing in use, px.
    public private(set) var spacing: Double?
    /// Raw positions of the last frame (the reference of the next registration).
    public private(set) var previousPositions: [Point] = []
    /// Primitive events waiting for their frame to become final.
    public private(set) var pendingEvents: [TrackEvent] = []
    /// Times of recent frames (frame, s), for dating vanish events.
    public private(set) var recentTimes: [FrameTime] = []
    /// Observations of tracks that ended but whose events are still pending (id, observations).
    private var endedObservations: [Int: Int] = [:]

    public struct FrameTime: Sendable, Codable, Equatable { public var frame: Int; public var time: Double? }

    public init(settings: TrackerSettings = TrackerSettings()) throws(TrackingError) {
        try settings.validate()
        self.settings = settings
    }

    enum CodingKeys: String, CodingKey {
        case settings, tracks, nextTrackID, firstFrame, lastFrame, drift, transform, lastRotationStep, spacing, previousPositions,
             pendingEvents, recentTimes, endedObservations
    }

    /// Decodes a saved state; states saved before rotation was estimated (a `drift` and no
    /// `transform`) continue as the pure translation by that drift.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        settings = try c.decode(TrackerSettings.self, forKey: .settings)
        tracks = try c.decode(BinaryPacked<[TrackState]>.self, forKey: .tracks).wrappedValue
        nextTrackID = try c.decode(Int.self, forKey: .nextTrackID)
        firstFrame = try c.decodeIfPresent(Int.self, forKey: .firstFrame)
        lastFrame = try c.decodeIfPresent(Int.self, forKey: .lastFrame)
        spacing = try c.decodeIfPresent(Double.self, forKey: .spacing)
        previousPositions = try c.decode(BinaryPacked<[Point]>.self, forKey: .previousPositions).wrappedValue
        if let t = try c.decodeIfPresent(SimilarityTransform.self, forKey: .transform) {
            transform = t
        } else {
            // A pure translation is the same about any centre: take the last frame's centroid,
            // drift-corrected, so that later rotations turn about the particle.
            let drift = try c.decodeIfPresent(Point.self, forKey: .drift) ?? .zero
            var centre = Point.zero
            for p in previousPositions { centre = centre + p }
            if !previousPositions.isEmpty { centre = (1 / Double(previousPositions.count)) * centre - drift }
            transform = SimilarityTransform(centre: centre, translation: drift)
        }
        lastRotationStep = try c.decodeIfPresent(Double.self, forKey: .lastRotationStep) ?? 0
        pendingEvents = try c.decode([TrackEvent].self, forKey: .pendingEvents)
        recentTimes = try c.decode([FrameTime].self, forKey: .recentTimes)
        endedObservations = try c.decode([Int: Int].self, forKey: .endedObservations)
    }

    /// Encodes the state (with `drift` as well as `transform`, so that readers that know only the
    /// drift still decode it). The tracks and previous positions are written packed
    /// (``BinaryPacked``); their earlier keyed form is still decoded.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(settings, forKey: .settings)
        try c.encode(BinaryPacked(wrappedValue: tracks), forKey: .tracks)
        try c.encode(nextTrackID, forKey: .nextTrackID)
        try c.encodeIfPresent(firstFrame, forKey: .firstFrame)
        try c.encodeIfPresent(lastFrame, forKey: .lastFrame)
        try c.encode(drift, forKey: .drift)
        try c.encode(transform, forKey: .transform)
        try c.encode(lastRotationStep, forKey: .lastRotationStep)
        try c.encodeIfPresent(spacing, forKey: .spacing)
        try c.encode(BinaryPacked(wrappedValue: previousPositions), forKey: .previousPositions)
        try c.encode(pendingEvents, forKey: .pendingEvents)
        try c.encode(recentTimes, forKey: .recentTimes)
        try c.encode(endedObservations, forKey: .endedObservations)
    }

    /// Lag of the online events, frames.
    public var eventLag: Int { max(settings.maxGap, settings.persistence - 1) }

    /// Gate radius in use, px: `gateRadius`, else `gateFraction` × spacing.
    public var gate: Double { settings.gateRadius ?? settings.gateFraction * (spacing ?? 10) }

    /// Links one frame. `frame` must increase from call to call (gaps in the numbering are
    /// allowed and count as missed frames).
    public mutating func link(frame t: Int, time: Double? = nil, detections: [Detection],
                              drift driftInput: DriftInput = .estimate) throws(TrackingError) -> FrameLinks {
        if let last = lastFrame, t <= last { throw .frameOutOfOrder(frame: t, previous: last) }
        guard detections.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else {
            throw .invalidValue("frame \(t): column positions must be finite numbers")
        }
        let raw = detections.map { Point(x: $0.x, y: $0.y) }
        if spacing == nil { spacing = settings.spacing ?? medianNearestNeighbourDistance(raw) }

        // 1. Registration.
        var step = SimilarityTransform.identity
        var registration: PointSetRegistration.Result? = nil
        if lastFrame != nil {
            switch driftInput {
            case .known(let s): step = .translation(s)
            case .estimate, .hint:
                var hint: Point? = nil
                if case .hint(let h) = driftInput { hint = h }
                var reg = settings.registration
                if reg.matchRadius == nil, let s = spacing { reg.matchRadius = 0.3 * s }
                let r = reg.register(reference: previousPositions, moving: raw, hint: hint, rotationHint: lastRotationStep)
                registration = r
                step = r.transform
            }
        } else if transform == .identity, !raw.isEmpty {
            // The cumulative transform turns about the first frame's centroid.
            var c = Point.zero
            for p in raw { c = c + p }
            transform.centre = (1 / Double(raw.count)) * c
        }
        let shift = step.translation
        lastRotationStep = step.rotation
        transform = step.after(transform)
        let corrected = raw.map { transform.inverse($0) }
        if firstFrame == nil { firstFrame = t }
        recentTimes.append(FrameTime(frame: t, time: time))

        // 2. Gated assignment.
        let g = gate, g2 = g * g
        let grid = SpatialGrid(corrected, cellSize: max(g, 1))
        var edges: [GatedAssignment.Edge] = []
        var noLink: [Double] = []
        let maxPenalty = settings.gapCostFraction * Double(settings.maxGap) * g2
        for (row, tr) in tracks.enumerated() {
            let missed = t - tr.lastFrame - 1
            noLink.append(g2 + maxPenalty + settings.crossSectionWeight * g2)
            grid.forEach(within: g, of: tr.position) { j in
                var cost = corrected[j].distanceSquared(tr.position) + settings.gapCostFraction * Double(missed) * g2
                if settings.crossSectionWeight > 0, let a = tr.crossSection, let b = detections[j].crossSection {
                    let mean = 0.5 * (abs(a) + abs(b))
                    if mean > 0 { cost += settings.crossSectionWeight * g2 * ((b - a) / mean) * ((b - a) / mean) }
                }
                edges.append(.init(row: row, column: j, cost: cost))
            }
        }
        let (columnForRow, largest) = GatedAssignment.solve(rows: tracks.count, columns: detections.count,
                                                            edges: edges, noLinkCost: noLink)

        var trackIDs = [Int](repeating: -1, count: detections.count)
        var gaps = [Int?](repeating: nil, count: detections.count)
        var distances = [Double?](repeating: nil, count: detections.count)
        var primitive: [TrackEvent] = []
        for (row, column) in columnForRow.enumerated() {
            guard let j = column else { continue }
            var tr = tracks[row]
            trackIDs[j] = tr.id
            gaps[j] = t - tr.lastFrame - 1
            distances[j] = corrected[j].distanceSquared(tr.position).squareRoot()
            tr.position = corrected[j]
            tr.rawPosition = raw[j]
            tr.crossSection = detections[j].crossSection ?? tr.crossSection
            tr.lastFrame = t
            tr.observations += 1
            if let c = detections[j].count {
                tr.count = c
                if let confirmed = tr.confirmedCount {
                    if c == confirmed {
                        tr.candidateCount = nil; tr.candidateRun = 0
                    } else {
                        if c == tr.candidateCount { tr.candidateRun += 1 } else {
                            tr.candidateCount = c; tr.candidateRun = 1; tr.candidateFrame = t; tr.candidatePosition = raw[j]
                        }
                        if tr.candidateRun >= settings.persistence {
                            primitive.append(TrackEvent(kind: .countChange(c - confirmed), frame: tr.candidateFrame,
                                                        time: timeOf(tr.candidateFrame), x: tr.candidatePosition.x,
                                                        y: tr.candidatePosition.y, tracks: [tr.id], before: confirmed, after: c,
                                                        confidence: 1 - pow(0.5, Double(tr.candidateRun))))
                            tr.confirmedCount = c; tr.candidateCount = nil; tr.candidateRun = 0
                        }
                    }
                } else {
                    tr.confirmedCount = c
                }
            }
            tracks[row] = tr
        }
        // 3. Births.
        var started: [Int] = []
        for j in detections.indices where trackIDs[j] < 0 {
            let id = nextTrackID
            nextTrackID += 1
            trackIDs[j] = id
            started.append(id)
            tracks.append(TrackState(id: id, position: corrected[j], rawPosition: raw[j], crossSection: detections[j].crossSection,
                                     count: detections[j].count, firstFrame: t, lastFrame: t, observations: 1,
                                     confirmedCount: detections[j].count, candidateCount: nil, candidateFrame: t,
                                     candidateRun: 0, candidatePosition: raw[j]))
            if lastFrame != nil {
                primitive.append(TrackEvent(kind: .appear, frame: t, time: time, x: raw[j].x, y: raw[j].y, tracks: [id],
                                            before: 0, after: detections[j].count, confidence: 0.5))
            }
        }
        // 4. Deaths: tracks that cannot be continued at frame t + 1.
        var ended: [TrackEnd] = []
        tracks = tracks.filter { tr in
            guard t - tr.lastFrame >= settings.maxGap + 1 else { return true }
            ended.append(TrackEnd(track: tr.id, lastFrame: tr.lastFrame))
            endedObservations[tr.id] = tr.observations
            let vanishFrame = tr.lastFrame + 1
            // Position: where it was last seen, in its last frame.
            primitive.append(TrackEvent(kind: .vanish, frame: vanishFrame, time: timeOf(vanishFrame),
                                        x: tr.rawPosition.x, y: tr.rawPosition.y, tracks: [tr.id],
                                        before: tr.confirmedCount ?? tr.count, after: 0,
                                        confidence: 1 - pow(0.5, Double(tr.observations))))
            return false
        }
        tracks.sort { $0.id < $1.id }
        pendingEvents += primitive
        let events = release(upTo: t - eventLag)
        previousPositions = raw
        lastFrame = t
        let keepFrom = t - eventLag - settings.maxGap - 2
        recentTimes.removeAll { $0.frame < keepFrom }
        return FrameLinks(frame: t, time: time, shift: shift, drift: drift, rotation: step.rotation, scale: step.scale,
                          transform: transform, registration: registration, trackIDs: trackIDs,
                          corrected: corrected, gaps: gaps, linkDistances: distances, started: started, ended: ended,
                          events: events, largestComponent: largest)
    }

    /// Links one frame of fitted columns (cross-sections from the columns, counts optional, one per
    /// column). See ``link(frame:time:detections:drift:)``.
    public mutating func link(frame t: Int, time: Double? = nil, columns: [Column], pixelSize: Double?, counts: [Int]? = nil,
                              drift: DriftInput = .estimate) throws(TrackingError) -> FrameLinks {
        if let counts, counts.count != columns.count {
            throw .lengthMismatch(what: "counts of frame \(t)", expected: columns.count, got: counts.count)
        }
        return try link(frame: t, time: time, detections: Detection.from(columns, pixelSize: pixelSize, counts: counts), drift: drift)
    }

    /// Releases every pending event (end of the series). Tracks still active do not vanish.
    public mutating func finish() -> [TrackEvent] { release(upTo: Int.max) }

    private func timeOf(_ frame: Int) -> Double? { recentTimes.first { $0.frame == frame }?.time }

    /// Events of frames ≤ `frame`, with appear confidences from the observations seen since, and
    /// the composites among them.
    private mutating func release(upTo frame: Int) -> [TrackEvent] {
        var ready = pendingEvents.filter { $0.frame <= frame }
        guard !ready.isEmpty else { return [] }
        pendingEvents.removeAll { $0.frame <= frame }
        for k in ready.indices where ready[k].kind == .appear {
            let id = ready[k].tracks[0]
            let n = tracks.first { $0.id == id }?.observations ?? endedObservations[id] ?? 1
            ready[k].confidence = 1 - pow(0.5, Double(n))
        }
        let neighbour = settings.neighbourFraction * (spacing ?? 10)
        ready.sort { ($0.frame, $0.tracks.first ?? 0, $0.kind.name) < ($1.frame, $1.tracks.first ?? 0, $1.kind.name) }
        let composites = EventPairing.composites(ready, neighbourDistance: neighbour)
        // Forget ended tracks whose events are all out.
        let pendingTracks = Set(pendingEvents.flatMap(\.tracks))
        endedObservations = endedObservations.filter { pendingTracks.contains($0.key) }
        return ready + composites
    }
}

extension Tracker.TrackState: BinaryPackable {
    public func pack(into w: inout BinaryWriter) {
        w.write(id); position.pack(into: &w); rawPosition.pack(into: &w); crossSection.pack(into: &w); count.pack(into: &w)
        w.write(firstFrame); w.write(lastFrame); w.write(observations); confirmedCount.pack(into: &w)
        candidateCount.pack(into: &w); w.write(candidateFrame); w.write(candidateRun); candidatePosition.pack(into: &w)
    }
    public init(unpacking r: inout BinaryReader) throws(BinaryReader.Malformed) {
        self.init(id: try r.readInt(), position: try Point(unpacking: &r), rawPosition: try Point(unpacking: &r),
                  crossSection: try Double?(unpacking: &r), count: try Int?(unpacking: &r), firstFrame: try r.readInt(),
                  lastFrame: try r.readInt(), observations: try r.readInt(), confirmedCount: try Int?(unpacking: &r),
                  candidateCount: try Int?(unpacking: &r), candidateFrame: try r.readInt(), candidateRun: try r.readInt(),
                  candidatePosition: try Point(unpacking: &r))
    }
}

import StemCore
/// What ``Tracker/link(frame:time:detections:drift:)`` decided for one frame.
public struct FrameLinks: Sendable, Codable, Equatable {
    public var frame: Int
    /// Acquisition time, s.
    public var time: Double?
    /// Translation of this frame relative to the previous linked frame, px (zero for the first).
    public var shift: Point
    /// Cumulative drift relative to the first frame, px: corrected position = position − drift.
    public var drift: Point
    /// The registration that produced `shift` (nil for the first frame or a known shift).
    public var registration: PointSetRegistration.Result?
    /// Track of each detection, in input order.
    public var trackIDs: [Int]
    /// Drift-corrected position of each detection, px.
    public var corrected: [Point]
    /// Frames skipped by each detection's link (0: linked to the previous frame; nil: new track).
    public var gaps: [Int?]
    /// Distance of each link after drift correction, px (nil: new track).
    public var linkDistances: [Double?]
    /// Tracks that start in this frame.
    public var started: [Int]
    /// Tracks that can no longer be continued after this frame (missed for more than `maxGap`
    /// frames), with their last frame.
    public var ended: [TrackEnd]
    /// Online events that became final with this frame (primitive and composite; see ``Tracker``).
    public var events: [TrackEvent]
    /// Largest connected component of the gate graph (tracks + detections).
    public var largestComponent: Int
}

/// A track that ended.
public struct TrackEnd: Sendable, Codable, Equatable {
    public var track: Int
    public var lastFrame: Int
}

import StemCore
/// What ``Tracker/link(frame:time:detections:drift:)`` decided for one frame.
public struct FrameLinks: Sendable, Codable, Equatable {
    public var frame: Int
    /// Acquisition time, s.
    public var time: Double?
    /// Translation of this frame relative to the previous linked frame, px (zero for the first):
    /// the displacement of the previous frame's centroid when there is a rotation.
    public var shift: Point
    /// Cumulative drift relative to the first frame, px: the displacement of the first frame's
    /// centroid (corrected position = position − drift when there is no rotation).
    public var drift: Point
    /// Rotation of this frame relative to the previous linked frame, degrees (positive turns +x
    /// toward +y; 0 for the first frame, a known shift or when rotation is not estimated).
    public var rotation: Double
    /// Scale of this frame relative to the previous linked frame (1 unless scale is estimated).
    public var scale: Double
    /// Cumulative transform: position = transform(corrected position); its rotation (degrees) and
    /// scale are those of this frame relative to the first, its translation is `drift`.
    public var transform: SimilarityTransform
    /// The registration that produced `shift` and `rotation` (nil for the first frame or a known
    /// shift).
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

import ColumnFit
import StemCore

/// One column to be linked: its fitted position in the frame (with drift), px, and optionally its
/// cross-section and atom count.
public struct Detection: Sendable, Codable, Equatable {
    public var x: Double
    public var y: Double
    /// Scattering cross-section (any unit, the same for the whole series); nil when not known.
    public var crossSection: Double?
    /// Atoms, from a counting model; nil when not counted.
    public var count: Int?

    public init(x: Double, y: Double, crossSection: Double? = nil, count: Int? = nil) {
        self.x = x; self.y = y; self.crossSection = crossSection; self.count = count
    }

    /// Detections from fitted columns, with cross-sections in image units × Å² (× px² without a
    /// pixel size) and optional counts (one per column).
    public static func from(_ columns: [Column], pixelSize: Double?, counts: [Int]? = nil) -> [Detection] {
        columns.enumerated().map { i, c in
            Detection(x: c.x, y: c.y, crossSection: c.crossSection(pixelSize: pixelSize), count: counts.map { $0[i] })
        }
    }
}

/// How the tracker learns the translation of a frame relative to the previous one.
public enum DriftInput: Sendable, Equatable {
    /// Point-set registration of the columns with a global search (``PointSetRegistration``).
    case estimate
    /// Point-set registration, with this translation (px; e.g. from ``PhaseCorrelation`` of the
    /// images) as an extra candidate that also wins ties.
    case hint(Point)
    /// Use this translation as it is, px (and no rotation or scale change for this frame).
    case known(Point)
}

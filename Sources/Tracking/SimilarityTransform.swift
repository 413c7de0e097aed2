import Foundation
import StemCore

/// A rotation, isotropic scale change and translation of the image plane about a centre, px:
///
///     q = centre + translation + scale · R(rotation) · (p − centre),  R(θ) = [cos θ  −sin θ; sin θ  cos θ]
///
/// in the project's pixel convention (x = column index, y = row index), so a positive rotation
/// turns the +x axis toward +y: clockwise on a display whose y axis points down. `translation`
/// is the displacement of `centre`; the same map about another centre has another translation
/// (``about(_:)``). With rotation 0 and scale 1 it is the pure translation q = p + translation,
/// evaluated exactly so.
public struct SimilarityTransform: Sendable, Codable, Equatable {
    /// Point the rotation and scale act about, px.
    public var centre: Point
    /// Displacement of `centre`, px.
    public var translation: Point
    /// Rotation angle, degrees.
    public var rotation: Double
    /// Isotropic scale factor (1: none).
    public var scale: Double

    public init(centre: Point = .zero, translation: Point = .zero, rotation: Double = 0, scale: Double = 1) {
        self.centre = centre; self.translation = translation; self.rotation = rotation; self.scale = scale
    }

    /// The identity about the origin.
    public static let identity = SimilarityTransform()

    /// A pure translation, px.
    public static func translation(_ t: Point) -> SimilarityTransform { SimilarityTransform(translation: t) }

    /// Whether rotation is 0 and scale 1 (a pure translation).
    public var isTranslation: Bool { rotation == 0 && scale == 1 }

    /// scale · R(rotation) applied to a vector.
    func linear(_ v: Point) -> Point {
        let a = rotation * .pi / 180
        let c = scale * cos(a), s = scale * sin(a)
        return Point(x: c * v.x - s * v.y, y: s * v.x + c * v.y)
    }

    /// The image of `p`, px.
    public func apply(_ p: Point) -> Point {
        if isTranslation { return p + translation }
        return centre + translation + linear(p - centre)
    }

    /// The point whose image is `q`, px.
    public func inverse(_ q: Point) -> Point {
        if isTranslation { return q - translation }
        let a = -rotation * .pi / 180
        let c = cos(a) / scale, s = sin(a) / scale
        let v = q - centre - translation
        return centre + Point(x: c * v.x - s * v.y, y: s * v.x + c * v.y)
    }

    /// The same map expressed about `c`.
    public func about(_ c: Point) -> SimilarityTransform {
        if isTranslation { return SimilarityTransform(centre: c, translation: translation, rotation: 0, scale: 1) }
        return SimilarityTransform(centre: c, translation: apply(c) - c, rotation: rotation, scale: scale)
    }

    /// `self` after `first` (p ↦ self(first(p))), about `first`'s centre.
    public func after(_ first: SimilarityTransform) -> SimilarityTransform {
        if isTranslation && first.isTranslation {
            return SimilarityTransform(centre: first.centre, translation: first.translation + translation)
        }
        let c = first.centre
        return SimilarityTransform(centre: c, translation: apply(first.apply(c)) - c,
                                   rotation: rotation + first.rotation, scale: scale * first.scale)
    }

    /// Least-squares similarity (or rigid, or translation) mapping `p` onto `q` (Kabsch, Acta
    /// Cryst. A 32 (1976) 922; with scale Umeyama, IEEE Trans. PAMI 13 (1991) 376), about `centre`:
    /// minimises Σ |q − T(p)|². nil for fewer than two pairs (or one, for a translation) or
    /// coincident `p`.
    static func fit(_ p: [Point], _ q: [Point], centre: Point, rotation: Bool, scale: Bool) -> SimilarityTransform? {
        precondition(p.count == q.count, "one target per source point")
        let n = Double(p.count)
        guard p.count >= ((rotation || scale) ? 2 : 1) else { return nil }
        var pm = Point.zero, qm = Point.zero
        for k in p.indices { pm = pm + p[k]; qm = qm + q[k] }
        pm = (1 / n) * pm; qm = (1 / n) * qm
        guard rotation || scale else { return SimilarityTransform(centre: centre, translation: qm - pm) }
        var a = 0.0, b = 0.0, v = 0.0
        for k in p.indices {
            let u = p[k] - pm, w = q[k] - qm
            a += u.x * w.x + u.y * w.y
            b += u.x * w.y - u.y * w.x
            v += u.x * u.x + u.y * u.y
        }
        guard v > 0 else { return nil }
        let angle = rotation ? atan2(b, a) : 0
        let s = scale ? (a * cos(angle) + b * sin(angle)) / v : 1
        guard s > 0 && s.isFinite else { return nil }
        let t = SimilarityTransform(centre: pm, translation: qm - pm, rotation: angle * 180 / .pi, scale: s)
        return t.about(centre)
    }
}

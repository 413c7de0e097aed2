import Foundation
import StemCore
import Simulation
@testable import Tracking
import XCTest

/// Linking through a rotating particle: synthetic column positions of a particle that drifts and
/// turns about its own centre, against the known ids, rotation and drift.
final class RotationTrackingTests: XCTestCase {
    /// A synthetic series and its truth.
    struct Series {
        /// Detections per frame, in shuffled order.
        var frames: [[Point]]
        /// True id of each detection (−1: a spurious point, which has no true links).
        var ids: [[Int]]
        /// True rotation of each frame relative to the first, degrees.
        var rotation: [Double]
        /// Noise-free position of every lattice site in each frame.
        var truth: [[Point]]
        var spacing: Double
    }

    /// A square lattice of spacing 10 px cut to a disc of radius 12.6 spacings (497 sites) about
    /// (256, 256). Frame t: the lattice turned by `degreesPerFrame` · t about the particle's
    /// centre, which drifts by a Gaussian random walk (σ = 1 px per coordinate and frame) with a
    /// jump of (7, −5) px at frame 8. Localisation noise: isotropic Gaussian with an RMS error of
    /// 0.05 spacing (σ = 0.035 spacing per coordinate). Each site is missed with probability 0.005
    /// per frame (vanishing columns, ≈ 2.5 per frame) and 3 spurious points per frame appear at
    /// random in the disc.
    static func series(frames n: Int, degreesPerFrame: Double, scalePerFrame: Double = 1, seed: UInt64) -> Series {
        let a = 10.0
        let c0 = Point(x: 256, y: 256)
        var sites: [Point] = []
        for i in -15...15 {
            for j in -15...15 {
                let p = Point(x: Double(i) * a, y: Double(j) * a)
                if p.length < 12.62 * a { sites.append(c0 + p) }
            }
        }
        var rng = RandomSource(seed: seed)
        let sigma = 0.05 * a / 2.0.squareRoot()
        var centre = c0
        var out = Series(frames: [], ids: [], rotation: [], truth: [], spacing: a)
        for t in 0..<n {
            if t > 0 { centre = centre + Point(x: rng.gaussian(), y: rng.gaussian()) }
            if t == 8 { centre = centre + Point(x: 7, y: -5) }
            let theta = degreesPerFrame * Double(t)
            let move = SimilarityTransform(centre: c0, translation: centre - c0, rotation: theta, scale: pow(scalePerFrame, Double(t)))
            let truth = sites.map { move.apply($0) }
            var points: [(Point, Int)] = []
            for (k, p) in truth.enumerated() where rng.uniform() >= 0.005 {
                points.append((p + Point(x: sigma * rng.gaussian(), y: sigma * rng.gaussian()), k))
            }
            for _ in 0..<3 {
                let r = 12.6 * a * rng.uniform().squareRoot(), phi = 2 * Double.pi * rng.uniform()
                points.append((centre + Point(x: r * cos(phi), y: r * sin(phi)), -1))
            }
            // Shuffle (Fisher–Yates) so that the input order says nothing.
            for i in stride(from: points.count - 1, to: 0, by: -1) { points.swapAt(i, rng.pick(i + 1)) }
            out.frames.append(points.map(\.0)); out.ids.append(points.map(\.1))
            out.rotation.append(theta); out.truth.append(truth)
        }
        return out
    }

    /// What linking a series gave.
    struct Outcome {
        /// Link accuracy: of the true links (a site detected in frames t − 1 and t), the fraction
        /// whose two detections carry the same track id.
        var accuracy: Double
        var trueLinks: Int
        /// Detections of frame t continuing the track of a different site (or of a spurious
        /// point) in frame t − 1.
        var wrongLinks: Int
        /// Largest |measured − true| frame-to-frame rotation, degrees, and cumulative rotation.
        var rotationError: Double
        var cumulativeRotationError: Double
        /// Largest distance over frames and sites between the cumulative transform's image of a
        /// site's first-frame position and its true (noise-free) position, in spacings.
        var transformError: Double
        var links: [FrameLinks]
    }

    static func track(_ s: Series, settings: TrackerSettings = TrackerSettings()) throws -> Outcome {
        var tracker = try Tracker(settings: settings)
        var links: [FrameLinks] = []
        for t in s.frames.indices { links.append(try tracker.link(frame: t, detections: s.frames[t].map { Detection(x: $0.x, y: $0.y) })) }
        var trueLinks = 0, recovered = 0, wrong = 0
        var rotationError = 0.0, cumulativeError = 0.0, transformError = 0.0
        for t in 1..<s.frames.count {
            var previousTrack: [Int: Int] = [:], idOfTrack: [Int: Int] = [:]
            for (j, id) in s.ids[t - 1].enumerated() {
                idOfTrack[links[t - 1].trackIDs[j]] = id
                if id >= 0 { previousTrack[id] = links[t - 1].trackIDs[j] }
            }
            for (j, id) in s.ids[t].enumerated() {
                let track = links[t].trackIDs[j]
                if id >= 0, let p = previousTrack[id] {
                    trueLinks += 1
                    if p == track { recovered += 1 }
                }
                if let other = idOfTrack[track], other != id || id < 0 { wrong += 1 }
            }
            rotationError = max(rotationError, abs(links[t].rotation - (s.rotation[t] - s.rotation[t - 1])))
            cumulativeError = max(cumulativeError, abs(links[t].transform.rotation - s.rotation[t]))
            for k in s.truth[t].indices {
                transformError = max(transformError, links[t].transform.apply(s.truth[0][k]).distanceSquared(s.truth[t][k]).squareRoot() / s.spacing)
            }
        }
        return Outcome(accuracy: Double(recovered) / Double(max(1, trueLinks)), trueLinks: trueLinks, wrongLinks: wrong,
                       rotationError: rotationError, cumulativeRotationError: cumulativeError, transformError: transformError, links: links)
    }

    /// The case: 0.5° per frame for 20 frames (10° in all). Link accuracy ≥ 0.995 and the
    /// frame-to-frame rotation within 0.05° of the truth in every frame, the cumulative rotation
    /// within 0.1° (its error does not grow as a random walk: each frame's own orientation noise
    /// enters two consecutive steps with opposite signs), and the cumulative transform maps the
    /// first frame onto every later one within 0.05 spacing.
    func testHalfDegreePerFrame() throws {
        let s = Self.series(frames: 21, degreesPerFrame: 0.5, seed: 3)
        let o = try Self.track(s)
        var off = TrackerSettings()
        off.registration.estimateRotation = false
        let without = try Self.track(s, settings: off)
        print(String(format: "rotation 0.5°/frame, 20 frames (10°), %d sites, RMS noise 0.05 spacing: link accuracy %.4f of %d true links, %d wrong; "
                     + "worst frame-to-frame rotation error %.4f°, cumulative %.4f°, worst transform error %.4f spacing; "
                     + "without rotation estimation: accuracy %.4f, %d wrong, transform error %.3f spacing",
                     s.truth[0].count, o.accuracy, o.trueLinks, o.wrongLinks, o.rotationError, o.cumulativeRotationError, o.transformError,
                     without.accuracy, without.wrongLinks, without.transformError))
        print("measured frame-to-frame rotations, °: " + o.links.dropFirst().map { String(format: "%.3f", $0.rotation) }.joined(separator: " "))
        XCTAssertGreaterThanOrEqual(o.accuracy, 0.995)
        XCTAssertLessThanOrEqual(o.rotationError, 0.05)
        XCTAssertLessThanOrEqual(o.cumulativeRotationError, 0.1)
        XCTAssertLessThanOrEqual(o.transformError, 0.05)
        for l in o.links { XCTAssertEqual(l.scale, 1) }
    }

    /// A fast turn, 2° per frame (the rim of the particle moves 0.44 spacing per frame, close to
    /// the gate of 0.5 spacing): linking through the estimated rotation keeps accuracy ≥ 0.995.
    func testTwoDegreesPerFrame() throws {
        let s = Self.series(frames: 11, degreesPerFrame: 2, seed: 11)
        let o = try Self.track(s)
        var off = TrackerSettings()
        off.registration.estimateRotation = false
        let without = try Self.track(s, settings: off)
        print(String(format: "rotation 2°/frame, 10 frames (20°): link accuracy %.4f (%d wrong), worst rotation error %.4f°, transform error %.4f spacing; "
                     + "without rotation estimation: accuracy %.4f (%d wrong)",
                     o.accuracy, o.wrongLinks, o.rotationError, o.transformError, without.accuracy, without.wrongLinks))
        XCTAssertGreaterThanOrEqual(o.accuracy, 0.995)
        XCTAssertLessThanOrEqual(o.rotationError, 0.05)
        XCTAssertLessThan(without.accuracy, o.accuracy)
    }

    /// Rotation with a slow magnification change (0.1 % per frame, 1 % in all) and scale
    /// estimation on. The scale is as precise as the rotation in radians (2.5·10⁻⁴ per frame at
    /// 1 σ here): per frame and cumulative within 7.5·10⁻⁴ (3 σ) of the truth, rotation within
    /// 0.05°, accuracy ≥ 0.995.
    func testScaleChange() throws {
        let s = Self.series(frames: 11, degreesPerFrame: 0.5, scalePerFrame: 1.001, seed: 5)
        var settings = TrackerSettings()
        settings.registration.estimateScale = true
        let o = try Self.track(s, settings: settings)
        let scaleError = o.links.dropFirst().map { abs($0.scale - 1.001) }.max()!
        let cumulativeError = o.links.map { abs($0.transform.scale - pow(1.001, Double($0.frame))) }.max()!
        print(String(format: "rotation 0.5°/frame with scale 1.001/frame: accuracy %.4f, worst rotation error %.4f°, worst scale error %.2e per frame, "
                     + "%.2e cumulative, transform error %.4f spacing",
                     o.accuracy, o.rotationError, scaleError, cumulativeError, o.transformError))
        XCTAssertGreaterThanOrEqual(o.accuracy, 0.995)
        XCTAssertLessThanOrEqual(o.rotationError, 0.05)
        XCTAssertLessThanOrEqual(scaleError, 7.5e-4)
        XCTAssertLessThanOrEqual(cumulativeError, 7.5e-4)
        XCTAssertLessThanOrEqual(o.transformError, 0.05)
    }

    /// Without rotation the estimate stays near 0 and nothing else changes: the frame-to-frame
    /// rotation of a purely translating series within 0.05°.
    func testPureTranslationGivesNoRotation() throws {
        let s = Self.series(frames: 11, degreesPerFrame: 0, seed: 8)
        let o = try Self.track(s)
        print(String(format: "pure translation: accuracy %.4f, worst |rotation| %.4f°, cumulative %.4f°", o.accuracy, o.rotationError,
                     o.cumulativeRotationError))
        XCTAssertGreaterThanOrEqual(o.accuracy, 0.995)
        XCTAssertLessThanOrEqual(o.rotationError, 0.05)
    }

    /// A state saved before rotation existed (a `drift`, no `transform`; registration settings
    /// without the rotation keys) still decodes, as the pure translation by its drift, and links
    /// the next frame as the tracker it was saved from.
    func testOldStateDecodes() throws {
        let s = Self.series(frames: 4, degreesPerFrame: 0, seed: 2)
        var tracker = try Tracker()
        for t in 0..<3 { _ = try tracker.link(frame: t, detections: s.frames[t].map { Detection(x: $0.x, y: $0.y) }) }
        var json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(tracker)) as! [String: Any]
        json["transform"] = nil
        json["lastRotationStep"] = nil
        var settings = json["settings"] as! [String: Any]
        var registration = settings["registration"] as! [String: Any]
        for key in ["estimateRotation", "estimateScale", "rotationIterations"] { registration[key] = nil }
        settings["registration"] = registration
        json["settings"] = settings
        var old = try JSONDecoder().decode(Tracker.self, from: try JSONSerialization.data(withJSONObject: json))
        XCTAssertEqual(old.drift, tracker.drift)
        XCTAssertEqual(old.rotation, 0)
        XCTAssertTrue(old.settings.registration.estimateRotation)
        let a = try tracker.link(frame: 3, detections: s.frames[3].map { Detection(x: $0.x, y: $0.y) })
        let b = try old.link(frame: 3, detections: s.frames[3].map { Detection(x: $0.x, y: $0.y) })
        XCTAssertEqual(a.trackIDs, b.trackIDs)
        XCTAssertEqual(a.rotation, b.rotation, accuracy: 1e-12)
        // Round trip of a new state.
        XCTAssertEqual(try JSONDecoder().decode(Tracker.self, from: try JSONEncoder().encode(tracker)), tracker)
    }

    /// SimilarityTransform: inverse, composition and change of centre agree with direct evaluation.
    func testSimilarityTransformAlgebra() {
        let a = SimilarityTransform(centre: Point(x: 10, y: -4), translation: Point(x: 3, y: 1.5), rotation: 7.5, scale: 1.02)
        let b = SimilarityTransform(centre: Point(x: -30, y: 12), translation: Point(x: -2, y: 0.25), rotation: -3, scale: 0.99)
        for p in [Point(x: 0, y: 0), Point(x: 100, y: -50), Point(x: -7, y: 33)] {
            XCTAssertEqual(a.inverse(a.apply(p)).x, p.x, accuracy: 1e-9)
            XCTAssertEqual(a.inverse(a.apply(p)).y, p.y, accuracy: 1e-9)
            let ab = b.after(a)
            XCTAssertEqual(ab.apply(p).x, b.apply(a.apply(p)).x, accuracy: 1e-9)
            XCTAssertEqual(ab.apply(p).y, b.apply(a.apply(p)).y, accuracy: 1e-9)
            XCTAssertEqual(a.about(Point(x: 55, y: 5)).apply(p).x, a.apply(p).x, accuracy: 1e-9)
            XCTAssertEqual(a.about(Point(x: 55, y: 5)).apply(p).y, a.apply(p).y, accuracy: 1e-9)
        }
        // Positive rotation turns +x toward +y.
        let quarter = SimilarityTransform(rotation: 90).apply(Point(x: 1, y: 0))
        XCTAssertEqual(quarter.x, 0, accuracy: 1e-12)
        XCTAssertEqual(quarter.y, 1, accuracy: 1e-12)
    }
}

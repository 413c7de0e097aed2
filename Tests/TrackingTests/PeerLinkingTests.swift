import Foundation
import TestSupport
@testable import Tracking
import XCTest

/// Linking against the peers' own results (fixtures/linking/README.md): trackpy's `link` with the
/// online ``Tracker`` (partitions of the features into trajectories identical) and TrackMate's LAP
/// tracker with ``LAPLinker`` (edge sets identical). Exact equality: no tolerance.
final class PeerLinkingTests: XCTestCase {
    /// Rows of a CSV with a header (empty fields kept: the peers' files start with an unnamed
    /// index column).
    static func table(_ path: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: fixture(path), encoding: .utf8).split(whereSeparator: \.isNewline)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return lines.dropFirst().map { line in
            Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
        }
    }

    // MARK: trackpy

    /// Features of trackpy's reproducibility data: positions, frame and the two reference ids.
    struct TrackpyFeature { var point: Point; var frame: Int; var particle: Int; var particleMemory: Int }

    static func trackpyFeatures() throws -> [TrackpyFeature] {
        try table("linking/trackpy/link_features.csv").map { r in
            TrackpyFeature(point: Point(x: Double(r["x"]!)!, y: Double(r["y"]!)!), frame: Int(r["frame"]!)!,
                           particle: Int(r["particle_search_range_5"]!)!,
                           particleMemory: Int(r["particle_search_range_5_memory_2"]!)!)
        }
    }

    /// A labelling as a partition: the sets of feature indices sharing a label, order-free.
    static func partition(_ labels: [Int]) -> Set<Set<Int>> {
        var groups: [Int: Set<Int>] = [:]
        for (i, l) in labels.enumerated() { groups[l, default: []].insert(i) }
        return Set(groups.values)
    }

    /// trackpy's `link(search_range, memory)` as Tracker settings: trackpy minimises, per frame,
    /// Σ d² over the links + search_range² per source particle left unlinked (its subnet linker's
    /// null candidate), with no drift correction and lost particles kept at their last position for
    /// `memory` frames at no extra cost. Hence: absolute gate = search_range, maxGap = memory, no
    /// gap or cross-section cost, known zero drift.
    static func trackpyLink(_ features: [TrackpyFeature], searchRange: Double, memory: Int) throws -> [Int] {
        var settings = TrackerSettings()
        settings.gateRadius = searchRange
        settings.maxGap = memory
        settings.gapCostFraction = 0
        settings.crossSectionWeight = 0
        var tracker = try Tracker(settings: settings)
        var labels = [Int](repeating: -1, count: features.count)
        for frame in Set(features.map(\.frame)).sorted() {
            let indices = features.indices.filter { features[$0].frame == frame }
            let links = try tracker.link(frame: frame, detections: indices.map { Detection(x: features[$0].point.x, y: features[$0].point.y) },
                                         drift: .known(.zero))
            for (k, i) in indices.enumerated() { labels[i] = links.trackIDs[k] }
        }
        return labels
    }

    func testTrackpyLinkWithoutMemory() throws {
        let f = try Self.trackpyFeatures()
        XCTAssertEqual(f.count, 100)
        let ours = try Self.trackpyLink(f, searchRange: 5, memory: 0)
        let reference = Self.partition(f.map(\.particle))
        print("trackpy link(search_range=5): \(reference.count) trajectories; ours \(Self.partition(ours).count)")
        XCTAssertEqual(Self.partition(ours), reference)
    }

    func testTrackpyLinkWithMemory() throws {
        let f = try Self.trackpyFeatures()
        let ours = try Self.trackpyLink(f, searchRange: 5, memory: 2)
        let reference = Self.partition(f.map(\.particleMemory))
        print("trackpy link(search_range=5, memory=2): \(reference.count) trajectories; ours \(Self.partition(ours).count)")
        XCTAssertEqual(Self.partition(ours), reference)
    }

    // MARK: TrackMate

    /// One TrackMate variant: positions per frame and TrackMate's edges as (frame, index) links.
    static func trackMate(_ variant: String) throws -> (frames: [[Point]], edges: Set<LAPLinker.Link>) {
        let base = "linking/trackmate/trackmate_tracks_\(variant)"
        let spots = try table(base + "_spots.csv")
        let frameCount = spots.map { Int($0["frame"]!)! }.max()! + 1
        var frames = [[Point]](repeating: [], count: frameCount)
        var spotOf: [Int: LAPLinker.Spot] = [:]
        for r in spots {
            let t = Int(r["frame"]!)!
            spotOf[Int(r["id"]!)!] = LAPLinker.Spot(frame: t, index: frames[t].count)
            frames[t].append(Point(x: Double(r["position_x"]!)!, y: Double(r["position_y"]!)!))
        }
        let edges = try table(base + "_edges.csv").map { r in
            LAPLinker.Link(source: spotOf[Int(r["spot_source_id"]!)!]!, target: spotOf[Int(r["spot_target_id"]!)!]!)
        }
        return (frames, Set(edges))
    }

    /// TrackMate's settings of the reference runs: cost d², linking max distance 15 px, gap
    /// closing 15 px over a frame difference of at most 2, splitting and merging 15 px, alternative
    /// cost factor 1.05 and percentile 90 (TrackMate's defaults).
    func checkTrackMate(_ variant: String, gapClosing: Bool, splitting: Bool, merging: Bool) throws {
        let (frames, reference) = try Self.trackMate(variant)
        let linker = LAPLinker(linkingMaxDistance: 15, gapClosingMaxDistance: gapClosing ? 15 : nil, maxFrameDifference: 2,
                               splittingMaxDistance: splitting ? 15 : nil, mergingMaxDistance: merging ? 15 : nil)
        let ours = Set(try linker.link(frames))
        let splits = Dictionary(grouping: ours, by: \.source).values.filter { $0.count > 1 }.count
        let merges = Dictionary(grouping: ours, by: \.target).values.filter { $0.count > 1 }.count
        let gaps = ours.filter { $0.target.frame - $0.source.frame > 1 }.count
        print("TrackMate \(variant): \(frames.joined().count) spots in \(frames.count) frames, \(reference.count) edges; ours \(ours.count) "
              + "(\(gaps) gap-closing, \(splits) splits, \(merges) merges), missing \(reference.subtracting(ours).sorted()), extra \(ours.subtracting(reference).sorted())")
        XCTAssertEqual(ours, reference)
    }

    func testTrackMateWithoutGapClosing() throws {
        try checkTrackMate("without_gap_closing", gapClosing: false, splitting: false, merging: false)
    }

    func testTrackMateWithGapClosing() throws {
        try checkTrackMate("with_gap_closing", gapClosing: true, splitting: false, merging: false)
    }

    func testTrackMateWithSplitting() throws {
        try checkTrackMate("with_splitting", gapClosing: true, splitting: true, merging: false)
    }

    func testTrackMateWithMerging() throws {
        try checkTrackMate("with_merging", gapClosing: true, splitting: false, merging: true)
    }

    func testLAPLinkerValidates() {
        XCTAssertThrowsError(try LAPLinker(linkingMaxDistance: -1).link([]))
        XCTAssertThrowsError(try LAPLinker(maxFrameDifference: 0).link([]))
        XCTAssertThrowsError(try LAPLinker().link([[Point(x: .nan, y: 0)]]))
        var s = TrackerSettings()
        s.gateRadius = 0
        XCTAssertThrowsError(try Tracker(settings: s))
    }
}

/// The trackpy mapping on harder cases than trackpy's reference: crowded random point pairs
/// where several assignments compete. The Tracker's links must reach trackpy's objective
/// (Σ d² over the links + search_range² per unlinked source, links only within search_range)
/// at its minimum, found by enumerating every one-to-one partial assignment (tolerance 1e-9 px²).
final class TrackpyObjectiveTests: XCTestCase {
    func testMinimalTrackpyObjective() throws {
        var rng = SplitMix64(seed: 5)
        func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
        let r = 5.0
        var competing = 0
        for _ in 0..<300 {
            let n = 2 + Int(uniform() * 5), m = 2 + Int(uniform() * 5)
            let a = (0..<n).map { _ in Point(x: 12 * uniform(), y: 12 * uniform()) }
            let b = (0..<m).map { _ in Point(x: 12 * uniform(), y: 12 * uniform()) }
            var best = Double.infinity
            var used = [Bool](repeating: false, count: m)
            func go(_ i: Int, _ acc: Double) {
                if i == n { best = min(best, acc); return }
                go(i + 1, acc + r * r)
                for j in 0..<m where !used[j] && a[i].distanceSquared(b[j]) < r * r {
                    used[j] = true; go(i + 1, acc + a[i].distanceSquared(b[j])); used[j] = false
                }
            }
            go(0, 0)
            var s = TrackerSettings()
            s.gateRadius = r; s.maxGap = 0; s.gapCostFraction = 0
            var tracker = try Tracker(settings: s)
            let first = try tracker.link(frame: 0, detections: a.map { Detection(x: $0.x, y: $0.y) }, drift: .known(.zero))
            let second = try tracker.link(frame: 1, detections: b.map { Detection(x: $0.x, y: $0.y) }, drift: .known(.zero))
            var cost = 0.0, linked = 0
            for (j, id) in second.trackIDs.enumerated() {
                if let i = first.trackIDs.firstIndex(of: id) { cost += a[i].distanceSquared(b[j]); linked += 1 }
            }
            cost += Double(n - linked) * r * r
            if second.largestComponent > 2 { competing += 1 }
            XCTAssertEqual(cost, best, accuracy: 1e-9)
        }
        print("trackpy objective: 300 random frame pairs (\(competing) with competing candidates), Tracker at the enumerated minimum in all")
        XCTAssertGreaterThan(competing, 100)
    }
}

import Foundation
import StemCore
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

/// ``LAPLinker`` solves each step as a sparse assignment with one no-link cost per row; this
/// checks that against Jaqaman's full block matrices (built as laptrack builds them, solved densely
/// by ``LinearAssignment``) on random crowded series: identical links.
final class LAPLinkerMatrixTests: XCTestCase {
    /// Dense solution of a square matrix (+∞: forbidden): the column of each row.
    static func dense(_ c: [[Double]]) throws -> [Int] {
        try LinearAssignment.solve(c.flatMap { $0 }, rows: c.count, columns: c.count).columnForRow
    }

    /// Links of frames by the full (M + N)² frame matrices and the (2M + N1 + N2)² segment matrix.
    static func jaqaman(_ frames: [[Point]], cutoff: Double, maxFrameDifference: Int) throws -> Set<LAPLinker.Link> {
        typealias Spot = LAPLinker.Spot
        let c2 = cutoff * cutoff
        var links = Set<LAPLinker.Link>()
        for t in 0..<(frames.count - 1) {
            let a = frames[t], b = frames[t + 1], m = a.count, n = b.count
            var d: [(Int, Int, Double)] = []
            for i in 0..<m { for j in 0..<n where a[i].distanceSquared(b[j]) < c2 { d.append((i, j, a[i].distanceSquared(b[j]))) } }
            guard !d.isEmpty else { continue }
            let alt = 1.05 * d.map(\.2).max()!
            let low = min(d.map(\.2).min()!, alt)
            var c = [[Double]](repeating: [Double](repeating: .infinity, count: m + n), count: m + n)
            for (i, j, v) in d { c[i][j] = v; c[m + j][n + i] = low }
            for i in 0..<m { c[i][n + i] = alt }
            for j in 0..<n { c[m + j][j] = alt }
            for (i, j) in try dense(c).enumerated() where i < m && j < n {
                links.insert(.init(source: Spot(frame: t, index: i), target: Spot(frame: t + 1, index: j)))
            }
        }
        var next: [Spot: Spot] = [:], previous: [Spot: Spot] = [:]
        for l in links { next[l.source] = l.target; previous[l.target] = l.source }
        var segments: [(first: Spot, last: Spot)] = []
        for (t, f) in frames.enumerated() {
            for i in f.indices where previous[Spot(frame: t, index: i)] == nil {
                var last = Spot(frame: t, index: i)
                while let s = next[last] { last = s }
                segments.append((Spot(frame: t, index: i), last))
            }
        }
        func p(_ s: Spot) -> Point { frames[s.frame][s.index] }
        let m = segments.count
        var entries: [(row: Int, column: Int, cost: Double)] = []
        for (i, s) in segments.enumerated() {
            for (j, e) in segments.enumerated() where (1...maxFrameDifference).contains(e.first.frame - s.last.frame) {
                let v = p(s.last).distanceSquared(p(e.first))
                if v < c2 { entries.append((i, j, v)) }
            }
        }
        var splitters: [Spot] = [], mergers: [Spot] = []
        var splitEntries: [(Spot, Int, Double)] = [], mergeEntries: [(Int, Spot, Double)] = []
        for (j, s) in segments.enumerated() where s.first.frame > 0 {
            for k in frames[s.first.frame - 1].indices {
                let q = Spot(frame: s.first.frame - 1, index: k), v = p(q).distanceSquared(p(s.first))
                if v < c2 { splitEntries.append((q, j, v)); if !splitters.contains(q) { splitters.append(q) } }
            }
        }
        for (i, s) in segments.enumerated() where s.last.frame + 1 < frames.count {
            for k in frames[s.last.frame + 1].indices {
                let q = Spot(frame: s.last.frame + 1, index: k), v = p(s.last).distanceSquared(p(q))
                if v < c2 { mergeEntries.append((i, q, v)); if !mergers.contains(q) { mergers.append(q) } }
            }
        }
        let n1 = splitters.count, n2 = mergers.count
        entries += splitEntries.map { (m + splitters.firstIndex(of: $0.0)!, $0.1, $0.2) }
        entries += mergeEntries.map { ($0.0, m + mergers.firstIndex(of: $0.1)!, $0.2) }
        guard !entries.isEmpty else { return links }
        let sorted = entries.map(\.cost).sorted()
        let alt = 1.05 * sorted[Int((0.9 * Double(sorted.count - 1)).rounded(.down))]
        let size = 2 * m + n1 + n2
        var c = [[Double]](repeating: [Double](repeating: .infinity, count: size), count: size)
        for e in entries { c[e.row][e.column] = e.cost; c[e.column + m + n1][e.row + m + n2] = alt }
        for j in 0..<m { c[m + n1 + j][j] = alt; c[j][m + n2 + j] = alt }
        for k in 0..<n2 { c[2 * m + n1 + k][m + k] = alt }
        for k in 0..<n1 { c[m + k][2 * m + n2 + k] = alt }
        for (r, col) in try dense(c).enumerated() where r < m + n1 && col < m + n2 {
            links.insert(.init(source: r < m ? segments[r].last : splitters[r - m], target: col < m ? segments[col].first : mergers[col - m]))
        }
        return links
    }

    func testSparseEqualsFullMatrices() throws {
        var rng = SplitMix64(seed: 21)
        func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
        var joins = 0
        for _ in 0..<60 {
            // A few drifting points, some missed, in a small field: many competing candidates.
            let base = (0..<6).map { _ in Point(x: 40 * uniform(), y: 40 * uniform()) }
            let frames: [[Point]] = (0..<5).map { t in
                base.compactMap { b in uniform() < 0.2 ? nil : Point(x: b.x + 3 * Double(t) + 4 * (uniform() - 0.5), y: b.y + 4 * (uniform() - 0.5)) }
            }
            let ours = Set(try LAPLinker(linkingMaxDistance: 8, gapClosingMaxDistance: 8, maxFrameDifference: 2,
                                         splittingMaxDistance: 8, mergingMaxDistance: 8).link(frames))
            let full = try Self.jaqaman(frames, cutoff: 8, maxFrameDifference: 2)
            joins += ours.filter { $0.target.frame - $0.source.frame > 1 }.count
                + Dictionary(grouping: ours, by: \.source).values.filter { $0.count > 1 }.count
                + Dictionary(grouping: ours, by: \.target).values.filter { $0.count > 1 }.count
            XCTAssertEqual(ours, full)
        }
        print("LAPLinker: 60 random 5-frame series, links identical to the full Jaqaman matrices (\(joins) gap closings, splits and merges)")
        XCTAssertGreaterThan(joins, 20)
    }
}

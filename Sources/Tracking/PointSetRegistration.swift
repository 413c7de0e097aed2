import Foundation
import StemCore

/// Translation between two sets of fitted column positions (frame t−1 → frame t), robust to jumps
/// larger than the column spacing, to columns appearing and vanishing, and to the particle
/// changing shape.
///
/// 1. **Global search** (Hough-style voting): every pair (p, q) with |q − p| ≤ `maxShift` votes for
///    the translation q − p in a histogram with 1 px bins. The true translation collects one vote
///    per column; a lattice-vector alias of it collects one vote per column of the overlap of the
///    particle with its shifted copy, which is smaller by the particle's rim — a finite particle has
///    a unique best overlap even on a perfect lattice. Up to `maxVotingPoints` reference points,
///    evenly spaced in their (y, x) order, vote.
/// 2. **Candidates**: the `candidates` highest local maxima of the 2×2-bin vote sums, the caller's
///    hint (e.g. from ``PhaseCorrelation`` of the images) and zero.
/// 3. **Refinement and scoring** (iterative closest point restricted to translation): each
///    candidate is refined by matching every reference point to the nearest moving point within
///    `matchRadius` and moving the translation by the median residual, 4 times; its score is the
///    number of matched points. The highest score wins; ties go to the candidate nearest the hint,
///    then to the shorter translation, then to the earlier candidate (deterministic).
/// 4. The final translation is the mean residual of the matches within 3 × their median absolute
///    deviation (sub-pixel; localisation noise averages out over the columns).
public struct PointSetRegistration: Sendable, Codable, Equatable {
    /// Largest translation searched, px (nil: half the larger side of the bounding box of both
    /// point sets, at least 2 × `matchRadius`; set it to a quarter of the field of view when the
    /// frame size is known).
    public var maxShift: Double?
    /// Match radius for scoring and refinement, px (nil: 0.3 × the median nearest-neighbour
    /// distance of the reference points).
    public var matchRadius: Double?
    /// Vote histogram peaks examined.
    public var candidates: Int = 8
    /// Reference points used for voting (the score uses all points).
    public var maxVotingPoints: Int = 400

    public init(maxShift: Double? = nil, matchRadius: Double? = nil) {
        self.maxShift = maxShift; self.matchRadius = matchRadius
    }

    public struct Result: Sendable, Equatable, Codable {
        /// Translation from reference to moving, px (q ≈ p + shift).
        public var shift: Point
        /// Reference points matched at the final translation.
        public var matched: Int
        /// Reference points.
        public var referenceCount: Int
        /// RMS residual of the matches after the shift, px.
        public var rmsResidual: Double
        /// Matched fraction of the smaller set, in [0, 1]: how unambiguous the registration is.
        public var confidence: Double
    }

    /// Registers `moving` onto `reference`. With fewer than two points in either set the shift is
    /// the hint (or zero) and the confidence 0.
    public func register(reference: [Point], moving: [Point], hint: Point? = nil) -> Result {
        guard reference.count >= 2, moving.count >= 2 else {
            return Result(shift: hint ?? .zero, matched: 0, referenceCount: reference.count, rmsResidual: .nan, confidence: 0)
        }
        let spacing = medianNearestNeighbourDistance(reference) ?? 1
        let radius = matchRadius ?? max(0.3 * spacing, 0.5)
        let all = reference + moving
        let ext = max((all.map(\.x).max()! - all.map(\.x).min()!), (all.map(\.y).max()! - all.map(\.y).min()!))
        let limit = maxShift ?? max(0.5 * ext, 2 * radius)
        let grid = SpatialGrid(moving, cellSize: max(radius, estimateCellSize(moving)))

        var candidates = votingPeaks(reference: reference, moving: moving, limit: limit, grid: grid)
        if let hint { candidates.insert(hint, at: 0) }
        candidates.append(.zero)

        var best: (shift: Point, score: Int, order: Int)? = nil
        for (k, c0) in candidates.enumerated() {
            var c = c0
            for _ in 0..<4 {
                let r = residuals(reference, grid: grid, shift: c, radius: radius)
                guard !r.isEmpty else { break }
                let step = Point(x: median(r.map(\.x)), y: median(r.map(\.y)))
                c = c + step
                if step.length < 1e-3 { break }
            }
            guard c.length <= limit * 1.5 + radius else { continue }
            let score = residuals(reference, grid: grid, shift: c, radius: radius).count
            if let b = best {
                let h = hint ?? .zero
                let better = score > b.score
                    || (score == b.score && (c - h).length < (b.shift - h).length - 1e-9)
                    || (score == b.score && abs((c - h).length - (b.shift - h).length) <= 1e-9 && c.length < b.shift.length - 1e-9)
                if better { best = (c, score, k) }
            } else {
                best = (c, score, k)
            }
        }
        guard let b = best, b.score > 0 else {
            return Result(shift: hint ?? .zero, matched: 0, referenceCount: reference.count, rmsResidual: .nan, confidence: 0)
        }
        // Final: robust mean of the residuals.
        var shift = b.shift
        var r = residuals(reference, grid: grid, shift: shift, radius: radius)
        for _ in 0..<2 {
            let mx = median(r.map(\.x)), my = median(r.map(\.y))
            let mad = max(1e-3, median(r.map { (Point(x: mx, y: my) - $0).length }))
            let kept = r.filter { ($0 - Point(x: mx, y: my)).length <= 3 * 1.4826 * mad }
            guard !kept.isEmpty else { break }
            shift = shift + Point(x: kept.map(\.x).reduce(0, +) / Double(kept.count),
                                  y: kept.map(\.y).reduce(0, +) / Double(kept.count))
            r = residuals(reference, grid: grid, shift: shift, radius: radius)
            if r.isEmpty { break }
        }
        let rms = r.isEmpty ? .nan : (r.reduce(0) { $0 + $1.x * $1.x + $1.y * $1.y } / Double(r.count)).squareRoot()
        return Result(shift: shift, matched: r.count, referenceCount: reference.count, rmsResidual: rms,
                      confidence: Double(r.count) / Double(min(reference.count, moving.count)))
    }

    /// Residuals q − (p + shift) of every reference point whose nearest moving point lies within
    /// `radius` of p + shift (one-to-many allowed; the nearest wins, ties to the lowest index).
    func residuals(_ reference: [Point], grid: SpatialGrid, shift: Point, radius: Double) -> [Point] {
        var out: [Point] = []
        out.reserveCapacity(reference.count)
        for p in reference {
            let t = p + shift
            if let j = grid.nearest(to: t, within: radius) { out.append(grid.points[j] - t) }
        }
        return out
    }

    /// Local maxima of the 2×2 vote sums, best first (ties: lower bin index).
    func votingPeaks(reference: [Point], moving: [Point], limit: Double, grid: SpatialGrid) -> [Point] {
        let half = Int(limit.rounded(.up)) + 1
        let side = 2 * half + 1
        var votes = [Int32](repeating: 0, count: side * side)
        // Evenly spaced voters in (y, x) order.
        let order = reference.indices.sorted { (reference[$0].y, reference[$0].x, $0) < (reference[$1].y, reference[$1].x, $1) }
        let n = min(maxVotingPoints, order.count)
        let movingGrid = SpatialGrid(moving, cellSize: max(limit / 4, grid.cellSize))
        for k in 0..<n {
            let p = reference[order[k * order.count / n]]
            movingGrid.forEach(within: limit, of: p) { j in
                let d = moving[j] - p
                let bx = Int((d.x + Double(half)).rounded(.down)), by = Int((d.y + Double(half)).rounded(.down))
                if bx >= 0 && bx < side && by >= 0 && by < side { votes[by * side + bx] += 1 }
            }
        }
        // 2×2 box sums: s[y][x] covers bins (x, x+1) × (y, y+1), centred at the shared corner.
        let m = side - 1
        var sums = [Int32](repeating: 0, count: m * m)
        for y in 0..<m {
            for x in 0..<m {
                sums[y * m + x] = votes[y * side + x] + votes[y * side + x + 1] + votes[(y + 1) * side + x] + votes[(y + 1) * side + x + 1]
            }
        }
        var peaks: [(Int32, Int)] = []
        for y in 0..<m {
            for x in 0..<m {
                let v = sums[y * m + x]
                guard v >= 2 else { continue }
                var isMax = true
                for dy in -1...1 {
                    for dx in -1...1 where dx != 0 || dy != 0 {
                        let xx = x + dx, yy = y + dy
                        guard xx >= 0 && xx < m && yy >= 0 && yy < m else { continue }
                        let u = sums[yy * m + xx]
                        // Strictly greater than earlier neighbours, ≥ later ones: one peak per plateau.
                        if u > v || (u == v && (yy * m + xx) < (y * m + x)) { isMax = false }
                    }
                }
                if isMax { peaks.append((v, y * m + x)) }
            }
        }
        peaks.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        return peaks.prefix(candidates).map { (_, idx) in
            // Corner between bins x and x+1: translation value (x + 1) − half.
            Point(x: Double(idx % m + 1 - half), y: Double(idx / m + 1 - half))
        }
    }
}

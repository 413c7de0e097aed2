import Foundation
import StemCore

/// Translation and rotation (optionally also an isotropic scale change) between two sets of fitted
/// column positions (frame t−1 → frame t), robust to jumps larger than the column spacing, to
/// columns appearing and vanishing, and to the particle changing shape.
///
/// 1. **Global search** (Hough-style voting): every pair (p, q) with |q − p| ≤ `maxShift` votes for
///    the translation q − p in a histogram with 1 px bins. The true translation collects one vote
///    per column; a lattice-vector alias of it collects one vote per column of the overlap of the
///    particle with its shifted copy, which is smaller by the particle's rim — a finite particle has
///    a unique best overlap even on a perfect lattice. Up to `maxVotingPoints` reference points,
///    evenly spaced in their (y, x) order, vote.
/// 2. **Candidates**: the `candidates` highest local maxima of the 2×2-bin vote sums, the caller's
///    hint (e.g. from ``PhaseCorrelation`` of the images) and zero; then the `candidates` highest
///    local maxima of the k×k-bin sums, k = the match diameter in px, each at the vote-weighted
///    mean of its window. These count the votes within about the match radius of a translation
///    however localisation noise and a rotation (which spreads the votes of one translation over
///    θ × the particle radius) smear them, where the 2×2 sums of the true translation can fall
///    below those of lattice aliases; they win only with a strictly higher score.
/// 3. **Refinement and scoring** (iterative closest point restricted to translation): each
///    candidate is refined by matching every reference point to the nearest moving point within
///    `matchRadius` and moving the translation by the median residual, 4 times; its score is the
///    number of matched points. The highest score wins; ties go to the candidate nearest the hint,
///    then to the shorter translation, then to the earlier candidate (deterministic).
/// 4. The final translation is the mean residual of the matches within 3 × their median absolute
///    deviation (sub-pixel; localisation noise averages out over the columns).
/// 5. **Rotation** (and optionally scale; on by default, `estimateRotation`): iterative closest
///    point with a least-squares rigid (Kabsch, Acta Cryst. A 32 (1976) 922) or similarity
///    (Umeyama, IEEE Trans. PAMI 13 (1991) 376) step: every reference point is mapped by the
///    current transform and matched to the nearest moving point within `matchRadius`, matches
///    farther than 3 × the median absolute deviation from the median residual are left out, and
///    the transform is refitted to the rest, until it changes by less than 10⁻⁶ px at the rim
///    (at most `rotationIterations` times). The other candidates that scored at least half the
///    best in step 3 (and lie farther than `matchRadius` from it) are refined in the same way,
///    and one that then matches strictly more points wins: a turn of θ moves the rim by θ × the
///    radius, so beyond about a degree per frame no translation alone matches the rim and the
///    aliases score as the true translation in step 3. With a rotation hint (the previous
///    frame's turn) the whole registration is repeated on the turned reference (see
///    ``register(reference:moving:hint:rotationHint:)``). The rotation is about the centroid of
///    the reference points, and `shift` is then the displacement of that centroid. Its
///    precision is about σ√2 / (r_rms √n) rad for n matches of localisation noise σ per
///    coordinate at an RMS distance r_rms from the centre (0.014° for 500 columns, σ = 0.035
///    spacing, r_rms = 9 spacings). In situ particles turn by degrees over minutes; steps of a few degrees per frame
///    are found as long as the central columns still match after the translation search.
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
    /// Estimate a rotation about the centroid of the reference points with the translation
    /// (step 5; default true).
    public var estimateRotation: Bool = true
    /// Estimate an isotropic scale change as well (step 5; default false: magnification is stable
    /// in most series, and a free scale adds noise).
    public var estimateScale: Bool = false
    /// Largest number of refinements of step 5.
    public var rotationIterations: Int = 20

    public init(maxShift: Double? = nil, matchRadius: Double? = nil, estimateRotation: Bool = true, estimateScale: Bool = false) {
        self.maxShift = maxShift; self.matchRadius = matchRadius
        self.estimateRotation = estimateRotation; self.estimateScale = estimateScale
    }

    enum CodingKeys: String, CodingKey {
        case maxShift, matchRadius, candidates, maxVotingPoints, estimateRotation, estimateScale, rotationIterations
    }

    /// Decodes settings saved before rotation and scale existed with their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxShift = try c.decodeIfPresent(Double.self, forKey: .maxShift)
        matchRadius = try c.decodeIfPresent(Double.self, forKey: .matchRadius)
        candidates = try c.decodeIfPresent(Int.self, forKey: .candidates) ?? 8
        maxVotingPoints = try c.decodeIfPresent(Int.self, forKey: .maxVotingPoints) ?? 400
        estimateRotation = try c.decodeIfPresent(Bool.self, forKey: .estimateRotation) ?? true
        estimateScale = try c.decodeIfPresent(Bool.self, forKey: .estimateScale) ?? false
        rotationIterations = try c.decodeIfPresent(Int.self, forKey: .rotationIterations) ?? 20
    }

    public struct Result: Sendable, Equatable, Codable {
        /// Translation from reference to moving, px: the displacement of `centre` (q ≈ p + shift
        /// without rotation and scale).
        public var shift: Point
        /// Rotation from reference to moving about `centre`, degrees (positive turns +x toward
        /// +y; 0 when not estimated).
        public var rotation: Double = 0
        /// Scale from reference to moving about `centre` (1 when not estimated).
        public var scale: Double = 1
        /// Centroid of the reference points, px.
        public var centre: Point = .zero
        /// Reference points matched at the final translation.
        public var matched: Int
        /// Reference points.
        public var referenceCount: Int
        /// RMS residual of the matches after the shift, px.
        public var rmsResidual: Double
        /// Matched fraction of the smaller set, in [0, 1]: how unambiguous the registration is.
        public var confidence: Double

        public init(shift: Point, rotation: Double = 0, scale: Double = 1, centre: Point = .zero, matched: Int,
                    referenceCount: Int, rmsResidual: Double, confidence: Double) {
            self.shift = shift; self.rotation = rotation; self.scale = scale; self.centre = centre
            self.matched = matched; self.referenceCount = referenceCount; self.rmsResidual = rmsResidual
            self.confidence = confidence
        }

        /// moving ≈ transform(reference).
        public var transform: SimilarityTransform {
            SimilarityTransform(centre: centre, translation: shift, rotation: rotation, scale: scale)
        }

        enum CodingKeys: String, CodingKey { case shift, rotation, scale, centre, matched, referenceCount, rmsResidual, confidence }

        /// Decodes results saved before rotation and scale existed (rotation 0, scale 1).
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            shift = try c.decode(Point.self, forKey: .shift)
            rotation = try c.decodeIfPresent(Double.self, forKey: .rotation) ?? 0
            scale = try c.decodeIfPresent(Double.self, forKey: .scale) ?? 1
            centre = try c.decodeIfPresent(Point.self, forKey: .centre) ?? .zero
            matched = try c.decode(Int.self, forKey: .matched)
            referenceCount = try c.decode(Int.self, forKey: .referenceCount)
            rmsResidual = try c.decode(Double.self, forKey: .rmsResidual)
            confidence = try c.decode(Double.self, forKey: .confidence)
        }
    }

    /// Registers `moving` onto `reference`. With fewer than two points in either set the shift is
    /// the hint (or zero) and the confidence 0.
    ///
    /// `rotationHint` (degrees; e.g. the previous frame's turn): when rotation is estimated and
    /// the hint is at least 0.1°, the registration is also run on the reference turned by it
    /// about its centroid, and that result is taken when it matches strictly more points. Votes
    /// of a fast but steady turn are then no longer smeared (a turn of θ spreads them over θ × the
    /// particle radius), so a jump of the stage during the turn is found as without rotation.
    public func register(reference: [Point], moving: [Point], hint: Point? = nil, rotationHint: Double? = nil) -> Result {
        let plain = registerOnce(reference: reference, moving: moving, hint: hint)
        guard estimateRotation, let h = rotationHint, h.isFinite, abs(h) >= 0.1, reference.count >= 2, moving.count >= 2 else {
            return plain
        }
        let turn = SimilarityTransform(centre: centroid(reference), rotation: h)
        let turned = registerOnce(reference: reference.map { turn.apply($0) }, moving: moving, hint: hint)
        guard turned.matched > plain.matched else { return plain }
        let t = turned.transform.after(turn)
        return Result(shift: t.translation, rotation: t.rotation, scale: t.scale, centre: t.centre, matched: turned.matched,
                      referenceCount: turned.referenceCount, rmsResidual: turned.rmsResidual, confidence: turned.confidence)
    }

    func registerOnce(reference: [Point], moving: [Point], hint: Point?) -> Result {
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
        // Peaks of the votes within the match diameter: they win only with a strictly higher score.
        let primary = candidates.count
        let window = max(2, Int((2 * radius).rounded()))
        if window > 2 { candidates += votingPeaks(reference: reference, moving: moving, limit: limit, grid: grid, window: window) }

        var best: (shift: Point, score: Int, order: Int)? = nil
        var refined: [(shift: Point, score: Int)] = []
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
            refined.append((c, score))
            if let b = best {
                let h = hint ?? .zero
                let better = score > b.score || (k < primary && score == b.score && (c - h).length < (b.shift - h).length - 1e-9)
                    || (k < primary && score == b.score && abs((c - h).length - (b.shift - h).length) <= 1e-9
                        && c.length < b.shift.length - 1e-9)
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
        let centre = centroid(reference)
        var transform = SimilarityTransform(centre: centre, translation: shift)
        if estimateRotation || estimateScale {
            transform = refine(transform, reference: reference, grid: grid, radius: radius)
            r = residuals(reference, grid: grid, transform: transform, radius: radius)
            // A fast turn leaves the rim unmatched by every translation, and the lattice aliases
            // then score as the true one: score the candidates again after step 5 and take one
            // that matches strictly more points.
            for c in refined where 2 * c.score >= b.score && (c.shift - b.shift).length > radius {
                let t = refine(SimilarityTransform(centre: centre, translation: c.shift), reference: reference, grid: grid, radius: radius)
                let m = residuals(reference, grid: grid, transform: t, radius: radius)
                if m.count > r.count { transform = t; r = m }
            }
        }
        let rms = r.isEmpty ? .nan : (r.reduce(0) { $0 + $1.x * $1.x + $1.y * $1.y } / Double(r.count)).squareRoot()
        return Result(shift: transform.translation, rotation: transform.rotation, scale: transform.scale, centre: transform.centre,
                      matched: r.count, referenceCount: reference.count, rmsResidual: rms,
                      confidence: Double(r.count) / Double(min(reference.count, moving.count)))
    }

    /// Step 5: iterative closest point with a robust rigid or similarity fit.
    func refine(_ start: SimilarityTransform, reference: [Point], grid: SpatialGrid, radius: Double) -> SimilarityTransform {
        var transform = start
        let c = start.centre
        let rim = reference.map { $0.distanceSquared(c) }.max()!.squareRoot()
        for _ in 0..<max(0, rotationIterations) {
            var p: [Point] = [], q: [Point] = [], e: [Point] = []
            for a in reference {
                let t = transform.apply(a)
                if let j = grid.nearest(to: t, within: radius) { p.append(a); q.append(grid.points[j]); e.append(grid.points[j] - t) }
            }
            guard p.count >= 3 else { break }
            let m = Point(x: median(e.map(\.x)), y: median(e.map(\.y)))
            let mad = max(1e-3, median(e.map { ($0 - m).length }))
            let keep = e.indices.filter { (e[$0] - m).length <= 3 * 1.4826 * mad }
            guard keep.count >= 3,
                  let next = SimilarityTransform.fit(keep.map { p[$0] }, keep.map { q[$0] }, centre: c,
                                                     rotation: estimateRotation, scale: estimateScale) else { break }
            // Largest displacement between the two transforms over the reference points' disc.
            let change = (next.translation - transform.translation).length
                + rim * (abs(next.rotation - transform.rotation) * .pi / 180 + abs(next.scale - transform.scale))
            transform = next
            if change < 1e-6 { break }
        }
        return transform
    }

    /// Residuals q − T(p) of every reference point whose nearest moving point lies within `radius`
    /// of T(p) (one-to-many allowed; the nearest wins, ties to the lowest index).
    func residuals(_ reference: [Point], grid: SpatialGrid, transform: SimilarityTransform, radius: Double) -> [Point] {
        var out: [Point] = []
        out.reserveCapacity(reference.count)
        for p in reference {
            let t = transform.apply(p)
            if let j = grid.nearest(to: t, within: radius) { out.append(grid.points[j] - t) }
        }
        return out
    }

    func centroid(_ points: [Point]) -> Point {
        var s = Point.zero
        for p in points { s = s + p }
        return (1 / Double(points.count)) * s
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

    /// Local maxima of the `window` × `window` vote sums, best first (ties: lower bin index).
    func votingPeaks(reference: [Point], moving: [Point], limit: Double, grid: SpatialGrid, window: Int = 2) -> [Point] {
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
        // k×k box sums: s[y][x] covers bins x..<x+k × y..<y+k, centred at translation
        // (x + k/2 − half, y + k/2 − half) (for k = 2 the corner the four bins share).
        let k = min(max(2, window), side)
        let m = side - k + 1
        var integral = [Int32](repeating: 0, count: (side + 1) * (side + 1))
        for y in 0..<side {
            var row: Int32 = 0
            for x in 0..<side {
                row += votes[y * side + x]
                integral[(y + 1) * (side + 1) + x + 1] = integral[y * (side + 1) + x + 1] + row
            }
        }
        var sums = [Int32](repeating: 0, count: m * m)
        for y in 0..<m {
            for x in 0..<m {
                sums[y * m + x] = integral[(y + k) * (side + 1) + x + k] - integral[y * (side + 1) + x + k]
                    - integral[(y + k) * (side + 1) + x] + integral[y * (side + 1) + x]
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
            let x0 = idx % m, y0 = idx / m
            guard k > 2 else {
                // Corner between bins x and x+1: translation value (x + 1) − half.
                return Point(x: Double(x0 + 1 - half), y: Double(y0 + 1 - half))
            }
            // Vote-weighted mean of the window's bin centres (bin b covers [b − half, b + 1 − half)).
            var sx = 0.0, sy = 0.0, w = 0.0
            for y in y0..<(y0 + k) {
                for x in x0..<(x0 + k) {
                    let v = Double(votes[y * side + x])
                    sx += v * (Double(x - half) + 0.5); sy += v * (Double(y - half) + 0.5); w += v
                }
            }
            return Point(x: sx / w, y: sy / w)
        }
    }
}

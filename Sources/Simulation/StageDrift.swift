/// Stage drift of the image, in pixels: a smooth random walk plus occasional sudden jumps.
///
/// Frame 0 has zero drift. From frame t−1 to t the drift changes by the velocity
/// `v_t = α·v_{t−1} + σ·√(1−α²)·ξ` (ξ standard normal per axis; so each per-frame step has standard
/// deviation σ, and consecutive steps are correlated by α, which makes the path smooth), and,
/// with probability `jumpProbability`, by an extra jump of `jumpMagnitude` px in a uniformly random
/// direction. When the particle would leave the field of view the path is reflected back
/// (``SeriesSimulator`` passes the allowed range).
public struct StageDriftModel: Sendable, Equatable, Codable {
    /// Standard deviation of the per-frame drift step, px per frame (default 0.3).
    public var stepSigma: Double
    /// Correlation α ∈ [0, 1) of consecutive steps (default 0.7; 0 = plain random walk).
    public var persistence: Double
    /// Probability per frame of a sudden jump (default 0.05).
    public var jumpProbability: Double
    /// Length of a jump, px (default 8).
    public var jumpMagnitude: Double

    public init(stepSigma: Double = 0.3, persistence: Double = 0.7, jumpProbability: Double = 0.05,
                jumpMagnitude: Double = 8) {
        self.stepSigma = stepSigma; self.persistence = persistence
        self.jumpProbability = jumpProbability; self.jumpMagnitude = jumpMagnitude
    }

    /// No drift at all.
    public static let none = StageDriftModel(stepSigma: 0, persistence: 0, jumpProbability: 0, jumpMagnitude: 0)

    enum CodingKeys: String, CodingKey {
        case stepSigma = "step_sigma_px", persistence, jumpProbability = "jump_probability"
        case jumpMagnitude = "jump_px"
    }

    var problems: [String] {
        var p: [String] = []
        if !(stepSigma >= 0 && stepSigma.isFinite) { p.append("drift step must be ≥ 0 px/frame (got \(stepSigma))") }
        if !(persistence >= 0 && persistence < 1) { p.append("drift persistence must be in [0, 1) (got \(persistence))") }
        if !(jumpProbability >= 0 && jumpProbability <= 1) { p.append("jump probability must be in [0, 1] (got \(jumpProbability))") }
        if !(jumpMagnitude >= 0 && jumpMagnitude.isFinite) { p.append("jump length must be ≥ 0 px (got \(jumpMagnitude))") }
        return p
    }

    /// Drift of each frame, px. `limitX`, `limitY`: largest allowed |drift| per axis (infinite
    /// for no confinement).
    func trajectory(frames: Int, limitX: Double, limitY: Double, rng: inout RandomSource) -> [DriftSample] {
        guard frames > 0 else { return [] }
        var out = [DriftSample(dx: 0, dy: 0, jumped: false)]
        out.reserveCapacity(frames)
        let a = persistence, innovation = stepSigma * (1 - a * a).squareRoot()
        var vx = stepSigma * rng.gaussian(), vy = stepSigma * rng.gaussian()
        var x = 0.0, y = 0.0
        for _ in 1..<frames {
            vx = a * vx + innovation * rng.gaussian()
            vy = a * vy + innovation * rng.gaussian()
            x += vx; y += vy
            let jump = rng.uniform() < jumpProbability
            let angle = 2 * Double.pi * rng.uniform()   // drawn every frame: stable streams
            if jump { x += jumpMagnitude * _cos(angle); y += jumpMagnitude * _sin(angle) }
            reflect(&x, &vx, limitX)
            reflect(&y, &vy, limitY)
            out.append(DriftSample(dx: x, dy: y, jumped: jump))
        }
        return out
    }

    private func reflect(_ x: inout Double, _ v: inout Double, _ limit: Double) {
        guard limit.isFinite else { return }
        if x > limit { x = 2 * limit - x; v = -v }
        if x < -limit { x = -2 * limit - x; v = -v }
        x = min(max(x, -limit), limit)
    }
}

/// Drift of one frame relative to frame 0, px.
struct DriftSample: Sendable, Equatable {
    var dx: Double
    var dy: Double
    var jumped: Bool
}

import Analysis

/// Fits made elsewhere, looked up by a frame's identity (path, `path#page` for a stack's pages)
/// and the hash of its pixels. `process --slurm` fits an archive's shards on a cluster; the
/// sequential pass then reads every file as `process` does and takes each frame's fit from here
/// instead of fitting it again (a frame without a stored fit is fitted there and then).
public protocol FitSource: Sendable {
    /// The stored fit of this frame's pixels, nil if there is none.
    func fit(identity: String, contentHash: String) throws -> FitOutcome?
}

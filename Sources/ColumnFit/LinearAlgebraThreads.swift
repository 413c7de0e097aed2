import CLapacke

/// OpenBLAS's thread pool, which stemtrack does not need: it parallelises over columns itself, and
/// the pool's idle workers busy-wait with `sched_yield` (measured on a 640² frame: 26,089 calls and
/// 0.10–0.15 s of kernel time in a 0.16 s fit; with one thread 0.01 s). Call
/// ``useOwnParallelism()`` first thing in a process (the command-line tool and the daemon do); the
/// first height solve calls it too. An explicit `OPENBLAS_NUM_THREADS` is respected.
public enum LinearAlgebraThreads {
    /// Limits OpenBLAS to one thread. Returns true when OpenBLAS was found and set.
    @discardableResult
    public static func useOwnParallelism() -> Bool { stemtrack_blas_single_thread() == 1 }
}

#ifndef STEMTRACK_CLAPACKE_SHIM_H
#define STEMTRACK_CLAPACKE_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define HAVE_LAPACK_CONFIG_H
#define LAPACK_COMPLEX_STRUCTURE
#include <lapacke.h>
#include <dlfcn.h>
#include <stdlib.h>

/// Limits OpenBLAS to one thread unless OPENBLAS_NUM_THREADS is set. stemtrack parallelises over
/// columns itself; OpenBLAS's own thread pool busy-waits with sched_yield between the small solves
/// (measured: 26,089 sched_yield calls, 0.10-0.15 s of kernel time in a 0.16 s fit of a 640^2 frame).
/// Found with dlsym, so a reference BLAS without the function is fine. Returns 1 when applied.
static inline int stemtrack_blas_single_thread(void) {
    if (getenv("OPENBLAS_NUM_THREADS") != NULL) return 0;
    void (*set)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
    if (set == NULL) return 0;
    set(1);
    return 1;
}
#endif

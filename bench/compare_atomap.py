#!/usr/bin/env python3
"""stemtrack beside Atomap on the same simulated frames: wall time per column and position accuracy.

Setup (a venv outside the repository; Atomap is never vendored):
    python3 -m venv ~/atomap-venv && ~/atomap-venv/bin/pip install atomap tifffile scipy
    swift build -c release --product stemtrack --product stemtrack-bench
    ~/atomap-venv/bin/python bench/compare_atomap.py [512 1024]

For each size the frame is written by `stemtrack-bench --write`, fitted by `stemtrack fit`
(command-line, including start-up and file reading) and by Atomap
(get_atom_positions + Sublattice.refine_atom_positions_using_2d_gaussian, its Gaussian
refinement); the table prints both times, their ratio and the position RMSE of each against
the simulation's truth."""
import os, subprocess, sys, tempfile, time
import numpy as np
from scipy.optimize import linear_sum_assignment

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sizes = [int(a) for a in sys.argv[1:]] or [512, 1024]
work = tempfile.mkdtemp(prefix="stemtrack-atomap-")
bindir = os.path.join(root, ".build", "release")
subprocess.run([os.path.join(bindir, "stemtrack-bench"), "--write", work] + [str(s) for s in sizes], check=True)

import atomap.api as am
import hyperspy.api as hs
import tifffile


def rmse(found, truth, gate=3.0):
    d = np.sqrt(((truth[:, None, :] - found[None, :, :]) ** 2).sum(-1))
    r, c = linear_sum_assignment(np.where(d < gate, d, 1e6))
    ok = d[r, c] < gate
    return float(np.sqrt((d[r, c][ok] ** 2).mean())), int(ok.sum())


rows = []
for size in sizes:
    tif = os.path.join(work, f"bench_{size}.tif")
    truth = np.loadtxt(os.path.join(work, f"bench_{size}_truth.csv"), delimiter=",", skiprows=1)[:, :2]
    # stemtrack
    out = os.path.join(work, f"stemtrack_{size}.csv")
    t0 = time.perf_counter()
    subprocess.run([os.path.join(bindir, "stemtrack"), "fit", tif, "-o", out], check=True)
    t_st = time.perf_counter() - t0
    st = np.loadtxt(out, delimiter=",", comments="#", skiprows=2, usecols=(0, 1))
    # Atomap
    image = tifffile.imread(tif).astype(float)
    s = hs.signals.Signal2D(image)
    sep = max(2, int(0.5 * 12.0))   # half the nearest-column distance (2.40 Å / 0.2 Å px)
    t0 = time.perf_counter()
    pos = am.get_atom_positions(s, separation=sep)
    sub = am.Sublattice(pos, image=image)
    sub.find_nearest_neighbors()
    sub.refine_atom_positions_using_2d_gaussian()
    t_am = time.perf_counter() - t0
    am_xy = np.array([[a.pixel_x, a.pixel_y] for a in sub.atom_list])
    e_st, n_st = rmse(st, truth)
    e_am, n_am = rmse(am_xy, truth)
    rows.append((size, len(truth), n_st, t_st, e_st, n_am, t_am, e_am))

print()
print("| frame | true columns | stemtrack found | stemtrack s | stemtrack ms/col | stemtrack RMSE px |"
      " Atomap found | Atomap s | Atomap ms/col | Atomap RMSE px | time ratio Atomap/stemtrack |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for size, n, n_st, t_st, e_st, n_am, t_am, e_am in rows:
    print(f"| {size}² | {n} | {n_st} | {t_st:.2f} | {1000 * t_st / n_st:.2f} | {e_st:.4f} |"
          f" {n_am} | {t_am:.2f} | {1000 * t_am / max(n_am, 1):.2f} | {e_am:.4f} | {t_am / t_st:.1f}× |")

#!/usr/bin/env python3
"""Links the same detections with trackpy and prints its accuracy and time beside stemtrack's.

Usage (trackpy and pandas in a venv outside the repository):
    python3 -m venv /work/venv && /work/venv/bin/pip install trackpy pandas
    .build/release/stemtrack-track-bench --write /tmp/trackbench
    /work/venv/bin/python bench/compare_trackpy.py /tmp/trackbench

Reads DIR/lattice_*.csv (frame,x,y,id: true positions + 0.05 px noise, a 9 px jump at the middle
frame) and DIR/stemtrack.json (stemtrack's numbers on the same detections, from the benchmark).
trackpy links with search_range 8 px (memory 0, its default, and 2 frames, as stemtrack's gap
closing) and 12 px (memory 0); its
SubnetOversizeException is caught and reported. Accuracy = fraction of true frame-to-frame links
(same id in frames t-1 and t) whose detections trackpy puts in the same trajectory.
"""
import glob
import json
import os
import sys
import time

import pandas as pd
import trackpy as tp

tp.quiet()


def accuracy(df, label_column):
    df = df.sort_values(["frame", "id"])
    right = links = 0
    prev = None
    for _, cur in df.groupby("frame", sort=True):
        cur_map = dict(zip(cur["id"], cur[label_column]))
        if prev is not None:
            for i, lab in cur_map.items():
                if i in prev:
                    links += 1
                    right += prev[i] == lab
        prev = cur_map
    return right / links if links else float("nan")


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "/tmp/trackbench"
    ours = {}
    path = os.path.join(directory, "stemtrack.json")
    if os.path.exists(path):
        for r in json.load(open(path)):
            ours[r["columns"]] = r
    rows = []
    for csv in sorted(glob.glob(os.path.join(directory, "lattice_*.csv")), key=lambda p: int(p.split("_")[-1][:-4])):
        df = pd.read_csv(csv)
        frames = df["frame"].nunique()
        columns = len(df) // frames
        st = min(ours.values(), key=lambda r: abs(r["columns"] - columns)) if ours else None
        if st:
            rows.append((st["columns"], frames, "stemtrack (registration + gated LAPJV)", "-",
                         f"{st['accuracy']:.4f}", f"{st['msPerFrame']:.1f}", ""))
        for search_range, memory in ((8, 0), (8, 2), (12, 0)):
            start = time.perf_counter()
            note = ""
            try:
                linked = tp.link(df[["frame", "x", "y", "id"]].copy(), search_range=search_range, memory=memory)
                elapsed = time.perf_counter() - start
                acc = f"{accuracy(linked, 'particle'):.4f}"
                ms = f"{1000 * elapsed / frames:.1f}"
            except tp.SubnetOversizeException as e:
                elapsed = time.perf_counter() - start
                acc, ms = "failed", f"({1000 * elapsed / frames:.1f} until the error)"
                note = "SubnetOversizeException (search_range too large for these data)"
            rows.append((columns, frames, f"trackpy {tp.__version__} (memory {memory})", str(search_range), acc, ms, note))
    print("| columns/frame | frames | method | search range px | true links reproduced | ms/frame | note |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(str(v) for v in r) + " |")


if __name__ == "__main__":
    main()

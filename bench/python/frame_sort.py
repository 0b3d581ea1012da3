"""Peer of bench/frame_sort: sort_values, unique and value_counts in pandas, one process.

usage: frame_sort.py int64|int64_stable|float64|float64_stable|unique|value_counts WORKERS ROWS

Row i: u = i * 0x9E3779B97F4A7C15 mod 2^64; k = u as int64; x = (u >> 11) / 2^53 - 0.5;
g = (u >> 11) mod 100 000, as in bench/frame_sort/frame_sort.hpp. int64 and float64 sort by k and
by x with pandas' default kind (quicksort); the _stable cases with kind="stable", mpp's order.
"""

import time

import numpy as np
import pandas as pd

import peer


def make_frame(rows):
    u = np.arange(rows, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return pd.DataFrame({
        "k": u.view(np.int64),
        "x": (u >> np.uint64(11)).astype(np.float64) / 2.0**53 - 0.5,
        "g": ((u >> np.uint64(11)) % np.uint64(100_000)).astype(np.int64),
    })


def main():
    task, _workers, rows = peer.arguments()
    df = make_frame(rows)
    start = time.perf_counter()
    if task in ("int64", "int64_stable", "float64", "float64_stable"):
        key = "k" if task.startswith("int64") else "x"
        out = df.sort_values(key, kind="stable" if task.endswith("stable") else "quicksort")
        seconds = time.perf_counter() - start
        peer.check(len(out) == rows and out[key].is_monotonic_increasing, "sorted")
    elif task == "unique":
        out = df["g"].unique()
        seconds = time.perf_counter() - start
        peer.check(len(out) == 100_000, "unique")
    elif task == "value_counts":
        out = df["g"].value_counts()
        seconds = time.perf_counter() - start
        peer.check(len(out) == 100_000, "value_counts")
    else:
        raise SystemExit(f"unknown task {task}")
    peer.report(seconds, rows)


if __name__ == "__main__":
    main()

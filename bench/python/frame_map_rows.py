"""Peer of bench/frame_map_rows: a row function over a frame of 4 float64 columns, in pandas.

usage: frame_map_rows.py apply_axis1|multiprocessing WORKERS ROWS

apply_axis1:     df.apply(row_norm, axis=1), one process.
multiprocessing: the tutorial's recipe for a whole-frame function: np.array_split(df, WORKERS),
                 multiprocessing.Pool(WORKERS).map(func, parts) where func applies row_norm to its
                 partition, then pd.concat.
Column j of row i is ((i * (j + 1) * 2654435761) mod 1000) / 100, as in frame_map_rows.hpp.
"""

import math
import multiprocessing
import time

import numpy as np
import pandas as pd

import peer


def row_norm(row):
    return math.sqrt(row["a"] ** 2 + row["b"] ** 2 + row["c"] ** 2 + row["d"] ** 2)


def func(df):
    return df.apply(row_norm, axis=1)


def make_frame(rows):
    i = np.arange(rows, dtype=np.uint64)
    columns = {}
    for j, name in enumerate("abcd"):
        columns[name] = ((i * np.uint64(j + 1) * np.uint64(2654435761)) % np.uint64(1000)).astype(np.float64) / 100
    return pd.DataFrame(columns)


def main():
    recipe, workers, rows = peer.arguments()
    df = make_frame(rows)
    if recipe == "apply_axis1":
        start = time.perf_counter()
        out = df.apply(row_norm, axis=1)
        seconds = time.perf_counter() - start
    elif recipe == "multiprocessing":
        with multiprocessing.Pool(workers) as pool:
            pool.map(func, np.array_split(df.head(4 * workers), workers))  # the workers are up and warm
            start = time.perf_counter()
            out = pd.concat(pool.map(func, np.array_split(df, workers)))
            seconds = time.perf_counter() - start
    else:
        raise SystemExit(f"unknown recipe {recipe}")
    expected = np.sqrt((df.to_numpy() ** 2).sum(axis=1))
    peer.check(len(out) == rows and np.allclose(out.to_numpy(), expected, rtol=0, atol=1e-12), "row norms")
    peer.report(seconds, rows)


if __name__ == "__main__":
    main()

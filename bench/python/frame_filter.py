"""Peer of bench/frame_filter: boolean indexing in pandas.

usage: frame_filter.py filter WORKERS ROWS

df[(df.a > 500) & (df.b < 5.0)] on ROWS rows of a (int64) and b, c (float64); column j of row i is
(i * (j + 1) * 2654435761) mod 1000 (a), divided by 100 for b and c, as in frame_filter.hpp.
pandas filters on one thread: WORKERS is not used. The median of 5 runs is reported.
"""

import statistics
import time

import numpy as np
import pandas as pd

import peer


def make_frame(rows):
    i = np.arange(rows, dtype=np.uint64)
    column = [((i * np.uint64(j + 1) * np.uint64(2654435761)) % np.uint64(1000)) for j in range(3)]
    return pd.DataFrame({"a": column[0].astype(np.int64), "b": column[1].astype(np.float64) / 100,
                         "c": column[2].astype(np.float64) / 100})


def main():
    case, _, rows = peer.arguments()
    if case != "filter":
        raise SystemExit(f"unknown case {case}")
    df = make_frame(rows)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        out = df[(df.a > 500) & (df.b < 5.0)]
        times.append(time.perf_counter() - start)
    peer.check(len(out) == int(((df.a > 500) & (df.b < 5.0)).sum()) and list(out.columns) == ["a", "b", "c"],
               "rows kept")
    peer.report(statistics.median(times), rows)


if __name__ == "__main__":
    main()

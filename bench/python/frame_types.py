"""Peer of bench/frame_types: bool and datetime columns in pandas.

usage: frame_types.py CASE WORKERS ROWS FILE

CASE read_csv: pd.read_csv(FILE, parse_dates=["when"], dtype={"paid": bool}) (one run);
filter: df[df.paid & (df.when >= pd.Timestamp("2016-01-01"))] (median of 5 runs);
sort: df.sort_values("when", kind="stable") (one run). The frame: ROWS rows, `when` 2000-01-01 plus
(i * 2654435761) mod 10^9 seconds, `paid` i % 3 != 0, as in frame_types.hpp. pandas runs on one
thread: WORKERS is not used.
"""

import statistics
import sys
import time

import numpy as np
import pandas as pd

import peer

START = 946_684_800  # 2000-01-01 in seconds
BOUND = pd.Timestamp("2016-01-01")


def make_frame(rows):
    i = np.arange(rows, dtype=np.uint64)
    seconds = (i * np.uint64(2654435761)) % np.uint64(1_000_000_000)
    when = (seconds.astype(np.int64) + START) * 1_000_000_000
    return pd.DataFrame({"when": when.astype("datetime64[ns]"), "paid": (i % np.uint64(3)) != 0})


def main():
    if len(sys.argv) != 5:
        sys.exit(f"usage: {sys.argv[0]} CASE WORKERS ROWS FILE")
    case, rows, path = sys.argv[1], int(sys.argv[3]), sys.argv[4]
    df = make_frame(rows)
    if case == "read_csv":
        start = time.perf_counter()
        read = pd.read_csv(path, parse_dates=["when"], dtype={"paid": bool})
        seconds = time.perf_counter() - start
        peer.check(read.equals(df), "the frame read")
    elif case == "filter":
        times = []
        for _ in range(5):
            start = time.perf_counter()
            out = df[df.paid & (df.when >= BOUND)]
            times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        peer.check(len(out) == int((df.paid & (df.when >= BOUND)).sum()), "rows kept")
    elif case == "sort":
        start = time.perf_counter()
        out = df.sort_values("when", kind="stable")
        seconds = time.perf_counter() - start
        peer.check(out.when.is_monotonic_increasing, "sorted")
    else:
        sys.exit(f"unknown case {case}")
    peer.report(seconds, rows)


if __name__ == "__main__":
    main()

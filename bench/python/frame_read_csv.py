"""Peer of bench/frame_read_csv: pandas.read_csv (the C engine) of the benchmark's file.

usage: frame_read_csv.py FILE

Prints "<seconds> <rows> <peak bytes> <peak growth bytes> <column bytes>": the read's time, the
process's peak resident size after it, how much the read raised that peak, and the frame's
memory_usage(deep=True) (a string column's Python objects included).
"""

import resource
import sys
import time

import pandas as pd

import peer


def peak_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} FILE")
    before = peak_bytes()
    start = time.perf_counter()
    df = pd.read_csv(sys.argv[1], engine="c")
    seconds = time.perf_counter() - start
    peak = peak_bytes()
    peer.check(len(df.columns) == 5 and str(df.dtypes["x"]) == "float64", "the frame read")
    columns = int(df.memory_usage(deep=True).sum())
    print(f"{seconds!r} {len(df)} {peak} {peak - before} {columns}")


if __name__ == "__main__":
    main()

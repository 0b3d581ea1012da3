"""Peer of bench/frame_groupby: groupby + sum / mean over 1 000 groups, and describe, in pandas.

usage: frame_groupby.py sum_int|mean_int|sum_string|describe WORKERS ROWS

sum_int, mean_int: df.groupby("k").x.sum() / .mean() with an int64 key; sum_string: the same sum
with a string key ("k<key>"); describe: df.describe() of 4 float64 columns. pandas runs in one
process (WORKERS is not used). The values are those of frame_groupby.hpp.
"""

import time

import numpy as np
import pandas as pd

import peer


def make_frame(rows):
    i = np.arange(rows, dtype=np.uint64)
    k = ((i * np.uint64(2654435761)) % np.uint64(1000)).astype(np.int64)
    x = ((i * np.uint64(40503)) % np.uint64(10007)).astype(np.float64) / 100
    return pd.DataFrame({"k": k, "x": x})


def make_describe_frame(rows):
    i = np.arange(rows, dtype=np.uint64)
    columns = {}
    for j, name in enumerate("abcd"):
        columns[name] = ((i * np.uint64(j + 1) * np.uint64(2654435761)) % np.uint64(100003)).astype(np.float64) / 7
    return pd.DataFrame(columns)


def main():
    recipe, _, rows = peer.arguments()
    if recipe == "describe":
        df = make_describe_frame(rows)
        start = time.perf_counter()
        out = df.describe()
        seconds = time.perf_counter() - start
        peer.check(out.loc["count", "a"] == rows, "describe count")
        peer.report(seconds, rows)
        return
    df = make_frame(rows)
    key = "k"
    if recipe == "sum_string":
        df["ks"] = "k" + df["k"].astype(str)
        key = "ks"
    start = time.perf_counter()
    grouped = df[[key, "x"]].groupby(key)
    out = grouped.mean() if recipe == "mean_int" else grouped.sum()
    seconds = time.perf_counter() - start
    peer.check(len(out) == 1000, "1000 groups")
    peer.report(seconds, rows)


if __name__ == "__main__":
    main()

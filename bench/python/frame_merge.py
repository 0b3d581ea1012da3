"""Peer of bench/frame_merge: pd.merge(left, right, on="k") of LEFT rows with 100 000 right rows.

usage: frame_merge.py merge WORKERS LEFT

left: k = (i * 2654435761) mod 100 000, a = i / 2, b = i; right: k = (j * 7919) mod 100 000,
c = k / 4, d = 3 k: the frames of bench/frame_merge/frame_merge.hpp. pandas merges on one core.
"""

import time

import numpy as np
import pandas as pd

import peer

RIGHT = 100_000


def main():
    case, _workers, rows = peer.arguments()
    if case != "merge":
        raise SystemExit(f"unknown case {case}")
    i = np.arange(rows, dtype=np.uint64)
    left = pd.DataFrame({"k": ((i * np.uint64(2654435761)) % np.uint64(RIGHT)).astype(np.int64),
                         "a": i.astype(np.float64) / 2, "b": i.astype(np.int64)})
    k = (np.arange(RIGHT, dtype=np.int64) * 7919) % RIGHT
    right = pd.DataFrame({"k": k, "c": k.astype(np.float64) / 4, "d": 3 * k})
    start = time.perf_counter()
    out = pd.merge(left, right, on="k")
    seconds = time.perf_counter() - start
    expected_k = ((out["b"].to_numpy().astype(np.uint64) * np.uint64(2654435761)) % np.uint64(RIGHT)).astype(np.int64)
    peer.check(len(out) == rows and (out["k"].to_numpy() == expected_k).all()
               and (out["d"].to_numpy() == 3 * out["k"].to_numpy()).all(), "merged rows")
    peer.report(seconds, rows)


if __name__ == "__main__":
    main()

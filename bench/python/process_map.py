"""Peer of bench/process_map: multiprocessing.Pool.map(add_one, range(items)) with chunksize=1 or
with Pool.map's default chunksize (about four chunks per worker).

usage: process_map.py chunksize_1|chunksize_auto WORKERS ITEMS
"""

import multiprocessing
import time

import peer

CHUNKSIZE = {"chunksize_1": 1, "chunksize_auto": None}


def main():
    case, workers, n = peer.arguments()
    chunksize = CHUNKSIZE[case]
    with multiprocessing.Pool(workers) as pool:
        pool.map(peer.add_one, range(4 * workers), chunksize=1)  # the workers are up and warm
        start = time.perf_counter()
        out = pool.map(peer.add_one, range(n), chunksize=chunksize)
        seconds = time.perf_counter() - start
    peer.check(out == list(range(1, n + 1)), "map results")
    peer.report(seconds, n)


if __name__ == "__main__":
    main()

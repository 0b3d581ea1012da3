"""Peer of bench/process_tiny_tasks: `items` apply_async(add_one, (i,)) on multiprocessing.Pool,
the AsyncResults kept in a list, then get() of each.

usage: process_tiny_tasks.py apply_async WORKERS ITEMS
"""

import multiprocessing
import time

import peer


def main():
    case, workers, n = peer.arguments()
    if case != "apply_async":
        raise SystemExit(f"unknown case {case}")
    with multiprocessing.Pool(workers) as pool:
        pool.map(peer.add_one, range(4 * workers), chunksize=1)  # the workers are up and warm
        start = time.perf_counter()
        results = [pool.apply_async(peer.add_one, (i,)) for i in range(n)]
        out = [r.get() for r in results]
        seconds = time.perf_counter() - start
    peer.check(out == list(range(1, n + 1)), "apply_async results")
    peer.report(seconds, n)


if __name__ == "__main__":
    main()

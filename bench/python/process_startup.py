"""Peer of bench/process_startup: multiprocessing.Pool(workers), then close() and join(), timed
`times` times after one untimed warm-up; reports the mean of one start-up and shutdown (as Google
Benchmark's loop does for the C++ contender).

usage: process_startup.py pool WORKERS TIMES
"""

import multiprocessing
import time

import peer


def start_and_stop(workers):
    pool = multiprocessing.Pool(workers)
    pool.close()
    pool.join()


def main():
    case, workers, times = peer.arguments()
    if case != "pool":
        raise SystemExit(f"unknown case {case}")
    start_and_stop(workers)  # imports and first-use costs, untimed
    start = time.perf_counter()
    for _ in range(times):
        start_and_stop(workers)
    seconds = time.perf_counter() - start
    peer.report(seconds / times, 0)


if __name__ == "__main__":
    main()

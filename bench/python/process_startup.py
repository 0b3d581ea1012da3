"""Peer of bench/process_startup: multiprocessing.get_context(METHOD).Pool(workers), then close()
and join(), timed `times` times after one untimed warm-up; reports the mean of one start-up and
shutdown (as Google Benchmark's loop does for the C++ contender).

usage: process_startup.py METHOD WORKERS TIMES

METHOD is a start method of multiprocessing: fork, spawn or forkserver. The warm-up also starts
the fork server, once for the whole run, as a program would (it is not timed).
"""

import multiprocessing
import time

import peer


def start_and_stop(context, workers):
    pool = context.Pool(workers)
    pool.close()
    pool.join()


def main():
    method, workers, times = peer.arguments()
    if method not in multiprocessing.get_all_start_methods():
        raise SystemExit(f"unknown start method {method}")
    context = multiprocessing.get_context(method)
    start_and_stop(context, workers)  # imports, first-use costs, the fork server: untimed
    start = time.perf_counter()
    for _ in range(times):
        start_and_stop(context, workers)
    seconds = time.perf_counter() - start
    peer.report(seconds / times, 0)


if __name__ == "__main__":
    main()

"""Peer of bench/lock: multiprocessing.Lock.

usage: lock.py uncontended 1 ITEMS   ITEMS acquire + release pairs, no one else about
       lock.py contended 2 ITEMS     two processes, each ITEMS rounds of acquire, += 1 on a shared
                                     Value (lock=False), release
"""

import multiprocessing
import time

import peer


def count(lock, counter, n):
    for _ in range(n):
        with lock:
            counter.value += 1


def main():
    case, _workers, n = peer.arguments()
    lock = multiprocessing.Lock()
    if case == "uncontended":
        start = time.perf_counter()
        for _ in range(n):
            lock.acquire()
            lock.release()
        seconds = time.perf_counter() - start
        peer.report(seconds, n)
    elif case == "contended":
        counter = multiprocessing.Value("q", 0, lock=False)
        other = multiprocessing.Process(target=count, args=(lock, counter, n))
        start = time.perf_counter()
        other.start()
        count(lock, counter, n)
        other.join()
        seconds = time.perf_counter() - start
        peer.check(counter.value == 2 * n, "every round counted")
        peer.report(seconds, 2 * n)
    else:
        raise SystemExit(f"unknown case {case}")


if __name__ == "__main__":
    main()

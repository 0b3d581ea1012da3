"""Peer of bench/process_tutorial: the tutorial's own Python, pool.map(howmany_within_range_rowonly,
data) on multiprocessing.Pool, over `rows` rows of five ints in 0..9.

Python cannot share the C++ suites' std::mt19937 stream, so it draws equivalent data (uniform in
0..9, seeded); what matters is the work per row, which is the same.

usage: process_tutorial.py map WORKERS ROWS
"""

import multiprocessing
import random
import time

import peer


def howmany_within_range_rowonly(row, minimum=4, maximum=8):
    """Returns how many numbers lie within `maximum` and `minimum` in a given `row` (the tutorial's)."""
    count = 0
    for n in row:
        if minimum <= n <= maximum:
            count = count + 1
    return count


def tutorial_rows(rows):
    values = random.Random(100).choices(range(10), k=5 * rows)
    return [values[i:i + 5] for i in range(0, 5 * rows, 5)]


def main():
    case, workers, rows = peer.arguments()
    if case != "map":
        raise SystemExit(f"unknown case {case}")
    data = tutorial_rows(rows)
    expected = sum(howmany_within_range_rowonly(row) for row in data)
    with multiprocessing.Pool(workers) as pool:
        pool.map(peer.add_one, range(4 * workers), chunksize=1)  # the workers are up and warm
        start = time.perf_counter()
        results = pool.map(howmany_within_range_rowonly, data)
        seconds = time.perf_counter() - start
    peer.check(len(results) == rows and sum(results) == expected, "counts")
    peer.report(seconds, rows)


if __name__ == "__main__":
    main()

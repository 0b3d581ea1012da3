"""What every Python peer shares: its command line and the one line it reports.

A peer is run once per repetition by its suite's `python` contender (bench/python/peer.hpp):
`python3 <problem>.py <case> <workers> <items>`. It builds its data and starts its Pool untimed,
times the workload with time.perf_counter(), checks the result, and prints "<seconds> <items>"
(or exits non-zero with a message on stderr, which turns its row into an error).
"""

import sys


def arguments():
    """(case, workers, items) from the command line."""
    if len(sys.argv) != 4:
        sys.exit(f"usage: {sys.argv[0]} CASE WORKERS ITEMS")
    return sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def check(ok, what):
    if not ok:
        sys.exit(f"{sys.argv[0]}: wrong result: {what}")


def report(seconds, items):
    """The timed workload took `seconds` and handled `items` items (0: no rate)."""
    print(f"{seconds!r} {items}")


def add_one(x):
    return x + 1

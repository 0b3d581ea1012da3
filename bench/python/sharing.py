"""Peer of bench/sharing: multiprocessing.Value and Pipe.

usage: sharing.py value 1 ITEMS   ITEMS increments of a Value('q') under its get_lock()
       sharing.py pipe 1 ITEMS    ITEMS round trips of an int to a child that sends it back
       sharing.py bulk 1 ITEMS    ITEMS messages of 1 MiB of bytes (send_bytes) to a child that
                                  acknowledges each with its length
"""

import multiprocessing
import time

import peer

BULK_BYTES = 1 << 20


def echo(conn):
    while True:
        n = conn.recv()
        conn.send(n)
        if n < 0:
            return


def sink(conn):
    while True:
        message = conn.recv_bytes()
        conn.send(len(message))
        if not message:
            return


def main():
    case, _workers, n = peer.arguments()
    if case == "value":
        counter = multiprocessing.Value("q", 0)
        start = time.perf_counter()
        for _ in range(n):
            with counter.get_lock():
                counter.value += 1
        seconds = time.perf_counter() - start
        peer.check(counter.value == n, "every increment counted")
        peer.report(seconds, n)
    elif case in ("pipe", "bulk"):
        mine, theirs = multiprocessing.Pipe()
        child = multiprocessing.Process(target=echo if case == "pipe" else sink, args=(theirs,))
        child.start()
        theirs.close()
        if case == "pipe":
            mine.send(0)
            mine.recv()
            start = time.perf_counter()
            total = 0
            for i in range(1, n + 1):
                mine.send(i)
                total += mine.recv()
            seconds = time.perf_counter() - start
            peer.check(total == n * (n + 1) // 2, "every integer came back")
            mine.send(-1)
        else:
            message = b"\x07" * BULK_BYTES
            mine.send_bytes(message)
            mine.recv()
            start = time.perf_counter()
            received = 0
            for _ in range(n):
                mine.send_bytes(message)
                received += mine.recv()
            seconds = time.perf_counter() - start
            peer.check(received == n * BULK_BYTES, "every byte arrived")
            mine.send_bytes(b"")
        mine.recv()
        child.join()
        peer.report(seconds, n)
    else:
        raise SystemExit(f"unknown case {case}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Runs mpp's benchmark suites and prints one comparison table (Markdown).

usage: mpp-bench-table [SUITE...]

SUITE is a benchmark executable; without any, every mpp-bench-* next to this script runs.
Each suite runs once, with all its contenders, so every ratio compares numbers of the same run.

Environment:
  MPP_BENCH_REPS    repetitions of each benchmark (default 5); the table shows their median
  MPP_BENCH_FILTER  passed on as --benchmark_filter (a regex over names like tutorial/pool/200000)
  MPP_BENCH_OUT     folder for the raw JSON of each suite and table.md (default: bench-results next to
                    this script, so in the build tree)
  MPP_SOURCE_DIR    mpp's source tree, to name the commit measured (the bench-table target sets it)
  MPP_BENCH_SUITE_TIMEOUT  seconds a suite may run before it is stopped and reported as failed
                    (default 900)
"""

import datetime
import json
import multiprocessing
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

SUBJECT = "pool"  # mpp's contender; every other contender of a problem is a peer
PROCESS_SUBJECT = "process_pool"  # ... except in the problems that have this one (process_*)
RUN_SUBJECT = "mpp_run"  # ... and mpp-run where it runs (run_jobs)
READ_CSV_SUBJECT = "read_csv"  # ... and mpp::read_csv (frame_read_csv)
MPI_SUBJECT = "mpi_pool"  # ... and mpp::MpiPool, against ProcessPool (mpi_*)
ORDER = ["serial", "pool", "process_pool", "mpp_run", "mpp_run_mpirun_n2", "omp", "tbb", "condvar", "pipe", "futex",
         "xargs", "parallel", "python", "mpi_pool", "read_csv", "pandas_apply", "pandas_mp", "pandas_read_csv"]
PEER_NAMES = {
    "serial": "serial loop",
    "pool": "mpp::Pool",
    "process_pool": "mpp::ProcessPool",
    "omp": "OpenMP",
    "tbb": "oneTBB",
    "condvar": "mutex + condvar",
    "pipe": "pipe ping-pong",
    "futex": "futex ping-pong, no spin",
    "python": "Python multiprocessing.Pool",
    "pandas_apply": "pandas df.apply(axis=1)",
    "pandas_mp": "pandas: np.array_split + multiprocessing.Pool",
    "read_csv": "mpp::read_csv",
    "mpi_pool": "mpp::MpiPool",
    "pandas_read_csv": "pandas.read_csv (C engine)",
    "mpp_run": "mpp-run -j2",
    "mpp_run_mpirun_n2": "mpirun -n 2 mpp-run -j2 (rank 1 runs the jobs)",
    "xargs": "xargs -P2 (output not grouped)",
    "parallel": "GNU parallel -j2 --group",
}
TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
# The start methods of the process_startup and process_replace rows (process_startup/<method>/2).
START_METHODS = ["fork", "spawn", "forkserver"]


def subject_of(contenders):
    """The contender a problem's peers are compared with: mpp-run, mpp::ProcessPool or mpp::read_csv where
    it runs, else mpp::Pool."""
    for subject in (RUN_SUBJECT, MPI_SUBJECT, PROCESS_SUBJECT, READ_CSV_SUBJECT):
        if subject in contenders:
            return subject
    return SUBJECT


def python_version(interpreter):
    """'CPython 3.11.2, start method fork' for the interpreter of the Python peers."""
    code = ("import multiprocessing, platform; "
            "print(platform.python_implementation(), platform.python_version() + ',', "
            "'start method', multiprocessing.get_start_method())")
    try:
        out = subprocess.run([interpreter, "-c", code], capture_output=True, text=True, check=True, timeout=30)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def source_version():
    src = os.environ.get("MPP_SOURCE_DIR")
    if not src:
        return "unknown"
    try:
        out = subprocess.run(["git", "-C", src, "describe", "--always", "--dirty"], capture_output=True,
                             text=True, check=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _spin(n):
    x = 0
    for i in range(n):
        x += i
    return x


def parallelism(workers, n=2_000_000):
    """How many CPUs' worth of work `workers` busy processes get done at once right now, against one
    alone: about `workers` on an idle machine, less when other jobs share it."""
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pool.map(_spin, [1000] * workers)  # started and warm
        t0 = time.perf_counter()
        pool.map(_spin, [n])
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        pool.map(_spin, [n] * workers, chunksize=1)
        many = time.perf_counter() - t0
    return workers * one / many


def run_suite(exe, reps, out_dir):
    args = [str(exe), f"--benchmark_repetitions={reps}", "--benchmark_format=json",
            "--benchmark_enable_random_interleaving=true"]
    if os.environ.get("MPP_BENCH_FILTER"):
        args.append(f"--benchmark_filter={os.environ['MPP_BENCH_FILTER']}")
    name = pathlib.Path(exe).name
    limit = float(os.environ.get("MPP_BENCH_SUITE_TIMEOUT", "900"))
    start = time.monotonic()
    # A session of its own, so that a suite that hangs is stopped with everything it started
    # (the MPI suite runs under mpirun) and the other suites still run.
    with subprocess.Popen(args, stdout=subprocess.PIPE, text=True, start_new_session=True) as proc:
        try:
            stdout, _ = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.communicate()
            raise RuntimeError(f"{name} ran past MPP_BENCH_SUITE_TIMEOUT ({limit:.0f} s) and was stopped") from None
    took = time.monotonic() - start
    print(f"{name}: {took:.0f} s", file=sys.stderr, flush=True)
    (out_dir / f"{name}.json").write_text(stdout, encoding="utf-8")
    if proc.returncode != 0:
        raise RuntimeError(f"{name} exited with status {proc.returncode}")
    if not stdout.strip():
        return None  # MPP_BENCH_FILTER matched none of its benchmarks
    try:
        return json.loads(stdout)
    except json.JSONDecodeError as e:
        raise RuntimeError(f"{name} wrote no valid JSON: {e}") from e


def split_name(run_name):
    """'tutorial/pool/200000/real_time' -> ('tutorial/200000', 'pool'); options in the name are dropped."""
    parts = [p for p in run_name.split("/")
             if p not in ("real_time", "manual_time") and not p.startswith(("iterations:", "min_time:"))]
    return "/".join([parts[0]] + parts[2:]), parts[1]


def collect(report):
    """{problem: {contender: {'ns': [...], 'rate': [...], 'error': str|None, counters}}}"""
    problems = {}
    for b in report.get("benchmarks", []):
        if b.get("run_type") != "iteration":
            continue
        problem, contender = split_name(b.get("run_name", b["name"]))
        entry = problems.setdefault(problem, {}).setdefault(
            contender, {"ns": [], "rate": [], "error": None, "counters": {}})
        if b.get("error_occurred"):
            entry["error"] = b.get("error_message", "error")
            continue
        entry["ns"].append(b["real_time"] * TO_NS[b.get("time_unit", "ns")])
        if "items_per_second" in b:
            entry["rate"].append(b["items_per_second"])
        for key in ("p10_us", "p90_us", "p99_us", "mean_us", "peak_over_columns", "peak_MB", "columns_MB"):
            if key in b:
                entry["counters"].setdefault(key, []).append(b[key])
    for contenders in problems.values():
        for entry in contenders.values():
            entry["median"] = statistics.median(entry["ns"]) if entry["ns"] else None
            entry["rate_median"] = statistics.median(entry["rate"]) if entry["rate"] else None
            if entry["ns"] and entry["median"]:
                entry["spread"] = (max(entry["ns"]) - min(entry["ns"])) / entry["median"]
            else:
                entry["spread"] = None
            # Items per timed run: contenders of a problem may run different sizes (Python's
            # chunksize-1 map does a tenth of the items), and are then compared by rate.
            entry["items"] = (entry["rate_median"] * entry["median"] * 1e-9
                              if entry["rate_median"] and entry["median"] else None)
    return problems


def ratio(subject, peer):
    """(subject's time ÷ peer's time, compared by rate?) for two entries of a problem: their times when
    they ran the same number of items, else the peer's rate ÷ the subject's (the same quotient when
    the sizes agree)."""
    if not subject or subject["error"] or peer["error"] or not subject["median"] or not peer["median"]:
        return None, False
    a, b = subject["items"], peer["items"]
    if a and b and abs(a - b) > 0.01 * max(a, b):
        return peer["rate_median"] / subject["rate_median"], True
    return subject["median"] / peer["median"], False


def fmt_time(ns):
    if ns is None:
        return "n/a"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_rate(rate):
    if rate is None:
        return ""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if rate >= scale:
            return f"{rate / scale:.3g} {unit}/s"
    return f"{rate:.3g} /s"


def contender_order(name):
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)


def problem_order(problem):
    base, _, arg = problem.partition("/")
    order = ["tutorial", "tiny_tasks", "round_trip", "trivial_map", "imbalanced", "process_tutorial",
             "process_tiny_tasks", "process_map", "process_round_trip", "process_startup", "process_replace", "frame_map_rows",
             "frame_read_csv", "run_jobs", "mpi_tutorial", "mpi_coarse", "mpi_chunk"]
    rank = order.index(base) if base in order else len(order)
    return (rank, base, int(arg) if arg.isdigit() else 0, arg)


def table(problems, probes):
    lines = ["| problem | contender | median time | median rate | spread | pool ÷ peer (time) | free CPUs |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for problem in sorted(problems, key=problem_order):
        contenders = problems[problem]
        subject_name = subject_of(contenders)
        subject = contenders.get(subject_name)
        probe = f"{probes[problem]:.2f}" if problem in probes else ""
        for name in sorted(contenders, key=contender_order):
            e = contenders[name]
            label = PEER_NAMES.get(name, name)
            if e["error"]:
                lines.append(f"| {problem} | {label} | error: {e['error']} | | | | {probe} |")
                continue
            shown = ""
            if name != subject_name:
                r, by_rate = ratio(subject, e)
                if r is not None:
                    shown = f"{r:.3g} (rates)" if by_rate else f"{r:.3g}" if r < 0.1 else f"{r:.2f}"
            spread = f"{100 * e['spread']:.0f}%" if e["spread"] is not None else ""
            lines.append(f"| {problem} | {label} | {fmt_time(e['median'])} | {fmt_rate(e['rate_median'])} "
                         f"| {spread} | {shown} | {probe} |")
    return lines


def median_of(problems, problem, contender):
    e = problems.get(problem, {}).get(contender)
    return e["median"] if e and not e["error"] else None


def targets(problems, workers):
    """The issue's targets: (met or None when not measured, text)."""
    out = []
    m = lambda p, c: median_of(problems, p, c)  # noqa: E731

    pool, omp, tbb, serial = (m("tutorial/20000000", c) for c in ("pool", "omp", "tbb", "serial"))
    peers = [t for t in (omp, tbb) if t]
    if pool and peers:
        r = pool / min(peers)
        out.append((r <= 1.10, f"tutorial, 20 000 000 rows: Pool::map within 10% of the faster of OpenMP and "
                               f"oneTBB: pool ÷ fastest peer = {r:.2f} (target ≤ 1.10)"))
    else:
        out.append((None, "tutorial, 20 000 000 rows vs OpenMP/oneTBB: not measured"))
    if pool and serial:
        s = serial / pool
        note = "" if workers == 2 else f" (the target is for 2 cores; this run had {workers} workers)"
        out.append((s >= 1.8, f"tutorial, 20 000 000 rows: Pool::map ≥ 1.8× faster than serial: "
                              f"serial ÷ pool = {s:.2f}×{note}"))
    else:
        out.append((None, "tutorial, 20 000 000 rows vs serial: not measured"))

    for rows, label in ((2000, "2 000"), (20000, "20 000"), (200000, "200 000")):
        pool, omp, tbb, serial = (m(f"tutorial/{rows}", c) for c in ("pool", "omp", "tbb", "serial"))
        peers = [t for t in (omp, tbb) if t]
        if pool and peers:
            r = pool / min(peers)
            out.append((r <= 1.20, f"tutorial, {label} rows: Pool::map within 1.2× of the faster of OpenMP and "
                                   f"oneTBB: pool ÷ fastest peer = {r:.2f} (target ≤ 1.20)"))
        else:
            out.append((None, f"tutorial, {label} rows vs OpenMP/oneTBB: not measured"))
        if pool and serial:
            out.append((pool <= serial, f"tutorial, {label} rows: Pool::map never slower than the serial loop: "
                                        f"{fmt_time(pool)} vs {fmt_time(serial)}"))
        else:
            out.append((None, f"tutorial, {label} rows vs serial: not measured"))

    def rate(c):
        e = problems.get("tiny_tasks", {}).get(c)
        return e["rate_median"] if e and not e["error"] else None

    pr, tr = rate("pool"), rate("tbb")
    if pr and tr:
        out.append((pr / tr >= 0.8, f"tiny tasks: apply_async ≥ 0.8× the throughput of task_group::run: "
                                    f"{fmt_rate(pr)} vs {fmt_rate(tr)} = {pr / tr:.2f} (target ≥ 0.80)"))
    else:
        out.append((None, "tiny tasks: not measured"))

    ap, cv = m("round_trip", "pool"), m("round_trip", "condvar")
    if ap and cv:
        out.append((ap < cv and ap <= 10e3, f"apply round trip below a mutex + condvar hand-off and ≤ 10 µs: "
                                            f"median {fmt_time(ap)} vs {fmt_time(cv)}"))
    else:
        out.append((None, "apply round trip: not measured"))
    pp = m("process_round_trip", PROCESS_SUBJECT)
    if ap and pp:
        out.append((ap < pp and ap <= 1e3, f"Pool::apply round trip below ProcessPool::apply's and ≤ 1 µs: "
                                           f"median {fmt_time(ap)} vs {fmt_time(pp)}"))
    else:
        out.append((None, "Pool::apply vs ProcessPool::apply round trip: not measured"))

    ip, it = m("imbalanced", "pool"), m("imbalanced", "tbb")
    if ip and it:
        out.append((ip / it <= 1.10, f"imbalanced map: within 10% of oneTBB: pool ÷ oneTBB = {ip / it:.2f} "
                                     f"(target ≤ 1.10)"))
    else:
        out.append((None, "imbalanced map: not measured"))
    return (out + process_targets(problems) + frame_targets(problems, workers) + run_targets(problems) +
            mpi_targets(problems))


def frame_targets(problems, workers):
    """The Frame issue's targets: (met or None when not measured, text)."""
    out = []

    def entry(problem, contender):
        e = problems.get(problem, {}).get(contender)
        return e if e and not e["error"] else None

    pool, serial, apply = (entry("frame_map_rows", c) for c in ("pool", "serial", "pandas_apply"))
    if pool and serial:
        s = serial["median"] / pool["median"]
        note = "" if workers == 2 else f" (the target is for 2 cores; this run had {workers} workers)"
        out.append((s >= 1.8, f"map_rows over 10 000 000 rows on Pool ≥ 1.8× serial C++: serial ÷ pool = {s:.2f}×{note}"))
    else:
        out.append((None, "map_rows vs serial: not measured"))
    if pool and apply and pool["rate_median"] and apply["rate_median"]:
        r = pool["rate_median"] / apply["rate_median"]
        out.append((r >= 100, f"map_rows on Pool ≥ 100× pandas df.apply(axis=1): {fmt_rate(pool['rate_median'])} vs "
                              f"{fmt_rate(apply['rate_median'])} rows = {r:.0f}× (target ≥ 100×)"))
    else:
        out.append((None, "map_rows vs pandas apply(axis=1): not measured"))

    mine, pandas = entry("frame_read_csv", "read_csv"), entry("frame_read_csv", "pandas_read_csv")
    if mine and pandas:
        out.append((mine["median"] <= pandas["median"],
                    f"read_csv at least as fast as pandas.read_csv: {fmt_time(mine['median'])} vs "
                    f"{fmt_time(pandas['median'])} = {mine['median'] / pandas['median']:.2f}× (target ≤ 1)"))
    else:
        out.append((None, "read_csv vs pandas.read_csv: not measured"))
    peaks = mine["counters"].get("peak_over_columns") if mine else None
    if peaks:
        extra = ""
        pandas_peaks = pandas["counters"].get("peak_over_columns") if pandas else None
        if pandas_peaks:
            extra = f"; pandas.read_csv: {statistics.median(pandas_peaks):.2f}× its own columns"
        peak = statistics.median(peaks)
        out.append((peak <= 2.0, f"read_csv peak memory ≤ 2× the parsed columns: {peak:.2f}×{extra}"))
    else:
        out.append((None, "read_csv peak memory: not measured"))
    return out


def mpi_targets(problems):
    """The MpiPool issue's targets: (met or None when not measured, text)."""
    out = []
    m = lambda p, c: median_of(problems, p, c)  # noqa: E731
    one, two = m("mpi_coarse/24/1", MPI_SUBJECT), m("mpi_coarse/24/2", MPI_SUBJECT)
    if one and two:
        e = one / (2 * two)
        out.append((e >= 0.9, f"coarse workload, MpiPool from 1 to 2 serving ranks: parallel efficiency "
                              f"{fmt_time(one)} / (2 × {fmt_time(two)}) = {100 * e:.0f}% (target ≥ 90%)"))
    else:
        out.append((None, "MpiPool coarse workload: not measured"))
    rows = []
    for problem in sorted((p for p in problems if p.startswith("mpi_tutorial/")), key=problem_order):
        mine, theirs = m(problem, MPI_SUBJECT), m(problem, PROCESS_SUBJECT)
        if mine and theirs:
            rows.append((problem, mine / theirs))
    if rows:
        worst = max(r for _, r in rows)
        shown = ", ".join(f"{p.removeprefix('mpi_tutorial/')} {r:.2f}×" for p, r in rows)
        out.append((worst <= 2.0, f"tutorial map, MpiPool within 2× of ProcessPool with the same workers "
                                  f"(rows/workers): {shown} (target ≤ 2×)"))
    else:
        out.append((None, "MpiPool tutorial map vs ProcessPool: not measured"))
    return out


def process_targets(problems):
    """The ProcessPool issue's targets: (met or None when not measured, text)."""
    out = []
    m = lambda p, c: median_of(problems, p, c)  # noqa: E731

    def rate(problem, contender):
        e = problems.get(problem, {}).get(contender)
        return e["rate_median"] if e and not e["error"] else None

    for problem, what in (("process_tiny_tasks", "tiny tasks, apply_async ×100 000"),
                          ("process_map/chunksize_1", "tiny tasks, map at chunksize 1 (Python: 100 000 items)"),
                          ("process_tutorial/200000", "tutorial, 200 000 rows, map")):
        mine, python = rate(problem, PROCESS_SUBJECT), rate(problem, "python")
        if mine and python:
            r = mine / python
            out.append((r >= 20, f"{what}: ProcessPool ≥ 20× the throughput of Python's multiprocessing.Pool: "
                                 f"{fmt_rate(mine)} vs {fmt_rate(python)} = {r:.1f}× (target ≥ 20×)"))
        else:
            out.append((None, f"{what} vs Python's multiprocessing.Pool: not measured"))

    ap, pipe, fx = (m("process_round_trip", c) for c in (PROCESS_SUBJECT, "pipe", "futex"))
    if ap and pipe:
        extra = f"; futex ping-pong without spinning {fmt_time(fx)}" if fx else ""
        out.append((ap < pipe, f"ProcessPool apply round trip below a raw pipe ping-pong between two processes: "
                               f"median {fmt_time(ap)} vs {fmt_time(pipe)}{extra}"))
    else:
        out.append((None, "ProcessPool apply round trip vs pipe ping-pong: not measured"))

    pp, tp = m("process_tutorial/20000000", PROCESS_SUBJECT), m("process_tutorial/20000000", "pool")
    if pp and tp:
        out.append((pp / tp <= 2.0, f"tutorial, 20 000 000 rows: ProcessPool::map within 2× of Pool::map: "
                                    f"{fmt_time(pp)} vs {fmt_time(tp)} = {pp / tp:.2f}× (target ≤ 2×)"))
    else:
        out.append((None, "tutorial, 20 000 000 rows, ProcessPool vs Pool: not measured"))
    ps = m("process_tutorial/20000000", "process_pool_shared")
    if ps and tp:
        out.append((ps / tp <= 1.3, f"tutorial, 20 000 000 rows in an mpp::SharedVector: ProcessPool::map within "
                                    f"1.3× of Pool::map: {fmt_time(ps)} vs {fmt_time(tp)} = {ps / tp:.2f}× "
                                    "(target ≤ 1.3×)"))
    else:
        out.append((None, "tutorial, 20 000 000 rows in shared memory, ProcessPool vs Pool: not measured"))

    for method in START_METHODS:
        sp, sy = m(f"process_startup/{method}/2", PROCESS_SUBJECT), m(f"process_startup/{method}/2", "python")
        if sp and sy:
            out.append((sy / sp >= 10, f"start-up and shutdown with 2 workers under {method}: ProcessPool ≥ 10× "
                                       f"faster than Python's Pool(2) under {method}: {fmt_time(sp)} vs "
                                       f"{fmt_time(sy)} = {sy / sp:.1f}× (target ≥ 10×)"))
        else:
            out.append((None, f"start-up and shutdown with 2 workers under {method} vs Python's Pool(2): "
                              "not measured"))
    rf, rs = m("process_replace/fork", PROCESS_SUBJECT), m("process_replace/forkserver", PROCESS_SUBJECT)
    if rf and rs:
        out.append((rs / rf <= 2, f"replacement of a crashed worker under forkserver within 2× of fork: "
                                  f"{fmt_time(rs)} vs {fmt_time(rf)} = {rs / rf:.2f}× (target ≤ 2×)"))
    else:
        out.append((None, "replacement of a crashed worker, forkserver vs fork: not measured"))
    return out


def run_targets(problems):
    """mpp-run's targets: (met or None when not measured, text)."""
    out = []
    m = lambda p, c: median_of(problems, p, c)  # noqa: E731

    mine, xargs, gnu = (m("run_jobs/true_x2000", c) for c in (RUN_SUBJECT, "xargs", "parallel"))
    if mine and xargs:
        out.append((mine < xargs, f"2 000 trivial jobs, two at a time: mpp-run faster than xargs -P2: "
                                  f"{fmt_time(mine)} vs {fmt_time(xargs)} ({xargs / mine:.2f}× faster)"))
    else:
        out.append((None, "2 000 trivial jobs, mpp-run vs xargs -P2: not measured"))
    if mine and gnu:
        out.append((gnu / mine >= 5, f"2 000 trivial jobs, two at a time: mpp-run ≥ 5× faster than GNU parallel: "
                                     f"{fmt_time(mine)} vs {fmt_time(gnu)} = {gnu / mine:.1f}× (target ≥ 5×)"))
    else:
        out.append((None, "2 000 trivial jobs, mpp-run vs GNU parallel: not measured"))
    mine, gnu = m("run_jobs/print_1mb_x200", RUN_SUBJECT), m("run_jobs/print_1mb_x200", "parallel")
    if mine and gnu:
        out.append((mine <= gnu, f"200 jobs printing 1 MiB, output grouped: mpp-run at least as fast as GNU parallel "
                                 f"--group: {fmt_time(mine)} vs {fmt_time(gnu)} ({gnu / mine:.2f}× faster)"))
    else:
        out.append((None, "200 jobs printing 1 MiB, mpp-run vs GNU parallel --group: not measured"))
    return out


def main(argv):
    here = pathlib.Path(__file__).resolve().parent
    suites = [pathlib.Path(a) for a in argv[1:]] or sorted(
        p for p in here.glob("mpp-bench-*") if p.name != "mpp-bench-table" and os.access(p, os.X_OK))
    if not suites:
        print("mpp-bench-table: no benchmark suites given or found", file=sys.stderr)
        return 2
    reps = int(os.environ.get("MPP_BENCH_REPS", "5"))
    out_dir = pathlib.Path(os.environ.get("MPP_BENCH_OUT", here / "bench-results"))
    out_dir.mkdir(parents=True, exist_ok=True)

    load_before = os.getloadavg()
    usable = len(os.sched_getaffinity(0))
    started = datetime.datetime.now().astimezone()
    problems, workers, failed, python = {}, None, [], None
    probes = {}
    for exe in suites:
        before = parallelism(usable)
        try:
            report = run_suite(exe, reps, out_dir)
        except RuntimeError as e:
            failed.append(str(e))
            continue
        if report is None:
            continue
        after = parallelism(usable)
        workers = workers or report.get("context", {}).get("mpp_workers")
        python = python or report.get("context", {}).get("mpp_python")
        suite_problems = collect(report)
        problems.update(suite_problems)
        for problem in suite_problems:
            probes[problem] = min(before, after)
    workers = int(workers) if workers else None

    lines = [
        "## mpp benchmarks",
        "",
        f"- machine: {cpu_model()}, nproc {os.cpu_count()}, usable {len(os.sched_getaffinity(0))}, "
        f"workers per contender {workers}",
        f"- mpp: {source_version()}; date: {started.strftime('%Y-%m-%d %H:%M %Z')}; load average before: "
        f"{load_before[0]:.2f}; {platform.system()} {platform.release()}",
        f"- free CPUs: how many CPUs' worth of work {usable} busy processes got done at once, probed before "
        f"and after each suite (the lower is shown; {usable} on an idle machine, less when other jobs share it)",
        f"- {reps} repetitions each (randomly interleaved); the median of the repetitions is shown, "
        "spread = (max - min) / median",
        "- pool ÷ peer: mpp's median time divided by the peer's, same run (< 1: mpp is faster); mpp is "
        "mpp::ProcessPool in the process_* rows, mpp::MpiPool in the mpi_* rows, mpp-run in the run_jobs rows, mpp::Pool "
        "elsewhere; "
        "\"(rates)\": the two ran different numbers of items, and the quotient is the peer's rate ÷ mpp's",
    ]
    if python:
        lines.append(f"- Python peers: {python_version(python)} ({python})")
    lines += [""]
    lines += table(problems, probes)
    lines += ["", "### Targets", ""]
    for met, text in targets(problems, workers):
        mark = "n/a" if met is None else ("met" if met else "MISSED")
        lines.append(f"- **{mark}**: {text}")
    for problem, title in (("round_trip", "Round-trip percentiles"),
                           ("process_round_trip", "Process round-trip percentiles")):
        rt = problems.get(problem, {})
        extra = []
        for name in sorted(rt, key=contender_order):
            c = rt[name]["counters"]
            if c:
                extra.append(f"{PEER_NAMES.get(name, name)} p10 {statistics.median(c['p10_us']):.1f} µs, "
                             f"p90 {statistics.median(c['p90_us']):.1f} µs, "
                             f"p99 {statistics.median(c['p99_us']):.1f} µs")
        if extra:
            lines += ["", f"{title} (median over repetitions): " + "; ".join(extra) + "."]
    for f in failed:
        lines.append(f"\n**suite failed**: {f}")

    text = "\n".join(lines) + "\n"
    (out_dir / "table.md").write_text(text, encoding="utf-8")
    print(text)
    errors = any(e["error"] for c in problems.values() for e in c.values())
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

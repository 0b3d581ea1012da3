// How mpp::ProcessPool and mpp::Process start their processes, as Python's multiprocessing start
// methods: the program's default (forkserver, as Python 3.14's), and the call a program makes at the
// top of main() so that spawned workers and the fork server can run (mpp::freeze_support, Python's
// name for the same role).
#pragma once

namespace mpp {

/// How a ProcessPool starts its workers (and the replacements of workers that died).
enum class StartMethod {
  /// fork() the pool's process: the worker is a copy of the parent at that moment. Fast, and any
  /// function or captured state is there already; but the parent is multi-threaded by then (at
  /// least the pool's dispatcher thread, which also forks the replacements), and a lock another
  /// thread held at the fork (a std::mutex of the program's, libgomp's) stays locked forever in
  /// the worker: a worker function that takes it hangs. Not the default for that reason; choose it
  /// where the workers must see the parent's state of the moment, or capture state (mpp::Process).
  fork,
  /// Run the program's own binary afresh (/proc/self/exe) for each worker: it inherits no lock and
  /// no thread. Its static initialisers run, then main() up to mpp::freeze_support(), which turns
  /// the process into a worker and never returns. Functions cross as (module, offset), as to MPI
  /// ranks. The program must call mpp::freeze_support(argc, argv) at the top of main().
  spawn,
  /// One fork server per program, started on first need as a spawned worker is (a fresh run of
  /// /proc/self/exe, whose mpp::freeze_support() becomes the server), so it inherits no lock and no
  /// thread; it stays single-threaded and forks each worker on request (fast, and never from a
  /// threaded process). Workers of every forkserver pool (and mpp::Process) come from the one
  /// server. Functions cross as under spawn. The server's channel is an inherited socketpair with no
  /// name: only the program's own processes can reach it. It exits when the program ends (its end of
  /// the channel closes), and its workers die with it; a server that died is started again on next
  /// need. The program must call mpp::freeze_support(argc, argv) at the top of main(). The
  /// default: it never deadlocks in a threaded program, and after the server's first start it
  /// starts and replaces workers nearly as fast as fork.
  forkserver,
};

/// Sets the start method of the ProcessPools constructed afterwards without one of their own
/// (ProcessPoolOptions::start_method empty), as multiprocessing.set_start_method. Pools already
/// running keep theirs. Thread-safe; may be called again to change it.
void set_start_method(StartMethod method) noexcept;

/// The program's default start method: StartMethod::forkserver unless set_start_method() changed it.
/// Thread-safe.
[[nodiscard]] StartMethod get_start_method() noexcept;

/// Call first thing in main(), before any other work (and before any thread starts), as Python's
/// multiprocessing.freeze_support():
///   - in the program itself, it records that the program cooperates with the spawn start method
///     (and argv[0]) and returns at once;
///   - in a worker process that a spawn ProcessPool started, it becomes the worker: it serves the
///     pool until the pool stops it and ends the process (_exit), never returning. So in a spawned
///     worker the program's static initialisers run, and main() runs only up to this call;
///   - in the fork server (StartMethod::forkserver), it becomes the server, and the workers it
///     forks run from there: the same static initialisers and main() up to this call, run once
///     in the server, not once per worker;
///   - in an mpp::Process child started by spawn or forkserver, it runs the target and ends the
///     process with its exit code.
/// A ProcessPool or mpp::Process with StartMethod::spawn or forkserver in a program whose main()
/// did not call it throws std::logic_error (from the constructor, from Process::start()). Not
/// thread-safe: call it once, from main().
void freeze_support(int argc, char** argv);

}  // namespace mpp

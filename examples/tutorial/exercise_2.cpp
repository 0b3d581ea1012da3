// Exercise 2 of section 8: run three Python scripts in parallel, with `pool.map(run_python, scripts)`
// on either pool, with one mpp::Process per script, and with the mpp-run tool.
#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "mpp/mpp.hpp"
#include "tutorial.hpp"

namespace tutorial {
namespace {

// A script the exercise writes, and what it must print and exit with.
struct Script {
  std::string_view name;
  std::string_view source;
  std::string_view expected_output;  // k_pid stands for the process id it prints
  int expected_exitcode;
};

constexpr std::string_view k_pid = "{pid}";

// Each prints its name and pid (which tell the processes apart) and a small computation; the third
// ends with sys.exit(3), to show how an exit code comes back.
constexpr std::array<Script, 3> k_scripts{{
    {"script1.py",
     "import os\n"
     "print('script1.py: pid', os.getpid())\n"
     "print('sum of 1..100 =', sum(range(1, 101)))\n",
     "script1.py: pid {pid}\nsum of 1..100 = 5050\n", 0},
    {"script2.py",
     "import os\n"
     "print('script2.py: pid', os.getpid())\n"
     "print('2 ** 64 =', 2 ** 64)\n",
     "script2.py: pid {pid}\n2 ** 64 = 18446744073709551616\n", 0},
    {"script3.py",
     "import os, sys\n"
     "print('script3.py: pid', os.getpid())\n"
     "print('exiting with code 3')\n"
     "sys.exit(3)\n",
     "script3.py: pid {pid}\nexiting with code 3\n", 3},
}};

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

struct Pipe {
  Fd read;
  Fd write;
};

// Both ends close on exec: a child that another thread starts meanwhile (mpp::Pool runs run_python
// on several threads at once) must not inherit our write end, or we would not see the end of our
// script's output until that other child exited too.
Pipe make_pipe() {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  return {Fd(fds[0]), Fd(fds[1])};
}

// Everything until the writers close their ends.
std::string read_all(int fd) {
  std::string text;
  std::array<char, 4096> buffer{};
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
      text.append(buffer.data(), static_cast<std::size_t>(n));
    } else if (n == 0) {
      return text;
    } else if (errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "read");
    }
  }
}

// Python's convention (subprocess's returncode, Process.exitcode): the exit status, or -N when
// signal N killed it.
int exitcode_of(int status) { return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status); }

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
  }
  return exitcode_of(status);
}

// Whether `output` is `expected` with k_pid standing for a process id: `pid` where it is known,
// else any number.
bool output_as_expected(std::string_view output, std::string_view expected, std::optional<int> pid) {
  const std::size_t at = expected.find(k_pid);
  const std::string_view prefix = expected.substr(0, at);
  const std::string_view suffix = expected.substr(at + k_pid.size());
  if (!output.starts_with(prefix)) return false;
  output.remove_prefix(prefix.size());
  const std::size_t digits = std::min(output.find_first_not_of("0123456789"), output.size());
  int printed = 0;
  const auto [end, error] = std::from_chars(output.data(), output.data() + digits, printed);
  if (digits == 0 || error != std::errc{} || (pid && printed != *pid)) return false;
  return output.substr(digits) == suffix;
}

// Runs `args` (args[0] searched in PATH): its exit code (as exitcode_of) and its standard output.
std::pair<int, std::string> run_captured(std::vector<std::string> args) {
  Pipe pipe = make_pipe();
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe.write.get(), STDOUT_FILENO);  // dup2 clears close-on-exec
  // A ProcessPool worker ignores SIGINT (its parent handles Ctrl-C) and an ignored signal stays
  // ignored across exec: python gets the default back, and no blocked signals, so Ctrl-C stops it.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  pid_t pid = -1;
  const int error = ::posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  pipe.write.reset();  // the child's copy is now the only one: its exit ends our read
  if (error != 0) {
    throw std::runtime_error(
        fmt::format("cannot start {}: {}", args[0], std::generic_category().message(error)));
  }
  std::string output;
  try {
    output = read_all(pipe.read.get());
  } catch (...) {
    pipe.read.reset();  // the child may still write: let it end, and reap it
    wait_for(pid);
    throw;
  }
  return {wait_for(pid), std::move(output)};
}

}  // namespace

std::pair<int, std::string> run_python(const std::string& path) {
  // The tutorial's `os.system('python {}'.format(process))` hands the path to a shell, which would
  // run whatever a file name like "x; rm -rf ~" says; posix_spawnp passes it as one argument.
  // Its output comes back instead of going to the terminal, where three scripts run at once would
  // mix their lines, and so does its exit code, which os.system's caller dropped.
  return run_captured({"python3", path});
}

#ifdef MPP_TUTORIAL_MPP_RUN
std::vector<ScriptRun> exercise_2_mpp_run(const ScriptFolder& folder) {
  // The tool for the job, mpp's own:  mpp-run -k --joblog FILE python3 ::: script1.py ...
  // Each script's output comes whole and in script order (-k), never mixed with another's, and the
  // joblog says how each one ended (Exitval, Signal) and how much it printed (Receive).
  const std::string joblog = folder.path() + "/joblog";
  std::vector<std::string> args{MPP_TUTORIAL_MPP_RUN, "-k", "--joblog", joblog, "python3", ":::"};
  args.insert(args.end(), folder.scripts().begin(), folder.scripts().end());
  const auto [failed, output] = run_captured(std::move(args));  // exit status: how many failed
  if (failed < 0 || failed > 100) throw std::runtime_error(fmt::format("mpp-run ended with {}", failed));

  // Joblog rows, one per script, in the order they ended: Seq Host Starttime JobRuntime Send
  // Receive Exitval Signal Command.
  std::vector<ScriptRun> runs(folder.scripts().size());
  std::vector<std::size_t> sizes(runs.size());
  std::ifstream log(joblog);
  std::string row;
  std::getline(log, row);  // the header
  while (std::getline(log, row)) {
    std::vector<std::string> fields;
    for (std::size_t start = 0, tab = 0; tab != std::string::npos; start = tab + 1) {
      tab = row.find('\t', start);
      fields.push_back(row.substr(start, tab - start));
    }
    const std::size_t seq = std::stoul(fields.at(0));
    if (seq < 1 || seq > runs.size()) throw std::runtime_error("mpp-run's joblog: unexpected row " + row);
    const int signal = std::stoi(fields.at(7));
    runs[seq - 1].exitcode = signal != 0 ? -signal : std::stoi(fields.at(6));
    sizes[seq - 1] = std::stoul(fields.at(5));
  }
  // -k wrote the outputs one after the other in script order: cut them apart by their sizes.
  std::string_view rest = output;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    runs[i].script = std::filesystem::path(folder.scripts()[i]).filename().string();
    runs[i].output = std::string(rest.substr(0, sizes[i]));
    rest.remove_prefix(std::min(sizes[i], rest.size()));
  }
  return runs;
}
#endif

std::optional<std::string> find_python3() {
  // As posix_spawnp and execvp look: each folder of PATH in turn, an empty entry meaning the current
  // folder. Read before any pool starts, so getenv races with no setenv.
  const char* const env = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe)
  std::string_view folders = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
  for (;;) {
    const std::size_t colon = folders.find(':');
    const std::string_view folder = folders.substr(0, colon);
    std::string candidate = fmt::format("{}/python3", folder.empty() ? "." : folder);
    std::error_code ignored;
    if (std::filesystem::is_regular_file(candidate, ignored) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) return std::nullopt;
    folders.remove_prefix(colon + 1);
  }
}

ScriptFolder::ScriptFolder() {
  const char* const tmpdir = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe): no setenv here
  std::string folder =
      fmt::format("{}/mpp-tutorial-XXXXXX", tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp");
  // mkdtemp makes a folder nobody else has (mode 0700), under a name nobody could have foreseen.
  if (::mkdtemp(folder.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), fmt::format("mkdtemp {}", folder));
  }
  path_ = std::move(folder);
  try {
    for (const Script& script : k_scripts) {
      std::string file = fmt::format("{}/{}", path_, script.name);
      std::ofstream out(file);
      out << script.source;
      out.close();
      if (!out) throw std::runtime_error(fmt::format("cannot write {}", file));
      scripts_.push_back(std::move(file));
    }
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);  // the destructor does not run for us
    throw;
  }
}

ScriptFolder::~ScriptFolder() {
  std::error_code ignored;  // a destructor cannot throw; a leftover temporary folder is harmless
  std::filesystem::remove_all(path_, ignored);
}

template <class Pool>
std::vector<ScriptRun> exercise_2_map(const ScriptFolder& folder) {
  // pool = mp.Pool(processes=3)
  Pool pool(folder.scripts().size());
  // pool.map(run_python, processes): one script per task (chunksize 1), so the three run at once.
  const std::vector<std::pair<int, std::string>> results = pool.map(run_python, folder.scripts(), 1);
  pool.close();

  std::vector<ScriptRun> runs;
  for (std::size_t i = 0; i < results.size() && i < k_scripts.size(); ++i) {
    runs.push_back({std::string(k_scripts[i].name), results[i].first, results[i].second, std::nullopt});
  }
  return runs;
}

std::vector<ScriptRun> exercise_2_processes(const ScriptFolder& folder) {
  // The output's read end is destroyed before the process: a child still writing then gets SIGPIPE
  // instead of keeping the Process destructor's join waiting.
  struct Child {
    mpp::Process process;
    Fd output;
  };
  std::vector<Child> children;
  children.reserve(folder.scripts().size());
  for (const std::string& path : folder.scripts()) {
    Pipe pipe = make_pipe();
    // The child becomes python3. exec keeps the pid, so Process::pid() is the script's os.getpid(),
    // and the script's exit status becomes the Process's exitcode(). StartMethod::fork: the child
    // must inherit the pipe and the lambda's captures (a fork server's child has neither), and it
    // only execs, so no lock of another thread is ever taken in it.
    mpp::Process process(mpp::ProcessOptions{.start_method = mpp::StartMethod::fork},
                         [out = pipe.write.get(), path] {
                           ::dup2(out, STDOUT_FILENO);  // clears close-on-exec on the copy
                           ::execlp("python3", "python3", path.c_str(), nullptr);
                           ::_exit(127);  // exec failed: a shell's "command not found"
                         });
    process.start();
    pipe.write.reset();
    children.push_back({std::move(process), std::move(pipe.read)});
  }

  // In script order. Each child writes only to its own pipe, so reading them one after another
  // cannot deadlock, however much a script prints.
  std::vector<ScriptRun> runs;
  for (std::size_t i = 0; i < children.size() && i < k_scripts.size(); ++i) {
    Child& child = children[i];
    std::string output = read_all(child.output.get());
    child.process.join();
    runs.push_back({std::string(k_scripts[i].name), child.process.exitcode().value_or(-1), std::move(output),
                    child.process.pid()});
  }
  return runs;
}

void print_script_runs(const std::vector<ScriptRun>& runs) {
  for (const ScriptRun& run : runs) {
    if (run.pid) {
      fmt::print("{}: exitcode() {}, pid() {}; its output:\n", run.script, run.exitcode, *run.pid);
    } else {
      fmt::print("{}: exit code {}; its output:\n", run.script, run.exitcode);
    }
    std::string_view rest = run.output;
    while (!rest.empty()) {
      const std::size_t newline = rest.find('\n');
      fmt::print("    | {}\n", rest.substr(0, newline));
      if (newline == std::string_view::npos) break;
      rest.remove_prefix(newline + 1);
    }
  }
}

bool script_runs_as_expected(const std::vector<ScriptRun>& runs) {
  if (runs.size() != k_scripts.size()) return false;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const Script& script = k_scripts[i];
    const ScriptRun& run = runs[i];
    if (run.script != script.name || run.exitcode != script.expected_exitcode ||
        !output_as_expected(run.output, script.expected_output, run.pid)) {
      return false;
    }
  }
  return true;
}

// The two pools the demo runs every section on.
template std::vector<ScriptRun> exercise_2_map<mpp::Pool>(const ScriptFolder&);
template std::vector<ScriptRun> exercise_2_map<mpp::ProcessPool>(const ScriptFolder&);
#ifdef MPP_TUTORIAL_MPI
template std::vector<ScriptRun> exercise_2_map<MpiPool>(const ScriptFolder&);
#endif

}  // namespace tutorial

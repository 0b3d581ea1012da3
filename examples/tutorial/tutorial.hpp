// The tutorial "Parallel Processing in Python – A Practical Guide with Examples"
// (machinelearningplus.com) ported to mpp: its data, the functions its examples parallelise, and one
// function per section or exercise, named after it.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#ifdef MPP_TUTORIAL_MPI
#include <algorithm>

#include "mpp/mpi.hpp"
#endif

namespace tutorial {

#ifdef MPP_TUTORIAL_MPI
// mpp-tutorial-mpi runs every section on mpp::MpiPool instead (the same sources, compiled with
// MPP_TUTORIAL_MPI). mpirun fixes the ranks: a pool gets the workers a section asks for, or every
// serving rank when the job has fewer.
class MpiPool : public mpp::MpiPool {
 public:
  explicit MpiPool(std::size_t workers)
      : mpp::MpiPool(mpp::MpiPoolOptions{.ranks = std::min(workers, available_ranks())}) {}
};
#endif

// A row of the tutorial's matrix: `np.random.randint(0, 10, size=[200000, 5]).tolist()` is a list of
// lists. Its width is fixed at 5, so a row is a std::array rather than a std::vector: the 200 000
// rows lie in one contiguous block instead of 200 000 heap allocations, and a row is copied into an
// `apply` task as 20 plain bytes (Python pickles every row it sends to a worker). It still reads as
// the Python does: `for (int n : row)`, `data[i]`, and map/starmap take the vector of rows as is.
using Row = std::array<int, 5>;

// `np.random.randint(0, 10, size=[rows, 5])` with a fixed seed (see tutorial.cpp for how).
[[nodiscard]] std::vector<Row> make_data(std::size_t rows);

// The tutorial's functions, from sections 4, 5.2 and 6.1.
[[nodiscard]] int howmany_within_range(const Row& row, int minimum, int maximum);
[[nodiscard]] int howmany_within_range_rowonly(const Row& row);
[[nodiscard]] std::pair<std::size_t, int> howmany_within_range2(std::size_t i, const Row& row, int minimum,
                                                                int maximum);

// Exercises 1 and 3: their inputs and functions.
using IntLists = std::vector<std::vector<int>>;
[[nodiscard]] IntLists exercise_1_list_a();
[[nodiscard]] IntLists exercise_1_list_b();
[[nodiscard]] IntLists exercise_3_list_a();
[[nodiscard]] std::vector<int> get_commons(const std::vector<int>& list_1, const std::vector<int>& list_2);
[[nodiscard]] std::vector<double> normalize(const std::vector<int>& mylist);

// Section 2 (sync.cpp): prints the number of processors.
void section_2_cpu_count();

// Sections 4 and 5 (sync.cpp): the counts of numbers within [4, 8], row by row, in row order.
// The pool sections are written once, as templates over the pool type, and run on mpp::Pool
// (threads) and mpp::ProcessPool (processes): the same code on both is the point of mpp. They are
// compiled for those two (explicit instantiations at the end of each section file).
// `workers` is the pool size: the tutorial's `mp.cpu_count()` unless --workers says otherwise.
[[nodiscard]] std::vector<int> section_4_serial(const std::vector<Row>& data);
template <class Pool>
[[nodiscard]] std::vector<int> section_5_1_apply(const std::vector<Row>& data, std::size_t workers);
template <class Pool>
[[nodiscard]] std::vector<int> section_5_2_map(const std::vector<Row>& data, std::size_t workers);
template <class Pool>
[[nodiscard]] std::vector<int> section_5_3_starmap(const std::vector<Row>& data, std::size_t workers);

// Section 6 (async.cpp): the same counts, computed asynchronously.
template <class Pool>
[[nodiscard]] std::vector<int> section_6_1_apply_async_callback(const std::vector<Row>& data,
                                                                std::size_t workers);
template <class Pool>
[[nodiscard]] std::vector<int> section_6_1_apply_async_get(const std::vector<Row>& data, std::size_t workers);
template <class Pool>
[[nodiscard]] std::vector<int> section_6_2_starmap_async(const std::vector<Row>& data, std::size_t workers);
template <class Pool>
[[nodiscard]] std::vector<int> section_6_2_map_async(const std::vector<Row>& data, std::size_t workers);

// Section 7 (later.cpp): DataFrames, which arrive with mpp::Frame; each prints one line until then.
void section_7_row_wise();
void section_7_column_wise();
void section_7_whole_frame();

// Exercises 1 and 3 (exercises.cpp), each with the serial computation it is checked against.
template <class Pool>
[[nodiscard]] IntLists exercise_1_commons(std::size_t workers);
[[nodiscard]] IntLists exercise_1_commons_serial();
template <class Pool>
[[nodiscard]] std::vector<std::vector<double>> exercise_3_normalize(std::size_t workers);
[[nodiscard]] std::vector<std::vector<double>> exercise_3_normalize_serial();

// Exercise 2 (exercise_2.cpp): run three Python scripts in parallel.

// `python3 <path>`: its exit code (negative: killed by that signal, as Python's subprocess says)
// and its standard output. Throws std::runtime_error when python3 cannot be started.
[[nodiscard]] std::pair<int, std::string> run_python(const std::string& path);

// Where python3 is on PATH; empty when it is not there (the exercise is then skipped).
[[nodiscard]] std::optional<std::string> find_python3();

// A fresh temporary folder (under $TMPDIR, else /tmp) holding script1.py, script2.py and
// script3.py; removed with everything in it when destroyed. Throws (std::system_error,
// std::runtime_error) when the folder or a script cannot be written.
class ScriptFolder {
 public:
  ScriptFolder();
  ScriptFolder(const ScriptFolder&) = delete;
  ScriptFolder& operator=(const ScriptFolder&) = delete;
  ~ScriptFolder();

  [[nodiscard]] const std::string& path() const { return path_; }
  // The scripts' full paths, in script order.
  [[nodiscard]] const std::vector<std::string>& scripts() const { return scripts_; }

 private:
  std::string path_;
  std::vector<std::string> scripts_;
};

// One script's run, as the exercise prints and checks it.
struct ScriptRun {
  std::string script;      // its file name, as script1.py
  int exitcode = 0;        // as run_python's
  std::string output;      // its standard output
  std::optional<int> pid;  // the process that ran it, where the parent knows it (mpp::Process)
};

// `pool.map(run_python, scripts)` on a pool of one worker per script (the tutorial's
// `mp.Pool(processes=3)`).
template <class Pool>
[[nodiscard]] std::vector<ScriptRun> exercise_2_map(const ScriptFolder& folder);
// One mpp::Process per script, each becoming `python3 <script>` with execvp; its output comes back
// through a pipe and its exit code from Process::exitcode().
[[nodiscard]] std::vector<ScriptRun> exercise_2_processes(const ScriptFolder& folder);
#ifdef MPP_TUTORIAL_MPP_RUN
// The three scripts run by the mpp-run tool (MPP_TUTORIAL_MPP_RUN is its path), output in script
// order (-k); exit codes and output sizes from its joblog.
[[nodiscard]] std::vector<ScriptRun> exercise_2_mpp_run(const ScriptFolder& folder);
#endif
// Prints each run's exit code and output, in script order.
void print_script_runs(const std::vector<ScriptRun>& runs);
// Whether every run printed and returned what its script should (the pid aside, which changes).
[[nodiscard]] bool script_runs_as_expected(const std::vector<ScriptRun>& runs);

}  // namespace tutorial

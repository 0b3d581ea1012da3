// Sections 2 to 5: the number of processors, the serial solution, and the synchronous pool methods.
#include <fmt/core.h>

#include <cstddef>
#include <tuple>
#include <vector>

#include "mpp/mpp.hpp"
#include "tutorial.hpp"

namespace tutorial {

void section_2_cpu_count() {
  // print("Number of processors: ", mp.cpu_count())
  fmt::print("Number of processors: {}\n", mpp::cpu_count());
  // Python's cpu_count() counts the machine's CPUs, even those this process may not use (taskset,
  // a container's CPU quota); usable_cpu_count() counts those it may, and is mpp's default pool size.
  fmt::print("Usable by this process: {}\n", mpp::usable_cpu_count());
}

std::vector<int> section_4_serial(const std::vector<Row>& data) {
  std::vector<int> results;
  results.reserve(data.size());
  for (const Row& row : data) results.push_back(howmany_within_range(row, 4, 8));
  return results;
}

template <class Pool>
std::vector<int> section_5_1_apply(const std::vector<Row>& data, std::size_t workers) {
  // Step 1: Init the pool (the tutorial's `mp.Pool(mp.cpu_count())`: `workers` is mpp::cpu_count()
  // unless --workers says otherwise). `Pool` is mpp::Pool or mpp::ProcessPool.
  Pool pool(workers);

  // Step 2: `pool.apply` the `howmany_within_range()`, one blocking call per row. The demo's longest
  // run, so it shows a progress bar (mpp::progress: on standard error, and only on a terminal).
  std::vector<int> results;
  results.reserve(data.size());
  for (const Row& row : mpp::progress(data)) results.push_back(pool.apply(howmany_within_range, row, 4, 8));

  // Step 3: Don't forget to close (the destructor would close and join anyway).
  pool.close();
  return results;
}

template <class Pool>
std::vector<int> section_5_2_map(const std::vector<Row>& data, std::size_t workers) {
  Pool pool(workers);

  // Python copies the rows into a new list (`[row for row in data]`); mpp borrows `data` as it is.
  std::vector<int> results = pool.map(howmany_within_range_rowonly, data);

  pool.close();
  return results;
}

template <class Pool>
std::vector<int> section_5_3_starmap(const std::vector<Row>& data, std::size_t workers) {
  Pool pool(workers);

  // [(row, 4, 8) for row in data]
  std::vector<std::tuple<Row, int, int>> args;
  args.reserve(data.size());
  for (const Row& row : data) args.emplace_back(row, 4, 8);

  std::vector<int> results = pool.starmap(howmany_within_range, args);

  pool.close();
  return results;
}

// The two pools the demo runs every section on.
template std::vector<int> section_5_1_apply<mpp::Pool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_5_1_apply<mpp::ProcessPool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_5_2_map<mpp::Pool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_5_2_map<mpp::ProcessPool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_5_3_starmap<mpp::Pool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_5_3_starmap<mpp::ProcessPool>(const std::vector<Row>&, std::size_t);
#ifdef MPP_TUTORIAL_MPI
template std::vector<int> section_5_1_apply<MpiPool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_5_2_map<MpiPool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_5_3_starmap<MpiPool>(const std::vector<Row>&, std::size_t);
#endif

}  // namespace tutorial

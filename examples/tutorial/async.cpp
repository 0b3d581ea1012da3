// Section 6: asynchronous parallel processing with apply_async, starmap_async and map_async.
#include <algorithm>
#include <cstddef>
#include <tuple>
#include <utility>
#include <vector>

#include "mpp/mpp.hpp"
#include "tutorial.hpp"

namespace tutorial {

template <class Pool>
std::vector<int> section_6_1_apply_async_callback(const std::vector<Row>& data, std::size_t workers) {
  Pool pool(workers);

  std::vector<std::pair<std::size_t, int>> results;

  // Step 1: `howmany_within_range2()` accepts and returns `i`, the iteration number (tutorial.cpp).

  // Step 2: Define callback function to collect the output in `results`. mpp runs one pool's
  // callbacks one at a time (as Python's single result-handler thread does; a ProcessPool runs them
  // on its dispatcher thread, in this process), so a plain vector needs no lock, and the callback
  // may capture: only the function sent to a worker must be captureless.
  auto collect_result = [&results](const std::pair<std::size_t, int>& result) { results.push_back(result); };

  // Step 3: Use loop to parallelize. The AsyncResult is not needed: the callback takes the result.
  for (std::size_t i = 0; i < data.size(); ++i) {
    pool.apply_async(howmany_within_range2, i, data[i], 4, 8).then(collect_result);
  }

  // Step 4: Close Pool and let all the processes complete. join() returns after every callback ran.
  pool.close();
  pool.join();

  // Step 5: Sort results by `i` (they arrive in completion order).
  std::ranges::sort(results, {}, &std::pair<std::size_t, int>::first);
  std::vector<int> results_final;
  results_final.reserve(results.size());
  for (const auto& [i, r] : results) results_final.push_back(r);
  return results_final;
}

template <class Pool>
std::vector<int> section_6_1_apply_async_get(const std::vector<Row>& data, std::size_t workers) {
  Pool pool(workers);

  // call apply_async() without callback
  std::vector<mpp::AsyncResult<std::pair<std::size_t, int>>> result_objects;
  result_objects.reserve(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    result_objects.push_back(pool.apply_async(howmany_within_range2, i, data[i], 4, 8));
  }

  // result_objects is a vector of mpp::AsyncResult objects: `[r.get()[1] for r in result_objects]`
  std::vector<int> results;
  results.reserve(result_objects.size());
  for (auto& r : result_objects) results.push_back(r.get().second);

  pool.close();
  pool.join();
  return results;
}

template <class Pool>
std::vector<int> section_6_2_starmap_async(const std::vector<Row>& data, std::size_t workers) {
  Pool pool(workers);

  // [(i, row, 4, 8) for i, row in enumerate(data)]
  std::vector<std::tuple<std::size_t, Row, int, int>> args;
  args.reserve(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) args.emplace_back(i, data[i], 4, 8);

  // The results are howmany_within_range2's (i, count) pairs, in input order. (The tutorial prints
  // them as if they were counts; here the counts are taken out, to compare with the other methods.)
  const std::vector<std::pair<std::size_t, int>> pairs =
      pool.starmap_async(howmany_within_range2, args).get();

  pool.close();

  std::vector<int> results;
  results.reserve(pairs.size());
  for (const auto& [i, count] : pairs) results.push_back(count);
  return results;
}

template <class Pool>
std::vector<int> section_6_2_map_async(const std::vector<Row>& data, std::size_t workers) {
  // The variant commented out in section 6.2: "With map, use `howmany_within_range_rowonly` instead".
  Pool pool(workers);

  // `data` is borrowed: it outlives the AsyncResult, whose get() is called at once.
  std::vector<int> results = pool.map_async(howmany_within_range_rowonly, data).get();

  pool.close();
  return results;
}

// The two pools the demo runs every section on.
template std::vector<int> section_6_1_apply_async_callback<mpp::Pool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_6_1_apply_async_callback<mpp::ProcessPool>(const std::vector<Row>&,
                                                                             std::size_t);
template std::vector<int> section_6_1_apply_async_get<mpp::Pool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_6_1_apply_async_get<mpp::ProcessPool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_6_2_starmap_async<mpp::Pool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_6_2_starmap_async<mpp::ProcessPool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_6_2_map_async<mpp::Pool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_6_2_map_async<mpp::ProcessPool>(const std::vector<Row>&, std::size_t);
#ifdef MPP_TUTORIAL_MPI
template std::vector<int> section_6_1_apply_async_callback<MpiPool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_6_1_apply_async_get<MpiPool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_6_2_starmap_async<MpiPool>(const std::vector<Row>&, std::size_t);
template std::vector<int> section_6_2_map_async<MpiPool>(const std::vector<Row>&, std::size_t);
#endif

}  // namespace tutorial

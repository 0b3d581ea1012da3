// Exercises 1 and 3 of section 8, each with the serial computation it is checked against.
#include <cstddef>
#include <vector>

#include "mpp/mpp.hpp"
#include "tutorial.hpp"

namespace tutorial {

template <class Pool>
IntLists exercise_1_commons(std::size_t workers) {
  // Problem 1: Use Pool.apply() to get the row wise common items in list_a and list_b.
  const IntLists list_a = exercise_1_list_a();
  const IntLists list_b = exercise_1_list_b();

  Pool pool(workers);
  // [pool.apply(get_commons, args=(l1, l2)) for l1, l2 in zip(list_a, list_b)]
  IntLists results;
  for (std::size_t i = 0; i < list_a.size() && i < list_b.size(); ++i) {
    results.push_back(pool.apply(get_commons, list_a[i], list_b[i]));
  }
  pool.close();
  return results;
}

IntLists exercise_1_commons_serial() {
  const IntLists list_a = exercise_1_list_a();
  const IntLists list_b = exercise_1_list_b();
  IntLists results;
  for (std::size_t i = 0; i < list_a.size() && i < list_b.size(); ++i) {
    results.push_back(get_commons(list_a[i], list_b[i]));
  }
  return results;
}

template <class Pool>
std::vector<std::vector<double>> exercise_3_normalize(std::size_t workers) {
  // Problem 3: Normalize each row of 2d array (list) to vary between 0 and 1.
  const IntLists list_a = exercise_3_list_a();

  Pool pool(workers);
  // [pool.apply(normalize, args=(l1, )) for l1 in list_a]
  std::vector<std::vector<double>> results;
  for (const std::vector<int>& l1 : list_a) results.push_back(pool.apply(normalize, l1));
  pool.close();
  return results;
}

std::vector<std::vector<double>> exercise_3_normalize_serial() {
  std::vector<std::vector<double>> results;
  for (const std::vector<int>& l1 : exercise_3_list_a()) results.push_back(normalize(l1));
  return results;
}

// The two pools the demo runs every exercise on.
template IntLists exercise_1_commons<mpp::Pool>(std::size_t);
template IntLists exercise_1_commons<mpp::ProcessPool>(std::size_t);
template std::vector<std::vector<double>> exercise_3_normalize<mpp::Pool>(std::size_t);
template std::vector<std::vector<double>> exercise_3_normalize<mpp::ProcessPool>(std::size_t);
#ifdef MPP_TUTORIAL_MPI
template IntLists exercise_1_commons<MpiPool>(std::size_t);
template std::vector<std::vector<double>> exercise_3_normalize<MpiPool>(std::size_t);
#endif

}  // namespace tutorial

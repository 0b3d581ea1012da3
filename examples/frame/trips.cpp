// mpp-frame-trips: reads a CSV of taxi trips (examples/data/trips.csv), computes each trip's distance
// and its fare per kilometre in parallel, one row at a time (mpp::map_rows), and writes the result
// as CSV. Then it checks its own output: read back, it must equal the serial computation.
//
//   mpp-frame-trips INPUT.csv OUTPUT.csv [--processes]
//
// --processes runs the rows on an mpp::ProcessPool instead of an mpp::Pool; the code is the same.
// Exit status: 0 when the output checks out, 1 on any error (a malformed input: its file, line and
// field are printed), 2 for a bad command line.
#include <fmt/core.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <numbers>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mpp/mpp.hpp"

namespace {

// What each trip becomes: the great-circle distance, and the fare per km when the fare is known.
struct TripCost {
  double km = 0;
  std::optional<double> fare_per_km;  // trivially copyable: a ProcessPool sends it back as its bytes
};

double radians(double degrees) { return degrees * std::numbers::pi / 180; }

// Haversine distance on a sphere of the Earth's mean radius, rounded to metres.
double distance_km(double lat1, double lon1, double lat2, double lon2) {
  constexpr double k_earth_radius_km = 6371.0088;
  const double dlat = radians(lat2 - lat1);
  const double dlon = radians(lon2 - lon1);
  const double h = std::pow(std::sin(dlat / 2), 2) +
                   std::cos(radians(lat1)) * std::cos(radians(lat2)) * std::pow(std::sin(dlon / 2), 2);
  return std::round(2 * k_earth_radius_km * std::asin(std::sqrt(h)) * 1000) / 1000;
}

// The row function: captureless, so it runs on either pool. Columns by name, typed; a missing fare
// is a null.
TripCost trip_cost(const mpp::Row& trip) {
  TripCost cost;
  cost.km = distance_km(trip.get<double>("pickup_lat"), trip.get<double>("pickup_lon"),
                        trip.get<double>("dropoff_lat"), trip.get<double>("dropoff_lon"));
  const std::optional<double> fare = trip.get_optional<double>("fare");
  if (fare && cost.km > 0) cost.fare_per_km = std::round(*fare / cost.km * 100) / 100;
  return cost;
}

// The output frame: the trips' ids and drivers, and what was computed.
mpp::Frame costs_frame(const mpp::Frame& trips, const std::vector<TripCost>& costs) {
  std::vector<double> km;
  std::vector<std::optional<double>> per_km;
  for (const TripCost& cost : costs) {
    km.push_back(cost.km);
    per_km.push_back(cost.fare_per_km);
  }
  return mpp::Frame{trips.column("id"), trips.column("driver"), {"km", km}, {"fare_per_km", per_km}};
}

template <class Pool>
std::vector<TripCost> parallel_costs(const mpp::Frame& trips) {
  Pool pool;  // one worker per usable CPU
  return mpp::map_rows(pool, trips, trip_cost);
}

int run(const std::string& input, const std::string& output, bool processes) {
  const mpp::Frame trips = mpp::read_csv(input);
  fmt::print("read {}: {} trips, columns:", input, trips.num_rows());
  for (const mpp::Column& column : trips.columns()) {
    fmt::print(" {} ({})", column.name(), mpp::to_string(column.type()));
  }
  fmt::print("\n");

  const std::vector<TripCost> costs =
      processes ? parallel_costs<mpp::ProcessPool>(trips) : parallel_costs<mpp::Pool>(trips);
  const mpp::Frame result = costs_frame(trips, costs);
  mpp::write_csv(result, output);
  fmt::print("wrote {} ({}):\n{}", output, processes ? "mpp::ProcessPool" : "mpp::Pool",
             mpp::to_string(result));

  // The check: the file read back equals the serial computation.
  std::vector<TripCost> serial;
  for (const mpp::Row trip : trips.rows()) serial.push_back(trip_cost(trip));
  const bool ok = mpp::read_csv(output) == costs_frame(trips, serial);
  fmt::print("{} read back equals the serial computation: {}\n", output, ok ? "yes" : "no");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  mpp::freeze_support(argc, argv);  // first: where --processes' workers start (<mpp/start_method.hpp>)
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  const bool processes = args.size() == 3 && args[2] == "--processes";
  if (args.size() != 2 && !processes) {
    fmt::print(stderr, "usage: mpp-frame-trips INPUT.csv OUTPUT.csv [--processes]\n");
    return 2;
  }
  try {
    return run(std::string(args[0]), std::string(args[1]), processes);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "mpp-frame-trips: {}\n", e.what());
    return 1;
  }
}

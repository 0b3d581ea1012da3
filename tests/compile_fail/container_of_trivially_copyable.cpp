// Must compile: standard containers, pairs and optionals of trivially copyable structs are
// serialisable (API.md: "trivially copyable types, standard strings, containers, tuples, pairs,
// optionals and variants of those"). Checked with MPP_EXPECT_FAILURE undefined only.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mpp/process_pool.hpp"
#include "mpp/queue.hpp"

struct Point {
  double x;
  double y;
};

std::vector<Point> mirrored(const std::vector<Point>& points) {
  std::vector<Point> out;
  for (const Point& p : points) out.push_back(Point{-p.x, -p.y});
  return out;
}

int main() {
  mpp::ProcessPool pool(1);
  const std::vector<Point> points{{1, 2}, {3, 4}};
  const auto result = pool.apply(mirrored, points);
  mpp::Queue<std::vector<Point>> q1;
  q1.put(points);
  mpp::Queue<std::pair<std::string, Point>> q2;
  q2.put({"origin", Point{0, 0}});
  mpp::Queue<std::optional<std::vector<Point>>> q3;
  q3.put(std::nullopt);
  return result.size() == 2 && q1.get().size() == 2 ? 0 : 1;
}

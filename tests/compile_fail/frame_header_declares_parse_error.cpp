// <mpp/frame.hpp> alone is enough to catch what read_csv throws, as docs/frame.md's example does.
#include "mpp/frame.hpp"

int main() {
  try {
    (void)mpp::read_csv("missing.csv");
  } catch (const mpp::ParseError& e) {
    return 1;
  } catch (...) {
    return 2;
  }
  return 0;
}

#include "alemwatch/fhir/decimal.hpp"

#include <algorithm>
#include <cmath>

namespace alemwatch::fhir::decimal {

namespace {
constexpr double relative_tolerance = 1e-9;
}

bool equal(double a, double b) {
  const double scale = std::max({std::fabs(a), std::fabs(b), 1e-300});
  return std::fabs(a - b) <= relative_tolerance * scale;
}
bool less(double a, double b) { return a < b && !equal(a, b); }
bool less_equal(double a, double b) { return a < b || equal(a, b); }
bool greater(double a, double b) { return a > b && !equal(a, b); }
bool greater_equal(double a, double b) { return a > b || equal(a, b); }

}  // namespace alemwatch::fhir::decimal

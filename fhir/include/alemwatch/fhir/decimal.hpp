// Comparisons of FHIR decimals that treat a value exactly at a threshold as at it.
//
// Values are read as binary doubles, so 1.2 / 0.8 is 1.4999999999999998. Every comparison in the
// rules goes through these functions, which allow a relative tolerance of 1e-9: enough to absorb
// rounding, far below any clinically meaningful difference.
#pragma once

namespace alemwatch::fhir::decimal {

bool equal(double a, double b);
bool less(double a, double b);           // a < b, and not equal
bool less_equal(double a, double b);     // a < b, or equal
bool greater(double a, double b);        // a > b, and not equal
bool greater_equal(double a, double b);  // a > b, or equal

}  // namespace alemwatch::fhir::decimal

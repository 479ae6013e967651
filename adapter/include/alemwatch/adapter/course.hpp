// A course of alemtuzumab: infusions no more than the course gap apart.
#pragma once

#include <string>
#include <vector>

#include "alemwatch/fhir/instant.hpp"
#include "alemwatch/mappings/administration.hpp"

namespace alemwatch::adapter {

struct Course {
  int number = 0;  // 1, 2, ... from the earliest infusion seen
  std::vector<const mappings::Administration*> infusions;  // time order
  fhir::Instant first;
  fhir::Instant last;
  fhir::Instant acute_end;  // last + the acute window

  bool oncology_only() const;
  // The episode anchor of course rules: "course-YYYY-MM-DD", the first infusion's UTC date.
  std::string anchor() const;
  bool in_acute_window(fhir::Instant t) const { return first <= t && t <= acute_end; }
};

// Groups time-ordered infusions: a gap of more than `gap` starts a new course.
std::vector<Course> group_courses(const std::vector<mappings::Administration>& infusions, fhir::Days gap,
                                  fhir::Days acute_window);

}  // namespace alemwatch::adapter

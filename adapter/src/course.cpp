#include "alemwatch/adapter/course.hpp"

#include <algorithm>

namespace alemwatch::adapter {

bool Course::oncology_only() const {
  return std::all_of(infusions.begin(), infusions.end(),
                     [](const auto* a) { return a->product == mappings::Product::oncology; });
}

std::string Course::anchor() const { return "course-" + fhir::format_utc_date(first); }

std::vector<Course> group_courses(const std::vector<mappings::Administration>& infusions, fhir::Days gap,
                                  fhir::Days acute_window) {
  std::vector<Course> courses;
  for (const auto& infusion : infusions) {
    if (courses.empty() || infusion.time - courses.back().last > gap) {
      Course c;
      c.number = static_cast<int>(courses.size()) + 1;
      c.first = infusion.time;
      courses.push_back(c);
    }
    auto& c = courses.back();
    c.infusions.push_back(&infusion);
    c.last = infusion.time;
    c.acute_end = c.last + acute_window;
  }
  return courses;
}

}  // namespace alemwatch::adapter

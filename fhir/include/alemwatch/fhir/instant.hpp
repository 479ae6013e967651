// A point in time read from a FHIR date, dateTime or instant, and the UTC forms we write.
#pragma once

#include <chrono>
#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace alemwatch::fhir {

using Milliseconds = std::chrono::milliseconds;
using Hours = std::chrono::hours;
using Days = std::chrono::days;

// An instant on the UTC time line, to the millisecond. Strong type: a bare number of
// milliseconds can not be mistaken for one.
class Instant {
 public:
  constexpr Instant() = default;
  constexpr explicit Instant(std::chrono::sys_time<Milliseconds> t) : time_(t) {}

  constexpr std::chrono::sys_time<Milliseconds> time() const { return time_; }
  constexpr auto operator<=>(const Instant&) const = default;

  constexpr Instant operator+(Milliseconds d) const { return Instant(time_ + d); }
  constexpr Instant operator-(Milliseconds d) const { return Instant(time_ - d); }
  constexpr Milliseconds operator-(Instant other) const { return time_ - other.time_; }

  // The UTC calendar day this instant falls on.
  std::chrono::year_month_day utc_date() const;

 private:
  std::chrono::sys_time<Milliseconds> time_{};
};

// Parses a FHIR R4 date ("2024", "2024-03", "2024-03-02"), dateTime or instant
// ("2024-03-02T08:15:00.123+01:00"). A time without an offset is taken as UTC; a partial date
// is its first instant. Returns nothing when the text is not a valid, existing date and time
// (2025-02-30, month 13, hour 24, an offset beyond +-14:00).
std::optional<Instant> parse_fhir_datetime(std::string_view text);

// "2026-03-02T08:15:00Z": fractions of seconds are dropped.
std::string format_utc_datetime(Instant t);
// "2026-03-02T08:15:00.123Z": a FHIR instant, milliseconds kept.
std::string format_utc_instant(Instant t);
// "2026-03-02".
std::string format_utc_date(Instant t);
std::string format_date(std::chrono::year_month_day d);
// Midnight UTC of a calendar day.
Instant start_of_day(std::chrono::year_month_day d);

}  // namespace alemwatch::fhir

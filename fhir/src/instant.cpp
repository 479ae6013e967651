#include "alemwatch/fhir/instant.hpp"

#include <charconv>
#include <cstdio>

namespace alemwatch::fhir {
namespace {

// Reads exactly `width` decimal digits at `pos`; advances `pos`.
std::optional<int> digits(std::string_view s, std::size_t& pos, std::size_t width) {
  if (pos + width > s.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += width;
  return value;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

struct Clock {
  int hour = 0, minute = 0, second = 0, millis = 0;
  Milliseconds offset{0};
};

// Parses "hh:mm:ss[.fff][Z|+hh:mm|-hh:mm]" (offset optional) at pos.
std::optional<Clock> parse_clock(std::string_view s, std::size_t pos) {
  Clock c;
  auto h = digits(s, pos, 2);
  if (!h || !expect(s, pos, ':')) return std::nullopt;
  auto m = digits(s, pos, 2);
  if (!m || !expect(s, pos, ':')) return std::nullopt;
  auto sec = digits(s, pos, 2);
  if (!sec) return std::nullopt;
  c.hour = *h;
  c.minute = *m;
  c.second = *sec;
  if (c.hour > 23 || c.minute > 59 || c.second > 60) return std::nullopt;
  if (c.second == 60) c.second = 59;  // a leap second is kept inside its minute
  if (expect(s, pos, '.')) {
    std::size_t start = pos;
    int scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (scale > 0) c.millis += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos == s.size()) return c;
  if (s[pos] == 'Z' && pos + 1 == s.size()) return c;
  if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
  const int sign = s[pos] == '-' ? -1 : 1;
  ++pos;
  auto oh = digits(s, pos, 2);
  if (!oh || !expect(s, pos, ':')) return std::nullopt;
  auto om = digits(s, pos, 2);
  if (!om || pos != s.size() || *oh > 14 || *om > 59) return std::nullopt;
  c.offset = sign * (Hours(*oh) + std::chrono::minutes(*om));
  return c;
}

}  // namespace

std::chrono::year_month_day Instant::utc_date() const {
  return std::chrono::year_month_day(std::chrono::floor<Days>(time_));
}

std::optional<Instant> parse_fhir_datetime(std::string_view s) {
  using namespace std::chrono;
  std::size_t pos = 0;
  auto y = digits(s, pos, 4);
  if (!y || *y < 1) return std::nullopt;
  int mo = 1, d = 1;
  if (pos < s.size()) {
    if (!expect(s, pos, '-')) return std::nullopt;
    auto m = digits(s, pos, 2);
    if (!m) return std::nullopt;
    mo = *m;
    if (pos < s.size()) {
      if (!expect(s, pos, '-')) return std::nullopt;
      auto dd = digits(s, pos, 2);
      if (!dd) return std::nullopt;
      d = *dd;
    }
  }
  const year_month_day date{year{*y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  sys_time<Milliseconds> t = sys_days(date);
  if (pos == s.size()) return Instant(t);
  if (pos + 1 >= s.size() || s[pos] != 'T' || d == 0) return std::nullopt;
  // A time needs a full date before it.
  if (pos != 10) return std::nullopt;
  auto clock = parse_clock(s, pos + 1);
  if (!clock) return std::nullopt;
  t += hours(clock->hour) + minutes(clock->minute) + seconds(clock->second) + Milliseconds(clock->millis);
  return Instant(t - clock->offset);
}

std::string format_date(std::chrono::year_month_day d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                static_cast<unsigned>(d.day()));
  return buf;
}

std::string format_utc_date(Instant t) { return format_date(t.utc_date()); }

std::string format_utc_datetime(Instant t) {
  using namespace std::chrono;
  const auto day = floor<Days>(t.time());
  const hh_mm_ss clock{floor<seconds>(t.time() - day)};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02dZ", format_date(year_month_day(day)).c_str(),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return buf;
}

std::string format_utc_instant(Instant t) {
  const auto seconds = format_utc_datetime(t);  // ends in 'Z'
  const auto millis = (t.time().time_since_epoch() % std::chrono::seconds(1) + std::chrono::seconds(1)) % std::chrono::seconds(1);
  char buf[8];
  std::snprintf(buf, sizeof buf, ".%03dZ", static_cast<int>(std::chrono::duration_cast<Milliseconds>(millis).count()));
  return seconds.substr(0, seconds.size() - 1) + buf;
}

Instant start_of_day(std::chrono::year_month_day d) {
  return Instant(std::chrono::sys_time<Milliseconds>(std::chrono::sys_days(d)));
}

}  // namespace alemwatch::fhir

#include "alemwatch/fhir/retry_policy.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>

namespace alemwatch::fhir {

bool RetryPolicy::retryable_status(unsigned status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::chrono::milliseconds RetryPolicy::delay(int attempt, std::optional<std::chrono::milliseconds> retry_after,
                                             std::mt19937_64& random) const {
  if (retry_after) return std::clamp(*retry_after, std::chrono::milliseconds(0), max_delay);
  const auto shift = std::min(attempt, 20);
  const auto ceiling = std::min<long long>(max_delay.count(), base_delay.count() * (1LL << shift));
  std::uniform_int_distribution<long long> pick(0, std::max<long long>(ceiling, 0));
  return std::chrono::milliseconds(pick(random));
}

namespace {

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 section 5.6.7).
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s) {
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s[3] != ',' || s.substr(25) != " GMT") return std::nullopt;
  const auto number = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, v);
    if (ec != std::errc() || p != s.data() + pos + len) return std::nullopt;
    return v;
  };
  auto day = number(5, 2), year = number(12, 4), hour = number(17, 2), minute = number(20, 2), second = number(23, 2);
  int month = 0;
  for (int i = 0; i < 12; ++i)
    if (s.substr(8, 3) == months[i]) month = i + 1;
  if (!day || !year || !hour || !minute || !second || month == 0) return std::nullopt;
  using namespace std::chrono;
  const year_month_day date{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  return sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second);
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  long long seconds = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc::result_out_of_range) {
    if (value.front() == '-') return std::nullopt;
    seconds = std::numeric_limits<long long>::max();
  }
  if ((ec == std::errc() || ec == std::errc::result_out_of_range) && p == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    // Ten years is as good as forever here (the policy caps the wait); no overflow on the way.
    constexpr long long forever = 10LL * 365 * 24 * 3600;
    return std::chrono::milliseconds(std::min(seconds, forever) * 1000);
  }
  auto when = parse_http_date(value);
  if (!when) return std::nullopt;
  return std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(*when - now));
}

}  // namespace alemwatch::fhir

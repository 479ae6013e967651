// When and how long to wait before trying an HTTP request again.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

namespace alemwatch::fhir {

struct RetryPolicy {
  int max_retries = 5;
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{30'000};  // cap for computed back-off and for Retry-After

  // True for the statuses worth another try: 408, 429, 500, 502, 503, 504.
  static bool retryable_status(unsigned status);

  // Exponential back-off with full jitter: a random delay in [0, min(cap, base * 2^attempt)].
  // `attempt` counts from 0. A Retry-After from the server, when given, wins (capped).
  std::chrono::milliseconds delay(int attempt, std::optional<std::chrono::milliseconds> retry_after,
                                  std::mt19937_64& random) const;
};

// Parses a Retry-After value: delta-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00
// GMT"), relative to `now`. Nothing when it is neither.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

}  // namespace alemwatch::fhir

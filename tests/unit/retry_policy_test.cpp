// When the HTTP client tries again and how long it waits: the retryable statuses, exponential
// back-off with full jitter under a cap, and Retry-After in both of its forms (and the forms that
// are not Retry-After at all).
#include "alemwatch/fhir/retry_policy.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <random>

namespace alemwatch::fhir {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::system_clock;

// 2015-10-21T07:28:00Z, the date in RFC 9110's example.
system_clock::time_point october_21_2015_0728() {
  using namespace std::chrono;
  return sys_days(year{2015} / October / 21) + 7h + 28min;
}

TEST(RetryPolicy, RetriesTheStatusesThatSayTryAgainLater) {
  for (unsigned status : {408u, 429u, 500u, 502u, 503u, 504u})
    EXPECT_TRUE(RetryPolicy::retryable_status(status)) << status;
}

TEST(RetryPolicy, DoesNotRetrySuccessRedirectsClientErrorsOrPermanentServerErrors) {
  for (unsigned status : {200u, 201u, 204u, 301u, 304u, 400u, 401u, 403u, 404u, 409u, 410u, 412u, 422u, 501u, 505u, 0u})
    EXPECT_FALSE(RetryPolicy::retryable_status(status)) << status;
}

TEST(RetryPolicy, DelayStaysWithinZeroAndTheExponentialCeilingUnderTheCap) {
  RetryPolicy policy;
  policy.base_delay = 100ms;
  policy.max_delay = 5'000ms;
  std::mt19937_64 random(42);
  for (int attempt = 0; attempt < 30; ++attempt) {
    const long long exponential = attempt < 20 ? 100LL << attempt : 100LL << 20;
    const milliseconds ceiling(std::min<long long>(policy.max_delay.count(), exponential));
    milliseconds largest{0};
    for (int i = 0; i < 2'000; ++i) {
      const auto d = policy.delay(attempt, std::nullopt, random);
      ASSERT_GE(d, 0ms) << "attempt " << attempt;
      ASSERT_LE(d, ceiling) << "attempt " << attempt;
      largest = std::max(largest, d);
    }
    // Full jitter spreads over the whole range, not a fixed fraction of it.
    EXPECT_GT(largest, ceiling * 3 / 4) << "attempt " << attempt;
  }
}

TEST(RetryPolicy, DelayIsJitteredRatherThanTheSameEveryTime) {
  RetryPolicy policy;
  policy.base_delay = 1'000ms;
  std::mt19937_64 random(7);
  const auto first = policy.delay(3, std::nullopt, random);
  bool differs = false;
  for (int i = 0; i < 20 && !differs; ++i) differs = policy.delay(3, std::nullopt, random) != first;
  EXPECT_TRUE(differs);
}

TEST(RetryPolicy, AZeroBaseDelayMeansNoWaiting) {
  RetryPolicy policy;
  policy.base_delay = 0ms;
  std::mt19937_64 random(1);
  for (int attempt = 0; attempt < 10; ++attempt) EXPECT_EQ(policy.delay(attempt, std::nullopt, random), 0ms);
}

TEST(RetryPolicy, VeryLateAttemptsStillRespectTheCap) {
  RetryPolicy policy;
  policy.base_delay = 500ms;
  policy.max_delay = 30'000ms;
  std::mt19937_64 random(3);
  for (int attempt : {20, 21, 62, 63, 64, 1'000, 1'000'000}) {
    const auto d = policy.delay(attempt, std::nullopt, random);
    EXPECT_GE(d, 0ms) << attempt;
    EXPECT_LE(d, 30'000ms) << attempt;
  }
}

TEST(RetryPolicy, RetryAfterFromTheServerWinsOverTheBackOff) {
  RetryPolicy policy;
  policy.base_delay = 10ms;
  std::mt19937_64 random(5);
  EXPECT_EQ(policy.delay(0, 2'000ms, random), 2'000ms);
  EXPECT_EQ(policy.delay(4, 0ms, random), 0ms);
}

TEST(RetryPolicy, RetryAfterIsCappedByMaxDelay) {
  RetryPolicy policy;
  policy.max_delay = 30'000ms;
  std::mt19937_64 random(5);
  EXPECT_EQ(policy.delay(0, 3'600'000ms, random), 30'000ms);
}

TEST(RetryPolicy, ANegativeRetryAfterMeansRetryAtOnce) {
  RetryPolicy policy;
  std::mt19937_64 random(5);
  EXPECT_EQ(policy.delay(0, -5'000ms, random), 0ms);
}

TEST(RetryAfter, DeltaSecondsAreReadAsSeconds) {
  const auto now = system_clock::now();
  EXPECT_EQ(parse_retry_after("120", now), milliseconds(120'000));
  EXPECT_EQ(parse_retry_after("1", now), milliseconds(1'000));
  EXPECT_EQ(parse_retry_after("0", now), milliseconds(0));
}

TEST(RetryAfter, SurroundingSpacesAreIgnored) {
  EXPECT_EQ(parse_retry_after("  7 ", system_clock::now()), milliseconds(7'000));
}

TEST(RetryAfter, AnHttpDateIsTheTimeLeftUntilThen) {
  const auto now = october_21_2015_0728() - 90s;
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), milliseconds(90'000));
}

TEST(RetryAfter, AnHttpDateIsReadToTheSecondAcrossMonthsAndLeapDays) {
  using namespace std::chrono;
  const auto leap_day = sys_days(year{2016} / February / 29) + 23h + 59min + 59s;
  EXPECT_EQ(parse_retry_after("Mon, 29 Feb 2016 23:59:59 GMT", leap_day - 1s), milliseconds(1'000));
  const auto new_year = sys_days(year{2027} / January / 1);
  EXPECT_EQ(parse_retry_after("Fri, 01 Jan 2027 00:00:00 GMT", new_year - 24h), milliseconds(86'400'000));
}

TEST(RetryAfter, AnHttpDateInThePastMeansRetryAtOnce) {
  const auto now = october_21_2015_0728() + 1h;
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), milliseconds(0));
}

TEST(RetryAfter, AnHttpDateRelativeToAClockWithSubsecondsIsRoundedTowardZero) {
  const auto now = october_21_2015_0728() - 2'500ms;
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), milliseconds(2'500));
}

TEST(RetryAfter, NeitherSecondsNorAnHttpDateIsNothing) {
  const auto now = october_21_2015_0728();
  for (const char* value : {
           "",
           "   ",
           "soon",
           "-5",             // delta-seconds has no sign
           "+5",
           "1.5",            // nor a fraction
           "5s",
           "0x10",
           "Wed, 21 Oct 2015 07:28:00",       // no zone
           "Wed, 21 Oct 2015 07:28:00 UTC",   // the zone must be GMT
           "Wed, 21 Oct 2015 07:28:00 GMT junk",
           "Wed 21 Oct 2015 07:28:00 GMT",    // no comma
           "Wed, 32 Oct 2015 07:28:00 GMT",   // no such day
           "Thu, 29 Feb 2015 07:28:00 GMT",   // 2015 was not a leap year
           "Wed, 21 Foo 2015 07:28:00 GMT",   // no such month
           "Wed, 21 oct 2015 07:28:00 GMT",   // month names are case-sensitive
           "Wed, 21 Oct 2015 24:00:00 GMT",   // no such hour
           "Wed, 21 Oct 2015 07:60:00 GMT",   // no such minute
           "Wed, 21 Oct 2015 07:28:61 GMT",   // no such second (60 is a leap second)
           "Wed, 2x Oct 2015 07:28:00 GMT",
           "Wed, 21 Oct 20x5 07:28:00 GMT",
           "Wed, -1 Oct 2015 07:28:00 GMT",
       })
    EXPECT_EQ(parse_retry_after(value, now), std::nullopt) << '"' << value << '"';
}

TEST(RetryAfter, ALeapSecondIsAccepted) {
  EXPECT_TRUE(parse_retry_after("Wed, 31 Dec 2016 23:59:60 GMT", october_21_2015_0728()).has_value());
}

// Was a bug: delta-seconds beyond what fits in milliseconds overflow a signed 64-bit multiplication
// (`seconds * 1000` in parse_retry_after): undefined behaviour, which UBSan reports and which in an
// ordinary build wraps to a negative or small value, so that a server asking for a very long wait
// gets an immediate retry instead of the capped maximum. Expected: a very long wait (which
// RetryPolicy::delay then caps), or nothing.
TEST(RetryAfter, AnAbsurdlyLargeNumberOfSecondsIsAVeryLongWaitNotAnOverflow) {
  RetryPolicy policy;
  std::mt19937_64 random(1);
  // 2^63 / 1000 rounded up: the first number of seconds whose milliseconds do not fit.
  for (const char* value : {"9223372036854776", "99999999999999999", "99999999999999999999999999"}) {
    const auto parsed = parse_retry_after(value, system_clock::now());
    if (!parsed) continue;
    EXPECT_GT(*parsed, milliseconds(std::chrono::hours(24 * 365))) << value;
    EXPECT_EQ(policy.delay(0, parsed, random), policy.max_delay) << value;
  }
}

// Was a bug: delta-seconds has no sign and "-5" is nothing, but a negative number too large for a
// long long ("-99999999999999999999999999") was read as the maximum, a ten-year wait (from_chars
// reports result_out_of_range in both directions, and the sign was not looked at).
TEST(RetryAfter, AHugeNegativeNumberIsNothingLikeAnyOtherNegativeNumber) {
  EXPECT_EQ(parse_retry_after("-99999999999999999999999999", system_clock::now()), std::nullopt);
}

}  // namespace
}  // namespace alemwatch::fhir

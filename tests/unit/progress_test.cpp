// Progress: the figures (done, rate, time left), the terminal line redrawn at most a few times a
// second and cleared at the end, "progress" events at an interval off a terminal, and --quiet.
// The clock is injected, so nothing here sleeps.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <sstream>

#include "alemwatch/adapter/progress.hpp"

namespace alemwatch::adapter {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

struct FakeClock {
  TimePoint now{};
  Progress::Clock clock() {
    return [this] { return now; };
  }
};

LogSettings text_settings(bool quiet = false) {
  LogSettings s;
  s.command = "sync";
  s.quiet = quiet;
  return s;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

TEST(Progress, FiguresDoneRateAndTimeLeft) {
  std::ostringstream out;
  Logger log(out, text_settings(true), false);
  FakeClock clock;
  Progress p(log, "patients", 40, {}, clock.clock());
  EXPECT_FALSE(p.snapshot().seconds_left) << "unknown before any progress";
  clock.now += 4s;
  p.advance(10);
  const auto s = p.snapshot();
  EXPECT_EQ(s.done, 10u);
  EXPECT_DOUBLE_EQ(s.rate, 2.5);
  ASSERT_TRUE(s.seconds_left);
  EXPECT_DOUBLE_EQ(*s.seconds_left, 12.0);
  EXPECT_EQ(s.describe(), "patients 10/40 (25%), 2.5/s, 12 s left");
}

TEST(Progress, TimeLeftComesFromBytesWhenTheirTotalIsKnown) {
  std::ostringstream out;
  Logger log(out, text_settings(true), false);
  FakeClock clock;
  Progress p(log, "files", 2, {}, clock.clock());
  p.set_bytes_total(10'000'000);
  clock.now += 2s;
  p.advance(0, 2'000'000);
  const auto s = p.snapshot();
  ASSERT_TRUE(s.seconds_left);
  EXPECT_DOUBLE_EQ(*s.seconds_left, 8.0);
  EXPECT_EQ(s.describe(), "files 0/2 (0%), 2.0 MB of 10.0 MB, 1.0 MB/s, 8 s left");
}

TEST(Progress, OnATerminalTheLineIsRedrawnAtMostEveryRedrawIntervalAndClearedAtTheEnd) {
  std::ostringstream out;
  Logger log(out, text_settings(), true);
  FakeClock clock;
  ProgressOptions options;
  options.redraw = 250ms;
  {
    Progress p(log, "patients", 100, options, clock.clock());
    // 99 advances 10 ms apart: ~1 s, so about 4 redraws, plus the first.
    for (int i = 0; i < 99; ++i) {
      clock.now += 10ms;
      p.advance();
    }
    const auto draws = count(out.str(), "\rpatients ");
    EXPECT_GE(draws, 4u) << out.str();
    EXPECT_LE(draws, 5u) << out.str();
    clock.now += 10ms;
    p.advance();  // complete: always drawn
    EXPECT_NE(out.str().find("\rpatients 100/100 (100%)"), std::string::npos) << out.str();
  }
  // Cleared: the output ends by blanking the line and returning to its start.
  const std::string text = out.str();
  ASSERT_GE(text.size(), 2u);
  EXPECT_EQ(text.back(), '\r');
  EXPECT_EQ(text.find('\n'), std::string::npos) << "no log line was written";
}

TEST(Progress, OffATerminalAProgressEventAtEachInterval) {
  std::ostringstream out;
  LogSettings json = text_settings();
  json.format = LogFormat::json;
  Logger log(out, json, false);
  FakeClock clock;
  ProgressOptions options;
  options.interval = 30s;
  {
    Progress p(log, "patients", 1000, options, clock.clock());
    for (int i = 0; i < 100; ++i) {  // 100 s
      clock.now += 1s;
      p.advance();
    }
  }
  std::istringstream in(out.str());
  std::size_t events = 0;
  for (std::string line; std::getline(in, line);) {
    const auto o = boost::json::parse(line).as_object();  // every line is JSON
    EXPECT_EQ(o.at("event"), "progress");
    EXPECT_EQ(o.at("fields").at("unit"), "patients");
    EXPECT_EQ(o.at("fields").at("total"), 1000);
    EXPECT_EQ(o.at("fields").at("done"), 30 * (events + 1));
    ++events;
  }
  EXPECT_EQ(events, 3u) << out.str();  // at 30, 60 and 90 s
  EXPECT_EQ(out.str().find('\r'), std::string::npos);
}

TEST(Progress, TextEventsOffATerminalReadAsALogLine) {
  std::ostringstream out;
  Logger log(out, text_settings(), false);
  FakeClock clock;
  ProgressOptions options;
  options.interval = 1s;
  Progress p(log, "DetectedIssues", 4, options, clock.clock());
  clock.now += 2s;
  p.advance();
  EXPECT_EQ(out.str(), "alemwatch sync: progress: DetectedIssues 1/4 (25%), 0.5/s, 6 s left\n");
}

TEST(Progress, QuietWritesNothing) {
  for (const bool terminal : {false, true}) {
    std::ostringstream out;
    Logger log(out, text_settings(true), terminal);
    FakeClock clock;
    ProgressOptions options;
    options.interval = 1ms;
    {
      Progress p(log, "patients", 10, options, clock.clock());
      for (int i = 0; i < 10; ++i) {
        clock.now += 1s;
        p.advance();
      }
    }
    EXPECT_EQ(out.str(), "");
  }
}

TEST(Progress, TheIntervalComesFromTheEnvironment) {
  ::setenv("ALEMWATCH_PROGRESS_INTERVAL_MS", "150", 1);
  EXPECT_EQ(default_progress_interval(), 150ms);
  ::setenv("ALEMWATCH_PROGRESS_INTERVAL_MS", "soon", 1);
  EXPECT_EQ(default_progress_interval(), 30s);
  ::unsetenv("ALEMWATCH_PROGRESS_INTERVAL_MS");
  EXPECT_EQ(default_progress_interval(), 30s);
}

}  // namespace
}  // namespace alemwatch::adapter

// Progress of a long step (patients fetched, DetectedIssues pushed, files read, bytes downloaded):
// done of total, rate and time left. On a terminal one line redrawn in place a few times a second
// and cleared at the end; off a terminal (or with --log-format json) a "progress" log event at an
// interval; with --quiet nothing. Thread-safe: workers may advance it together.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "alemwatch/adapter/log.hpp"

namespace alemwatch::adapter {

// ALEMWATCH_PROGRESS_INTERVAL_MS when it holds a whole number of milliseconds > 0, else 30 s.
std::chrono::milliseconds default_progress_interval();

struct ProgressOptions {
  // Between two "progress" events off a terminal.
  std::chrono::milliseconds interval = default_progress_interval();
  // Between two redraws of the terminal line: a few a second at most.
  std::chrono::milliseconds redraw = std::chrono::milliseconds(250);
};

// Where a step stands. Rates are per second over the time since the step began; the time left
// is estimated from bytes when their total is known, else from units; unknown before any progress.
struct ProgressSnapshot {
  std::string unit;  // "patients", "DetectedIssues", "files"
  std::size_t done = 0;
  std::size_t total = 0;
  std::uint64_t bytes_done = 0;
  std::uint64_t bytes_total = 0;  // 0: no byte counts
  double elapsed_seconds = 0;
  double rate = 0;        // units per second
  double bytes_rate = 0;  // bytes per second
  std::optional<double> seconds_left;

  // "patients 12/40 (30%), 3.1/s, 9 s left"; with bytes: "files 2/5, 1.2 MB of 3.4 MB, 0.8 MB/s, 3 s left".
  std::string describe() const;
};

class Progress {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `clock` is injectable for tests; default the steady clock.
  Progress(Logger& log, std::string unit, std::size_t total, ProgressOptions options = {}, Clock clock = {});
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void set_bytes_total(std::uint64_t bytes);
  void set_total(std::size_t total);
  // `n` more units done, and `bytes` more bytes. Draws or logs when it is time to.
  void advance(std::size_t n = 1, std::uint64_t bytes = 0);
  // The step is over: the terminal line is cleared. Called by the destructor too.
  void finish();

  ProgressSnapshot snapshot() const;

 private:
  ProgressSnapshot snapshot_locked(std::chrono::steady_clock::time_point now) const;
  void report(std::chrono::steady_clock::time_point now, bool force);

  Logger& log_;
  ProgressOptions options_;
  Clock clock_;
  bool draw_;     // a terminal line (else log events)
  bool enabled_;  // not --quiet
  mutable std::mutex mutex_;
  std::string unit_;
  std::size_t done_ = 0;
  std::size_t total_;
  std::uint64_t bytes_done_ = 0;
  std::uint64_t bytes_total_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::optional<std::chrono::steady_clock::time_point> last_report_;
  bool finished_ = false;
};

}  // namespace alemwatch::adapter

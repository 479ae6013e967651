#include "alemwatch/adapter/progress.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <string_view>

namespace alemwatch::adapter {
namespace {

using namespace std::chrono;

constexpr milliseconds fallback_interval = seconds(30);

std::string duration_text(double seconds_left) {
  const auto s = static_cast<long long>(std::llround(seconds_left));
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min {} s", s / 60, s % 60);
  return fmt::format("{} h {} min", s / 3600, (s % 3600) / 60);
}

std::string bytes_text(double bytes) {
  if (bytes < 1000) return fmt::format("{:.0f} B", bytes);
  if (bytes < 1e6) return fmt::format("{:.1f} kB", bytes / 1e3);
  if (bytes < 1e9) return fmt::format("{:.1f} MB", bytes / 1e6);
  return fmt::format("{:.2f} GB", bytes / 1e9);
}

std::string rate_text(double rate) { return rate >= 10 ? fmt::format("{:.0f}/s", rate) : fmt::format("{:.1f}/s", rate); }

}  // namespace

milliseconds default_progress_interval() {
  const char* env = std::getenv("ALEMWATCH_PROGRESS_INTERVAL_MS");
  if (!env || !*env) return fallback_interval;
  char* end = nullptr;
  const long long ms = std::strtoll(env, &end, 10);
  if (*end != '\0' || ms <= 0) return fallback_interval;
  return milliseconds(ms);
}

std::string ProgressSnapshot::describe() const {
  std::string out = fmt::format("{} {}", unit, done);
  if (total > 0) out += fmt::format("/{} ({}%)", total, done * 100 / total);
  if (bytes_total > 0)
    out += fmt::format(", {} of {}, {}/s", bytes_text(static_cast<double>(bytes_done)),
                       bytes_text(static_cast<double>(bytes_total)), bytes_text(bytes_rate));
  else if (bytes_done > 0)
    out += fmt::format(", {}", bytes_text(static_cast<double>(bytes_done)));
  if (done > 0) out += ", " + rate_text(rate);
  if (seconds_left) out += ", " + duration_text(*seconds_left) + " left";
  return out;
}

Progress::Progress(Logger& log, std::string unit, std::size_t total, ProgressOptions options, Clock clock)
    : log_(log), options_(options), clock_(clock ? std::move(clock) : Clock([] { return steady_clock::now(); })),
      draw_(log.can_draw_status_line()), enabled_(!log.settings().quiet), unit_(std::move(unit)), total_(total),
      started_(clock_()) {}

Progress::~Progress() { finish(); }

void Progress::set_total(std::size_t total) {
  std::lock_guard lock(mutex_);
  total_ = total;
}

void Progress::set_bytes_total(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  bytes_total_ = bytes;
}

void Progress::advance(std::size_t n, std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  done_ += n;
  bytes_done_ += bytes;
  report(clock_(), total_ > 0 && done_ >= total_);
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (enabled_ && draw_ && last_report_) log_.set_status_line({});
}

ProgressSnapshot Progress::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_locked(clock_());
}

ProgressSnapshot Progress::snapshot_locked(steady_clock::time_point now) const {
  ProgressSnapshot s;
  s.unit = unit_;
  s.done = done_;
  s.total = total_;
  s.bytes_done = bytes_done_;
  s.bytes_total = bytes_total_;
  s.elapsed_seconds = duration<double>(now - started_).count();
  if (s.elapsed_seconds > 0) {
    s.rate = static_cast<double>(done_) / s.elapsed_seconds;
    s.bytes_rate = static_cast<double>(bytes_done_) / s.elapsed_seconds;
  }
  if (bytes_total_ > 0 && s.bytes_rate > 0 && bytes_done_ <= bytes_total_)
    s.seconds_left = static_cast<double>(bytes_total_ - bytes_done_) / s.bytes_rate;
  else if (total_ > 0 && s.rate > 0 && done_ <= total_)
    s.seconds_left = static_cast<double>(total_ - done_) / s.rate;
  return s;
}

// Caller holds mutex_. On a terminal: redraw if the last drawing is old enough (or the step is
// complete). Elsewhere: a "progress" event once per interval.
void Progress::report(steady_clock::time_point now, bool complete) {
  if (!enabled_ || finished_) return;
  const auto since = now - last_report_.value_or(started_);
  if (draw_) {
    if (last_report_ && since < options_.redraw && !complete) return;
    last_report_ = now;
    log_.set_status_line(snapshot_locked(now).describe());
    return;
  }
  if (since < options_.interval) return;
  last_report_ = now;
  const auto s = snapshot_locked(now);
  std::vector<LogField> fields{field("unit", s.unit), field("done", s.done), field("total", s.total),
                               field("rate_per_second", std::round(s.rate * 100) / 100),
                               field("elapsed_seconds", std::round(s.elapsed_seconds * 10) / 10),
                               field("seconds_left", s.seconds_left ? boost::json::value(std::round(*s.seconds_left))
                                                                    : boost::json::value(nullptr))};
  if (s.bytes_total > 0 || s.bytes_done > 0) {
    fields.push_back(field("bytes_done", s.bytes_done));
    fields.push_back(field("bytes_total", s.bytes_total));
  }
  log_.info("progress", "progress: " + s.describe(), fields);
}

}  // namespace alemwatch::adapter

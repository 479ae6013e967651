#include "alemwatch/adapter/log.hpp"

#include <cctype>

#include <boost/json.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <chrono>
#include <iostream>

namespace alemwatch::adapter {
namespace {

// 2026-11-01T09:30:00.123Z
std::string timestamp_now() {
  using namespace std::chrono;
  const auto now = floor<milliseconds>(system_clock::now());
  const auto day = floor<days>(now);
  const year_month_day ymd{day};
  const hh_mm_ss time{now - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), time.hours().count(),
                     time.minutes().count(), time.seconds().count(), time.subseconds().count());
}

// A field's value as it appears inside a message: strings bare, everything else as JSON.
std::string message_text(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return boost::json::serialize(v);
}

}  // namespace

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "info";
}

std::optional<LogFormat> parse_log_format(std::string_view name) {
  if (name == "text") return LogFormat::text;
  if (name == "json") return LogFormat::json;
  return std::nullopt;
}

std::string redact_quoted(std::string_view text) {
  // A value is quoted as '<value>' and may itself hold apostrophes ("Mr O'Brien's sample"): a
  // quote opens after a non-letter, and closes before the end or a space or punctuation. An
  // unclosed quote is redacted to the end, never left out.
  const auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  const auto opens = [&](std::size_t i) { return i == 0 || !is_word(text[i - 1]); };
  const auto closes = [&](std::size_t i) {
    return i + 1 == text.size() || std::string_view(" ,.;:)!?\n").find(text[i + 1]) != std::string_view::npos;
  };
  std::string out;
  std::size_t at = 0;
  for (std::size_t open = text.find('\'', at); open != std::string_view::npos; open = text.find('\'', open + 1)) {
    if (!opens(open)) continue;
    std::size_t close = std::string_view::npos;
    for (auto k = text.find('\'', open + 1); k != std::string_view::npos; k = text.find('\'', k + 1))
      if (closes(k)) {
        close = k;
        break;
      }
    out.append(text.substr(at, open - at));
    out += '\'';
    out += redacted;
    out += '\'';
    if (close == std::string_view::npos) return out;
    at = close + 1;
    open = close;
  }
  out.append(text.substr(std::min(at, text.size())));
  return out;
}

Logger::Logger(std::ostream& out, LogSettings settings, bool terminal)
    : out_(out), settings_(std::move(settings)), terminal_(terminal) {}

void Logger::configure(LogSettings settings) {
  std::lock_guard lock(mutex_);
  settings_ = std::move(settings);
}

LogSettings Logger::settings() const {
  std::lock_guard lock(mutex_);
  return settings_;
}

bool Logger::can_draw_status_line() const {
  std::lock_guard lock(mutex_);
  return terminal_ && settings_.format == LogFormat::text && !settings_.quiet;
}

std::string Logger::render_message(std::string_view message, const std::vector<LogField>& fields) const {
  std::string out;
  std::size_t at = 0;
  while (at < message.size()) {
    const auto open = message.find('{', at);
    const auto close = open == std::string_view::npos ? open : message.find('}', open);
    if (close == std::string_view::npos) break;
    out.append(message.substr(at, open - at));
    const auto key = message.substr(open + 1, close - open - 1);
    const LogField* f = nullptr;
    for (const auto& candidate : fields)
      if (candidate.key == key) f = &candidate;
    if (!f)
      out.append(message.substr(open, close - open + 1));
    else
      out += f->phi && !settings_.phi ? std::string(redacted) : message_text(f->value);
    at = close + 1;
  }
  out.append(message.substr(std::min(at, message.size())));
  return out;
}

std::string Logger::json_line(LogLevel level, std::string_view event, const std::string& message,
                              const std::vector<LogField>& fields) const {
  boost::json::object values;
  for (const auto& f : fields) values[f.key] = f.phi && !settings_.phi ? boost::json::value(redacted) : f.value;
  boost::json::object line{{"timestamp", timestamp_now()},
                           {"level", to_string(level)},
                           {"event", event},
                           {"message", message},
                           {"fields", std::move(values)}};
  if (!settings_.command.empty()) line["command"] = settings_.command;
  return boost::json::serialize(line);
}

std::string Logger::text_line(LogLevel level, const std::string& message) const {
  std::string out = settings_.command.empty() ? "alemwatch: " : "alemwatch " + settings_.command + ": ";
  if (level == LogLevel::warning) out += "warning: ";
  return out + message;
}

void Logger::log(LogLevel level, std::string_view event, std::string_view message, const std::vector<LogField>& fields) {
  std::lock_guard lock(mutex_);
  const std::string rendered = render_message(message, fields);
  erase_status_line();
  out_ << (settings_.format == LogFormat::json ? json_line(level, event, rendered, fields) : text_line(level, rendered))
       << '\n';
  draw_status_line();
  out_.flush();
}

void Logger::write_text_block(std::string_view text) {
  std::lock_guard lock(mutex_);
  if (settings_.format != LogFormat::text) return;
  erase_status_line();
  out_ << text;
  draw_status_line();
  out_.flush();
}

void Logger::set_status_line(std::string line) {
  std::lock_guard lock(mutex_);
  if (!terminal_ || settings_.format != LogFormat::text) return;
  erase_status_line();
  status_line_ = std::move(line);
  draw_status_line();
  out_.flush();
}

void Logger::erase_status_line() {
  if (drawn_width_ == 0) return;
  // Back to the start of the line, blanks over what was there, back again.
  out_ << '\r' << std::string(drawn_width_, ' ') << '\r';
  drawn_width_ = 0;
}

void Logger::draw_status_line() {
  if (status_line_.empty() || !terminal_ || settings_.format != LogFormat::text) return;
  out_ << '\r' << status_line_;
  drawn_width_ = status_line_.size();
}

Logger& process_log() {
  static Logger log(std::cerr, LogSettings{}, ::isatty(STDERR_FILENO) == 1);
  return log;
}

}  // namespace alemwatch::adapter

// Log events (docs/logging.md): each has a stable name ("sync.start"), a level, a message a
// person reads and fields a machine reads. Written as readable text lines (the default) or as one
// JSON object per line, always to one stream (stderr). Fields marked PHI (names, result values,
// free text from a resource) are shown as "[redacted]" unless the operator asked for them.
//
// On a terminal the logger also owns one status line (the progress line, progress.hpp), redrawn
// in place: a log line clears it first and draws it again after.
#pragma once

#include <boost/json/value.hpp>

#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace alemwatch::adapter {

enum class LogLevel { debug, info, warning, error };
enum class LogFormat { text, json };

const char* to_string(LogLevel level);
// "text" or "json"; nothing for anything else.
std::optional<LogFormat> parse_log_format(std::string_view name);

// What replaces a PHI field or a quoted value when PHI is not to be logged.
inline constexpr const char* redacted = "[redacted]";

struct LogField {
  std::string key;
  boost::json::value value;
  bool phi = false;  // redacted unless LogSettings::phi
};

inline LogField field(std::string key, boost::json::value value) { return {std::move(key), std::move(value), false}; }
inline LogField field(std::string key, const std::string& text) { return field(std::move(key), boost::json::value(text)); }
inline LogField field(std::string key, const char* text) { return field(std::move(key), boost::json::value(text)); }
inline LogField phi_field(std::string key, boost::json::value value) { return {std::move(key), std::move(value), true}; }
inline LogField phi_field(std::string key, const std::string& text) { return phi_field(std::move(key), boost::json::value(text)); }
inline LogField phi_field(std::string key, const char* text) { return phi_field(std::move(key), boost::json::value(text)); }

struct LogSettings {
  LogFormat format = LogFormat::text;
  bool phi = false;         // --log-phi: PHI fields and quoted values are logged as they are
  bool quiet = false;       // --quiet: no progress (events are still logged)
  std::string command;      // "sync", "evaluate", "keys generate": text lines start "alemwatch <command>: "
};

// Replaces every single-quoted span of `text` ("'<5' is text") by '[redacted]'. The data problem
// reasons quote what they found in the resource that way; ids and paths are never quoted.
std::string redact_quoted(std::string_view text);

class Logger {
 public:
  // `terminal`: `out` is a terminal, so the status line may be drawn in place.
  Logger(std::ostream& out, LogSettings settings, bool terminal);

  // Writes one event. `message` may name fields as {key}: each is replaced by the field's value
  // (or [redacted]). Fields not named still go into the JSON line.
  void log(LogLevel level, std::string_view event, std::string_view message, const std::vector<LogField>& fields = {});
  void info(std::string_view event, std::string_view message, const std::vector<LogField>& fields = {}) {
    log(LogLevel::info, event, message, fields);
  }
  void warning(std::string_view event, std::string_view message, const std::vector<LogField>& fields = {}) {
    log(LogLevel::warning, event, message, fields);
  }
  void error(std::string_view event, std::string_view message, const std::vector<LogField>& fields = {}) {
    log(LogLevel::error, event, message, fields);
  }

  // A block of text written as it is (the run summary), in text format only; JSON mode writes
  // nothing here: callers log an event instead.
  void write_text_block(std::string_view text);

  // The line redrawn in place with \r on a terminal (text format only); empty clears it.
  void set_status_line(std::string line);
  bool can_draw_status_line() const;

  void configure(LogSettings settings);
  LogSettings settings() const;

 private:
  std::string render_message(std::string_view message, const std::vector<LogField>& fields) const;
  std::string json_line(LogLevel level, std::string_view event, const std::string& message,
                        const std::vector<LogField>& fields) const;
  std::string text_line(LogLevel level, const std::string& message) const;
  void erase_status_line();  // caller holds mutex_
  void draw_status_line();   // caller holds mutex_

  mutable std::mutex mutex_;
  std::ostream& out_;
  LogSettings settings_;
  bool terminal_;
  std::string status_line_;
  std::size_t drawn_width_ = 0;  // characters of the status line now on the screen
};

// The process's logger: stderr, text, until the command configures it from its flags.
Logger& process_log();

}  // namespace alemwatch::adapter

// The logger: text and JSON lines, fields in messages, PHI redaction, the terminal status line,
// and lines from several threads that never interleave.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <sstream>
#include <thread>
#include <vector>

#include "alemwatch/adapter/log.hpp"
#include "alemwatch/adapter/run_summary.hpp"

namespace alemwatch::adapter {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

LogSettings settings(LogFormat format, bool phi = false) {
  LogSettings s;
  s.format = format;
  s.phi = phi;
  s.command = "sync";
  return s;
}

TEST(Log, TextLinesNameTheCommandAndSubstituteFields) {
  std::ostringstream out;
  Logger log(out, settings(LogFormat::text), false);
  log.info("sync.incremental", "incremental run: changes since {since} touch {patients} patient(s)",
           {field("since", "2026-11-01T00:00:00Z"), field("patients", 3)});
  log.warning("sync.warning", "{text}", {field("text", "search Observation: server said: slow")});
  EXPECT_EQ(out.str(),
            "alemwatch sync: incremental run: changes since 2026-11-01T00:00:00Z touch 3 patient(s)\n"
            "alemwatch sync: warning: search Observation: server said: slow\n");
}

TEST(Log, EveryJsonLineParsesAndCarriesTimestampLevelEventMessageAndFields) {
  std::ostringstream out;
  Logger log(out, settings(LogFormat::json), false);
  log.info("sync.start", "reading {base_url}", {field("base_url", "http://127.0.0.1/fhir"), field("dry_run", false)});
  log.error("sync.usage", "--at '{at}' is not a date", {field("at", "2026-13-01\n\"quoted\"")});
  log.write_text_block("alemwatch run summary\n  resources:\n");  // nothing in JSON mode
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 2u) << out.str();
  for (const auto& line : lines) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    const auto& o = v.as_object();
    for (const char* key : {"timestamp", "level", "event", "message", "fields", "command"}) EXPECT_TRUE(o.contains(key)) << key;
    EXPECT_EQ(o.at("timestamp").as_string().size(), std::string("2026-11-01T09:30:00.123Z").size());
    EXPECT_EQ(o.at("timestamp").as_string().back(), 'Z');
  }
  const auto first = boost::json::parse(lines[0]).as_object();
  EXPECT_EQ(first.at("level"), "info");
  EXPECT_EQ(first.at("event"), "sync.start");
  EXPECT_EQ(first.at("message"), "reading http://127.0.0.1/fhir");
  EXPECT_EQ(first.at("fields").at("dry_run"), false);
  const auto second = boost::json::parse(lines[1]).as_object();
  EXPECT_EQ(second.at("level"), "error");
  EXPECT_EQ(second.at("fields").at("at"), "2026-13-01\n\"quoted\"");
}

TEST(Log, PhiFieldsAreRedactedUnlessAskedFor) {
  for (const bool phi : {false, true}) {
    for (const auto format : {LogFormat::text, LogFormat::json}) {
      std::ostringstream out;
      Logger log(out, settings(format, phi), false);
      log.warning("push.left_alone", "patient {patient} named {name}",
                  {field("patient", "aw-03"), phi_field("name", "Ingrid Halvorsen")});
      const bool shown = out.str().find("Ingrid Halvorsen") != std::string::npos;
      EXPECT_EQ(shown, phi) << out.str();
      EXPECT_NE(out.str().find("aw-03"), std::string::npos) << "ids are always logged";
      if (!phi) EXPECT_NE(out.str().find(redacted), std::string::npos) << out.str();
    }
  }
}

TEST(Log, QuotedValuesInReasonsAreRedacted) {
  EXPECT_EQ(redact_quoted("'<5' is text, not a number: not used"), "'[redacted]' is text, not a number: not used");
  EXPECT_EQ(redact_quoted("unit 'mg/dL' (code 'mg/dL') cannot be converted"),
            "unit '[redacted]' (code '[redacted]') cannot be converted");
  EXPECT_EQ(redact_quoted("missing: no value"), "missing: no value");
  EXPECT_EQ(redact_quoted("an apostrophe' alone"), "an apostrophe' alone");
  EXPECT_EQ(redact_quoted(""), "");
  // Values holding apostrophes are redacted whole.
  EXPECT_EQ(redact_quoted("'Haemolysed, Mr O'Brien's sample' is text"), "'[redacted]' is text");
  EXPECT_EQ(redact_quoted("'it's 4.5 x10^9/L' is not a recognised value"), "'[redacted]' is not a recognised value");
  EXPECT_EQ(redact_quoted("unit 'O'Neil' (code 'x'):"), "unit '[redacted]' (code '[redacted]'):");
  // An unclosed quote is redacted to the end rather than left out.
  EXPECT_EQ(redact_quoted("value 'Mrs Smith"), "value '[redacted]'");
}

TEST(Log, TheRunSummaryRedactsProblemReasonsUnlessAskedFor) {
  RunSummary summary;
  summary.report({fhir::ProblemSeverity::error, {"bundle.json", std::nullopt, 4, std::nullopt}, "Observation", "aw-13-rbc-1",
                  "Observation.valueString", "'4.35 x10*12/L' is text, not a number: not used"});
  const std::string text = summary.text();
  EXPECT_EQ(text.find("4.35"), std::string::npos) << text;
  EXPECT_NE(text.find("aw-13-rbc-1"), std::string::npos) << text;
  EXPECT_NE(text.find("Observation.valueString"), std::string::npos) << text;
  EXPECT_EQ(boost::json::serialize(summary.json()).find("4.35"), std::string::npos);
  EXPECT_NE(summary.text(50, true).find("'4.35 x10*12/L'"), std::string::npos);
  EXPECT_NE(boost::json::serialize(summary.json(true)).find("4.35"), std::string::npos);
}

TEST(Log, OnATerminalALogLineClearsTheStatusLineAndDrawsItAgain) {
  std::ostringstream out;
  Logger log(out, settings(LogFormat::text), true);
  ASSERT_TRUE(log.can_draw_status_line());
  log.set_status_line("patients 1/4");
  log.info("sync.warning", "hello");
  log.set_status_line("");
  EXPECT_EQ(out.str(),
            "\rpatients 1/4"                          // drawn
            "\r            \r"                        // cleared for the log line
            "alemwatch sync: hello\n\rpatients 1/4"  // the line, and the status drawn again
            "\r            \r");                      // cleared at the end
}

TEST(Log, NoStatusLineOffATerminalOrInJsonOrWhenQuiet) {
  for (const auto& [terminal, format, quiet] :
       {std::tuple{false, LogFormat::text, false}, std::tuple{true, LogFormat::json, false}, std::tuple{true, LogFormat::text, true}}) {
    std::ostringstream out;
    auto s = settings(format);
    s.quiet = quiet;
    Logger log(out, s, terminal);
    EXPECT_FALSE(log.can_draw_status_line());
    if (!quiet) {
      log.set_status_line("patients 1/4");
      EXPECT_EQ(out.str(), "");
    }
  }
}

TEST(Log, LinesFromManyThreadsStayWhole) {
  std::ostringstream out;
  Logger log(out, settings(LogFormat::json), false);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&log, t] {
      for (int i = 0; i < 200; ++i) log.info("test.line", "thread {t} line {i}", {field("t", t), field("i", i)});
    });
  for (auto& t : threads) t.join();
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 1600u);
  for (const auto& line : lines) {
    boost::system::error_code ec;
    boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
  }
}

}  // namespace
}  // namespace alemwatch::adapter

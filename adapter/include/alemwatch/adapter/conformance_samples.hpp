// The sample scenarios of samples/ as the conformance kit uses them (samples/README.md): each
// NN-name directory's transaction Bundle, the Patients it holds, and the DetectedIssues expected
// of it at the samples' evaluation time.
#pragma once

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace alemwatch::adapter {

// The instant every samples/*/expected.ndjson was worked out for (samples/README.md, "The
// evaluation time"). The kit's sync evaluates at exactly this time.
inline constexpr const char* samples_evaluation_time = "2026-11-01T00:00:00Z";

struct SampleScenario {
  std::string name;                           // the directory's name, e.g. "02-itp"
  std::filesystem::path bundle_file;
  boost::json::object bundle;                 // the transaction Bundle, as read
  std::vector<std::string> patient_ids;       // ids of the Patients the Bundle holds
  std::vector<boost::json::object> expected;  // expected.ndjson, one DetectedIssue a line
};

// Reads every subdirectory of `dir` that holds a bundle.json (others, like tools/, are skipped),
// in name order. An error names the file, the line or entry, and why.
boost::system::result<std::vector<SampleScenario>, std::string> read_sample_scenarios(const std::filesystem::path& dir);

// The directory used when --samples is not given: the installed copy beside the binary
// (<prefix>/share/alemwatch/samples), else the source tree's samples/ (a build not installed).
std::filesystem::path default_samples_dir();

}  // namespace alemwatch::adapter

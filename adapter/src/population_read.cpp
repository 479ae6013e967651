#include "alemwatch/adapter/population_read.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string_view>
#include <thread>
#include <variant>

#include "alemwatch/fhir/ndjson_pipeline.hpp"
#include "alemwatch/fhir/observation_skim.hpp"
#include "alemwatch/mappings/lab_result_mapper.hpp"

namespace alemwatch::adapter {
namespace {

namespace fs = std::filesystem;

// How bulk exports write an Observation line; anything else is skimmed to find out.
constexpr std::string_view observation_prefix = R"({"resourceType":"Observation")";

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t") == std::string_view::npos; }

// Whether a line is an Observation, to be read in the second pass (both passes must answer
// alike), with its skim when telling took one.
struct LineKind {
  bool observation = false;
  std::optional<fhir::ObservationSkim> skim;
};

LineKind classify(std::string_view line, const fhir::NdjsonBlock& block, fhir::ObservationSkimmer& skimmer) {
  if (line.starts_with(observation_prefix)) return {true, std::nullopt};
  auto skim = skimmer.skim(line, block.capacity_from(line.data()));
  const bool observation = skim && skim->resource_type == "Observation";
  return {observation, std::move(skim)};
}

fhir::ObservationSkimmer& thread_skimmer() {
  thread_local fhir::ObservationSkimmer skimmer;
  return skimmer;
}

// Pass 1: the lines other than Observations, parsed (and administrations mapped) on a worker.
struct OtherResource {
  boost::json::object resource;
  std::string type;
  std::size_t line;  // within the block
};
// A Bundle on one line: read on the calling thread, where its entries keep their fullUrls and
// positions.
struct BundleLine {
  std::size_t line;  // within the block
  std::string_view text;  // into the block, which lives until its merge
};
// A resource the evaluation only counts (Patient, ...): its type is all it needs.
struct CountedResource {
  std::string type;
};
using OtherItem = std::variant<Evaluation::AdministrationFact, OtherResource, BundleLine, CountedResource>;

struct ProblemBuffer : fhir::ProblemSink {
  std::vector<fhir::DataProblem> problems;
  void report(fhir::DataProblem p) override { problems.push_back(std::move(p)); }
};

struct OtherLines {
  std::size_t lines = 0;
  std::vector<OtherItem> items;
  ProblemBuffer problems;  // line numbers within the block
  fhir::ReadStats stats;
  bool has_observations = false;
};

// Pass 2: what became of each Observation line, in order.
struct Skipped {  // it still replaces an earlier version under its id
  std::size_t id_offset = 0;  // the id, in ObservationLines::skipped_ids
  std::size_t id_size = 0;
};
using ObservationItem = std::variant<Evaluation::ObservationFact, Skipped, OtherResource>;

struct ObservationLines {
  std::size_t lines = 0;
  std::vector<ObservationItem> items;
  std::vector<std::string> texts;  // of the ObservationFact items, when options.on_observation wants them
  std::string skipped_ids;  // of the Skipped items, one after another (one allocation per block)
  std::size_t not_exposed = 0;  // Skipped items, by why
  std::size_t not_monitored = 0;
  ProblemBuffer problems;  // line numbers within the block
  fhir::ReadStats stats;
};

class PopulationRead {
 public:
  PopulationRead(Evaluation& evaluation, RunSummary& summary, const mappings::Mappings& m,
                 const PopulationReadOptions& options)
      : evaluation_(evaluation), summary_(summary), m_(m), options_(options), reader_(summary) {
    if (options_.threads == 0) options_.threads = std::max(1u, std::thread::hardware_concurrency());
  }

  fhir::ReadStats run(const std::vector<fs::path>& paths) {
    std::vector<fs::path> files;
    for (const auto& p : paths)
      for (auto& f : reader_.list_files(p)) files.push_back(std::move(f));
    std::vector<fs::path> with_observations;
    for (const auto& f : files) {
      if (!fhir::is_ndjson_file_name(f)) {
        reader_.read_file(f, [&](const fhir::ResourceInput& in) { evaluation_.add(in); });
        progress(file_size(f));
        continue;
      }
      std::uintmax_t first_half = 0;
      if (read_other_lines(f, first_half))
        with_observations.push_back(f);
      else
        progress(file_size(f) - first_half);  // no second pass over it
    }
    exposed_ = evaluation_.possibly_exposed_patients();
    for (const auto& f : with_observations) read_observation_lines(f);
    auto stats = reader_.stats();
    stats += worker_stats_;
    return stats;
  }

 private:
  // Pass 1 over one NDJSON file. True when it holds Observations for pass 2.
  bool read_other_lines(const fs::path& file, std::uintmax_t& progress_reported) {
    bool has_observations = false;
    std::size_t line_offset = 0;
    const std::string name = file.string();
    auto work = [&](const fhir::NdjsonBlock& block, OtherLines& out) {
      auto& skimmer = thread_skimmer();
      out.lines = fhir::for_each_ndjson_line(block, [&](std::string_view line, std::size_t n) {
        if (is_blank(line)) return;
        if (classify(line, block, skimmer).observation) {
          out.has_observations = true;
          return;
        }
        read_other_line(line, n, name, out);
      });
    };
    auto merge = [&](const fhir::NdjsonBlock& block, OtherLines& out) {
      progress(block.size / 2);
      progress_reported += block.size / 2;
      has_observations |= out.has_observations;
      add_problems(out.problems, line_offset);
      for (auto& item : out.items) {
        if (auto* fact = std::get_if<Evaluation::AdministrationFact>(&item)) {
          if (fact->where.line) *fact->where.line += line_offset;
          evaluation_.add_administration(std::move(*fact));
        } else if (auto* counted = std::get_if<CountedResource>(&item)) {
          evaluation_.count_resource(counted->type);
        } else if (auto* bundle = std::get_if<BundleLine>(&item)) {
          reader_.read_ndjson_line(bundle->text, {name, line_offset + bundle->line, {}, {}},
                                   [&](const fhir::ResourceInput& in) { evaluation_.add(in); });
        } else {
          add_other(std::get<OtherResource>(item), name, line_offset);
        }
      }
      worker_stats_ += out.stats;
      line_offset += out.lines;
    };
    auto done = fhir::process_ndjson_in_order<OtherLines>(file, options_.threads, work, merge, options_.block_size);
    if (!done) {
      if (line_offset == 0)
        reader_.count_file_failed({name}, "cannot read file: " + done.error().message());
      else
        summary_.report({fhir::ProblemSeverity::fatal, {name, line_offset + 1, {}, {}}, {}, {}, {},
                         "cannot read the rest of the file: " + done.error().message()});
      return false;
    }
    reader_.count_file_read();
    return has_observations;
  }

  // On a worker: one line of pass 1, parsed, administrations mapped.
  void read_other_line(std::string_view line, std::size_t n, const std::string& name, OtherLines& out) const {
    ProblemBuffer problems;
    fhir::ResourceReader reader(problems);
    std::vector<OtherItem> items;
    bool in_bundle = false;
    reader.read_ndjson_line(line, {name, n, {}, {}}, [&](const fhir::ResourceInput& in) {
      in_bundle |= in.full_urls != nullptr || in.where.entry.has_value();
      if (in_bundle) return;
      if (in.resource_type == "MedicationAdministration")
        items.push_back(evaluation_.map_administration(in, problems));
      else if (Evaluation::only_counts(in.resource_type))
        items.push_back(CountedResource{in.resource_type});
      else
        items.push_back(OtherResource{boost::json::object(in.resource, boost::json::storage_ptr()), in.resource_type, n});
    });
    if (in_bundle) {
      out.items.push_back(BundleLine{n, line});
      return;
    }
    for (auto& p : problems.problems) out.problems.problems.push_back(std::move(p));
    for (auto& i : items) out.items.push_back(std::move(i));
    out.stats += reader.stats();
  }

  // Pass 2 over one NDJSON file: its Observation lines.
  void read_observation_lines(const fs::path& file) {
    std::size_t line_offset = 0;
    const std::string name = file.string();
    auto work = [&](const fhir::NdjsonBlock& block, ObservationLines& out) { examine_block(name, block, out); };
    auto merge = [&](const fhir::NdjsonBlock& block, ObservationLines& out) {
      progress(block.size - block.size / 2);
      add_block(name, line_offset, out);
      line_offset += out.lines;
    };
    auto done = fhir::process_ndjson_in_order<ObservationLines>(file, options_.threads, work, merge, options_.block_size);
    if (!done)
      summary_.report({fhir::ProblemSeverity::fatal, {name, line_offset + 1, {}, {}}, {}, {}, {},
                       "cannot read the rest of the file: " + done.error().message()});
  }

  // On a worker thread: the skim decides whether a line is parsed.
  void examine_block(const std::string& name, const fhir::NdjsonBlock& block, ObservationLines& out) const {
    auto& skimmer = thread_skimmer();
    fhir::ResourceReader reader(out.problems);
    out.items.reserve(block.size / 1024);
    out.lines = fhir::for_each_ndjson_line(block, [&](std::string_view line, std::size_t n) {
      if (is_blank(line)) return;
      auto kind = classify(line, block, skimmer);
      if (!kind.observation) return;
      if (!kind.skim) kind.skim = skimmer.skim(line, block.capacity_from(line.data()));
      if (const auto& skim = kind.skim)
        if (const auto why = reason_to_skip(*skim); why != Skip::no) {
          out.items.push_back(Skipped{out.skipped_ids.size(), skim->id.size()});
          out.skipped_ids += skim->id;
          ++(why == Skip::not_exposed ? out.not_exposed : out.not_monitored);
          ++out.stats.resources;
          return;
        }
      reader.read_ndjson_line(line, {name, n, {}, {}}, [&](const fhir::ResourceInput& in) {
        if (in.resource_type == "Observation") {
          out.items.push_back(evaluation_.map_observation(in, out.problems));
          if (options_.on_observation) out.texts.emplace_back(line);
        } else
          out.items.push_back(OtherResource{boost::json::object(in.resource, boost::json::storage_ptr()), in.resource_type, n});
      });
    });
    out.stats += reader.stats();
  }

  enum class Skip { no, not_exposed, not_monitored };

  // Whether a skimmed Observation need not be parsed, and why.
  Skip reason_to_skip(const fhir::ObservationSkim& skim) const {
    if (skim.resource_type != "Observation") return Skip::no;
    if (exposed_ && skim.subject_reference) {
      const auto patient = mappings::patient_id_of(fhir::Reference{std::string(*skim.subject_reference), {}}, nullptr);
      if (patient && !exposed_->contains(*patient)) return Skip::not_exposed;
    }
    for (const auto& c : skim.codings)
      if (c.system == fhir::loinc_system && m_.analytes.by_loinc(c.code)) return Skip::no;
    return Skip::not_monitored;
  }

  // On this thread, in file order.
  void add_block(const std::string& name, std::size_t line_offset, ObservationLines& out) {
    add_problems(out.problems, line_offset);
    std::size_t text = 0;
    for (auto& item : out.items) {
      if (auto* fact = std::get_if<Evaluation::ObservationFact>(&item)) {
        if (options_.on_observation && fact->mapped && !fact->mapped->patient_id.empty())
          options_.on_observation(fact->mapped->patient_id, fact->id, out.texts[text]);
        if (options_.on_observation) ++text;
        evaluation_.add_observation(std::move(*fact));
      } else if (auto* skipped = std::get_if<Skipped>(&item)) {
        evaluation_.forget_observation(std::string_view(out.skipped_ids).substr(skipped->id_offset, skipped->id_size));
      } else {
        add_other(std::get<OtherResource>(item), name, line_offset);
      }
    }
    if (out.not_exposed) evaluation_.count_skipped_observations(outcome_not_exposed, out.not_exposed);
    if (out.not_monitored)
      evaluation_.count_skipped_observations(
          Evaluation::observation_outcome_name(mappings::ObservationOutcome::not_monitored), out.not_monitored);
    worker_stats_ += out.stats;
  }

  void add_problems(ProblemBuffer& buffer, std::size_t line_offset) {
    for (auto& p : buffer.problems) {
      if (p.where.line) *p.where.line += line_offset;
      summary_.report(std::move(p));
    }
  }

  void add_other(const OtherResource& other, const std::string& name, std::size_t line_offset) {
    const fhir::SourcePosition where{name, line_offset + other.line, {}, {}};
    evaluation_.add({other.resource, other.type, where, nullptr});
  }

  void progress(std::uintmax_t bytes) const {
    if (options_.on_progress && bytes) options_.on_progress(bytes);
  }

  static std::uintmax_t file_size(const fs::path& f) {
    std::error_code ec;
    const auto size = fs::file_size(f, ec);
    return ec ? 0 : size;
  }

  Evaluation& evaluation_;
  RunSummary& summary_;
  const mappings::Mappings& m_;
  PopulationReadOptions options_;
  fhir::ResourceReader reader_;
  fhir::ReadStats worker_stats_;
  std::optional<std::unordered_set<std::string>> exposed_;
};

}  // namespace

fhir::ReadStats read_population(const std::vector<fs::path>& paths, Evaluation& evaluation, RunSummary& summary,
                                const mappings::Mappings& m, const PopulationReadOptions& options) {
  return PopulationRead(evaluation, summary, m, options).run(paths);
}

}  // namespace alemwatch::adapter

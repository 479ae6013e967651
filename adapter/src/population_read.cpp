#include "alemwatch/adapter/population_read.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <optional>
#include <string_view>
#include <thread>
#include <variant>

#include "alemwatch/fhir/administration_line_reader.hpp"
#include "alemwatch/fhir/administration_skim.hpp"
#include "alemwatch/fhir/datatypes.hpp"
#include "alemwatch/fhir/ndjson_pipeline.hpp"
#include "alemwatch/fhir/observation_line_reader.hpp"
#include "alemwatch/fhir/observation_skim.hpp"
#include "alemwatch/mappings/lab_result_mapper.hpp"

namespace alemwatch::adapter {
namespace {

namespace fs = std::filesystem;

// How bulk exports write an Observation line; anything else is skimmed to find out.
constexpr std::string_view observation_prefix = R"({"resourceType":"Observation")";
// Likewise a MedicationAdministration line: not an Observation, and worth a skim of its own.
constexpr std::string_view administration_prefix = R"({"resourceType":"MedicationAdministration")";

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t") == std::string_view::npos; }

// Whether a line is an Observation, to be read in the second pass (both passes must answer
// alike), with its skim when telling took one.
struct LineKind {
  bool observation = false;
  std::optional<fhir::ObservationSkim> skim;
};

LineKind classify(std::string_view line, const fhir::NdjsonBlock& block, fhir::ObservationSkimmer& skimmer) {
  if (line.starts_with(observation_prefix)) return {true, std::nullopt};
  if (line.starts_with(administration_prefix)) return {false, std::nullopt};
  auto skim = skimmer.skim(line, block.capacity_from(line.data()));
  const bool observation = skim && skim->resource_type == "Observation";
  return {observation, std::move(skim)};
}

fhir::ObservationSkimmer& thread_skimmer() {
  thread_local fhir::ObservationSkimmer skimmer;
  return skimmer;
}

fhir::ObservationLineReader& thread_observation_reader() {
  thread_local fhir::ObservationLineReader reader;
  return reader;
}

fhir::AdministrationLineReader& thread_administration_reader() {
  thread_local fhir::AdministrationLineReader reader;
  return reader;
}

fhir::AdministrationSkimmer& thread_administration_skimmer() {
  thread_local fhir::AdministrationSkimmer skimmer;
  return skimmer;
}

// Whether the first line of an NDJSON file is an Observation, as bulk exports write them.
bool first_line_is_observation(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string start(4096, '\0');
  in.read(start.data(), static_cast<std::streamsize>(start.size()));
  start.resize(static_cast<std::size_t>(in.gcount()));
  const auto first = start.find_first_not_of(" \t\r\n");
  return first != std::string::npos && std::string_view(start).substr(first).starts_with(observation_prefix);
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
// A MedicationAdministration of a Medication known not to be alemtuzumab, skimmed, not parsed.
struct SkimmedAdministration {
  std::size_t id_offset = 0;  // the id, in OtherLines::skimmed_ids
  std::size_t id_size = 0;
  std::string medication_id;
  std::size_t line;        // within the block
  std::string_view text;   // into the block: read in full if the Medication has changed since
};
using OtherItem =
    std::variant<Evaluation::AdministrationFact, OtherResource, BundleLine, CountedResource, SkimmedAdministration>;

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
  std::string skimmed_ids;  // of the SkimmedAdministration items, one after another

  // Ready for the next block, keeping the memory `items` holds.
  void clear() {
    auto kept = std::move(items);
    kept.clear();
    *this = OtherLines{};
    items = std::move(kept);
  }
};

// Pass 2: what became of each Observation line, in order.
struct Skipped {  // it still replaces an earlier version under its id
  std::size_t id_offset = 0;  // the id, in ObservationLines::skipped_ids
  std::size_t id_size = 0;
  std::size_t id_hash = 0;    // Evaluation::id_hash, taken on the worker
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
  bool others = false;  // in a file guessed to hold only Observations: a line of another type

  // Ready for the next block, keeping the memory `items` holds (about 700 KB for 2 MB).
  void clear() {
    auto kept = std::move(items);
    kept.clear();
    *this = ObservationLines{};
    items = std::move(kept);
  }
};

// An NDJSON file with Observations for pass 2. A file whose first line is an Observation may be
// guessed to hold nothing else and skip pass 1; if the guess proves wrong, the whole read starts
// again without guesses (read_population).
struct ObservationFile {
  fs::path path;
  bool guessed = false;
};

class PopulationRead {
 public:
  // `guess`: take an NDJSON file whose first line is an Observation to hold only Observations.
  PopulationRead(Evaluation& evaluation, RunSummary& summary, const mappings::Mappings& m,
                 const PopulationReadOptions& options, bool guess)
      : evaluation_(evaluation), summary_(summary), m_(m), options_(options), reader_(summary), guess_(guess) {
    if (options_.threads == 0) options_.threads = std::max(1u, std::thread::hardware_concurrency());
  }

  // Nothing when a guess proved wrong: the caller starts again from where it stood, without guesses.
  std::optional<fhir::ReadStats> run(const std::vector<fs::path>& paths) {
    std::vector<fs::path> files;
    for (const auto& p : paths)
      for (auto& f : reader_.list_files(p)) files.push_back(std::move(f));
    std::vector<ObservationFile> observation_files;
    for (const auto& f : files) {
      if (!fhir::is_ndjson_file_name(f)) {
        reader_.read_file(f, [&](const fhir::ResourceInput& in) { evaluation_.add(in); });
        progress(file_size(f));
        continue;
      }
      if (guess_ && first_line_is_observation(f)) {
        observation_files.push_back({f, true});
        continue;
      }
      std::uintmax_t first_half = 0;
      if (read_other_lines(f, first_half))
        observation_files.push_back({f, false});
      else
        progress(file_size(f) - first_half);  // no second pass over it
    }
    if (!read_observation_files(observation_files)) return std::nullopt;
    auto stats = reader_.stats();
    stats += worker_stats_;
    return stats;
  }

 private:
  // Pass 2 over every file with Observations. False when a file guessed to hold only
  // Observations holds other resources.
  bool read_observation_files(const std::vector<ObservationFile>& files) {
    if (auto exposed = evaluation_.possibly_exposed_patients()) exposed_.emplace(exposed->begin(), exposed->end());
    return std::all_of(files.begin(), files.end(), [&](const auto& f) { return read_observation_lines(f); });
  }

  // Pass 1 over one NDJSON file. True when it holds Observations for pass 2.
  bool read_other_lines(const fs::path& file, std::uintmax_t& progress_reported) {
    bool has_observations = false;
    std::size_t line_offset = 0;
    const std::string name = file.string();
    other_medications_ = evaluation_.other_medications();  // read by the workers, not changed meanwhile
    auto work = [&](const fhir::NdjsonBlock& block, OtherLines& out) {
      auto& skimmer = thread_skimmer();
      out.lines = fhir::for_each_ndjson_line(block, [&](std::string_view line, std::size_t n) {
        if (is_blank(line)) return;
        const auto kind = classify(line, block, skimmer);
        if (kind.observation) {
          out.has_observations = true;
          return;
        }
        // A Patient (or another type the evaluation only counts) is counted from its skim.
        if (kind.skim && Evaluation::only_counts(kind.skim->resource_type)) {
          out.items.push_back(CountedResource{std::string(kind.skim->resource_type)});
          ++out.stats.resources;
          return;
        }
        if (auto skimmed = skim_administration(line, block, out.skimmed_ids)) {
          skimmed->line = n;
          out.items.push_back(std::move(*skimmed));
          return;
        }
        read_other_line(line, block, n, name, out);
      });
    };
    auto merge = [&](const fhir::NdjsonBlock& block, OtherLines& out) {
      progress(block.size / 2);
      progress_reported += block.size / 2;
      has_observations |= out.has_observations;
      add_problems(out.problems, line_offset);
      std::size_t other_medications = 0;
      for (auto& item : out.items) {
        if (auto* fact = std::get_if<Evaluation::AdministrationFact>(&item)) {
          if (fact->where.line) *fact->where.line += line_offset;
          evaluation_.add_administration(std::move(*fact));
        } else if (auto* counted = std::get_if<CountedResource>(&item)) {
          evaluation_.count_resource(counted->type);
        } else if (auto* skimmed = std::get_if<SkimmedAdministration>(&item)) {
          const auto id = std::string_view(out.skimmed_ids).substr(skimmed->id_offset, skimmed->id_size);
          if (evaluation_.add_administration_of_other_medication(id, skimmed->medication_id, other_medications))
            ++worker_stats_.resources;
          else
            reader_.read_ndjson_line(skimmed->text, {name, line_offset + skimmed->line, {}, {}},
                                     [&](const fhir::ResourceInput& in) { evaluation_.add(in); });
        } else if (auto* bundle = std::get_if<BundleLine>(&item)) {
          reader_.read_ndjson_line(bundle->text, {name, line_offset + bundle->line, {}, {}},
                                   [&](const fhir::ResourceInput& in) { evaluation_.add(in); });
        } else {
          add_other(std::get<OtherResource>(item), name, line_offset);
        }
      }
      evaluation_.count_administrations_of_other_medications(other_medications);
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

  // On a worker: an administration whose medicationReference names a Medication read before
  // this file and not alemtuzumab, which the evaluation only counts. Not parsed: most
  // administrations in a population are of other drugs.
  std::optional<SkimmedAdministration> skim_administration(std::string_view line, const fhir::NdjsonBlock& block,
                                                           std::string& ids) const {
    if (other_medications_.empty() || !line.starts_with(administration_prefix)) return std::nullopt;
    const auto skim = thread_administration_skimmer().skim(line, block.capacity_from(line.data()));
    if (!skim || skim->resource_type != "MedicationAdministration" || skim->has_medication_concept ||
        !skim->medication_reference)
      return std::nullopt;
    auto target = fhir::parse_reference(*skim->medication_reference);
    using Kind = fhir::ReferenceTarget::Kind;
    if ((target.kind != Kind::relative && target.kind != Kind::absolute) || target.type != "Medication" ||
        !other_medications_.contains(target.id))
      return std::nullopt;
    SkimmedAdministration skimmed{ids.size(), skim->id.size(), std::move(target.id), 0, line};
    ids += skim->id;
    return skimmed;
  }

  // On a worker: one line of pass 1, parsed, administrations mapped. An administration line that
  // is plainly valid is read straight into its view; any other line is parsed with Boost.JSON,
  // which reports what is wrong.
  void read_other_line(std::string_view line, const fhir::NdjsonBlock& block, std::size_t n, const std::string& name,
                       OtherLines& out) const {
    ProblemBuffer problems;
    fhir::ResourceReader reader(problems);
    if (line.starts_with(administration_prefix))
      if (const auto ma = thread_administration_reader().read(line, block.capacity_from(line.data()),
                                                              reader.options().max_depth)) {
        out.items.push_back(evaluation_.map_administration(*ma, {name, n, {}, {}}, out.problems));
        ++out.stats.resources;
        return;
      }
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

  // Pass 2 over one NDJSON file: its Observation lines. False when the file was guessed to hold
  // only Observations and does not.
  bool read_observation_lines(const ObservationFile& file) {
    std::size_t line_offset = 0;
    const std::string name = file.path.string();
    std::atomic<bool> wrong_guess = false;
    auto work = [&](const fhir::NdjsonBlock& block, ObservationLines& out) {
      if (!wrong_guess) examine_block(name, file.guessed, block, out);
    };
    auto merge = [&](const fhir::NdjsonBlock& block, ObservationLines& out) {
      if (out.others) wrong_guess = true;
      if (wrong_guess) return;
      // A guessed file had no pass 1: this pass stands for both halves of its progress.
      progress(file.guessed ? block.size : block.size - block.size / 2);
      add_block(name, line_offset, out);
      line_offset += out.lines;
    };
    auto done = fhir::process_ndjson_in_order<ObservationLines>(file.path, options_.threads, work, merge,
                                                                options_.block_size);
    if (wrong_guess) return false;
    if (!done && file.guessed && line_offset == 0) {
      ++worker_stats_.files_failed;
      summary_.report({fhir::ProblemSeverity::fatal, {name}, {}, {}, {}, "cannot read file: " + done.error().message()});
    } else if (!done) {
      summary_.report({fhir::ProblemSeverity::fatal, {name, line_offset + 1, {}, {}}, {}, {}, {},
                       "cannot read the rest of the file: " + done.error().message()});
    } else if (file.guessed) {
      ++worker_stats_.files_read;
    }
    return true;
  }

  // On a worker thread: the skim decides whether a line is parsed. In a guessed file, a line
  // that is not plainly an Observation is parsed too, to find out what it is.
  void examine_block(const std::string& name, bool guessed, const fhir::NdjsonBlock& block,
                     ObservationLines& out) const {
    auto& skimmer = thread_skimmer();
    fhir::ResourceReader reader(out.problems);
    out.items.reserve(block.size / 1024);
    out.lines = fhir::for_each_ndjson_line(block, [&](std::string_view line, std::size_t n) {
      if (is_blank(line)) return;
      auto kind = classify(line, block, skimmer);
      if (!kind.observation && !guessed) return;  // read in pass 1
      if (kind.observation && !kind.skim) kind.skim = skimmer.skim(line, block.capacity_from(line.data()));
      if (const auto& skim = kind.skim)
        if (const auto why = reason_to_skip(*skim); why != Skip::no) {
          out.items.push_back(Skipped{out.skipped_ids.size(), skim->id.size(), Evaluation::id_hash(skim->id)});
          out.skipped_ids += skim->id;
          ++(why == Skip::not_exposed ? out.not_exposed : out.not_monitored);
          ++out.stats.resources;
          return;
        }
      const auto read = [&](const fhir::ResourceInput& in) {
        if (in.resource_type == "Observation") {
          out.items.push_back(evaluation_.map_observation(in, out.problems));
          if (options_.on_observation) out.texts.emplace_back(line);
        } else if (guessed) {
          out.others = true;
        } else {
          out.items.push_back(OtherResource{boost::json::object(in.resource, boost::json::storage_ptr()), in.resource_type, n});
        }
      };
      const fhir::SourcePosition where{name, n, {}, {}};
      // An Observation, as its skim says, is read straight into its view when it is plainly
      // valid; any other line is parsed with Boost.JSON, which says what is wrong.
      if (kind.skim && kind.skim->resource_type == "Observation")
        if (auto obs = thread_observation_reader().read(line, block.capacity_from(line.data()),
                                                        reader.options().max_depth)) {
          ++out.stats.resources;
          out.items.push_back(evaluation_.map_observation(*obs, where, out.problems));
          if (options_.on_observation) out.texts.emplace_back(line);
          return;
        }
      reader.read_ndjson_line(line, where, read);
    });
    out.stats += reader.stats();
  }

  enum class Skip { no, not_exposed, not_monitored };

  // Whether a subject reference may name an exposed patient: false only when it names a patient
  // who is not.
  bool is_exposed(std::string_view reference) const {
    if (const auto id = mappings::plain_patient_id(reference)) return exposed_->contains(*id);
    const auto patient = mappings::patient_id_of(fhir::Reference{std::string(reference), {}}, nullptr);
    return !patient || exposed_->contains(*patient);
  }

  // Whether a skimmed Observation need not be parsed, and why.
  Skip reason_to_skip(const fhir::ObservationSkim& skim) const {
    if (skim.resource_type != "Observation") return Skip::no;
    if (exposed_ && skim.subject_reference && !is_exposed(*skim.subject_reference)) return Skip::not_exposed;
    for (const auto& c : skim.codings)
      if (c.system == fhir::loinc_system && m_.analytes.by_loinc(c.code)) return Skip::no;
    return Skip::not_monitored;
  }

  // On this thread, in file order.
  void add_block(const std::string& name, std::size_t line_offset, ObservationLines& out) {
    add_problems(out.problems, line_offset);
    std::size_t text = 0;
    Evaluation::ObservationTally tally;
    for (auto& item : out.items) {
      if (auto* fact = std::get_if<Evaluation::ObservationFact>(&item)) {
        if (options_.on_observation && fact->mapped && !fact->mapped->patient_id.empty())
          options_.on_observation(fact->mapped->patient_id, fact->id, out.texts[text]);
        if (options_.on_observation) ++text;
        evaluation_.add_observation(std::move(*fact), tally);
      } else if (auto* skipped = std::get_if<Skipped>(&item)) {
        evaluation_.forget_observation(std::string_view(out.skipped_ids).substr(skipped->id_offset, skipped->id_size),
                                       skipped->id_hash);
      } else {
        add_other(std::get<OtherResource>(item), name, line_offset);
      }
    }
    evaluation_.count(tally);
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
  // Looked up by string_view, without a copy.
  std::optional<std::unordered_set<std::string, Evaluation::IdHash, std::equal_to<>>> exposed_;
  std::unordered_set<std::string> other_medications_;  // during pass 1 over a file
  bool guess_;
};

}  // namespace

fhir::ReadStats read_population(const std::vector<fs::path>& paths, Evaluation& evaluation, RunSummary& summary,
                                const mappings::Mappings& m, const PopulationReadOptions& options) {
  // Guessing that a file holds only Observations saves reading it twice; when a guess proves
  // wrong, the read starts again from copies of the evaluation and summary, without guesses, so
  // the result is the same. Not when Observations are handed to on_observation, which cannot be
  // taken back.
  if (options.on_observation) return *PopulationRead(evaluation, summary, m, options, false).run(paths);
  const Evaluation evaluation_before = evaluation;
  const RunSummary summary_before = summary;
  PopulationReadOptions first = options;
  std::uintmax_t first_bytes = 0;  // progress told the first time, not told again
  first.on_progress = [&](std::uintmax_t bytes) {
    first_bytes += bytes;
    if (options.on_progress) options.on_progress(bytes);
  };
  if (auto stats = PopulationRead(evaluation, summary, m, first, true).run(paths)) return *stats;
  evaluation.rewind(evaluation_before);
  summary = summary_before;
  PopulationReadOptions again = options;
  std::uintmax_t again_bytes = 0;
  again.on_progress = [&](std::uintmax_t bytes) {
    const auto before = again_bytes;
    again_bytes += bytes;
    if (options.on_progress && again_bytes > first_bytes) options.on_progress(again_bytes - std::max(before, first_bytes));
  };
  return *PopulationRead(evaluation, summary, m, again, false).run(paths);
}

}  // namespace alemwatch::adapter

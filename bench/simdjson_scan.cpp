// simdjson_scan: "the practical limit" for reading a Bulk Data export. A plain, single-threaded
// simdjson On-Demand scan of NDJSON files that extracts from every Observation what an evaluator
// needs at least (subject.reference, the first coding's system and code, effectiveDateTime,
// valueQuantity.value and unit) and folds it into counts and a checksum, so that nothing is
// optimised away. Files are read in 16 MB chunks, as a streaming evaluator would. It maps nothing and evaluates nothing: `alemwatch evaluate` cannot be faster.
//
//   simdjson_scan FILE.ndjson...
//
// On-Demand is compiled in this translation unit and uses the implementation the compiler flags
// allow (SIMDJSON_BUILTIN_IMPLEMENTATION): with plain x86-64 flags that is the scalar "fallback",
// several times slower. bench/CMakeLists.txt builds this file with ALEMWATCH_SIMD_FLAGS, the flags
// the project uses for its own simdjson code; the implementation used is printed on stderr.

#include <simdjson.h>

#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

#define ALEMWATCH_STRINGIFY2(x) #x
#define ALEMWATCH_STRINGIFY(x) ALEMWATCH_STRINGIFY2(x)
constexpr std::string_view kImplementation = ALEMWATCH_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION);
constexpr std::size_t kChunk = 16 << 20;      // bytes read at a time
constexpr std::size_t kBatchSize = 1 << 20;  // simdjson's window; a line must fit in it

// FNV-1a: a cheap hash that makes the checksum depend on every byte extracted.
std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (const unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

struct Tally {
  std::uint64_t documents = 0, observations = 0, other = 0, errors = 0;
  std::uint64_t with_subject = 0, with_code = 0, with_time = 0, with_quantity = 0;
  double value_sum = 0;
  std::uint64_t checksum = 0;
  std::unordered_map<std::uint64_t, std::uint64_t> per_code;  // hash of system|code -> count
};

// Reads the fields of one Observation. Missing fields are normal (an ordinal has no
// valueQuantity); a wrong type counts as an error.
void read_observation(simdjson::ondemand::object obs, Tally& t) {
  ++t.observations;
  std::uint64_t h = 0;
  std::string_view s;
  if (obs["subject"]["reference"].get_string().get(s) == simdjson::SUCCESS) {
    ++t.with_subject;
    h ^= fnv1a(s);
  }
  simdjson::ondemand::array codings;
  if (obs["code"]["coding"].get_array().get(codings) == simdjson::SUCCESS) {
    for (auto coding : codings) {
      std::string_view system, code;
      simdjson::ondemand::object c;
      if (coding.get_object().get(c) != simdjson::SUCCESS) break;
      if (c["system"].get_string().get(system) != simdjson::SUCCESS) break;
      if (c["code"].get_string().get(code) != simdjson::SUCCESS) break;
      const std::uint64_t key = fnv1a(code, fnv1a(system) ^ '|');
      ++t.per_code[key];
      ++t.with_code;
      h += key;
      break;  // the first coding only
    }
  }
  if (obs["effectiveDateTime"].get_string().get(s) == simdjson::SUCCESS) {
    ++t.with_time;
    h = std::rotl(h, 7) ^ fnv1a(s);
  }
  simdjson::ondemand::object quantity;
  if (obs["valueQuantity"].get_object().get(quantity) == simdjson::SUCCESS) {
    double value = 0;
    if (quantity["value"].get_double().get(value) == simdjson::SUCCESS) {
      ++t.with_quantity;
      t.value_sum += value;
      h ^= std::bit_cast<std::uint64_t>(value);
    }
    if (quantity["unit"].get_string().get(s) == simdjson::SUCCESS) h = std::rotl(h, 13) ^ fnv1a(s);
  }
  t.checksum += h;
}

void scan_lines(const char* data, std::size_t size, simdjson::ondemand::parser& parser, Tally& t) {
  simdjson::ondemand::document_stream stream;
  if (parser.iterate_many(data, size, kBatchSize).get(stream) != simdjson::SUCCESS) {
    ++t.errors;
    return;
  }
  for (auto doc : stream) {
    ++t.documents;
    simdjson::ondemand::object obj;
    std::string_view type;
    if (doc.get_object().get(obj) != simdjson::SUCCESS || obj["resourceType"].get_string().get(type) != simdjson::SUCCESS) {
      ++t.errors;
      continue;
    }
    if (type == "Observation") read_observation(obj, t);
    else ++t.other;
  }
  if (stream.truncated_bytes() != 0) ++t.errors;
}

// Streams the file through a fixed buffer (as a bulk evaluator would, so peak RSS stays small):
// each read is cut after its last newline and the rest carried into the next.
bool scan_file(const char* path, simdjson::ondemand::parser& parser, Tally& t) {
  std::FILE* file = std::fopen(path, "rb");
  if (!file) {
    std::fprintf(stderr, "simdjson_scan: cannot open %s: %s\n", path, std::strerror(errno));
    return false;
  }
  std::vector<char> buffer(kChunk + simdjson::SIMDJSON_PADDING);
  std::size_t held = 0;
  bool at_end = false;
  while (!at_end) {
    held += std::fread(buffer.data() + held, 1, kChunk - held, file);
    at_end = held < kChunk;
    std::size_t cut = held;
    if (!at_end) {
      while (cut > 0 && buffer[cut - 1] != '\n') --cut;
      if (cut == 0) {
        std::fprintf(stderr, "simdjson_scan: %s: a line longer than %zu bytes\n", path, kChunk);
        break;
      }
    }
    if (cut > 0) scan_lines(buffer.data(), cut, parser, t);
    std::memmove(buffer.data(), buffer.data() + cut, held - cut);
    held -= cut;
  }
  const bool ok = !std::ferror(file);
  std::fclose(file);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: simdjson_scan FILE.ndjson...\n");
    return 2;
  }
  std::fprintf(stderr, "simdjson_scan: On-Demand implementation %.*s (library default: %s)%s\n",
               static_cast<int>(kImplementation.size()), kImplementation.data(),
               simdjson::builtin_implementation()->name().c_str(),
               kImplementation == "fallback" ? "; WARNING: scalar fallback, build with ALEMWATCH_SIMD_FLAGS" : "");
  simdjson::ondemand::parser parser;
  parser.threaded = false;  // a plain single-threaded scan: no stage-1 worker thread
  Tally t;
  int unreadable = 0;
  for (int i = 1; i < argc; ++i) unreadable += !scan_file(argv[i], parser, t);
  std::printf("simdjson_scan: %llu documents (%llu Observation, %llu other, %llu errors); Observation fields: subject %llu, code %llu, "
              "effectiveDateTime %llu, valueQuantity %llu; %zu distinct codes; value sum %.6g; checksum %016llx\n",
              static_cast<unsigned long long>(t.documents), static_cast<unsigned long long>(t.observations),
              static_cast<unsigned long long>(t.other), static_cast<unsigned long long>(t.errors),
              static_cast<unsigned long long>(t.with_subject), static_cast<unsigned long long>(t.with_code),
              static_cast<unsigned long long>(t.with_time), static_cast<unsigned long long>(t.with_quantity), t.per_code.size(),
              t.value_sum, static_cast<unsigned long long>(t.checksum));
  return unreadable ? 1 : 0;
}

#include "alemwatch/mappings/mappings.hpp"

#include <boost/json.hpp>

#include <system_error>
#include <unistd.h>

namespace alemwatch::mappings {
namespace {

// Loads one file with `load`, naming the file in any error.
template <class T, class Load>
bool load_into(const std::filesystem::path& dir, const char* name, T& into, MappingError& error, Load load) {
  const auto file = dir / name;
  auto json = load_json_file(file);
  if (!json) {
    error = json.error();
    return false;
  }
  auto loaded = load(*json, file.string());
  if (!loaded) {
    error = loaded.error();
    return false;
  }
  into = std::move(*loaded);
  return true;
}

}  // namespace

Loaded<std::unique_ptr<const Mappings>> load_mappings(const std::filesystem::path& dir,
                                                      const MappingRequirements& requirements) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return MappingError{dir.string(), {}, "not a directory of mapping files"};
  auto m = std::make_unique<Mappings>();
  MappingError error;
  const bool ok =
      load_into(dir, "units.json", m->units, error, UnitTable::load) &&
      load_into(dir, "analytes.json", m->analytes, error,
                [&](const auto& j, const auto& f) { return AnalyteCatalog::load(j, f, m->units); }) &&
      load_into(dir, "ordinals.json", m->ordinals, error, OrdinalTable::load) &&
      load_into(dir, "alemtuzumab.json", m->medications, error, MedicationCatalog::load) &&
      load_into(dir, "exposure.json", m->exposure, error, ExposureSettings::load) &&
      load_into(dir, "signals.json", m->signals, error,
                [&](const auto& j, const auto& f) { return SignalCatalog::load(j, f, requirements.thresholds); });
  if (!ok) return error;
  for (const auto& name : requirements.analytes)
    if (!m->analytes.by_name(name))
      return MappingError{(dir / "analytes.json").string(), "analytes", "no analyte named '" + name + "': the rules need it"};
  for (const auto& [code, names] : requirements.thresholds)
    for (const auto& name : m->signals.get(code).analyte_names)
      if (!m->analytes.by_name(name))
        return MappingError{(dir / "signals.json").string(), "signals." + code,
                            "names analyte '" + name + "', which analytes.json does not define"};
  return std::unique_ptr<const Mappings>(std::move(m));
}

std::filesystem::path default_mappings_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path().parent_path() / "share" / "alemwatch" / "mappings";
    if (std::filesystem::is_directory(installed, ec)) return installed;
  }
  return ALEMWATCH_SOURCE_MAPPINGS;
}

}  // namespace alemwatch::mappings

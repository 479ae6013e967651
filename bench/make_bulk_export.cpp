// make_bulk_export: writes a deterministic, realistic FHIR R4 Bulk Data export (NDJSON) of a
// multiple-sclerosis clinic population, for population-scale benchmarks of `alemwatch evaluate`.
//
//   make_bulk_export --out DIR [--patients N] [--observations M] [--exposed-fraction F] [--seed S]
//
// Writes DIR/Patient.ndjson, Medication.ndjson, MedicationAdministration.ndjson and
// Observation.ndjson. The same arguments always give the same bytes: every random choice comes
// from a splitmix64 stream seeded from --seed and the patient's index, never from the clock.
//
// The population (see docs/performance.md, "Population scale"):
// - A fraction F of the patients were given alemtuzumab (Lemtrada): course 1 of five daily 12 mg
//   infusions between 2025-03 and 2026-06, course 2 of three infusions twelve months later when that
//   is before the export. They have the monthly monitoring of the Lemtrada programme from ten days
//   before course 1 (CBC with differential, creatinine, urine protein; TSH every third month) up to
//   the export. A few percent of them show a pattern the rules flag: a platelet fall below
//   100 x10^9/L, a high TSH, a creatinine rise to 1.7-2.1 x baseline, a neutropenia, or monitoring
//   that stopped months ago.
// - Everyone else was given ocrelizumab or natalizumab (some exposed patients too, before the
//   switch), and everyone has routine laboratory panels and vital signs from 2020 to 2026 drawn from
//   about 90 LOINC codes, most of which the rules do not read.
// - The monitoring is generated first; the rest of the --observations budget is spread over all
//   patients as routine panels, so the total is exactly M unless the monitoring alone exceeds it.
// - Observations are written in blocks of 256 patients, shuffled inside each block, so that one
//   patient's results are spread over the file as in a real export.

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

// ---------------------------------------------------------------------------------------------
// Randomness: splitmix64, a bijective 64-bit mix, so ids derived from counters never collide.

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() { return mix64(state_++ * 0x9e3779b97f4a7c15ULL); }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  std::int64_t below(std::int64_t n) { return static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n)); }
  bool chance(double p) { return uniform() < p; }
  // About normal with mean 0 and standard deviation 1 (Irwin-Hall of four), bounded at +/- 3.5.
  double normal() { return (uniform() + uniform() + uniform() + uniform() - 2.0) * 1.7320508; }
  template <typename T>
  const T& pick(std::span<const T> items) { return items[static_cast<std::size_t>(below(static_cast<std::int64_t>(items.size())))]; }

 private:
  std::uint64_t state_;
};

// ---------------------------------------------------------------------------------------------
// Time: seconds since 1970-01-01T00:00:00Z, UTC throughout.

using Seconds = std::int64_t;
constexpr Seconds kMinute = 60;
constexpr Seconds kHour = 3600;
constexpr Seconds kDay = 86400;

// Howard Hinnant's days_from_civil and civil_from_days.
std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  int year;
  unsigned month, day;
};

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int>(yoe) + static_cast<int>(era) * 400 + (m <= 2), m, d};
}

Seconds at(int y, unsigned m, unsigned d, Seconds time_of_day = 0) { return days_from_civil(y, m, d) * kDay + time_of_day; }

// The same day of the month `months` later (clamped to the 28th, which every month has).
Seconds add_months(Seconds t, int months) {
  const std::int64_t days = t / kDay;
  const Civil c = civil_from_days(days);
  const int index = static_cast<int>(c.month) - 1 + months;
  const int year = c.year + index / 12;
  const unsigned month = static_cast<unsigned>(index % 12) + 1;
  return days_from_civil(year, month, std::min(c.day, 28u)) * kDay + t % kDay;
}

const Seconds kHistoryStart = at(2020, 1, 6);
const Seconds kExportTime = at(2026, 10, 31, 23 * kHour);  // nothing is dated after this
const Seconds kFirstCourseFrom = at(2025, 3, 1);
const Seconds kFirstCourseTo = at(2026, 6, 30);

// ---------------------------------------------------------------------------------------------
// Text: appends JSON pieces to a string. Everything written is ASCII and needs no escaping.

class Text {
 public:
  std::string& str() { return s_; }
  Text& operator<<(std::string_view v) { s_.append(v); return *this; }
  Text& operator<<(char c) { s_.push_back(c); return *this; }
  Text& integer(std::int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    s_.append(buf, r.ptr);
    return *this;
  }
  // `v` with exactly `decimals` digits after the point (a JSON number).
  Text& fixed(double v, int decimals) {
    char buf[48];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
    s_.append(buf, r.ptr);
    return *this;
  }
  Text& hex(std::uint64_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    for (int shift = 60; shift >= 0; shift -= 4) s_.push_back(digits[(v >> shift) & 15]);
    return *this;
  }
  Text& two(unsigned v) { s_.push_back(static_cast<char>('0' + v / 10)); s_.push_back(static_cast<char>('0' + v % 10)); return *this; }
  Text& date(Seconds t) {
    const Civil c = civil_from_days(t / kDay);
    integer(c.year) << '-';
    two(c.month) << '-';
    return two(c.day);
  }
  Text& date_time(Seconds t) {
    const Seconds s = t % kDay;
    date(t) << 'T';
    two(static_cast<unsigned>(s / kHour)) << ':';
    two(static_cast<unsigned>(s / kMinute % 60)) << ':';
    return two(static_cast<unsigned>(s % 60)) << 'Z';
  }
  // The instant form Epic and HAPI write in meta.lastUpdated and issued.
  Text& instant(Seconds t) {
    date_time(t);
    s_.pop_back();
    return *this << ".000+00:00";
  }

 private:
  std::string s_;
};

// An NDJSON output file, written through a large buffer.
class NdjsonFile {
 public:
  explicit NdjsonFile(const std::filesystem::path& path) : path_(path), file_(std::fopen(path.c_str(), "wb")) {
    if (!file_) fail("cannot create");
    buffer_.reserve(kFlushAt + 64 * 1024);
  }
  ~NdjsonFile() { close(); }
  NdjsonFile(const NdjsonFile&) = delete;
  NdjsonFile& operator=(const NdjsonFile&) = delete;

  void line(std::string_view text) {
    buffer_.append(text);
    buffer_.push_back('\n');
    ++lines_;
    if (buffer_.size() >= kFlushAt) flush();
  }
  void close() {
    if (!file_) return;
    flush();
    if (std::fclose(file_) != 0) fail("cannot close");
    file_ = nullptr;
  }
  std::uint64_t lines() const { return lines_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  static constexpr std::size_t kFlushAt = 8 << 20;
  void flush() {
    if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) fail("cannot write");
    bytes_ += buffer_.size();
    buffer_.clear();
  }
  [[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "make_bulk_export: %s %s: %s\n", what, path_.c_str(), std::strerror(errno));
    std::exit(1);
  }

  std::filesystem::path path_;
  std::FILE* file_;
  std::string buffer_;
  std::uint64_t lines_ = 0, bytes_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The laboratory catalogue: LOINC codes, displays, units and reference ranges.

enum class Kind { quantity, negative_ordinal, vital };

struct LabTest {
  std::string_view loinc, display, text;
  std::string_view unit;      // UCUM code; also written as the unit text unless unit_text is set
  std::string_view unit_text; // the laboratory's own spelling, when it differs
  double low, high;           // reference range in `unit`; generation aims inside it
  int decimals;
  Kind kind = Kind::quantity;
  bool range_low_only = false;
};

// Indexes into kTests, named where the generator refers to one test.
enum Test : int {
  // CBC with differential
  wbc, rbc, hgb, hct, mcv, mch, mchc, rdw, plt, mpv, neut_abs, lymph_abs, mono_abs, eos_abs, baso_abs,
  neut_pct, lymph_pct, mono_pct, eos_pct, baso_pct,
  // metabolic
  sodium, potassium, chloride, co2, bun, creat, glucose, calcium, protein, albumin, bili, alp, alt, ast, egfr,
  // lipids
  chol, hdl, ldl, trig, nonhdl,
  // urinalysis (strip, then microscopy)
  u_sg, u_ph, u_protein, u_glucose, u_ketones, u_blood, u_nitrite, u_le, u_bili, u_urobil, u_rbc, u_wbc, u_epi,
  u_pcr, u_acr,
  // thyroid, iron, vitamins, others
  tsh, ft4, iron, tibc, tsat, ferritin, vitd, b12, folate, a1c, crp, esr, ggt, pt, inr, aptt,
  magnesium, phosphate, urate, ck, ldh, cd3, cd4, cd8, hbsag, hiv,
  // vital signs
  heart_rate, resp_rate, temperature, body_weight, body_height, bmi, spo2,
  kTestCount
};

// SI alternatives a European laboratory sends for the monitored tests (patients are assigned one
// laboratory profile), with the factor from the US unit.
struct SiUnit {
  Test test;
  std::string_view unit;
  double factor;
  int decimals;
};
constexpr std::array kSiUnits{
    SiUnit{wbc, "10*9/L", 1, 2},       SiUnit{plt, "10*9/L", 1, 0},      SiUnit{neut_abs, "10*9/L", 1, 2},
    SiUnit{lymph_abs, "10*9/L", 1, 2}, SiUnit{hgb, "g/L", 10, 0},         SiUnit{creat, "umol/L", 88.4, 0},
    SiUnit{bili, "umol/L", 17.1, 0},   SiUnit{ft4, "pmol/L", 12.87, 1},
};

#define Q(...) LabTest{__VA_ARGS__}
const std::array<LabTest, kTestCount> kTests{
    Q("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "WBC", "10*3/uL", "K/uL", 4.0, 11.0, 2),
    Q("789-8", "Erythrocytes [#/volume] in Blood by Automated count", "RBC", "10*6/uL", "M/uL", 4.2, 5.4, 2),
    Q("718-7", "Hemoglobin [Mass/volume] in Blood", "Hemoglobin", "g/dL", "", 12.0, 16.0, 1),
    Q("4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "Hematocrit", "%", "", 36, 46, 1),
    Q("787-2", "MCV [Entitic volume] by Automated count", "MCV", "fL", "", 80, 100, 1),
    Q("785-6", "MCH [Entitic mass] by Automated count", "MCH", "pg", "", 27, 33, 1),
    Q("786-4", "MCHC [Mass/volume] by Automated count", "MCHC", "g/dL", "", 32, 36, 1),
    Q("788-0", "Erythrocyte distribution width [Ratio] by Automated count", "RDW", "%", "", 11.5, 14.5, 1),
    Q("777-3", "Platelets [#/volume] in Blood by Automated count", "Platelets", "10*3/uL", "K/uL", 150, 450, 0),
    Q("32623-1", "Platelet mean volume [Entitic volume] in Blood by Automated count", "MPV", "fL", "", 7.5, 11.5, 1),
    Q("751-8", "Neutrophils [#/volume] in Blood by Automated count", "Neutrophils, absolute", "10*3/uL", "K/uL", 1.5, 8.0, 2),
    Q("731-0", "Lymphocytes [#/volume] in Blood by Automated count", "Lymphocytes, absolute", "10*3/uL", "K/uL", 1.0, 4.8, 2),
    Q("742-7", "Monocytes [#/volume] in Blood by Automated count", "Monocytes, absolute", "10*3/uL", "K/uL", 0.2, 0.9, 2),
    Q("711-2", "Eosinophils [#/volume] in Blood by Automated count", "Eosinophils, absolute", "10*3/uL", "K/uL", 0.0, 0.5, 2),
    Q("704-7", "Basophils [#/volume] in Blood by Automated count", "Basophils, absolute", "10*3/uL", "K/uL", 0.0, 0.2, 2),
    Q("770-8", "Neutrophils/100 leukocytes in Blood by Automated count", "Neutrophils %", "%", "", 40, 70, 1),
    Q("736-9", "Lymphocytes/100 leukocytes in Blood by Automated count", "Lymphocytes %", "%", "", 20, 40, 1),
    Q("5905-5", "Monocytes/100 leukocytes in Blood by Automated count", "Monocytes %", "%", "", 2, 10, 1),
    Q("713-8", "Eosinophils/100 leukocytes in Blood by Automated count", "Eosinophils %", "%", "", 0, 6, 1),
    Q("706-2", "Basophils/100 leukocytes in Blood by Automated count", "Basophils %", "%", "", 0, 2, 1),
    Q("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "Sodium", "mmol/L", "", 136, 145, 0),
    Q("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "Potassium", "mmol/L", "", 3.5, 5.1, 1),
    Q("2075-0", "Chloride [Moles/volume] in Serum or Plasma", "Chloride", "mmol/L", "", 98, 107, 0),
    Q("2028-9", "Carbon dioxide, total [Moles/volume] in Serum or Plasma", "CO2", "mmol/L", "", 22, 29, 0),
    Q("3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "BUN", "mg/dL", "", 7, 20, 0),
    Q("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "Creatinine", "mg/dL", "", 0.5, 1.1, 2),
    Q("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "Glucose", "mg/dL", "", 70, 99, 0),
    Q("17861-6", "Calcium [Mass/volume] in Serum or Plasma", "Calcium", "mg/dL", "", 8.6, 10.3, 1),
    Q("2885-2", "Protein [Mass/volume] in Serum or Plasma", "Total protein", "g/dL", "", 6.0, 8.3, 1),
    Q("1751-7", "Albumin [Mass/volume] in Serum or Plasma", "Albumin", "g/dL", "", 3.5, 5.0, 1),
    Q("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "Bilirubin, total", "mg/dL", "", 0.2, 1.2, 1),
    Q("6768-6", "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma", "Alkaline phosphatase", "U/L", "", 44, 147, 0),
    Q("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "ALT", "U/L", "", 7, 56, 0),
    Q("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "AST", "U/L", "", 10, 40, 0),
    LabTest{"62238-1", "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI)", "eGFR", "mL/min/{1.73_m2}", "mL/min/1.73m2", 60, 120, 0, Kind::quantity, true},
    Q("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "Cholesterol, total", "mg/dL", "", 125, 200, 0),
    Q("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "HDL cholesterol", "mg/dL", "", 40, 90, 0),
    Q("13457-7", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation", "LDL cholesterol (calc)", "mg/dL", "", 50, 130, 0),
    Q("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "Triglycerides", "mg/dL", "", 40, 150, 0),
    Q("43396-1", "Cholesterol non HDL [Mass/volume] in Serum or Plasma", "Non-HDL cholesterol", "mg/dL", "", 70, 130, 0),
    Q("5811-5", "Specific gravity of Urine by Test strip", "Urine specific gravity", "1", "", 1.005, 1.030, 3),
    Q("5803-2", "pH of Urine by Test strip", "Urine pH", "[pH]", "pH", 5.0, 8.0, 1),
    Q("5804-0", "Protein [Mass/volume] in Urine by Test strip", "Urine protein", "mg/dL", "", 0, 14, 0),
    Q("5792-7", "Glucose [Mass/volume] in Urine by Test strip", "Urine glucose", "mg/dL", "", 0, 15, 0),
    Q("5797-6", "Ketones [Mass/volume] in Urine by Test strip", "Urine ketones", "mg/dL", "", 0, 5, 0),
    LabTest{"5794-3", "Hemoglobin [Presence] in Urine by Test strip", "Urine blood", "", "", 0, 0, 0, Kind::negative_ordinal},
    LabTest{"5802-4", "Nitrite [Presence] in Urine by Test strip", "Urine nitrite", "", "", 0, 0, 0, Kind::negative_ordinal},
    LabTest{"5799-2", "Leukocyte esterase [Presence] in Urine by Test strip", "Urine leukocyte esterase", "", "", 0, 0, 0, Kind::negative_ordinal},
    LabTest{"5770-3", "Bilirubin.total [Presence] in Urine by Test strip", "Urine bilirubin", "", "", 0, 0, 0, Kind::negative_ordinal},
    Q("5818-0", "Urobilinogen [Mass/volume] in Urine by Test strip", "Urobilinogen", "mg/dL", "", 0.2, 1.0, 1),
    Q("13945-1", "Erythrocytes [#/area] in Urine sediment by Microscopy high power field", "Urine RBC", "/[HPF]", "/HPF", 0, 3, 0),
    Q("5821-4", "Leukocytes [#/area] in Urine sediment by Microscopy high power field", "Urine WBC", "/[HPF]", "/HPF", 0, 5, 0),
    Q("11277-1", "Epithelial cells.squamous [#/area] in Urine sediment by Microscopy high power field", "Squamous epithelial cells", "/[HPF]", "/HPF", 0, 5, 0),
    Q("2890-2", "Protein/Creatinine [Mass Ratio] in Urine", "Urine protein/creatinine ratio", "mg/g", "", 20, 150, 0),
    Q("14959-1", "Microalbumin/Creatinine [Mass Ratio] in Urine", "Urine albumin/creatinine ratio", "mg/g", "", 0, 30, 0),
    Q("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "TSH", "m[IU]/L", "mIU/L", 0.4, 4.0, 2),
    Q("3024-7", "Thyroxine (T4) free [Mass/volume] in Serum or Plasma", "Free T4", "ng/dL", "", 0.8, 1.8, 2),
    Q("2498-4", "Iron [Mass/volume] in Serum or Plasma", "Iron", "ug/dL", "", 60, 170, 0),
    Q("2500-7", "Iron binding capacity [Mass/volume] in Serum or Plasma", "TIBC", "ug/dL", "", 250, 450, 0),
    Q("2502-3", "Iron saturation [Mass Fraction] in Serum or Plasma", "Transferrin saturation", "%", "", 20, 50, 0),
    Q("2276-4", "Ferritin [Mass/volume] in Serum or Plasma", "Ferritin", "ng/mL", "", 15, 200, 0),
    Q("1989-3", "25-Hydroxyvitamin D3+25-Hydroxyvitamin D2 [Mass/volume] in Serum or Plasma", "Vitamin D, 25-OH", "ng/mL", "", 30, 100, 1),
    Q("2132-9", "Cobalamin (Vitamin B12) [Mass/volume] in Serum or Plasma", "Vitamin B12", "pg/mL", "", 200, 900, 0),
    Q("2284-8", "Folate [Mass/volume] in Serum or Plasma", "Folate", "ng/mL", "", 3, 20, 1),
    Q("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "Hemoglobin A1c", "%", "", 4.0, 5.6, 1),
    Q("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma", "CRP", "mg/L", "", 0, 10, 1),
    Q("30341-2", "Erythrocyte sedimentation rate", "ESR", "mm/h", "mm/hr", 0, 20, 0),
    Q("2324-2", "Gamma glutamyl transferase [Enzymatic activity/volume] in Serum or Plasma", "GGT", "U/L", "", 8, 61, 0),
    Q("5902-2", "Prothrombin time (PT)", "PT", "s", "sec", 11, 13.5, 1),
    Q("6301-6", "INR in Platelet poor plasma by Coagulation assay", "INR", "{INR}", "", 0.8, 1.2, 2),
    Q("14979-9", "aPTT in Platelet poor plasma by Coagulation assay", "aPTT", "s", "sec", 25, 36, 1),
    Q("2601-3", "Magnesium [Mass/volume] in Serum or Plasma", "Magnesium", "mg/dL", "", 1.7, 2.2, 1),
    Q("2777-1", "Phosphate [Mass/volume] in Serum or Plasma", "Phosphorus", "mg/dL", "", 2.5, 4.5, 1),
    Q("3084-1", "Urate [Mass/volume] in Serum or Plasma", "Uric acid", "mg/dL", "", 3.5, 7.2, 1),
    Q("2157-6", "Creatine kinase [Enzymatic activity/volume] in Serum or Plasma", "CK", "U/L", "", 30, 200, 0),
    Q("2532-0", "Lactate dehydrogenase [Enzymatic activity/volume] in Serum or Plasma", "LDH", "U/L", "", 120, 240, 0),
    Q("8122-4", "CD3 cells [#/volume] in Blood", "CD3 count", "/uL", "cells/uL", 700, 2100, 0),
    Q("24467-3", "CD3+CD4+ (T4 helper) cells [#/volume] in Blood", "CD4 count", "/uL", "cells/uL", 500, 1400, 0),
    Q("14135-8", "CD3+CD8+ (T8 suppressor cells) cells [#/volume] in Blood", "CD8 count", "/uL", "cells/uL", 200, 900, 0),
    LabTest{"5196-1", "Hepatitis B virus surface Ag [Presence] in Serum", "Hepatitis B surface antigen", "", "", 0, 0, 0, Kind::negative_ordinal},
    LabTest{"56888-1", "HIV 1+2 Ab+HIV1 p24 Ag [Presence] in Serum or Plasma by Immunoassay", "HIV Ag/Ab screen", "", "", 0, 0, 0, Kind::negative_ordinal},
    LabTest{"8867-4", "Heart rate", "Pulse", "/min", "beats/minute", 55, 95, 0, Kind::vital},
    LabTest{"9279-1", "Respiratory rate", "Respiratory rate", "/min", "breaths/minute", 12, 18, 0, Kind::vital},
    LabTest{"8310-5", "Body temperature", "Temperature", "Cel", "C", 36.3, 37.2, 1, Kind::vital},
    LabTest{"29463-7", "Body weight", "Weight", "kg", "", 52, 95, 1, Kind::vital},
    LabTest{"8302-2", "Body height", "Height", "cm", "", 155, 185, 0, Kind::vital},
    LabTest{"39156-5", "Body mass index (BMI) [Ratio]", "BMI", "kg/m2", "", 19, 30, 1, Kind::vital},
    LabTest{"59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "SpO2", "%", "", 95, 100, 0, Kind::vital},
};
#undef Q

struct Panel {
  std::string_view name;
  std::vector<Test> tests;
  double weight;  // how often routine care orders it
};

const std::vector<Panel>& routine_panels() {
  static const std::vector<Panel> panels{
      {"CBC with differential", {wbc, rbc, hgb, hct, mcv, mch, mchc, rdw, plt, mpv, neut_abs, lymph_abs, mono_abs, eos_abs, baso_abs, neut_pct, lymph_pct, mono_pct, eos_pct, baso_pct}, 0.8},
      {"Comprehensive metabolic panel", {sodium, potassium, chloride, co2, bun, creat, glucose, calcium, protein, albumin, bili, alp, alt, ast, egfr}, 0.8},
      {"Lipid panel", {chol, hdl, ldl, trig, nonhdl}, 1.5},
      {"Urinalysis", {u_sg, u_ph, u_protein, u_glucose, u_ketones, u_blood, u_nitrite, u_le, u_bili, u_urobil}, 0.8},
      {"Urine microscopy", {u_rbc, u_wbc, u_epi}, 0.4},
      {"Urine ratios", {u_pcr, u_acr}, 0.3},
      {"Thyroid", {tsh, ft4}, 0.6},
      {"Iron studies", {iron, tibc, tsat, ferritin}, 0.5},
      {"Vitamins", {vitd, b12, folate}, 1.2},
      {"HbA1c", {a1c}, 0.8},
      {"Inflammation", {crp, esr}, 0.8},
      {"Liver extra", {ggt, ldh, ck}, 0.6},
      {"Coagulation", {pt, inr, aptt}, 0.4},
      {"Minerals", {magnesium, phosphate, urate}, 0.6},
      {"Lymphocyte subsets", {cd3, cd4, cd8}, 0.4},
      {"Serology", {hbsag, hiv}, 0.3},
      {"Vital signs", {heart_rate, resp_rate, temperature, body_weight, body_height, bmi, spo2}, 8.0},
  };
  return panels;
}

// ---------------------------------------------------------------------------------------------
// Medications.

constexpr std::string_view kRxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";

struct Drug {
  std::string_view key, rxnorm, display, text;
  double dose_mg;
  std::string_view route_code, route_display;
};
constexpr Drug kLemtrada{"lemtrada", "1594659", "Lemtrada", "Lemtrada (alemtuzumab) 12 mg/1.2 mL injection", 12, "47625008", "Intravenous route"};
constexpr Drug kOcrevus{"ocrevus", "1876366", "ocrelizumab", "Ocrevus (ocrelizumab) 300 mg/10 mL injection", 600, "47625008", "Intravenous route"};
constexpr Drug kTysabri{"tysabri", "354770", "natalizumab", "Tysabri (natalizumab) 300 mg/15 mL injection", 300, "47625008", "Intravenous route"};
constexpr std::array kDrugs{kLemtrada, kOcrevus, kTysabri};
constexpr int kLotsPerDrug = 4;

void write_medications(NdjsonFile& out) {
  Text t;
  for (const Drug& drug : kDrugs) {
    for (int lot = 1; lot <= kLotsPerDrug; ++lot) {
      t.str().clear();
      t << R"({"resourceType":"Medication","id":"med-)" << drug.key << '-';
      t.integer(lot) << R"(","meta":{"versionId":"1","lastUpdated":"2020-01-02T08:00:00.000+00:00"},"code":{"coding":[{"system":")"
        << kRxNorm << R"(","code":")" << drug.rxnorm << R"(","display":")" << drug.display << R"("}],"text":")" << drug.text
        << R"("},"status":"active","form":{"coding":[{"system":"http://snomed.info/sct","code":"385219001","display":"Solution for injection"}]},"batch":{"lotNumber":"L)";
      t.integer(2000 + lot * 37) << R"(","expirationDate":")";
      t.integer(2026 + lot % 2) << R"(-12-31"}})";
      out.line(t.str());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Patients.

constexpr std::array<std::string_view, 40> kFamilyNames{
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores"};
constexpr std::array<std::string_view, 20> kFemaleNames{
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
    "Lisa", "Nancy", "Sandra", "Ashley", "Emily", "Michelle", "Amanda", "Melissa", "Laura", "Rebecca"};
constexpr std::array<std::string_view, 20> kMaleNames{
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Charles",
    "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Paul", "Andrew", "Joshua", "Kevin"};
constexpr std::array<std::string_view, 10> kStreets{
    "Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St", "Elm St", "Washington Ave", "Lake Rd", "Hill St", "Park Ave"};
constexpr std::array<std::string_view, 8> kCities{
    "Springfield", "Riverside", "Franklin", "Greenville", "Bristol", "Clinton", "Fairview", "Madison"};

enum class Pattern { none, platelet_fall, high_tsh, creatinine_rise, neutropenia, missed_monitoring };

struct PatientPlan {
  std::uint64_t key = 0;  // seeds everything about the patient
  std::string id, family, given, display;
  bool female = false, si_units = false, by_reference = false;
  Seconds birth = 0;
  // alemtuzumab
  bool exposed = false;
  std::vector<Seconds> infusions;
  Pattern pattern = Pattern::none;
  Seconds pattern_from = 0, pattern_to = 0;
  Seconds monitoring_end = 0;
  std::vector<Seconds> monitoring_draws;
  // other MS drugs
  const Drug* other_drug = nullptr;
  Seconds other_from = 0, other_to = 0;
};

class PopulationPlanner {
 public:
  PopulationPlanner(std::uint64_t seed, double exposed_fraction) : seed_(seed), exposed_fraction_(exposed_fraction) {}

  PatientPlan plan(std::int64_t index) const {
    PatientPlan p;
    p.key = mix64(seed_ ^ mix64(static_cast<std::uint64_t>(index) + 1));
    Random r(p.key);
    describe_person(p, r, index);
    p.exposed = r.chance(exposed_fraction_);
    if (p.exposed) plan_alemtuzumab(p, r);
    plan_other_drug(p, r);
    return p;
  }

  // Monitored results per monitoring draw: CBC with differential (five analytes the rules read),
  // creatinine and urine protein every month; TSH every third month.
  static std::int64_t monitoring_results(const PatientPlan& p) {
    std::int64_t n = 0;
    for (std::size_t k = 0; k < p.monitoring_draws.size(); ++k) n += static_cast<std::int64_t>(monthly_tests(k).size());
    return n;
  }
  static std::span<const Test> monthly_tests(std::size_t draw) {
    static constexpr std::array<Test, 8> tests{plt, hgb, wbc, neut_abs, lymph_abs, creat, u_protein, tsh};
    return std::span<const Test>(tests).first(draw % 3 == 0 ? 8 : 7);
  }

 private:
  void describe_person(PatientPlan& p, Random& r, std::int64_t index) const {
    Text id;
    id << "pat" ;
    id.hex(mix64(seed_ * 31 + static_cast<std::uint64_t>(index)));
    p.id = id.str();
    p.female = r.chance(0.72);  // MS is about three times as common in women
    p.family = r.pick(std::span<const std::string_view>(kFamilyNames));
    p.given = p.female ? r.pick(std::span<const std::string_view>(kFemaleNames)) : r.pick(std::span<const std::string_view>(kMaleNames));
    p.display = p.family + ", " + p.given;
    p.birth = at(1955, 1, 1) + r.below(45 * 365) * kDay;
    p.si_units = r.chance(0.3);
    p.by_reference = r.chance(0.5);
  }

  static void plan_alemtuzumab(PatientPlan& p, Random& r) {
    const Seconds day1 = kFirstCourseFrom + r.below((kFirstCourseTo - kFirstCourseFrom) / kDay) * kDay + 9 * kHour;
    for (int i = 0; i < 5; ++i) p.infusions.push_back(day1 + i * kDay + r.below(40) * kMinute);
    const Seconds day2 = add_months(day1, 12);
    if (day2 + 3 * kDay < kExportTime)
      for (int i = 0; i < 3; ++i) p.infusions.push_back(day2 + i * kDay + r.below(40) * kMinute);

    p.monitoring_end = kExportTime;
    const double u = r.uniform();
    const Seconds onset = day1 + 45 * kDay + static_cast<Seconds>(r.uniform() * static_cast<double>(std::max<Seconds>(kDay, kExportTime - 40 * kDay - day1 - 45 * kDay)));
    if (u < 0.015) set_pattern(p, Pattern::platelet_fall, onset, 70);
    else if (u < 0.035) set_pattern(p, Pattern::high_tsh, onset, 100000);
    else if (u < 0.045) set_pattern(p, Pattern::creatinine_rise, onset, 60);
    else if (u < 0.050) set_pattern(p, Pattern::neutropenia, onset, 60);
    else if (u < 0.070) {
      p.pattern = Pattern::missed_monitoring;
      p.monitoring_end = std::max(day1 + 60 * kDay, kExportTime - (100 + r.below(80)) * kDay);
    }
    const Seconds first = day1 - 10 * kDay - 2 * kHour;
    for (int k = 0;; ++k) {
      const Seconds draw = add_months(first, k) + r.below(120) * kMinute;
      if (draw > p.monitoring_end) break;
      p.monitoring_draws.push_back(draw);
    }
  }

  static void set_pattern(PatientPlan& p, Pattern pattern, Seconds from, int days) {
    p.pattern = pattern;
    p.pattern_from = from;
    p.pattern_to = from + days * kDay;
  }

  static void plan_other_drug(PatientPlan& p, Random& r) {
    if (p.exposed && !r.chance(0.3)) return;  // most exposed patients come off first-line drugs
    p.other_drug = r.chance(0.65) ? &kOcrevus : &kTysabri;
    p.other_from = kHistoryStart + r.below(4 * 365) * kDay + 10 * kHour;
    p.other_to = p.other_from + (365 + r.below(2 * 365)) * kDay;
    if (p.exposed) {  // switched: stopped at least three months before alemtuzumab
      p.other_from = std::min(p.other_from, p.infusions.front() - 400 * kDay);
      p.other_to = p.infusions.front() - (90 + r.below(90)) * kDay;
    }
    p.other_to = std::min(p.other_to, kExportTime);
  }

  std::uint64_t seed_;
  double exposed_fraction_;
};

void write_patient(NdjsonFile& out, const PatientPlan& p, std::int64_t index) {
  Text t;
  Random r(p.key ^ 0x70617469656e74ULL);
  t << R"({"resourceType":"Patient","id":")" << p.id << R"(","meta":{"versionId":"1","lastUpdated":")";
  t.instant(kHistoryStart + r.below(365) * kDay) << R"("},"identifier":[{"use":"usual","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR","display":"Medical record number"}],"text":"MRN"},"system":"urn:oid:1.2.840.114350.1.13.0.1.7.5.737384.14","value":"E)";
  t.integer(1000000 + index) << R"("}],"active":true,"name":[{"use":"official","text":")" << p.given << ' ' << p.family
                              << R"(","family":")" << p.family << R"(","given":[")" << p.given
                              << R"("]}],"telecom":[{"system":"phone","value":"555-)";
  t.integer(100 + r.below(900)) << '-';
  t.integer(1000 + r.below(9000)) << R"(","use":"home"}],"gender":")" << (p.female ? "female" : "male") << R"(","birthDate":")";
  t.date(p.birth) << R"(","address":[{"use":"home","line":[")";
  t.integer(1 + r.below(9999)) << ' ' << r.pick(std::span<const std::string_view>(kStreets)) << R"("],"city":")"
                               << r.pick(std::span<const std::string_view>(kCities)) << R"(","state":"MA","postalCode":"0)";
  t.integer(1000 + r.below(8999)) << R"(","country":"US"}],"communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"en"}]},"preferred":true}]})";
  out.line(t.str());
}

// ---------------------------------------------------------------------------------------------
// MedicationAdministrations.

class AdministrationWriter {
 public:
  explicit AdministrationWriter(NdjsonFile& out) : out_(out) {}

  void write(const PatientPlan& p) {
    Random r(p.key ^ 0x6d6564ULL);
    int n = 0;
    for (const Seconds when : p.infusions) one(p, kLemtrada, when, 4 * kHour, kLemtrada.dose_mg, ++n, r);
    if (!p.other_drug) return;
    const bool ocrelizumab = p.other_drug == &kOcrevus;
    Seconds when = p.other_from;
    for (int dose = 0; when <= p.other_to; ++dose) {
      // Ocrelizumab starts with two 300 mg half-doses two weeks apart, then 600 mg every six
      // months; natalizumab is 300 mg every four to six weeks.
      const double mg = ocrelizumab && dose < 2 ? 300 : p.other_drug->dose_mg;
      one(p, *p.other_drug, when, ocrelizumab ? 3 * kHour : kHour, mg, ++n, r);
      when += ocrelizumab ? (dose == 0 ? 14 * kDay : 182 * kDay) : (28 + 14 * r.below(2)) * kDay;
      when += r.below(3) * kDay;
    }
  }
  std::uint64_t written() const { return written_; }

 private:
  void one(const PatientPlan& p, const Drug& drug, Seconds start, Seconds duration, double mg, int n, Random& r) {
    Text& t = text_;
    t.str().clear();
    const std::uint64_t id = mix64(p.key + static_cast<std::uint64_t>(n) * 0x100000001b3ULL);
    t << R"({"resourceType":"MedicationAdministration","id":"ma)";
    t.hex(id) << R"(","meta":{"versionId":"1","lastUpdated":")";
    t.instant(start + duration + r.below(600) * kMinute) << R"("},"identifier":[{"use":"official","system":"urn:oid:1.2.840.114350.1.13.0.1.7.2.798268","value":")";
    t.integer(static_cast<std::int64_t>(id >> 24)) << R"("}],"status":"completed","category":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/medication-admin-category","code":"outpatient","display":"Outpatient"}]},)";
    if (p.by_reference) {
      t << R"("medicationReference":{"reference":"Medication/med-)" << drug.key << '-';
      t.integer(1 + r.below(kLotsPerDrug)) << R"(","display":")" << drug.text << R"("},)";
    } else {
      t << R"("medicationCodeableConcept":{"coding":[{"system":")" << kRxNorm << R"(","code":")" << drug.rxnorm
        << R"(","display":")" << drug.display << R"("}],"text":")" << drug.text << R"("},)";
    }
    t << R"("subject":{"reference":"Patient/)" << p.id << R"(","display":")" << p.display << R"("},"context":{"reference":"Encounter/enc)";
    t.hex(mix64(id)) << R"("},"effectivePeriod":{"start":")";
    t.date_time(start) << R"(","end":")";
    t.date_time(start + duration) << R"("},"performer":[{"actor":{"reference":"Practitioner/prac-infusion-)";
    t.integer(1 + r.below(12)) << R"("}}],"request":{"reference":"MedicationRequest/mr)";
    t.hex(mix64(id ^ 1)) << R"("},"dosage":{"text":")";
    t.integer(static_cast<std::int64_t>(mg)) << R"( mg IV infusion","route":{"coding":[{"system":"http://snomed.info/sct","code":")"
      << drug.route_code << R"(","display":")" << drug.route_display << R"("}]},"dose":{"value":)";
    t.integer(static_cast<std::int64_t>(mg)) << R"(,"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"}}})";
    out_.line(t.str());
    ++written_;
  }

  NdjsonFile& out_;
  Text text_;
  std::uint64_t written_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Observations.

// A value of `test` for patient `p` at `when`: the patient's own set point inside the reference
// range, with a little noise, unless a planned pattern overrides it.
class ValueModel {
 public:
  static double value(const PatientPlan& p, Test test, Seconds when, Random& r) {
    const LabTest& lab = kTests[test];
    if (const auto v = pattern_value(p, test, when, r)) return *v;
    // The set point lies in the middle half of the range; the noise keeps the monitored results
    // of a stable patient well clear of every rule's threshold (creatinine varies by at most
    // +/- 7 %, so never 1.5 x its baseline).
    Random own(p.key ^ mix64(static_cast<std::uint64_t>(test) + 77));
    const double position = own.uniform(0.3, 0.7);
    const double set_point = lab.low + (lab.high - lab.low) * position;
    const double spread = (lab.high - lab.low) * 0.06;
    double v = set_point + spread * std::clamp(r.normal(), -1.2, 1.2);
    if (!p.exposed && !is_monitored(test) && r.chance(0.04)) v = lab.high + (lab.high - lab.low) * r.uniform(0.05, 0.4);
    return std::max(v, 0.0);
  }

  static bool is_monitored(Test t) {
    switch (t) {
      case wbc: case hgb: case plt: case neut_abs: case lymph_abs: case creat: case bili: case egfr:
      case u_protein: case u_blood: case u_rbc: case u_pcr: case tsh: case ft4: case ferritin:
      case inr: case aptt: case ldh: case cd4: case hiv:
        return true;
      default:
        return false;
    }
  }

 private:
  static std::optional<double> pattern_value(const PatientPlan& p, Test test, Seconds when, Random& r) {
    if (when < p.pattern_from || when > p.pattern_to) return std::nullopt;
    switch (p.pattern) {
      case Pattern::platelet_fall: if (test == plt) return r.uniform(40, 95); break;
      case Pattern::high_tsh: if (test == tsh) return r.uniform(6, 14); break;
      case Pattern::neutropenia: if (test == neut_abs) return r.uniform(0.7, 1.3); break;
      case Pattern::creatinine_rise:
        if (test == creat) {
          Random own(p.key ^ mix64(static_cast<std::uint64_t>(test) + 77));
          const LabTest& lab = kTests[test];
          return (lab.low + (lab.high - lab.low) * own.uniform(0.3, 0.7)) * r.uniform(1.7, 2.1);
        }
        break;
      default: break;
    }
    return std::nullopt;
  }
};

// Writes the Observations of one patient into a block, one line each.
class ObservationWriter {
 public:
  ObservationWriter(std::uint64_t seed) : seed_(seed) {}

  struct Block {
    std::string text;
    std::vector<std::pair<std::size_t, std::size_t>> lines;  // offset, length
  };

  // A draw: one encounter, one specimen time, several tests.
  void draw(Block& block, const PatientPlan& p, Seconds when, std::span<const Test> tests, Random& r, std::int64_t& budget) {
    const std::uint64_t encounter = mix64(p.key ^ static_cast<std::uint64_t>(when));
    const Seconds issued = when + (40 + r.below(300)) * kMinute;
    for (const Test test : tests) {
      if (budget <= 0) return;
      --budget;
      const std::size_t start = block.text.size();
      one(block.text, p, test, when, issued, encounter, r);
      block.lines.emplace_back(start, block.text.size() - start);
    }
  }
  std::uint64_t written() const { return counter_; }
  std::uint64_t monitored() const { return monitored_; }

 private:
  void one(std::string& into, const PatientPlan& p, Test test, Seconds when, Seconds issued, std::uint64_t encounter, Random& r) {
    const LabTest& lab = kTests[test];
    const std::uint64_t id = mix64(seed_ ^ (0x6f627300000000ULL + counter_++));
    if (ValueModel::is_monitored(test)) ++monitored_;
    const bool vital = lab.kind == Kind::vital;
    const bool amended = r.chance(0.01);
    const Seconds updated = issued + (amended ? (1 + r.below(20)) * kDay : r.below(30) * kMinute);
    Text& t = text_;
    t.str().clear();
    t << R"({"resourceType":"Observation","id":"obs)";
    t.hex(id) << R"(","meta":{"versionId":")" << (amended ? "2" : "1") << R"(","lastUpdated":")";
    t.instant(updated) << R"("},"identifier":[{"system":"urn:oid:1.2.840.114350.1.13.0.1.7.2.798268","value":")";
    t.integer(static_cast<std::int64_t>(id >> 20)) << R"("}],"status":")" << (amended ? "amended" : "final") << R"(","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":")"
      << (vital ? R"(vital-signs","display":"Vital Signs"}]}],)" : R"(laboratory","display":"Laboratory"}]}],)");
    t << R"("code":{"coding":[{"system":"http://loinc.org","code":")" << lab.loinc << R"(","display":")" << lab.display << R"("})";
    t << R"(],"text":")" << lab.text << R"("},"subject":{"reference":"Patient/)" << p.id << R"(","display":")" << p.display
      << R"("},"encounter":{"reference":"Encounter/enc)";
    t.hex(encounter) << R"("},"effectiveDateTime":")";
    t.date_time(when) << R"(","issued":")";
    t.instant(issued) << R"(",)";
    if (vital) {
      t << R"("performer":[{"reference":"Practitioner/prac-nurse-)";
      t.integer(1 + r.below(40)) << R"("}],)";
    } else {
      t << R"("performer":[{"reference":"Organization/org-central-lab"}],)";
    }
    if (lab.kind == Kind::negative_ordinal) {
      t << R"("valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"260385009","display":"Negative"}],"text":"Negative"},"interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"N","display":"Normal"}]}],"referenceRange":[{"text":"Negative"}]})";
    } else {
      quantity(t, p, test, ValueModel::value(p, test, when, r), vital);
    }
    into.append(t.str());
  }

  // valueQuantity, interpretation and referenceRange, in the patient's laboratory's unit.
  static void quantity(Text& t, const PatientPlan& p, Test test, double v, bool vital) {
    const LabTest& lab = kTests[test];
    std::string_view unit = lab.unit, unit_text = lab.unit_text.empty() ? lab.unit : lab.unit_text;
    double factor = 1;
    int decimals = lab.decimals;
    if (p.si_units) {
      for (const SiUnit& si : kSiUnits) {
        if (si.test != test) continue;
        unit = unit_text = si.unit;
        factor = si.factor;
        decimals = si.decimals;
      }
    }
    const double shown = v * factor;
    const double scale = std::pow(10.0, decimals);
    const double rounded = std::round(shown * scale) / scale;
    t << R"("valueQuantity":{"value":)";
    t.fixed(rounded, decimals) << R"(,"unit":")" << unit_text << R"(","system":"http://unitsofmeasure.org","code":")" << unit << R"("})";
    if (vital) {
      t << '}';
      return;
    }
    const double low = lab.low * factor, high = lab.high * factor;
    const char* code = rounded > high && !lab.range_low_only ? "H" : rounded < low ? "L" : "N";
    const char* display = code[0] == 'H' ? "High" : code[0] == 'L' ? "Low" : "Normal";
    t << R"(,"interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":")"
      << code << R"(","display":")" << display << R"("}]}],"referenceRange":[{"low":{"value":)";
    t.fixed(low, decimals) << R"(,"unit":")" << unit_text << R"(","system":"http://unitsofmeasure.org","code":")" << unit << R"("})";
    if (!lab.range_low_only) {
      t << R"(,"high":{"value":)";
      t.fixed(high, decimals) << R"(,"unit":")" << unit_text << R"(","system":"http://unitsofmeasure.org","code":")" << unit << R"("})";
    }
    t << R"(}]})";
  }

  std::uint64_t seed_;
  std::uint64_t counter_ = 0, monitored_ = 0;
  Text text_;
};

// Routine care: draws of randomly chosen panels at random times of the patient's history, until
// the patient's share of the budget is spent.
void routine_draws(ObservationWriter& writer, ObservationWriter::Block& block, const PatientPlan& p, std::int64_t budget) {
  Random r(p.key ^ 0x726f7574696e65ULL);
  const auto& panels = routine_panels();
  double total_weight = 0;
  for (const Panel& panel : panels) total_weight += panel.weight;
  // A patient who stopped attending for monitoring is not seen by anyone else either.
  const Seconds last = p.pattern == Pattern::missed_monitoring ? p.monitoring_end : kExportTime - kDay;
  while (budget > 0) {
    const Seconds when = kHistoryStart + r.below((last - kHistoryStart) / kDay) * kDay + (7 * kHour + r.below(600) * kMinute);
    for (int n = 1 + static_cast<int>(r.below(3)); n > 0 && budget > 0; --n) {
      double pick = r.uniform() * total_weight;
      const Panel* chosen = &panels.back();
      for (const Panel& panel : panels) {
        if ((pick -= panel.weight) < 0) { chosen = &panel; break; }
      }
      writer.draw(block, p, when, chosen->tests, r, budget);
    }
  }
}

void monitoring_draws(ObservationWriter& writer, ObservationWriter::Block& block, const PatientPlan& p) {
  Random r(p.key ^ 0x6d6f6e69746f72ULL);
  std::int64_t unlimited = INT64_MAX;
  for (std::size_t k = 0; k < p.monitoring_draws.size(); ++k)
    writer.draw(block, p, p.monitoring_draws[k], PopulationPlanner::monthly_tests(k), r, unlimited);
}

// ---------------------------------------------------------------------------------------------
// Command line.

struct Options {
  std::filesystem::path out;
  std::int64_t patients = 10000;
  std::int64_t observations = 1000000;
  double exposed_fraction = 0.2;
  std::uint64_t seed = 20261101;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "make_bulk_export: %s\n"
               "usage: make_bulk_export --out DIR [--patients N] [--observations M] [--exposed-fraction F] [--seed S]\n"
               "  defaults: 10000 patients, 1000000 Observations, exposed fraction 0.2, seed 20261101\n",
               why.c_str());
  std::exit(2);
}

template <typename T>
T number(std::string_view flag, const char* text) {
  T v{};
  const std::string_view s(text);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) usage(std::string(flag) + ": not a number: '" + text + "'");
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") usage("writes a synthetic FHIR R4 Bulk Data export");
    if (i + 1 >= argc) usage(std::string(flag) + ": needs a value");
    const char* value = argv[++i];
    if (flag == "--out") o.out = value;
    else if (flag == "--patients") o.patients = number<std::int64_t>(flag, value);
    else if (flag == "--observations") o.observations = number<std::int64_t>(flag, value);
    else if (flag == "--exposed-fraction") o.exposed_fraction = number<double>(flag, value);
    else if (flag == "--seed") o.seed = number<std::uint64_t>(flag, value);
    else usage("unknown option " + std::string(flag));
  }
  if (o.out.empty()) usage("--out DIR is required");
  if (o.patients < 1) usage("--patients must be at least 1");
  if (o.observations < 0) usage("--observations must not be negative");
  if (!(o.exposed_fraction >= 0 && o.exposed_fraction <= 1)) usage("--exposed-fraction must be between 0 and 1");
  return o;
}

// Each patient's share of the routine budget: weights of 0.5 to 1.5, then the remainder one by one.
std::vector<std::int64_t> share_budget(std::int64_t budget, std::int64_t patients, std::uint64_t seed) {
  Random r(seed ^ 0x627564676574ULL);
  std::vector<double> weight(static_cast<std::size_t>(patients));
  double total = 0;
  for (double& w : weight) total += (w = r.uniform(0.5, 1.5));
  std::vector<std::int64_t> share(weight.size());
  std::int64_t given = 0;
  for (std::size_t i = 0; i < weight.size(); ++i) given += (share[i] = static_cast<std::int64_t>(static_cast<double>(budget) * weight[i] / total));
  for (std::size_t i = 0; given < budget; i = (i + 1) % share.size(), ++given) ++share[i];
  return share;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::error_code ec;
  std::filesystem::create_directories(o.out, ec);
  if (ec) {
    std::fprintf(stderr, "make_bulk_export: cannot create %s: %s\n", o.out.c_str(), ec.message().c_str());
    return 1;
  }

  const PopulationPlanner planner(o.seed, o.exposed_fraction);
  std::int64_t monitoring = 0, exposed = 0;
  for (std::int64_t i = 0; i < o.patients; ++i) {
    const PatientPlan p = planner.plan(i);
    monitoring += PopulationPlanner::monitoring_results(p);
    exposed += p.exposed;
  }
  if (monitoring > o.observations)
    std::fprintf(stderr, "make_bulk_export: warning: the monitoring of %lld exposed patients alone needs %lld Observations, more than --observations %lld\n",
                 static_cast<long long>(exposed), static_cast<long long>(monitoring), static_cast<long long>(o.observations));
  const std::vector<std::int64_t> routine = share_budget(std::max<std::int64_t>(0, o.observations - monitoring), o.patients, o.seed);

  NdjsonFile patients(o.out / "Patient.ndjson"), medications(o.out / "Medication.ndjson"),
      administrations(o.out / "MedicationAdministration.ndjson"), observations(o.out / "Observation.ndjson");
  write_medications(medications);
  AdministrationWriter administration_writer(administrations);
  ObservationWriter observation_writer(o.seed);
  ObservationWriter::Block block;
  constexpr std::int64_t kBlockPatients = 256;
  Random shuffle(o.seed ^ 0x73687566666c65ULL);
  for (std::int64_t first = 0; first < o.patients; first += kBlockPatients) {
    block.text.clear();
    block.lines.clear();
    for (std::int64_t i = first; i < std::min(o.patients, first + kBlockPatients); ++i) {
      const PatientPlan p = planner.plan(i);
      write_patient(patients, p, i);
      administration_writer.write(p);
      monitoring_draws(observation_writer, block, p);
      routine_draws(observation_writer, block, p, routine[static_cast<std::size_t>(i)]);
    }
    for (std::size_t i = block.lines.size(); i > 1; --i) std::swap(block.lines[i - 1], block.lines[static_cast<std::size_t>(shuffle.below(static_cast<std::int64_t>(i)))]);
    for (const auto& [offset, length] : block.lines) observations.line(std::string_view(block.text).substr(offset, length));
  }
  for (NdjsonFile* f : {&patients, &medications, &administrations, &observations}) f->close();

  const std::uint64_t bytes = patients.bytes() + medications.bytes() + administrations.bytes() + observations.bytes();
  std::printf("make_bulk_export: %s: 4 files, %llu bytes (%.1f MB); Patient %llu (%lld exposed to alemtuzumab), Medication %llu, "
              "MedicationAdministration %llu, Observation %llu (%llu = %.1f %% with a code the rules read; %lld in monthly monitoring)\n",
              o.out.c_str(), static_cast<unsigned long long>(bytes), static_cast<double>(bytes) / 1e6,
              static_cast<unsigned long long>(patients.lines()), static_cast<long long>(exposed),
              static_cast<unsigned long long>(medications.lines()), static_cast<unsigned long long>(administrations.lines()),
              static_cast<unsigned long long>(observations.lines()), static_cast<unsigned long long>(observation_writer.monitored()),
              observations.lines() ? 100.0 * static_cast<double>(observation_writer.monitored()) / static_cast<double>(observations.lines()) : 0.0,
              static_cast<long long>(monitoring));
  return 0;
}

// ASCII white space and case folding, as <cctype> gives them in the "C" locale the adapter
// runs in (it never calls setlocale), but inline instead of a library call per character:
// units, codes and texts are folded for every resource mapped.
#pragma once

#include <string>

namespace alemwatch::mappings::ascii {

constexpr bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
constexpr char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline void lower_in_place(std::string& s) {
  for (auto& c : s) c = lower(c);
}

}  // namespace alemwatch::mappings::ascii

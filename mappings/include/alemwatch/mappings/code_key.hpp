// (system, code) pairs as set and map keys.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace alemwatch::mappings {

using CodeKey = std::pair<std::string, std::string>;
using CodeKeyView = std::pair<std::string_view, std::string_view>;

// Orders CodeKeys as std::less would, and also finds one by a CodeKeyView, so that looking up
// a Coding's system and code copies neither string.
struct CodeKeyLess {
  using is_transparent = void;
  static CodeKeyView view(const CodeKey& k) { return {k.first, k.second}; }
  static CodeKeyView view(const CodeKeyView& k) { return k; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return view(a) < view(b);
  }
};

}  // namespace alemwatch::mappings

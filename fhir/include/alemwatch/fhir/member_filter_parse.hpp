// Parses a JSON text, building only the top-level members of its object that a reader wants.
//
// Building a JSON tree costs about twice as much as checking the text; a reader that looks at a
// few elements of a large resource need not pay for the rest. The whole text is still checked by
// Boost.JSON's own parser, with the same options and the same numbers, so a text is accepted
// exactly when boost::json::parse accepts it, and the members kept are exactly what it builds.
#pragma once

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string_view>

namespace alemwatch::fhir {

// Which top-level keys to keep.
using MemberFilter = bool (*)(std::string_view key);

// The value, with only the top-level members `keep` accepts when it is an object. Nothing when
// the text is not valid JSON (or nests deeper than `max_depth`): parse it in full to say why.
std::optional<boost::json::value> parse_members(std::string_view text, MemberFilter keep, std::size_t max_depth,
                                                boost::json::storage_ptr storage);

}  // namespace alemwatch::fhir

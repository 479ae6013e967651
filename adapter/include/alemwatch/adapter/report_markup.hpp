// The small text helpers of the HTML report: escaping data for HTML and SVG, and numbers as
// coordinates. Everything that comes from the data passes through escape_html before it is written.
#pragma once

#include <string>
#include <string_view>

namespace alemwatch::adapter {

// Escapes & < > " ' so the text is safe as element content and inside a quoted attribute.
std::string escape_html(std::string_view text);

// A coordinate with at most 2 decimals, trailing zeros removed ("12.5", "40"); a value that is not
// finite (a programmer error upstream) is written as 0 so the SVG stays well formed.
std::string svg_number(double v);

}  // namespace alemwatch::adapter

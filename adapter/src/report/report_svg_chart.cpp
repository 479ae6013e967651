// Draws LineChart as SVG. Colours and strokes are presentation attributes, so the chart reads the
// same without the page's style sheet (and printed).
#include "alemwatch/adapter/report_svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "alemwatch/adapter/report_markup.hpp"

namespace alemwatch::adapter {
namespace {

constexpr const char* highlight_colour = "#c0392b";
constexpr const char* series_colour = "#1f5f99";

const std::string& tooltip(const ChartLine& l) { return l.description.empty() ? l.label : l.description; }

bool finite_point(const ChartPoint& p) { return std::isfinite(p.x) && std::isfinite(p.y); }

// Every finite y the chart must show.
std::vector<double> y_values(const LineChart& c) {
  std::vector<double> v;
  for (const auto& p : c.points)
    if (finite_point(p)) v.push_back(p.y);
  if (c.band) {
    if (c.band->low && std::isfinite(*c.band->low)) v.push_back(*c.band->low);
    if (c.band->high && std::isfinite(*c.band->high)) v.push_back(*c.band->high);
  }
  for (const auto& t : c.thresholds)
    if (std::isfinite(t.value)) v.push_back(t.value);
  for (const auto& t : c.y_ticks)
    if (std::isfinite(t.value)) v.push_back(t.value);
  return v;
}

// A domain of positive width around the values: padded by 8 %, or by 1 (or 10 % of the value)
// when all values are equal, and [0, 1] when there are none.
std::pair<double, double> y_domain(const std::vector<double>& values) {
  if (values.empty()) return {0, 1};
  const auto [lo_it, hi_it] = std::minmax_element(values.begin(), values.end());
  double lo = *lo_it, hi = *hi_it;
  if (hi - lo <= 1e-12 * std::max(1.0, std::abs(hi))) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    return {lo - pad, hi + pad};
  }
  const double pad = (hi - lo) * 0.08;
  // Values that are all non-negative keep a non-negative axis (counts, concentrations).
  return {lo >= 0 ? std::max(0.0, lo - pad) : lo - pad, hi + pad};
}

void line(std::string& out, const char* cls, double x1, double y1, double x2, double y2, const std::string& extra) {
  out += fmt::format("<line class=\"{}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"{}", cls, svg_number(x1),
                     svg_number(y1), svg_number(x2), svg_number(y2), extra);
}

void text(std::string& out, const char* cls, double x, double y, const char* anchor, const std::string& label) {
  out += fmt::format("<text class=\"{}\" x=\"{}\" y=\"{}\" text-anchor=\"{}\" font-size=\"11\">{}</text>\n", cls,
                     svg_number(x), svg_number(y), anchor, escape_html(label));
}

void draw_band(std::string& out, const LineChart& c, const ChartLayout& l, const ChartGeometry& g) {
  if (!c.band) return;
  const double top = c.band->high && std::isfinite(*c.band->high) ? l.y(*c.band->high) : g.top;
  const double bottom = c.band->low && std::isfinite(*c.band->low) ? l.y(*c.band->low) : g.height - g.bottom;
  const double y0 = std::clamp(std::min(top, bottom), g.top, g.height - g.bottom);
  const double y1 = std::clamp(std::max(top, bottom), g.top, g.height - g.bottom);
  out += fmt::format(
      "<rect class=\"band\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#2e8b57\" fill-opacity=\"0.12\">"
      "<title>{}</title></rect>\n",
      svg_number(g.left), svg_number(y0), svg_number(g.width - g.left - g.right), svg_number(y1 - y0),
      escape_html(c.band->label));
}

void draw_axes(std::string& out, const LineChart& c, const ChartLayout& l, const ChartGeometry& g) {
  const double plot_bottom = g.height - g.bottom, plot_right = g.width - g.right;
  out += fmt::format("<rect class=\"plot\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>\n",
                     svg_number(g.left), svg_number(g.top), svg_number(plot_right - g.left),
                     svg_number(plot_bottom - g.top));
  for (const auto& t : l.y_ticks) {
    const double y = l.y(t.value);
    line(out, "grid", g.left, y, plot_right, y, " stroke=\"#ddd\"/>\n");
    text(out, "tick y-tick", g.left - 6, y + 4, "end", t.label);
  }
  for (const auto& t : c.x_ticks) {
    if (!std::isfinite(t.value) || t.value < std::min(c.x_min, c.x_max) || t.value > std::max(c.x_min, c.x_max))
      continue;
    const double x = l.x(t.value);
    line(out, "tick-mark", x, plot_bottom, x, plot_bottom + 4, " stroke=\"#888\"/>\n");
    text(out, "tick x-tick", x, plot_bottom + 16, "middle", t.label);
  }
  if (!c.y_label.empty()) text(out, "axis-label", g.left, g.top - 3, "start", c.y_label);
}

void draw_lines(std::string& out, const LineChart& c, const ChartLayout& l, const ChartGeometry& g) {
  const double plot_bottom = g.height - g.bottom, plot_right = g.width - g.right;
  for (const auto& m : c.markers) {
    if (!std::isfinite(m.value)) continue;
    const double x = l.x(m.value);
    line(out, "marker", x, g.top, x, plot_bottom,
         fmt::format(" stroke=\"#7d3c98\" stroke-width=\"1.5\"><title>{}</title></line>\n", escape_html(tooltip(m))));
  }
  for (const auto& t : c.thresholds) {
    if (!std::isfinite(t.value)) continue;
    const double y = l.y(t.value);
    line(out, "threshold", g.left, y, plot_right, y,
         fmt::format(" data-value=\"{}\" stroke=\"#d35400\" stroke-dasharray=\"6 4\"><title>{}</title></line>\n",
                     svg_number(t.value), escape_html(tooltip(t))));
    text(out, "threshold-label", plot_right + 4, y + 4, "start", t.label);
  }
}

void draw_series(std::string& out, const LineChart& c, const ChartLayout& l) {
  std::string points;
  for (const auto& p : c.points) {
    if (!finite_point(p)) continue;
    points += (points.empty() ? "" : " ") + svg_number(l.x(p.x)) + "," + svg_number(l.y(p.y));
  }
  if (!points.empty())
    out += fmt::format("<polyline class=\"series\" points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>\n",
                       points, series_colour);
  for (const auto& p : c.points) {
    if (!finite_point(p)) continue;
    out += fmt::format("<circle class=\"{}\" cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"{}><title>{}</title></circle>\n",
                       p.highlighted ? "point highlighted" : "point", svg_number(l.x(p.x)), svg_number(l.y(p.y)),
                       p.highlighted ? 5 : 3, p.highlighted ? highlight_colour : series_colour,
                       p.highlighted ? " stroke=\"#000\" stroke-width=\"1\"" : "", escape_html(p.label));
  }
}

}  // namespace

double LinearScale::operator()(double v) const {
  if (!std::isfinite(v) || d1 == d0) return (r0 + r1) / 2;
  return r0 + (v - d0) / (d1 - d0) * (r1 - r0);
}

std::vector<double> nice_ticks(double lo, double hi, int target_count) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || hi <= lo || target_count < 1) return {};
  const double raw = (hi - lo) / target_count;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (const double m : {1.0, 2.0, 5.0, 10.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  std::vector<double> ticks;
  // Integer multiples of the step, so rounding errors do not add up along the axis.
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1)
    ticks.push_back(k == 0 ? 0.0 : k * step);
  return ticks;
}

ChartLayout layout_chart(const LineChart& chart, const ChartGeometry& g) {
  ChartLayout l;
  l.x = LinearScale{chart.x_min, chart.x_max, g.left, g.width - g.right};
  const auto [lo, hi] = y_domain(y_values(chart));
  l.y = LinearScale{lo, hi, g.height - g.bottom, g.top};
  if (!chart.y_ticks.empty()) {
    l.y_ticks = chart.y_ticks;
  } else {
    for (const double v : nice_ticks(lo, hi)) l.y_ticks.push_back({v, svg_number(v)});
  }
  return l;
}

std::string render_svg(const LineChart& chart, const ChartGeometry& g) {
  const ChartLayout l = layout_chart(chart, g);
  const std::string id = escape_html(chart.id);
  std::string out = fmt::format(
      "<svg class=\"chart\" id=\"{0}\" viewBox=\"0 0 {1} {2}\" width=\"{1}\" height=\"{2}\" role=\"img\" "
      "aria-labelledby=\"{0}-title {0}-desc\" font-family=\"sans-serif\">\n"
      "<title id=\"{0}-title\">{3}</title>\n<desc id=\"{0}-desc\">{4}</desc>\n",
      id, svg_number(g.width), svg_number(g.height), escape_html(chart.title), escape_html(chart.desc));
  draw_band(out, chart, l, g);
  draw_axes(out, chart, l, g);
  draw_lines(out, chart, l, g);
  draw_series(out, chart, l);
  out += "</svg>\n";
  return out;
}

}  // namespace alemwatch::adapter

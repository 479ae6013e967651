// The generic SVG line chart: geometry (values land in the plot area, lines at the right y),
// degenerate data (one point, equal values, nothing at all, NaN), and escaping.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include "alemwatch/adapter/report_markup.hpp"
#include "alemwatch/adapter/report_svg_chart.hpp"

namespace alemwatch::adapter {
namespace {

const ChartGeometry g{};
const double plot_left = g.left, plot_right = g.width - g.right, plot_top = g.top, plot_bottom = g.height - g.bottom;

LineChart chart_with(std::vector<ChartPoint> points, double x_min = 0, double x_max = 100) {
  LineChart c;
  c.id = "c";
  c.title = "t";
  c.x_min = x_min;
  c.x_max = x_max;
  c.points = std::move(points);
  return c;
}

// The numeric value of attribute `name` of every element whose class attribute is `cls`.
std::vector<double> attribute_of(const std::string& svg, const std::string& cls, const std::string& name) {
  std::vector<double> out;
  const std::regex element("<[a-z]+ class=\"" + cls + "\"[^>]*>");
  const std::regex attribute(" " + name + "=\"([-0-9.]+)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), element); it != std::sregex_iterator(); ++it) {
    std::smatch m;
    const std::string tag = it->str();
    if (std::regex_search(tag, m, attribute)) out.push_back(std::stod(m[1]));
  }
  return out;
}

void expect_inside_plot(const std::string& svg) {
  for (const double x : attribute_of(svg, "point", "cx")) {
    EXPECT_GE(x, plot_left);
    EXPECT_LE(x, plot_right);
  }
  for (const double y : attribute_of(svg, "point", "cy")) {
    EXPECT_GE(y, plot_top);
    EXPECT_LE(y, plot_bottom);
  }
}

TEST(ReportSvgChart, ValuesMapIntoThePlotAreaWithLargerValuesHigher) {
  const auto c = chart_with({{0, 10, "a"}, {50, 250, "b"}, {100, 400, "c"}});
  const auto l = layout_chart(c, g);
  EXPECT_DOUBLE_EQ(l.x(0), plot_left);
  EXPECT_DOUBLE_EQ(l.x(100), plot_right);
  EXPECT_DOUBLE_EQ(l.x(50), (plot_left + plot_right) / 2);
  EXPECT_GT(l.y(10), l.y(400));  // SVG y grows downwards
  const std::string svg = render_svg(c, g);
  const auto cx = attribute_of(svg, "point", "cx");
  const auto cy = attribute_of(svg, "point", "cy");
  ASSERT_EQ(cx.size(), 3u);
  EXPECT_DOUBLE_EQ(cx[0], plot_left);
  EXPECT_DOUBLE_EQ(cx[2], plot_right);
  EXPECT_GT(cy[0], cy[1]);
  EXPECT_GT(cy[1], cy[2]);
  expect_inside_plot(svg);
  EXPECT_EQ(svg.find("NaN"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(ReportSvgChart, BandAndThresholdLinesAreDrawnAtTheirValues) {
  auto c = chart_with({{0, 120}, {100, 300}});
  c.band = ChartBand{150.0, 450.0, "range"};
  c.thresholds = {{100, "itp < 100", ""}, {30, "itp < 30", ""}};
  const auto l = layout_chart(c, g);
  const std::string svg = render_svg(c, g);
  // The y domain grows to show every threshold and the band.
  EXPECT_LE(l.y.d0, 30);
  EXPECT_GE(l.y.d1, 450);
  const auto y1 = attribute_of(svg, "threshold", "y1");
  ASSERT_EQ(y1.size(), 2u);
  EXPECT_NEAR(y1[0], l.y(100), 0.006);
  EXPECT_NEAR(y1[1], l.y(30), 0.006);
  EXPECT_EQ(attribute_of(svg, "threshold", "data-value"), (std::vector<double>{100, 30}));
  const auto band_y = attribute_of(svg, "band", "y");
  const auto band_h = attribute_of(svg, "band", "height");
  ASSERT_EQ(band_y.size(), 1u);
  EXPECT_NEAR(band_y[0], l.y(450), 0.006);
  EXPECT_NEAR(band_y[0] + band_h[0], l.y(150), 0.012);
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
  expect_inside_plot(svg);
}

TEST(ReportSvgChart, AnOpenBandExtendsToThePlotEdge) {
  auto c = chart_with({{0, 1}, {100, 2}});
  c.band = ChartBand{std::nullopt, 4.0, "below 4"};
  const auto l = layout_chart(c, g);
  const std::string svg = render_svg(c, g);
  const auto y = attribute_of(svg, "band", "y");
  const auto h = attribute_of(svg, "band", "height");
  ASSERT_EQ(y.size(), 1u);
  EXPECT_NEAR(y[0], l.y(4), 0.006);
  EXPECT_NEAR(y[0] + h[0], plot_bottom, 0.012);
}

TEST(ReportSvgChart, ASinglePointIsDrawnInsideThePlot) {
  const std::string svg = render_svg(chart_with({{50, 7, "only"}}), g);
  EXPECT_EQ(attribute_of(svg, "point", "cx").size(), 1u);
  expect_inside_plot(svg);
  EXPECT_EQ(svg.find("NaN"), std::string::npos);
}

TEST(ReportSvgChart, AllEqualValuesGetANonEmptyDomainAroundThem) {
  const auto c = chart_with({{0, 5}, {50, 5}, {100, 5}});
  const auto l = layout_chart(c, g);
  EXPECT_LT(l.y.d0, 5);
  EXPECT_GT(l.y.d1, 5);
  const std::string svg = render_svg(c, g);
  const auto cy = attribute_of(svg, "point", "cy");
  ASSERT_EQ(cy.size(), 3u);
  EXPECT_DOUBLE_EQ(cy[0], (plot_top + plot_bottom) / 2);
  expect_inside_plot(svg);
  EXPECT_FALSE(l.y_ticks.empty());
}

TEST(ReportSvgChart, AllZeroValuesStillGetADomain) {
  const auto l = layout_chart(chart_with({{0, 0}, {100, 0}}), g);
  EXPECT_LT(l.y.d0, l.y.d1);
}

TEST(ReportSvgChart, NoDataAndAnEmptyTimeRangeStillMakeAWellFormedChart) {
  const auto c = chart_with({}, 10, 10);
  const auto l = layout_chart(c, g);
  EXPECT_EQ(l.y.d0, 0);
  EXPECT_EQ(l.y.d1, 1);
  EXPECT_DOUBLE_EQ(l.x(10), (plot_left + plot_right) / 2);  // zero-width domain: the middle, no division by zero
  const std::string svg = render_svg(c, g);
  EXPECT_EQ(svg.find("NaN"), std::string::npos);
  EXPECT_EQ(svg.find("<polyline"), std::string::npos);
  EXPECT_EQ(svg.rfind("</svg>"), svg.size() - 7);
}

TEST(ReportSvgChart, PointsThatAreNotFiniteAreSkippedNotWrittenAsNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::string svg = render_svg(chart_with({{0, 1}, {50, nan}, {inf, 2}, {100, 3}}), g);
  EXPECT_EQ(attribute_of(svg, "point", "cx").size(), 2u);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  expect_inside_plot(svg);
}

TEST(ReportSvgChart, HighlightedPointsAreMarkedAndMarkersSpanThePlot) {
  auto c = chart_with({{0, 1, "plain"}, {100, 3, "cited", true}});
  c.markers = {{50, "", "infusion"}};
  const std::string svg = render_svg(c, g);
  EXPECT_EQ(attribute_of(svg, "point highlighted", "cx"), (std::vector<double>{plot_right}));
  const auto x1 = attribute_of(svg, "marker", "x1");
  ASSERT_EQ(x1.size(), 1u);
  EXPECT_DOUBLE_EQ(x1[0], (plot_left + plot_right) / 2);
  EXPECT_EQ(attribute_of(svg, "marker", "y1"), (std::vector<double>{plot_top}));
  EXPECT_EQ(attribute_of(svg, "marker", "y2"), (std::vector<double>{plot_bottom}));
}

TEST(ReportSvgChart, TextsAreEscaped) {
  auto c = chart_with({{0, 1, "<script>alert('x')</script>"}});
  c.title = "a \"quoted\" & <b>bold</b>";
  c.id = "x\" onload=\"alert(1)";
  const std::string svg = render_svg(c, g);
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  EXPECT_EQ(svg.find("<b>"), std::string::npos);
  EXPECT_EQ(svg.find("\" onload"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;alert(&#39;x&#39;)"), std::string::npos);
  EXPECT_NE(svg.find("a &quot;quoted&quot; &amp; &lt;b&gt;"), std::string::npos);
}

TEST(ReportSvgChart, NiceTicksAreRoundAndCoverTheRange) {
  EXPECT_EQ(nice_ticks(0, 100), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  const auto fractions = nice_ticks(0.3, 1.1);
  const std::vector<double> expected{0.4, 0.6, 0.8, 1.0};
  ASSERT_EQ(fractions.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(fractions[i], expected[i], 1e-12);
  EXPECT_TRUE(nice_ticks(5, 5).empty());
}

TEST(ReportMarkup, NumbersHaveAtMostTwoDecimalsAndNoNaN) {
  EXPECT_EQ(svg_number(12.5), "12.5");
  EXPECT_EQ(svg_number(40.0), "40");
  EXPECT_EQ(svg_number(1.23456), "1.23");
  EXPECT_EQ(svg_number(-0.001), "0");
  EXPECT_EQ(svg_number(std::numeric_limits<double>::quiet_NaN()), "0");
  EXPECT_EQ(escape_html("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

}  // namespace
}  // namespace alemwatch::adapter

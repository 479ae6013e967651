// A generic SVG line chart: axes with ticks, one polyline of points, a horizontal band, dashed
// horizontal lines, vertical markers and highlighted points. It knows nothing clinical: the
// caller says what the numbers are and how to label them. The SVG is written by hand (string
// building), every text escaped, every number through svg_number, one element a line.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace alemwatch::adapter {

struct ChartTick {
  double value = 0;
  std::string label;
};

struct ChartPoint {
  double x = 0;
  double y = 0;
  std::string label;         // tooltip (<title>) of the point
  bool highlighted = false;  // drawn larger, in the highlight colour, class "point highlighted"
};

// A horizontal band from `low` to `high`; a missing bound extends to the plot's edge.
struct ChartBand {
  std::optional<double> low;
  std::optional<double> high;
  std::string label;
};

// A dashed horizontal line at y = value (class "threshold"), or a vertical marker at x = value
// (class "marker").
struct ChartLine {
  double value = 0;
  std::string label;        // short, written beside a threshold
  std::string description;  // its <title>; the label when empty
};

struct LineChart {
  std::string id;     // the svg's id attribute
  std::string title;  // <title>
  std::string desc;   // <desc>
  std::string y_label;
  double x_min = 0;
  double x_max = 0;
  std::vector<ChartTick> x_ticks;  // the caller's (dates, say); values outside [x_min, x_max] are dropped
  // Fixed y ticks (an ordinal scale, "negative"/"positive"); when empty, evenly spaced round
  // numbers are chosen over the data.
  std::vector<ChartTick> y_ticks;
  std::vector<ChartPoint> points;  // drawn in the order given, joined by the polyline
  std::optional<ChartBand> band;
  std::vector<ChartLine> thresholds;
  std::vector<ChartLine> markers;
};

struct ChartGeometry {
  double width = 720;
  double height = 240;
  double left = 60;  // room for y tick labels
  double right = 150;  // room for threshold labels
  double top = 14;
  double bottom = 34;  // room for x tick labels
};

// value -> pixel, linear; a domain of zero width maps everything to the middle of the range.
struct LinearScale {
  double d0 = 0, d1 = 1;  // domain
  double r0 = 0, r1 = 1;  // range (pixels)
  double operator()(double v) const;
};

struct ChartLayout {
  LinearScale x;
  LinearScale y;  // maps larger values upwards (smaller pixel y)
  std::vector<ChartTick> y_ticks;
};

// The scales of a chart: the y domain covers every finite point, band bound, threshold and fixed
// tick, padded; an empty or flat set of values still gets a non-empty domain.
ChartLayout layout_chart(const LineChart& chart, const ChartGeometry& g = {});

// Evenly spaced round numbers (1, 2 or 5 times a power of ten) covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target_count = 5);

// The chart as one <svg> element. Points with a coordinate that is not finite are skipped.
std::string render_svg(const LineChart& chart, const ChartGeometry& g = {});

}  // namespace alemwatch::adapter

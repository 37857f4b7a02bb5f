#pragma once

// Web Vitals bands: collects LCP, FCP, TTFB, CLS and INP measurements from page_view attributes
// and web_vital events, and turns the ones above "good" into one finding per metric.

#include "bot/rules/engine.hpp"

#include <array>
#include <cstddef>
#include <vector>

namespace sessiondx::bot::detail {

class vital_tracker {
 public:
  explicit vital_tracker(const rule_settings& settings);

  void from_page_view(session_view& view, std::size_t pos);
  void from_web_vital(session_view& view, std::size_t pos);
  /// Appends one draft per metric with a measurement above its "good" boundary.
  void finish(session_view& view);

 private:
  struct metric {
    const char* name = "";  ///< "LCP"
    rule_id rule = rule_id::web_vital_lcp;
    const char* page_attr = "";  ///< page_view attribute, e.g. "lcp_ms"
    double good = 0, poor = 0;
    bool unitless = false;  ///< CLS
    bot::category category = category::loading;
    // Collected:
    std::size_t measured = 0, needs_improvement = 0, poor_count = 0;
    double worst = 0;
    std::size_t worst_pos = npos;
    std::vector<std::size_t> bad;  ///< positions of measurements above good
    std::vector<double> bad_values;
    // The last measurement, to count a load's page_view field and web_vital once.
    std::size_t last_load = npos;
    bool last_from_page_view = false;
    double last_value = 0;
    std::size_t last_pos = npos;
  };

  void measure(session_view& view, metric& m, double value, std::size_t pos, bool from_page_view);
  void unmeasure(session_view& view, metric& m);

  std::size_t load_ = 0;  ///< page loads seen so far (a page_view starts the next)

  std::array<metric, 5> metrics_;
};

}  // namespace sessiondx::bot::detail

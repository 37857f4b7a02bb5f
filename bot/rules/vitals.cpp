#include "bot/rules/vitals.hpp"

#include <algorithm>

namespace sessiondx::bot::detail {
namespace {

std::string fmt_value(double v, bool unitless) {
  return unitless ? fmt_number(v, 2) : fmt_duration(v);
}

std::string_view first_of(const flat_attrs& a, const char* x, const char* y) {
  std::string_view v = str_attr(a, x);
  return v.empty() ? str_attr(a, y) : v;
}

// What the web-vitals attribution build says about the worst measurement: the LCP element, its
// URL and load time (LCPAttribution target/element, url, resourceLoadDuration/resourceLoadTime),
// the INP interaction (INPAttribution interactionTarget/eventTarget, interactionType/eventType),
// the CLS largest shift (CLSAttribution largestShiftTarget, largestShiftValue).
std::vector<message> attribution_msgs(std::string_view metric, const flat_attrs& a) {
  std::vector<message> out;
  if (metric == "LCP") {
    if (auto t = first_of(a, "target", "element"); !t.empty()) {
      out.push_back(message("rules.attr.element").data("target", clip(t, 80)));
    }
    if (auto u = str_attr(a, "url"); !u.empty()) {
      out.push_back(message("rules.attr.image").data("url", clip(u, 100)));
    }
    auto load = num_attr(a, "resourceLoadDuration");
    if (!load) load = num_attr(a, "resourceLoadTime");
    if (load && *load > 0)
      out.push_back(message("rules.attr.loaded_in").duration("duration", *load));
    if (auto size = num_attr(a, "size"); size && *size > 0) {
      out.push_back(message("rules.attr.size").literal("kib", fmt_number(*size / 1024.0, 0)));
    }
  } else if (metric == "INP") {
    if (auto t = first_of(a, "interactionTarget", "eventTarget"); !t.empty()) {
      out.push_back(message("rules.attr.on").data("target", clip(t, 80)));
    }
    if (auto t = first_of(a, "interactionType", "eventType"); !t.empty()) {
      out.push_back(message("rules.attr.type").data("type", clip(t, 20)));
    }
  } else if (metric == "CLS") {
    if (auto t = str_attr(a, "largestShiftTarget"); !t.empty()) {
      out.push_back(message("rules.attr.largest_shift").data("target", clip(t, 80)));
    }
  }
  return out;
}

std::string plain_for(const char* name, const std::string& worst) {
  const std::string_view n = name;
  if (n == "LCP") return "pages loaded slowly (the main content took " + worst + " to appear)";
  if (n == "FCP") return "pages took " + worst + " to show anything";
  if (n == "TTFB") return "the server took " + worst + " to start sending the page";
  if (n == "CLS") return "the page layout jumped around while loading (CLS " + worst + ")";
  return "the page reacted slowly to clicks and typing (up to " + worst + ")";
}

}  // namespace

vital_tracker::vital_tracker(const rule_settings& s) {
  auto set = [](metric& m, const char* name, rule_id rule, const char* page_attr, double good,
                double poor, bool unitless, bot::category cat) {
    m.name = name;
    m.rule = rule;
    m.page_attr = page_attr;
    m.good = good;
    m.poor = poor;
    m.unitless = unitless;
    m.category = cat;
  };
  set(metrics_[0], "LCP", rule_id::web_vital_lcp, "lcp_ms", s.lcp_good_ms, s.lcp_poor_ms, false,
      category::loading);
  set(metrics_[1], "FCP", rule_id::web_vital_fcp, "fcp_ms", s.fcp_good_ms, s.fcp_poor_ms, false,
      category::loading);
  set(metrics_[2], "TTFB", rule_id::web_vital_ttfb, "ttfb_ms", s.ttfb_good_ms, s.ttfb_poor_ms,
      false, category::loading);
  set(metrics_[3], "CLS", rule_id::web_vital_cls, "cls", s.cls_good, s.cls_poor, true,
      category::loading);
  set(metrics_[4], "INP", rule_id::web_vital_inp, "inp_ms", s.inp_good_ms, s.inp_poor_ms, false,
      category::interface);
}

void vital_tracker::unmeasure(session_view& view, metric& m) {
  --m.measured;
  --view.counts.vital_measurements;
  if (&m == &metrics_[4]) --view.counts.inp_measurements;
  if (m.last_value <= m.good) return;
  if (m.last_value > m.poor) {
    --m.poor_count;
  } else {
    --m.needs_improvement;
  }
  --view.counts.slow_vitals;
  if (!m.bad.empty() && m.bad.back() == m.last_pos) {
    m.bad.pop_back();
    m.bad_values.pop_back();
  }
  m.worst = 0;
  m.worst_pos = npos;
  for (std::size_t i = 0; i < m.bad.size(); ++i) {
    if (m.worst_pos == npos || m.bad_values[i] > m.worst) {
      m.worst = m.bad_values[i];
      m.worst_pos = m.bad[i];
    }
  }
}

void vital_tracker::measure(session_view& view, metric& m, double value, std::size_t pos,
                            bool from_page_view) {
  // One measurement per page load: the page_view field and the web_vital of the same load are
  // one; the web_vital (which carries the attribution) wins.
  const bool same_load = m.last_load == load_ && m.last_from_page_view != from_page_view &&
                         view.events[m.last_pos].ev->page == view.events[pos].ev->page;
  if (same_load) {
    if (!from_page_view) {
      unmeasure(view, m);
    } else {
      return;  // the web_vital came first
    }
  }
  m.last_load = load_;
  m.last_from_page_view = from_page_view;
  m.last_value = value;
  m.last_pos = pos;
  ++m.measured;
  ++view.counts.vital_measurements;
  if (&m == &metrics_[4]) ++view.counts.inp_measurements;
  if (value <= m.good) return;
  if (value > m.poor) {
    ++m.poor_count;
  } else {
    ++m.needs_improvement;
  }
  ++view.counts.slow_vitals;
  if (m.bad.empty() || value > m.worst) {
    m.worst = value;
    m.worst_pos = pos;
  }
  if (m.bad.empty() || m.bad.back() != pos) {
    m.bad.push_back(pos);
    m.bad_values.push_back(value);
  }
}

void vital_tracker::from_page_view(session_view& view, std::size_t pos) {
  ++load_;
  const auto& attrs = view.events[pos].attrs;
  for (metric& m : metrics_) {
    if (auto v = num_attr(attrs, m.page_attr); v && *v >= 0) measure(view, m, *v, pos, true);
  }
}

void vital_tracker::from_web_vital(session_view& view, std::size_t pos) {
  const auto& attrs = view.events[pos].attrs;
  const std::string_view name = str_attr(attrs, "name");
  const auto value = num_attr(attrs, "value");
  if (!value || *value < 0) return;
  for (metric& m : metrics_) {
    // Names are matched case-insensitively: "lcp" and "LCP" are the same metric.
    if (name.size() == std::string_view(m.name).size() &&
        std::equal(name.begin(), name.end(), m.name,
                   [](char a, char b) { return (a >= 'a' && a <= 'z' ? a - 32 : a) == b; })) {
      measure(view, m, *value, pos, false);
      return;
    }
  }
}

void vital_tracker::finish(session_view& view) {
  for (metric& m : metrics_) {
    if (m.bad.empty()) continue;
    const bool poor = m.poor_count > 0;
    const std::string worst = fmt_value(m.worst, m.unitless);
    const std::string& page = view.events[m.worst_pos].ev->page;
    draft& d = view.group(std::string("vital|") + m.name, [&] {
      draft n;
      n.rule = m.rule;
      n.f.category = m.category;
      n.f.severity = poor ? severity::error : severity::warning;
      auto attributed_msgs = attribution_msgs(m.name, view.events[m.worst_pos].attrs);
      message title(m.category == category::interface   ? "rules.title.vital_input"
                    : std::string_view(m.name) == "CLS" ? "rules.title.vital_shifts"
                                                        : "rules.title.vital_loading");
      // A metric's value: a duration, or a plain number for CLS.
      const auto value = [&](message& msg, const char* name, double v) -> message& {
        return m.unitless ? msg.decimal(name, v, 2) : msg.duration(name, v);
      };
      value(title.literal("metric", m.name), "value", m.worst);
      on_page_arg(title, page);
      title.nested("band", message(poor ? "rules.band.poor" : "rules.band.needs_improvement"));
      if (attributed_msgs.empty()) {
        title.literal("attribution", "");
      } else {
        title.nested("attribution",
                     message("rules.title.attribution").list("parts", attributed_msgs));
      }
      put(n.f.title, n.f.title_msg, std::move(title));
      message base(poor ? "rules.threshold.vital_poor" : "rules.threshold.vital_needs_improvement");
      base.literal("metric", m.name);
      value(base, "worst", m.worst);
      value(base, "good", m.good);
      value(base, "poor", m.poor);
      message threshold("rules.threshold.vital");
      threshold.nested("base", std::move(base));
      if (m.bad.size() > 1 || m.measured > 1) {
        threshold.nested("counts", message("rules.threshold.vital_counts")
                                       .literal("poor", std::to_string(m.poor_count))
                                       .literal("needs", std::to_string(m.needs_improvement))
                                       .count("measured", static_cast<std::int64_t>(m.measured)));
      } else {
        threshold.literal("counts", "");
      }
      if (!attributed_msgs.empty()) {
        threshold.nested(
            "attribution",
            message("rules.threshold.attribution").list("parts", std::move(attributed_msgs)));
      } else {
        threshold.literal("attribution", "");
      }
      // The connection and device explain a slow load.
      std::vector<message> conditions;
      if (!view.connection.empty()) {
        conditions.push_back(
            message("rules.threshold.connection").data("connection", clip(view.connection, 20)));
      }
      if (!view.device.empty()) {
        conditions.push_back(
            message("rules.threshold.device").data("device", clip(view.device, 20)));
      }
      if (!conditions.empty()) {
        threshold.nested(
            "conditions",
            message("rules.threshold.conditions").list("parts", std::move(conditions)));
      } else {
        threshold.literal("conditions", "");
      }
      put(n.f.threshold, n.f.threshold_msg, std::move(threshold));
      n.plain = plain_for(m.name, worst);
      n.escalation = std::string(m.name) + " " + worst +
                     (page.empty() ? std::string() : " on " + clip(page, 80));
      message cause("rules.cause.vital");
      cause.literal("metric", m.name);
      if (m.unitless) {
        cause.decimal("value", m.worst, 2);
      } else {
        cause.duration("value", m.worst);
      }
      put(n.cause_phrase, n.cause_msg, std::move(cause));
      const bool input = m.category == category::interface;
      n.notice_what =
          input ? customer_notice::what::page_unresponsive : customer_notice::what::page_slow;
      n.notice_step = customer_notice::step::reload_page;
      return n;
    });
    for (std::size_t pos : m.bad) view.add(d, pos);
  }
}

}  // namespace sessiondx::bot::detail

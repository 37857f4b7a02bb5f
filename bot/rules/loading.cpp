// Loading rules: Web Vitals bands (LCP, FCP, TTFB, CLS), failed resources, failed and slow API
// calls. INP is measured here too but reported by the interface family (bot/rules/interface.cpp).

#include "bot/rules/engine.hpp"
#include "bot/rules/vitals.hpp"

namespace sessiondx::bot::detail {
namespace {

bool is_blocking_resource(std::string_view url) {
  if (auto q = url.find_first_of("?#"); q != std::string_view::npos) url = url.substr(0, q);
  return url.ends_with(".js") || url.ends_with(".mjs") || url.ends_with(".css");
}

void detect_resources(session_view& view, std::size_t pos) {
  const view_event& e = view.events[pos];
  ++view.counts.resource_errors;
  const std::string key = event_issue_key(e);
  draft& d = view.group("resource|" + key, [&] {
    draft n;
    const std::string url(str_attr(e.attrs, "url"));
    const auto status = num_attr(e.attrs, "status");
    const std::string what = url.empty() ? std::string("a resource") : clip(url, 100);
    const std::string code = status ? " (" + fmt_number(*status, 0) + ")" : std::string();
    const bool blocking = is_blocking_resource(url);
    n.f.rule = "resource.failed";
    n.f.category = category::loading;
    n.f.severity = blocking ? severity::error : severity::warning;
    n.f.title = "Failed to load " + what + code;
    n.f.threshold = "resource_error: " + what + code +
                    (blocking ? ", a script or stylesheet: the page may not work"
                              : ", not a script or stylesheet");
    n.f.issue_key = key;
    n.plain = "a file the page needs (" + what + ") failed to load";
    n.escalation = "resource " + what + code;
    n.cause_phrase = what + " failed to load" + code;
    return n;
  });
  view.add(d, pos);
}

void detect_http(session_view& view, std::size_t pos) {
  const view_event& e = view.events[pos];
  ++view.counts.api_calls;
  const http_info h = read_http(e);
  const auto& s = view.settings;
  if (h.failed) {
    ++view.counts.api_failed;
    const std::string key = event_issue_key(e);
    draft& d = view.group("api|" + key, [&] {
      draft n;
      // The route as grouped ("/api/orders/:id"), not the first URL of the group.
      const std::string call = key.starts_with("route:") ? clip(key.substr(6), 110)
                                                         : h.method + " " + clip(h.route, 100);
      const std::string outcome = http_outcome(h);
      n.f.rule = "api.failed";
      n.f.category = category::loading;
      n.f.severity = severity::error;
      n.f.title = "API call failed: " + call + " -> " + outcome;
      n.f.threshold = call + " -> " + outcome;
      n.f.issue_key = key;
      n.blocks_when_linked = true;
      const bool server = h.status && *h.status >= 500;
      const std::string status = server ? fmt_number(*h.status, 0) : outcome;
      n.plain = server
                    ? "a request to the server (" + call + ") failed with an error (" + status + ")"
                    : "the browser could not reach the server (" + call + ": " + outcome + ")";
      n.cause_phrase = server ? call + " returned " + status : call + " failed (" + outcome + ")";
      n.escalation = "route " + call + ", " + (server ? "status " + status : outcome);
      return n;
    });
    if (auto t = str_attr(e.attrs, "trace_id"); !t.empty() && d.trace_ids.size() < 3) {
      d.trace_ids.emplace_back(t);
    }
    view.add(d, pos);
    return;
  }
  if (h.duration_ms && *h.duration_ms > s.slow_api_ms) {
    ++view.counts.api_slow;
    draft& d = view.group("slow|" + h.method + " " + h.route, [&] {
      draft n;
      const std::string call = h.method + " " + clip(h.route, 100);
      n.f.rule = "api.slow";
      n.f.category = category::loading;
      n.f.severity = severity::warning;
      n.f.title = "Slow API call: " + call;
      n.plain = "the server was slow to answer (" + call + ")";
      n.escalation = "route " + call + " slow";
      n.cause_phrase = call + " was slow";
      return n;
    });
    view.add(d, pos);
  }
}

}  // namespace

void detect_loading(session_view& view) {
  vital_tracker vitals(view.settings);
  for (std::size_t pos = 0; pos < view.events.size(); ++pos) {
    const view_event& e = view.events[pos];
    const std::string& type = e.ev->type;
    if (type == "page_view") {
      ++view.counts.page_loads;
      vitals.from_page_view(view, pos);
    } else if (type == "web_vital") {
      vitals.from_web_vital(view, pos);
    } else if (type == "http_request") {
      detect_http(view, pos);
    } else if (type == "resource_error") {
      detect_resources(view, pos);
    }
  }
  vitals.finish(view);

  // Slow API thresholds: the slowest call of each route.
  for (draft& d : view.drafts) {
    if (d.f.rule != "api.slow") continue;
    double worst = 0;
    for (std::size_t pos : d.events) {
      if (auto ms = num_attr(view.events[pos].attrs, "duration_ms"); ms && *ms > worst) worst = *ms;
    }
    const std::string call = d.f.title.substr(std::string_view("Slow API call: ").size());
    d.f.title += " took " + fmt_duration(worst);
    d.f.threshold = call + " " + fmt_duration(worst) + " > " +
                    fmt_duration(view.settings.slow_api_ms) + " (slow API)" +
                    (d.f.count > 1 ? ", " + std::to_string(d.f.count) + " slow calls" : "");
    d.plain = "the server took " + fmt_duration(worst) + " to answer (" + call + ")";
  }
}

}  // namespace sessiondx::bot::detail

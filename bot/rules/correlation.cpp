// Correlation: a symptom the customer could see (an error or warning message, a JavaScript error,
// rage clicks, an error click) is linked to the failed API call or backend error that closely
// precedes it; failing those, a message or rage click is linked to a JavaScript error just before.

#include "bot/rules/engine.hpp"

namespace sessiondx::bot::detail {
namespace {

// Which symptom the headline should name when several point at the same cause.
int symptom_priority(const draft& d) {
  if (d.f.rule == "ui_message.error") return 5;
  if (d.f.rule == "js_error") return 4;
  if (d.f.rule == "interface.error_click") return 3;
  if (d.f.rule == "ui_message.warning") return 2;
  return 1;
}

// "502 from POST /api/payment", "timeout from GET /api/cart", "backend error in payments".
std::string cause_short(const session_view& view, std::size_t pos) {
  const view_event& e = view.events[pos];
  if (e.ev->type == "http_request") {
    const http_info h = read_http(e);
    const std::string call = h.method + " " + clip(h.route, 100);
    if (h.status && *h.status >= 500) return fmt_number(*h.status, 0) + " from " + call;
    const std::string outcome = http_outcome(h);
    return outcome.substr(0, outcome.find(':')).substr(0, outcome.find(" (")) + " on " + call;
  }
  if (e.ev->type == "backend_error") {
    const std::string_view svc = str_attr(e.attrs, "service");
    return "backend error in " + (svc.empty() ? std::string("(unknown service)") : clip(svc, 40)) +
           " (" + quoted(e.message, 60) + ")";
  }
  return "JavaScript error " + quoted(e.message, 60);
}

}  // namespace

void correlate(session_view& view) {
  const std::size_t n = view.events.size();
  // The draft each cause event belongs to.
  std::vector<std::size_t> cause_of(n, npos), js_of(n, npos);
  for (std::size_t i = 0; i < view.drafts.size(); ++i) {
    const std::string& rule = view.drafts[i].f.rule;
    auto* target = rule == "api.failed" || rule == "backend.error" ? &cause_of
                   : rule == "js_error"                            ? &js_of
                                                                   : nullptr;
    if (target == nullptr) continue;
    for (std::size_t pos : view.drafts[i].events) (*target)[pos] = i;
  }
  // prev[pos]: the latest cause event strictly before position pos.
  std::vector<std::size_t> prev_cause(n, npos), prev_js(n, npos);
  for (std::size_t pos = 1; pos < n; ++pos) {
    prev_cause[pos] = cause_of[pos - 1] != npos ? pos - 1 : prev_cause[pos - 1];
    prev_js[pos] = js_of[pos - 1] != npos ? pos - 1 : prev_js[pos - 1];
  }

  const std::int64_t window = view.settings.correlation_window_ms;
  for (std::size_t si = 0; si < view.drafts.size(); ++si) {
    if (!view.drafts[si].symptom) continue;
    const bool may_follow_js = view.drafts[si].f.rule == "ui_message.error" ||
                               view.drafts[si].f.rule == "ui_message.warning" ||
                               view.drafts[si].f.rule == "interface.rage_click";
    std::size_t best_symptom = npos, best_cause = npos;
    for (std::size_t pos : view.drafts[si].events) {
      const std::int64_t ts = view.events[pos].ev->ts_ms;
      auto within = [&](std::size_t c) {
        return c != npos && ts - view.events[c].ev->ts_ms <= window &&
               ts >= view.events[c].ev->ts_ms;
      };
      std::size_t cause = prev_cause[pos];
      if (!within(cause)) cause = may_follow_js && within(prev_js[pos]) ? prev_js[pos] : npos;
      if (cause == npos) continue;
      if (best_symptom == npos || ts < view.events[best_symptom].ev->ts_ms) {
        best_symptom = pos;
        best_cause = cause;
      }
    }
    if (best_cause == npos) continue;
    const std::size_t ci = cause_of[best_cause] != npos ? cause_of[best_cause] : js_of[best_cause];
    if (ci == si) continue;
    const std::int64_t gap =
        view.events[best_symptom].ev->ts_ms - view.events[best_cause].ev->ts_ms;
    draft& symptom = view.drafts[si];
    symptom.f.caused_by =
        cause_short(view, best_cause) + " " + fmt_duration(static_cast<double>(gap)) + " before";
    draft& cause = view.drafts[ci];
    cause.linked_cause = true;
    if (cause.blocks_when_linked) cause.blocks = true;
    if (cause.linked_symptom == npos ||
        symptom_priority(symptom) > symptom_priority(view.drafts[cause.linked_symptom])) {
      cause.linked_symptom = si;
      cause.link_gap_ms = gap;
    }
  }
}

}  // namespace sessiondx::bot::detail

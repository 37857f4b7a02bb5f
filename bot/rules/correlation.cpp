// Correlation: a symptom the customer could see (an error or warning message, a JavaScript error,
// rage clicks, an error click) is linked to the cause just before it, following chains of
// evidence rather than one fixed window:
//  1. the failed API call, backend error or business refusal nearest before the symptom, within
//     correlation_window_ms;
//  2. else, for a message, a run of 401/403 answers before it (each within chain_link_ms of the
//     next, same origin): the run's root is the failed call just before its first refusal (a
//     failed token refresh), else the refusals themselves;
//  3. else, for a message or rage click, a JavaScript error within the window.
// Third-party failures on hosts not configured as critical are never causes. Cost: O(events +
// symptom events × chain length), one backward-pointer array per cause kind.

#include "bot/rules/engine.hpp"

namespace sessiondx::bot::detail {
namespace {

// Which symptom the headline should name when several point at the same cause.
int symptom_priority(const draft& d) {
  if (d.rule == rule_id::ui_message_error) return 5;
  if (d.rule == rule_id::js_error) return 4;
  if (d.rule == rule_id::interface_error_click) return 3;
  if (d.rule == rule_id::ui_message_warning) return 2;
  return 1;
}

// "502 from POST /api/payment", "timeout on GET /api/cart", "backend error in payments (“x”)".
message cause_short(const session_view& view, std::size_t pos) {
  const view_event& e = view.events[pos];
  if (e.ev->type == "http_request") {
    const http_info h = read_http(e);
    const std::string call = h.method + " " + clip(h.route, 100);
    if (h.status && *h.status >= 400) {
      return message("rules.caused.status")
          .literal("status", fmt_number(*h.status, 0))
          .data("call", call);
    }
    // The kind of the outcome without its details: "timeout", "network error", "200 with error".
    message outcome;
    if (!h.status || *h.status == 0) {
      const bool timeout = http_outcome_msg(h).id.starts_with("rules.outcome.timeout");
      outcome = message(timeout ? "rules.caused.timeout" : "rules.caused.network");
    } else {
      outcome = message("rules.caused.with_error").literal("status", fmt_number(*h.status, 0));
    }
    return message("rules.caused.on_call").nested("outcome", std::move(outcome)).data("call", call);
  }
  if (e.ev->type == "backend_error") {
    const std::string_view svc = str_attr(e.attrs, "service");
    message m("rules.caused.backend");
    if (svc.empty()) {
      m.nested("service", message("rules.caused.unknown_service"));
    } else {
      m.data("service", clip(svc, 40));
    }
    return std::move(m.data("message", quoted(e.message, 60)));
  }
  if (e.ev->type == "resource_error") {
    return message("rules.caused.resource").data("url", clip(str_attr(e.attrs, "url"), 80));
  }
  return message("rules.caused.js_error").data("message", quoted(e.message, 60));
}

std::string host_of(const session_view& view, std::size_t pos) {
  return noise::url_host(str_attr(view.events[pos].attrs, "url"));
}

struct link {
  std::size_t cause = npos;               ///< cause event
  std::size_t refusals = 0;               ///< 401/403 answers between the root and the symptom
  std::string refusal_status;             ///< "401", "401/403"
  std::size_t first = npos, last = npos;  ///< the refusals of a chain
};

}  // namespace

void correlate(session_view& view) {
  const std::size_t n = view.events.size();
  const std::int64_t window = view.settings.correlation_window_ms;
  const std::int64_t chain_gap = view.settings.chain_link_ms;
  // The draft each cause event belongs to.
  std::vector<std::size_t> cause_of(n, npos), js_of(n, npos), refusal_of(n, npos);
  for (std::size_t i = 0; i < view.drafts.size(); ++i) {
    const draft& d = view.drafts[i];
    auto* target = d.rule == rule_id::js_error           ? &js_of
                   : d.rule == rule_id::api_auth_refused ? &refusal_of
                   : d.may_cause                         ? &cause_of
                                                         : nullptr;
    if (target == nullptr) continue;
    for (std::size_t pos : d.events) (*target)[pos] = i;
  }
  // prev[pos]: the latest cause event strictly before position pos.
  std::vector<std::size_t> prev_cause(n, npos), prev_js(n, npos), prev_refusal(n, npos);
  for (std::size_t pos = 1; pos < n; ++pos) {
    prev_cause[pos] = cause_of[pos - 1] != npos ? pos - 1 : prev_cause[pos - 1];
    prev_js[pos] = js_of[pos - 1] != npos ? pos - 1 : prev_js[pos - 1];
    prev_refusal[pos] = refusal_of[pos - 1] != npos ? pos - 1 : prev_refusal[pos - 1];
  }
  auto ts = [&](std::size_t pos) { return view.events[pos].ev->ts_ms; };

  // A run of refusals ending at `last`, and its root failure if there is one.
  auto follow_chain = [&](std::size_t last) {
    link l;
    std::size_t first = last;
    const std::string host = host_of(view, last);
    std::string statuses;
    auto add_status = [&](std::size_t pos) {
      const auto st = num_attr(view.events[pos].attrs, "status");
      const std::string code = st ? fmt_number(*st, 0) : "?";
      if (statuses.find(code) == std::string::npos) {
        statuses = statuses.empty()  ? code
                   : code < statuses ? code + "/" + statuses
                                     : statuses + "/" + code;
      }
    };
    add_status(last);
    l.refusals = 1;
    while (prev_refusal[first] != npos && ts(first) - ts(prev_refusal[first]) <= chain_gap &&
           host_of(view, prev_refusal[first]) == host) {
      first = prev_refusal[first];
      add_status(first);
      ++l.refusals;
    }
    l.refusal_status = statuses;
    l.first = first;
    l.last = last;
    const std::size_t root = prev_cause[first];
    if (root != npos && ts(first) - ts(root) <= chain_gap &&
        view.events[root].ev->type == "http_request" && host_of(view, root) == host &&
        !view.drafts[cause_of[root]].business) {
      l.cause = root;
    } else {
      l.cause = last;
      l.refusals = 0;  // the refusals are the cause themselves
    }
    return l;
  };

  for (std::size_t si = 0; si < view.drafts.size(); ++si) {
    if (!view.drafts[si].symptom) continue;
    const rule_id rule = view.drafts[si].rule;
    const bool is_message =
        rule == rule_id::ui_message_error || rule == rule_id::ui_message_warning;
    const bool may_follow_js = is_message || rule == rule_id::interface_rage_click;
    std::size_t best_symptom = npos;
    link best;
    for (std::size_t pos : view.drafts[si].events) {
      auto within = [&](std::size_t c, std::int64_t w) {
        return c != npos && ts(pos) >= ts(c) && ts(pos) - ts(c) <= w;
      };
      link l;
      if (within(prev_cause[pos], window)) {
        l.cause = prev_cause[pos];
      } else if (is_message && within(prev_refusal[pos], chain_gap)) {
        l = follow_chain(prev_refusal[pos]);
      } else if (may_follow_js && within(prev_js[pos], window)) {
        l.cause = prev_js[pos];
      }
      if (l.cause == npos) continue;
      if (best_symptom == npos || ts(pos) < ts(best_symptom)) {
        best_symptom = pos;
        best = l;
      }
    }
    if (best.cause == npos) continue;
    const std::size_t c = best.cause;
    const std::size_t ci = cause_of[c] != npos ? cause_of[c]
                           : js_of[c] != npos  ? js_of[c]
                                               : refusal_of[c];
    if (ci == si || ci == npos) continue;
    const std::int64_t gap = ts(best_symptom) - ts(c);
    draft& symptom = view.drafts[si];
    message caused(best.refusals > 0 ? "rules.caused_by.refusals" : "rules.caused_by");
    caused.nested("cause", cause_short(view, c)).duration("gap", static_cast<double>(gap));
    if (best.refusals > 0) {
      caused.literal("n", std::to_string(best.refusals)).literal("statuses", best.refusal_status);
    }
    put(symptom.f.caused_by, symptom.f.caused_by_msg, std::move(caused));
    draft& cause = view.drafts[ci];
    cause.linked_cause = true;
    if (cause.blocks_when_linked) cause.blocks = true;
    if (cause.business) {
      // A refusal by the bank or the rules: what the customer saw is not our failure.
      symptom.blocks = false;
      if (symptom.f.severity > severity::warning) symptom.f.severity = severity::warning;
    }
    if (cause.linked_symptom == npos ||
        symptom_priority(symptom) > symptom_priority(view.drafts[cause.linked_symptom])) {
      cause.linked_symptom = si;
      cause.link_gap_ms = gap;
      cause.link_cause_pos = c;
      cause.chain_refusals = best.refusals;
      if (best.refusals > 0) {
        cause.chain_status = best.refusal_status;
        cause.chain_first = best.first;
        cause.chain_last = best.last;
      }
    }
  }
  // The chain in the root's evidence: what the failure led to.
  for (draft& d : view.drafts) {
    if (d.chain_refusals == 0) continue;
    message m("rules.ev.chain");
    m.count("n", static_cast<std::int64_t>(d.chain_refusals))
        .literal("statuses", d.chain_status)
        .nested("first", summarize_msg(view.events[d.chain_first]))
        .nested("last", summarize_msg(view.events[d.chain_last]));
    std::string text = english(m);
    evidence e{ts(d.chain_first), "http_request", std::move(text), std::move(m)};
    if (d.f.evidence.size() < view.settings.max_evidence) {
      d.f.evidence.push_back(std::move(e));
    } else if (!d.f.evidence.empty()) {
      d.f.evidence.back() = std::move(e);
    }
  }
  // 401/403 answers no symptom followed are evidence only.
  for (draft& d : view.drafts) {
    if (d.hidden_unless_linked && !d.linked_cause) d.events.clear();
  }
}

}  // namespace sessiondx::bot::detail

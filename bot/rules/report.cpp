// The texts of a diagnosis: headline, customer summary, next step, the `checked` list and the
// timeline. Written for support agents, not engineers; the engineering details go into the
// escalation summary of the next step.

#include "bot/rules/engine.hpp"

#include <algorithm>
#include <iterator>

namespace sessiondx::bot::detail {
namespace {

std::int64_t others_of(const draft& d) {
  return d.f.other_sessions ? d.f.other_sessions->other_sessions : -1;
}

// Third-party and business problems never make an incident of ours, however many share them.
bool is_incident(const session_view& view, const draft& d) {
  return others_of(d) >= view.settings.incident_sessions && !d.third_party && !d.business;
}

// A headline is a sentence: it starts with a capital letter (ASCII; routes and quotes as sent).
void sentence_case(std::string& s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
}

// The cause as the headline names it: for an API failure, the outcome of the failure nearest
// before the symptom ("POST /api/payment returned 504 after an earlier 502").
std::string linked_cause_phrase(const session_view& view, const draft& d) {
  if (d.rule != rule_id::api_failed || d.link_cause_pos == npos) return d.cause_phrase;
  const http_info h = read_http(view.events[d.link_cause_pos]);
  const std::string call = d.f.issue_key.starts_with("route:")
                               ? clip(d.f.issue_key.substr(6), 110)
                               : h.method + " " + clip(h.route, 100);
  const bool server = h.status && *h.status >= 500;
  const std::string outcome = server ? fmt_number(*h.status, 0) : http_outcome(h);
  std::string s = server ? call + " returned " + outcome : call + " failed (" + outcome + ")";
  std::vector<std::string> earlier;
  for (const auto& st : d.statuses) {
    if (st != outcome) earlier.push_back(st);
  }
  if (!earlier.empty()) {
    s += " after an earlier ";
    for (std::size_t i = 0; i < earlier.size(); ++i) s += (i == 0 ? "" : ", ") + earlier[i];
  }
  return s;
}

// linked_cause_phrase as a catalog message.
message linked_cause_msg(const session_view& view, const draft& d) {
  if (d.rule != rule_id::api_failed || d.link_cause_pos == npos) return d.cause_msg;
  const http_info h = read_http(view.events[d.link_cause_pos]);
  const std::string call = d.f.issue_key.starts_with("route:")
                               ? clip(d.f.issue_key.substr(6), 110)
                               : h.method + " " + clip(h.route, 100);
  const bool server = h.status && *h.status >= 500;
  const std::string outcome = server ? fmt_number(*h.status, 0) : http_outcome(h);
  message m(server ? "rules.cause.linked_returned" : "rules.cause.linked_failed");
  m.data("call", call);
  if (server) {
    m.nested("outcome", message("rules.outcome.code").literal("status", outcome));
  } else {
    m.nested("outcome", http_outcome_msg(h));
  }
  std::vector<message> earlier;
  for (std::size_t i = 0; i < d.statuses.size() && i < d.status_msgs.size(); ++i) {
    if (d.statuses[i] != outcome) earlier.push_back(d.status_msgs[i]);
  }
  if (earlier.empty()) return m.literal("earlier", "");
  return m.nested("earlier", message("rules.cause.after_earlier").list("statuses", earlier));
}

bool has_payment_word(std::string_view text) {
  for (std::string_view w : {"pay", "checkout", "order", "billing", "invoice", "charge", "psp"}) {
    if (text.find(w) != std::string_view::npos) return true;
  }
  return false;
}

// A call that may have charged the customer: not GET, on a payment-like route.
bool payment_like(std::string_view key) {
  if (!key.starts_with("route:") || key.starts_with("route:GET ")) return false;
  return has_payment_word(key);
}

// A failure after which retrying could charge the customer twice: a payment-like call that
// failed, a backend error of a payment-like service ("backend:payments:..."), or a backend error
// within the correlation window of a failed payment-like call (the call failed because of it).
bool payment_risk(const session_view& view, const draft& top) {
  if (top.rule == rule_id::api_failed) return payment_like(top.f.issue_key);
  if (top.rule != rule_id::backend_error) return false;
  if (std::string_view key = top.f.issue_key; key.starts_with("backend:")) {
    key.remove_prefix(8);
    if (has_payment_word(key.substr(0, key.find(':')))) return true;
  }
  const std::int64_t window = view.settings.correlation_window_ms;
  for (const draft& d : view.drafts) {
    if (d.rule != rule_id::api_failed || !payment_like(d.f.issue_key)) continue;
    // Both lists are in time order: the nearest failure on either side of each own event.
    for (std::size_t own : top.events) {
      const auto it = std::lower_bound(d.events.begin(), d.events.end(), own);
      const std::int64_t ts = view.events[own].ev->ts_ms;
      if (it != d.events.end() && view.events[*it].ev->ts_ms - ts <= window) return true;
      if (it != d.events.begin() && ts - view.events[*std::prev(it)].ev->ts_ms <= window) {
        return true;
      }
    }
  }
  return false;
}

const draft* linked_symptom(const session_view& view, const draft& d) {
  return d.linked_cause && d.linked_symptom != npos ? &view.drafts[d.linked_symptom] : nullptr;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string window_hours(const rule_settings& s) {
  const auto h = s.blast_radius_window_ms / 3'600'000;
  return h > 0 ? std::to_string(h) + " h"
               : fmt_duration(static_cast<double>(s.blast_radius_window_ms));
}

// "POST /api/payment ..." window of the events of `d` (and its linked symptom).
std::string time_window(const session_view& view, const draft& d, const draft* symptom) {
  std::int64_t lo = d.f.first_seen_ms, hi = d.f.first_seen_ms;
  auto widen = [&](const draft& x) {
    for (std::size_t pos : x.events) {
      lo = std::min(lo, view.events[pos].ev->ts_ms);
      hi = std::max(hi, view.events[pos].ev->ts_ms);
    }
  };
  widen(d);
  if (symptom) widen(*symptom);
  if (utc_clock(lo) == utc_clock(hi)) return utc_date(lo) + " " + utc_clock(lo) + " UTC";
  return utc_date(lo) + " " + utc_clock(lo) + "–" + utc_clock(hi) + " UTC";
}

std::string blast_sentence(const session_view& view, const draft& d) {
  if (!d.f.other_sessions) return {};
  const blast& b = *d.f.other_sessions;
  if (b.other_sessions <= 0) {
    if (d.server_side) {
      return "No other customer hit this problem in the last " + window_hours(view.settings) +
             ", but it failed on our servers, so it is not the customer's device or network.";
    }
    return "No other customer hit this problem in the last " + window_hours(view.settings) +
           ", so it is likely specific to this customer (device, network, account or data).";
  }
  std::string s =
      plural(static_cast<std::size_t>(b.other_sessions), "other customer", "other customers") +
      " hit the same problem";
  if (b.since_ms > 0) s += " since " + fmt_utc_since(b.since_ms, view.last_ts_ms);
  if (is_incident(view, d)) return s + ", so this is likely an incident, not the customer's fault.";
  if (d.third_party && others_of(d) >= view.settings.incident_sessions) {
    return s + "; it is a third-party host, not an incident of ours.";
  }
  return s + ".";
}

std::string page_of(const session_view& view, const draft& d) {
  if (d.events.empty()) return {};
  const std::string& page = view.events[d.events.front()].ev->page;
  return page.empty() ? std::string() : " on " + clip(page, 80);
}

std::string escalation_summary(const session_view& view, const draft& top, const report_input& in) {
  const draft* symptom = linked_symptom(view, top);
  std::string s = "session " + clip(in.session_id, 80) + "; " + top.escalation;
  if (symptom) s += "; then " + symptom->escalation;
  s += "; " + time_window(view, top, symptom);
  std::vector<std::string> traces = top.trace_ids;
  if (symptom) traces.insert(traces.end(), symptom->trace_ids.begin(), symptom->trace_ids.end());
  // Trace ids of backend errors close to the problem help engineering most.
  for (const draft& d : view.drafts) {
    if (&d != &top && d.rule == rule_id::backend_error) {
      traces.insert(traces.end(), d.trace_ids.begin(), d.trace_ids.end());
    }
  }
  std::vector<std::string> unique;
  for (auto& t : traces) {
    if (unique.size() < 3 && std::find(unique.begin(), unique.end(), t) == unique.end()) {
      unique.push_back(clip(t, 64));
    }
  }
  for (std::size_t i = 0; i < unique.size(); ++i) s += (i == 0 ? "; trace_id " : ", ") + unique[i];
  if (!top.f.issue_key.empty()) s += "; issue key " + clip(top.f.issue_key, 100);
  if (top.f.other_sessions) s += "; " + top.f.other_sessions->assessment;
  if (!in.context.app_version.empty()) s += "; app " + in.context.app_version;
  if (!in.context.browser.empty()) s += ", " + in.context.browser;
  return s;
}

// The escalation payload of `top` as data, the same fields escalation_summary words into the
// next step (kept apart so the reply never parses them back out of text).
escalation escalation_of(const session_view& view, const draft& top, const report_input& in) {
  const draft* symptom = linked_symptom(view, top);
  escalation e;
  e.session_id = clip(in.session_id, 80);
  e.problem = top.escalation;
  if (symptom) e.symptom = symptom->escalation;
  if (top.f.issue_key.starts_with("route:")) e.route = clip(top.f.issue_key.substr(6), 110);
  e.release = top.release_info;
  if (top.f.rule == "backend.error" && !top.events.empty()) {
    e.service = clip(str_attr(view.events[top.events.front()].attrs, "service"), 40);
  }
  e.statuses = top.statuses;
  e.from_ms = e.to_ms = top.f.first_seen_ms;
  auto widen = [&](const draft& x) {
    for (std::size_t pos : x.events) {
      e.from_ms = std::min(e.from_ms, view.events[pos].ev->ts_ms);
      e.to_ms = std::max(e.to_ms, view.events[pos].ev->ts_ms);
    }
  };
  widen(top);
  if (symptom) widen(*symptom);
  std::vector<std::string> traces = top.trace_ids;
  if (symptom) traces.insert(traces.end(), symptom->trace_ids.begin(), symptom->trace_ids.end());
  for (const draft& d : view.drafts) {
    if (&d != &top && d.f.rule == "backend.error") {
      traces.insert(traces.end(), d.trace_ids.begin(), d.trace_ids.end());
    }
  }
  for (auto& t : traces) {
    if (e.trace_ids.size() < 3 &&
        std::find(e.trace_ids.begin(), e.trace_ids.end(), t) == e.trace_ids.end()) {
      e.trace_ids.push_back(clip(t, 64));
    }
  }
  e.issue_key = clip(top.f.issue_key, 100);
  if (top.f.other_sessions) {
    e.blast_radius = top.f.other_sessions->assessment;
    e.other_sessions = top.f.other_sessions->other_sessions;
  }
  e.app_version = in.context.app_version;
  e.browser = in.context.browser;
  return e;
}

enum class workaround {
  retry_later,
  reload,
  reload_network,
  reload_element,
  ask,
  other_card,
  check_data,
  wait_rate_limit,
  nothing,
  sign_in,
};

workaround workaround_for(rule_id rule) {
  switch (rule) {
    case rule_id::api_failed:
    case rule_id::backend_error:
      return workaround::retry_later;
    case rule_id::api_payment_declined:
      return workaround::other_card;
    case rule_id::api_invalid_data:
      return workaround::check_data;
    case rule_id::api_rate_limited:
      return workaround::wait_rate_limit;
    case rule_id::api_recovered:
      return workaround::nothing;
    case rule_id::api_auth_refused:
      return workaround::sign_in;
    case rule_id::js_error:
    case rule_id::interface_error_click:
    case rule_id::ui_message_error:
      return workaround::reload;
    case rule_id::web_vital_lcp:
    case rule_id::web_vital_fcp:
    case rule_id::web_vital_ttfb:
    case rule_id::web_vital_cls:
    case rule_id::api_slow:
    case rule_id::resource_failed:
      return workaround::reload_network;
    case rule_id::ui_message_warning:
      return workaround::ask;
    case rule_id::web_vital_inp:
    case rule_id::interface_long_task:
    case rule_id::interface_rage_click:
    case rule_id::interface_dead_click:
      return workaround::reload_element;
  }
  return workaround::reload_element;
}

}  // namespace

std::string write_headline(const session_view& view, const std::vector<std::size_t>& ranked) {
  if (ranked.empty()) return "No problems found";
  const draft& top = view.drafts[ranked.front()];
  std::string h;
  if (const draft* symptom = linked_symptom(view, top)) {
    const std::string gap = fmt_duration(static_cast<double>(top.link_gap_ms));
    if (top.chain_refusals > 0) {
      // The root of a chain, then what it led to: one sentence, cause first.
      h = linked_cause_phrase(view, top) + "; the next " +
          (top.chain_refusals == 1 ? std::string("API call was")
                                   : std::to_string(top.chain_refusals) + " API calls were") +
          " refused (" + top.chain_status + ") and " + symptom->symptom_phrase + " " + gap +
          " later";
    } else {
      h = linked_cause_phrase(view, top) + ", " + gap + " before " + symptom->symptom_phrase;
    }
  } else {
    h = top.f.title;
  }
  if (!top.release.empty()) h += " (" + top.release + ")";
  if (is_incident(view, top)) {
    h += " — likely an incident (" +
         plural(static_cast<std::size_t>(top.f.other_sessions->other_sessions), "other session",
                "other sessions") +
         ")";
  }
  sentence_case(h);
  return h;
}

message write_headline_msg(const session_view& view, const std::vector<std::size_t>& ranked) {
  if (ranked.empty()) return message("rules.headline.none");
  const draft& top = view.drafts[ranked.front()];
  message base;
  if (const draft* symptom = linked_symptom(view, top)) {
    message cause = linked_cause_msg(view, top);
    if (cause.empty() || symptom->symptom_msg.empty()) return {};
    const double gap = static_cast<double>(top.link_gap_ms);
    if (top.chain_refusals > 0) {
      base = message("rules.headline.chain");
      base.nested("cause", std::move(cause))
          .count("n", static_cast<std::int64_t>(top.chain_refusals))
          .literal("statuses", top.chain_status)
          .nested("symptom", symptom->symptom_msg)
          .duration("gap", gap);
    } else {
      base = message("rules.headline.linked");
      base.nested("cause", std::move(cause))
          .duration("gap", gap)
          .nested("symptom", symptom->symptom_msg);
    }
  } else {
    base = top.f.title_msg;
  }
  if (base.empty()) return {};
  message h("rules.headline");
  h.nested("base", std::move(base));
  if (!top.release.empty()) {
    if (top.release_msg.empty()) return {};
    h.nested("release", message("rules.headline.release").nested("release", top.release_msg));
  } else {
    h.literal("release", "");
  }
  if (is_incident(view, top)) {
    h.nested("incident",
             message("rules.headline.incident").count("n", top.f.other_sessions->other_sessions));
  } else {
    h.literal("incident", "");
  }
  return h;
}

customer_notice write_notice(const session_view& view, const std::vector<std::size_t>& ranked,
                             const report_input& in) {
  customer_notice n;
  if (in.event_count == 0 && view.events.empty()) return n;  // unknown
  if (ranked.empty()) {
    n.happened = customer_notice::what::nothing_wrong;
    n.next =
        in.context.outdated_app ? customer_notice::step::update_app : customer_notice::step::none;
    return n;
  }
  const draft& top = view.drafts[ranked.front()];
  const draft* symptom = linked_symptom(view, top);
  n.happened = top.notice_what;
  n.next = top.notice_step;
  if (top.chain_refusals > 0) {
    // Signed out by our failure: signing in again is not the fix.
    n.happened = customer_notice::what::signed_out;
    n.next = customer_notice::step::try_again_later;
  }
  if (top.f.severity < severity::warning &&
      top.notice_what != customer_notice::what::action_recovered) {
    n.happened = customer_notice::what::nothing_wrong;
    n.next = customer_notice::step::none;
  }
  n.at_ms = symptom && !symptom->events.empty() ? symptom->f.first_seen_ms : top.f.first_seen_ms;
  n.attempts = top.f.count;
  n.others_affected = is_incident(view, top);
  if (n.others_affected && n.happened == customer_notice::what::action_failed) {
    n.next = customer_notice::step::wait_for_fix;
  } else if (n.next == customer_notice::step::try_again_later && payment_risk(view, top)) {
    // The payment may have gone through: never invite the customer to pay again.
    n.next = customer_notice::step::none;
  }
  if (in.context.outdated_app && n.happened == customer_notice::what::page_error) {
    n.next = customer_notice::step::update_app;
  }
  return n;
}

std::string write_customer_summary(const session_view& view, const std::vector<std::size_t>& ranked,
                                   const report_input& in) {
  std::string s;
  if (ranked.empty()) {
    s = "We found no technical problem in this session";
    if (in.event_count > 0) {
      s += " (" + plural(static_cast<std::size_t>(in.event_count), "event", "events") +
           " between " + utc_minutes(in.first_seen_ms) + " and " + utc_minutes(in.last_seen_ms) +
           " UTC)";
    }
    s += ": pages loaded normally, no request failed and no error was shown.";
  } else {
    const draft& top = view.drafts[ranked.front()];
    const draft* symptom = linked_symptom(view, top);
    s = "At " + utc_minutes(top.f.first_seen_ms) + " UTC" + page_of(view, top) + ", " + top.plain;
    if (symptom) s += " and " + symptom->plain;
    s += ".";
    if (auto b = blast_sentence(view, top); !b.empty()) s += " " + b;
    std::vector<std::string> also;
    for (std::size_t k = 1; k < ranked.size() && also.size() < 2; ++k) {
      const draft& d = view.drafts[ranked[k]];
      if (&d == symptom || d.plain.empty()) continue;
      also.push_back(d.plain);
    }
    if (!also.empty()) {
      s += " Also: " + also.front();
      if (also.size() > 1) s += "; " + also[1];
      if (ranked.size() > 2 + (symptom ? 1u : 0u)) s += "; and more";
      s += ".";
    }
  }
  if (in.context.outdated_app) {
    s += " The customer uses app version " + in.context.app_version + "; the newest is " +
         in.context.newest_app_version + ".";
  }
  return s;
}

escalation write_escalation(const session_view& view, const std::vector<std::size_t>& ranked,
                            const report_input& in) {
  if (ranked.empty()) return {};
  return escalation_of(view, view.drafts[ranked.front()], in);
}

next_step_plan write_next_step_plan(const session_view& view,
                                    const std::vector<std::size_t>& ranked,
                                    const report_input& in) {
  // The same choice as write_next_step, as data.
  next_step_plan p;
  p.update_app = in.context.outdated_app;
  if (ranked.empty()) {
    p.playbook = "nothing_found";
    return p;
  }
  const draft& top = view.drafts[ranked.front()];
  if (is_incident(view, top)) {
    p.playbook = "incident";
    return p;
  }
  if (top.chain_refusals > 0) {
    p.playbook = "refresh_chain";
    return p;
  }
  const bool payment = payment_risk(view, top);
  switch (workaround_for(top.rule)) {
    case workaround::retry_later:
      p.playbook = payment ? "payment_hold" : "retry_later";
      break;
    case workaround::other_card:
      p.playbook = "other_card";
      break;
    case workaround::check_data:
      p.playbook = "check_data";
      break;
    case workaround::wait_rate_limit:
      p.playbook = "wait_rate_limit";
      break;
    case workaround::nothing:
      p.playbook = "recovered";
      break;
    case workaround::sign_in:
      p.playbook = "sign_in";
      break;
    case workaround::reload:
      p.playbook = "reload";
      break;
    case workaround::reload_network:
      p.playbook = "reload_network";
      break;
    case workaround::reload_element:
      p.playbook = "reload_element";
      break;
    case workaround::ask:
      p.playbook = "ask";
      break;
  }
  return p;
}

std::string write_next_step(const session_view& view, const std::vector<std::size_t>& ranked,
                            const report_input& in) {
  if (ranked.empty()) {
    std::string s =
        "Nothing to fix from this session. Ask the customer when and on which page the problem "
        "happened, or for the session id shown at that time.";
    if (in.context.outdated_app) {
      s += " Ask them to update the app (" + in.context.app_version + " → " +
           in.context.newest_app_version + ").";
    }
    return s;
  }
  const draft& top = view.drafts[ranked.front()];
  std::string s;
  if (in.context.outdated_app) {
    s = "Ask the customer to update the app (" + in.context.app_version + " → " +
        in.context.newest_app_version + ") and retry. ";
  }
  const std::string eng = escalation_summary(view, top, in);
  if (is_incident(view, top)) {
    return s +
           "Likely an incident: tell the customer we know about it and are working on it, and "
           "check the incident channel. Escalate to engineering with: " +
           eng;
  }
  if (top.chain_refusals > 0) {
    return s +
           "Signing in again may not help: the session could not be renewed on our side and the "
           "API then refused the customer's session. Escalate to engineering with: " +
           eng;
  }
  const bool payment = payment_risk(view, top);
  switch (workaround_for(top.rule)) {
    case workaround::retry_later:
      if (payment) {
        s += "Ask the customer not to pay again until we have checked whether the payment went "
             "through (a retry could charge twice), and escalate to engineering with: ";
        break;
      }
      s += "Ask the customer to retry in a few minutes. If it fails again, escalate to "
           "engineering with: ";
      break;
    case workaround::other_card:
      return s +
             "Ask the customer to use another card or to contact their bank: the bank declined "
             "the payment, nothing is broken on our side. For reference: " +
             eng;
    case workaround::check_data:
      s += "Ask the customer to check what they entered against the message shown (the server "
           "refused it as invalid). If the data is right, escalate to engineering with: ";
      break;
    case workaround::wait_rate_limit:
      s += "Ask the customer to wait a minute before trying again (too many attempts in a short "
           "time). If it happens after a single attempt, escalate to engineering with: ";
      break;
    case workaround::nothing:
      return s +
             "Nothing to do: the request failed once and succeeded when retried automatically. "
             "If the customer still reports a problem, ask what they saw. For reference: " +
             eng;
    case workaround::sign_in:
      s += "Ask the customer to sign in again. If they are signed out again right away, "
           "escalate to engineering with: ";
      break;
    case workaround::reload:
      s += "Ask the customer to reload the page (or clear the browser cache) and retry, or try "
           "another browser. If it persists, escalate to engineering with: ";
      break;
    case workaround::reload_network:
      s += "Ask the customer to reload the page and check their connection. If it stays slow, "
           "escalate to engineering with: ";
      break;
    case workaround::reload_element:
      s += "Ask the customer to reload the page and try again. If the page still does not "
           "respond, escalate to engineering with: ";
      break;
    case workaround::ask:
      s += "Ask the customer what they were trying to do when the warning appeared. If it "
           "blocked them, escalate to engineering with: ";
      break;
  }
  return s + eng;
}

// What was set aside as noise, and why it is not a problem.
void write_noise_checked(const session_view& view, std::vector<message>& out) {
  const tallies& c = view.counts;
  auto req = [&](noise::kind k) { return c.noise_requests[static_cast<std::size_t>(k)]; };
  auto js = [&](noise::kind k) { return c.noise_js[static_cast<std::size_t>(k)]; };
  auto add = [&](const char* id, std::size_t n) {
    out.push_back(message(id).count("n", static_cast<std::int64_t>(n)));
    return &out.back();
  };
  std::string hosts;
  for (const auto& h : c.tracker_hosts_seen) hosts += (hosts.empty() ? "" : ", ") + h;
  if (auto n = req(noise::kind::blocked_by_client)) add("rules.checked.blocked", n);
  if (auto n = req(noise::kind::tracker)) {
    add("rules.checked.tracker", n)->data("hosts", hosts.empty() ? "" : " (" + hosts + ")");
  }
  if (auto n = req(noise::kind::aborted)) add("rules.checked.aborted", n);
  if (auto n = req(noise::kind::benign_missing)) add("rules.checked.benign_missing", n);
  if (auto n = req(noise::kind::third_party_unreachable)) {
    add("rules.checked.third_party_unreachable", n);
  }
  if (auto n = js(noise::kind::extension_error)) add("rules.checked.extension_error", n);
  if (auto n = js(noise::kind::opaque_script_error)) add("rules.checked.script_error", n);
  if (auto n = js(noise::kind::resize_observer)) add("rules.checked.resize_observer", n);
}

std::vector<message> write_checked_msgs(const session_view& view, const report_input& in) {
  const tallies& c = view.counts;
  const rule_settings& st = view.settings;
  const auto n = [](std::size_t x) { return static_cast<std::int64_t>(x); };
  std::vector<message> out;
  if (c.page_loads == 0 && c.vital_measurements == 0) {
    out.emplace_back("rules.checked.no_page_loads");
  } else {
    message m(c.slow_vitals == 0 ? "rules.checked.vitals_good" : "rules.checked.vitals_slow");
    m.count("loads", n(c.page_loads)).count("measurements", n(c.vital_measurements));
    if (c.slow_vitals != 0) m.count("slow", n(c.slow_vitals));
    out.push_back(std::move(m));
  }
  if (c.api_calls == 0) {
    out.emplace_back("rules.checked.no_api_calls");
  } else if (c.api_failed == 0 && c.api_slow == 0 && c.api_recovered == 0 &&
             c.api_refused.empty()) {
    out.push_back(message("rules.checked.api_fine")
                      .count("n", n(c.api_calls))
                      .duration("slow", static_cast<double>(st.slow_api_ms)));
  } else {
    std::string failed_statuses;
    std::vector<message> statuses;
    for (const draft& d : view.drafts) {
      if (d.rule != rule_id::api_failed) continue;
      for (std::size_t i = 0; i < d.statuses.size(); ++i) {
        const auto& x = d.statuses[i];
        if (failed_statuses.find(x) == std::string::npos) {
          failed_statuses += (failed_statuses.empty() ? "" : ", ") + x;
          if (i < d.status_msgs.size()) statuses.push_back(d.status_msgs[i]);
        }
      }
    }
    message m("rules.checked.api");
    m.count("n", n(c.api_calls)).count("failed", n(c.api_failed));
    if (statuses.empty()) {
      m.literal("statuses", "");
    } else {
      m.nested("statuses", message("rules.checked.statuses").list("statuses", std::move(statuses)));
    }
    std::vector<message> details;
    for (const auto& [status, count] : c.api_refused) {
      const bool refusal =
          status == 401 || status == 402 || status == 403 || status == 422 || status == 429;
      details.push_back(message(refusal ? "rules.checked.refused" : "rules.checked.answered")
                            .count("n", n(count))
                            .literal("status", std::to_string(status)));
    }
    if (c.api_recovered > 0) {
      details.push_back(message("rules.checked.recovered").count("n", n(c.api_recovered)));
    }
    if (details.empty()) {
      m.literal("details", "");
    } else {
      m.nested("details", message("rules.checked.details").list("items", std::move(details)));
    }
    m.count("slow_calls", n(c.api_slow)).duration("slow", static_cast<double>(st.slow_api_ms));
    out.push_back(std::move(m));
  }
  write_noise_checked(view, out);
  out.push_back(c.resource_errors == 0
                    ? message("rules.checked.no_resources")
                    : message("rules.checked.resources").count("n", n(c.resource_errors)));
  out.push_back(c.js_errors == 0 ? message("rules.checked.no_js_errors")
                                 : message("rules.checked.js_errors")
                                       .count("n", n(c.js_errors))
                                       .count("groups", n(c.js_groups)));
  if (c.ui_errors == 0 && c.ui_warnings == 0) {
    out.emplace_back("rules.checked.no_ui_messages");
  } else {
    out.push_back(message("rules.checked.ui_messages")
                      .count("errors", n(c.ui_errors))
                      .count("warnings", n(c.ui_warnings)));
  }
  out.push_back(c.backend_errors == 0
                    ? message("rules.checked.no_backend_errors")
                    : message("rules.checked.backend_errors").count("n", n(c.backend_errors)));
  if (c.rage == 0 && c.dead == 0 && c.error_clicks == 0) {
    out.push_back(message("rules.checked.clicks_fine").count("n", n(c.clicks)));
  } else {
    out.push_back(message("rules.checked.clicks")
                      .count("n", n(c.clicks))
                      .count("rage", n(c.rage))
                      .count("dead", n(c.dead))
                      .count("errors", n(c.error_clicks)));
  }
  if (c.long_tasks == 0) {
    out.push_back(message("rules.checked.no_long_tasks")
                      .duration("threshold", static_cast<double>(st.long_task_ms)));
  } else {
    const bool m = c.tbt_mobile_bands;
    const double good = m ? st.tbt_good_mobile_ms : st.tbt_good_desktop_ms;
    message x("rules.checked.long_tasks");
    x.count("n", n(c.long_tasks))
        .duration("threshold", static_cast<double>(st.long_task_ms))
        .duration("tbt", c.worst_tbt_ms);
    on_page_arg(x, c.worst_tbt_page, 60);
    x.nested(
         "band",
         message(c.worst_tbt_ms <= good ? "rules.checked.tbt_good" : "rules.checked.tbt_above_good")
             .duration("good", good)
             .nested("device", message(m ? "rules.checked.mobile" : "rules.checked.desktop")))
        .duration("worst", c.worst_task_ms);
    out.push_back(std::move(x));
  }
  if (!in.context.app_version.empty()) {
    if (in.context.outdated_app) {
      out.push_back(message("rules.checked.app_outdated")
                        .data("version", in.context.app_version)
                        .data("newest", in.context.newest_app_version));
    } else if (!in.context.newest_app_version.empty()) {
      out.push_back(message("rules.checked.app_newest").data("version", in.context.app_version));
    } else {
      out.push_back(message("rules.checked.app").data("version", in.context.app_version));
    }
  }
  if (in.events_truncated) {
    out.push_back(message("rules.checked.truncated")
                      .count("n", n(view.events.size()))
                      .count("total", in.event_count));
  }
  return out;
}

std::vector<std::string> write_checked(const session_view& view, const report_input& in) {
  std::vector<std::string> out;
  for (const message& m : write_checked_msgs(view, in)) out.push_back(english(m));
  return out;
}

std::vector<timeline_entry> write_timeline(const session_view& view, std::size_t max_entries) {
  const std::size_t n = view.events.size();
  std::vector<char> problem(n, 0);
  for (const draft& d : view.drafts) {
    for (std::size_t pos : d.events) problem[pos] = 1;
  }
  // Plain clicks and fast successful requests: only the first few, to show what the customer did.
  constexpr std::size_t k_plain_kept = 3;
  std::size_t plain_clicks = 0, plain_requests = 0;
  std::vector<std::size_t> picked;
  std::size_t problems = 0;
  for (std::size_t pos = 0; pos < n; ++pos) {
    const store::event& ev = *view.events[pos].ev;
    bool keep = problem[pos] != 0;
    if (!keep) {
      const std::string& t = ev.type;
      if (t == "page_view" || t == "session_start" || t == "session_end" || t == "ui_message" ||
          t == "js_error" || t == "backend_error" || t == "resource_error" || t == "rage_click" ||
          t == "dead_click") {
        keep = true;
      } else if (t == "click") {
        keep = plain_clicks++ < k_plain_kept;
      } else if (t == "http_request") {
        keep = plain_requests++ < k_plain_kept;
      } else if (t != "web_vital" && t != "long_task") {
        // Sender-defined types: only those the sender marked as a problem.
        keep = ev.severity == "warning" || ev.severity == "error" || ev.severity == "critical";
      }
    }
    if (!keep) continue;
    picked.push_back(pos);
    problems += problem[pos];
  }
  // Over the limit, problems win; the rest of the room goes to the earliest other entries.
  std::size_t room_for_plain = max_entries > problems ? max_entries - problems : 0;
  std::size_t room_for_problems = max_entries;
  std::vector<timeline_entry> out;
  out.reserve(std::min(picked.size(), max_entries));
  for (std::size_t pos : picked) {
    const bool is_problem = problem[pos] != 0;
    if (is_problem ? room_for_problems == 0 : room_for_plain == 0) continue;
    if (is_problem) {
      --room_for_problems;
    } else {
      --room_for_plain;
      --room_for_problems;
    }
    out.push_back({view.events[pos].ev->ts_ms, view.events[pos].ev->type,
                   summarize(view.events[pos]), is_problem});
  }
  return out;
}

}  // namespace sessiondx::bot::detail

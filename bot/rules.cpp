// run_rules: parses each event's attributes once, runs the rule families (bot/rules/*.cpp),
// links symptoms to causes, asks for the blast radius, ranks, and writes the diagnosis.

#include "bot/rules.hpp"

#include "bot/rules/engine.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <string_view>
#include <unordered_set>

namespace sessiondx::bot {

std::string_view to_string(rule_id id) {
  switch (id) {
    case rule_id::web_vital_lcp:
      return "web_vital.lcp";
    case rule_id::web_vital_fcp:
      return "web_vital.fcp";
    case rule_id::web_vital_ttfb:
      return "web_vital.ttfb";
    case rule_id::web_vital_cls:
      return "web_vital.cls";
    case rule_id::web_vital_inp:
      return "web_vital.inp";
    case rule_id::resource_failed:
      return "resource.failed";
    case rule_id::api_failed:
      return "api.failed";
    case rule_id::api_recovered:
      return "api.recovered";
    case rule_id::api_slow:
      return "api.slow";
    case rule_id::api_auth_refused:
      return "api.auth_refused";
    case rule_id::api_payment_declined:
      return "api.payment_declined";
    case rule_id::api_invalid_data:
      return "api.invalid_data";
    case rule_id::api_rate_limited:
      return "api.rate_limited";
    case rule_id::js_error:
      return "js_error";
    case rule_id::ui_message_error:
      return "ui_message.error";
    case rule_id::ui_message_warning:
      return "ui_message.warning";
    case rule_id::backend_error:
      return "backend.error";
    case rule_id::interface_long_task:
      return "interface.long_task";
    case rule_id::interface_rage_click:
      return "interface.rage_click";
    case rule_id::interface_dead_click:
      return "interface.dead_click";
    case rule_id::interface_error_click:
      return "interface.error_click";
  }
  return "unknown";
}

namespace {

using detail::draft;
using detail::npos;
using detail::session_view;

// Long sessions keep every problem in the timeline but only this many entries in all.
constexpr std::size_t k_max_timeline = 200;

nlohmann::json parse_object(const std::string& text) {
  if (text.empty()) return nlohmann::json::object();
  // No exceptions: malformed attributes read as none.
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return nlohmann::json::object();
  return j;
}

void build_view(const session_input& input, session_view& view) {
  const auto& events = input.events;
  std::vector<std::size_t> order(events.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // The store returns time order; a stable sort keeps arrival order for equal times and makes
  // hand-built inputs safe.
  if (!std::is_sorted(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return events[a].ts_ms < events[b].ts_ms;
      })) {
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return events[a].ts_ms < events[b].ts_ms;
    });
  }
  view.events.reserve(events.size());
  for (std::size_t i : order) {
    detail::view_event& v = view.events.emplace_back();
    v.ev = &events[i];
    // Parsed when a rule first reads them; the message fallback parses only attrs that hold one.
    v.attrs = detail::lazy_attrs(events[i].attrs);
    v.message = events[i].message;
    if (v.message.empty() && v.attrs.may_hold("message"))
      v.message = detail::str_attr(v.attrs, "message");
  }
  if (!view.events.empty()) view.last_ts_ms = view.events.back().ev->ts_ms;
}

std::string context_field(const nlohmann::json& ctx, const char* key) {
  auto it = ctx.find(key);
  if (it == ctx.end()) return {};
  if (it->is_string()) return detail::clip(it->get_ref<const std::string&>(), 80);
  if (it->is_number()) return it->dump();
  if (it->is_object()) {
    // {"name": "Chrome", "version": "124"} reads as "Chrome 124".
    std::string out(detail::str_attr(*it, "name"));
    std::string version(detail::str_attr(*it, "version"));
    if (!version.empty()) out += (out.empty() ? "" : " ") + version;
    return detail::clip(out, 80);
  }
  return {};
}

session_context read_context(const session_input& input) {
  session_context c;
  std::string_view text;
  if (input.summary && !input.summary->context.empty()) text = input.summary->context;
  for (auto it = input.events.rbegin(); text.empty() && it != input.events.rend(); ++it) {
    if (!it->context.empty()) text = it->context;
  }
  const nlohmann::json ctx = parse_object(std::string(text));
  c.browser = context_field(ctx, "browser");
  c.os = context_field(ctx, "os");
  c.device = context_field(ctx, "device");
  c.locale = context_field(ctx, "locale");
  c.region = context_field(ctx, "region");
  c.time_zone = context_field(ctx, "timezone");
  c.connection = context_field(ctx, "connection");
  if (input.summary && !input.summary->app_version.empty())
    c.app_version = input.summary->app_version;
  for (auto it = input.events.rbegin(); c.app_version.empty() && it != input.events.rend(); ++it) {
    c.app_version = it->app_version;
  }
  if (c.app_version.empty()) c.app_version = context_field(ctx, "app_version");
  for (const auto& seen : input.app_versions) {
    if (seen.version.empty()) continue;
    if (c.newest_app_version.empty() ||
        detail::compare_versions(seen.version, c.newest_app_version) > 0) {
      c.newest_app_version = seen.version;
    }
  }
  c.outdated_app = !c.app_version.empty() && !c.newest_app_version.empty() &&
                   detail::compare_versions(c.app_version, c.newest_app_version) < 0;
  return c;
}

std::string assessment(const draft& d, std::int64_t others, std::int64_t since_ms,
                       std::int64_t reference_ms, const rule_settings& s) {
  if (others <= 0) {
    return d.server_side ? "only this session — a server-side failure, not the customer's setup"
                         : "only this session — likely specific to this customer";
  }
  std::string text = std::to_string(others) + (others == 1 ? " other session" : " other sessions");
  if (since_ms > 0) text += " since " + detail::fmt_utc_since(since_ms, reference_ms);
  if (others >= s.incident_sessions && !d.third_party && !d.business) {
    text += " — likely an incident";
  } else if (others >= s.incident_sessions) {
    text += " — a third-party problem, not an incident of ours";
  }
  return text;
}

// What assessment() says, as data (the reply words it in the team language).
blast::meaning meaning_of(const draft& d, std::int64_t others, const rule_settings& s) {
  if (others <= 0) {
    return d.server_side ? blast::meaning::only_this_server_side
                         : blast::meaning::only_this_customer;
  }
  if (others < s.incident_sessions) return blast::meaning::some;
  return !d.third_party && !d.business ? blast::meaning::incident : blast::meaning::third_party;
}

// The blast radius of each problem, from what the diagnoser asked the store before the rules.
void add_blast_radius(session_view& view) {
  for (draft& d : view.drafts) {
    if (d.f.issue_key.empty() || d.events.empty()) continue;
    auto it = view.input.problems.find(d.f.issue_key);
    if (it == view.input.problems.end() || !it->second.others) continue;
    const store::blast_radius& r = *it->second.others;
    blast b;
    b.other_sessions = r.other_sessions;
    b.since_ms = r.other_sessions > 0 ? r.first_seen_ms : 0;
    b.assessment = assessment(d, b.other_sessions, b.since_ms, view.last_ts_ms, view.settings);
    b.kind = meaning_of(d, b.other_sessions, view.settings);
    d.f.other_sessions = std::move(b);
  }
}

// Events with a critical severity (or level) make an error finding critical.
void escalate_critical(session_view& view) {
  for (draft& d : view.drafts) {
    if (d.f.severity != severity::error) continue;
    for (std::size_t pos : d.events) {
      if (view.events[pos].ev->severity == "critical") {
        d.f.severity = severity::critical;
        break;
      }
    }
  }
}

std::vector<std::size_t> rank(const session_view& view) {
  std::vector<std::size_t> order;
  order.reserve(view.drafts.size());
  // Drafts left without events (401/403 evidence no symptom followed) are not findings.
  for (std::size_t i = 0; i < view.drafts.size(); ++i) {
    if (!view.drafts[i].events.empty()) order.push_back(i);
  }
  auto others = [&](std::size_t i) {
    const auto& b = view.drafts[i].f.other_sessions;
    return b ? b->other_sessions : std::int64_t{0};
  };
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const draft& x = view.drafts[a];
    const draft& y = view.drafts[b];
    if (x.linked_cause != y.linked_cause) return x.linked_cause;
    if (x.f.severity != y.f.severity) return x.f.severity > y.f.severity;
    if (x.blocks != y.blocks) return x.blocks;
    if (others(a) != others(b)) return others(a) > others(b);
    if (x.f.first_seen_ms != y.f.first_seen_ms) return x.f.first_seen_ms < y.f.first_seen_ms;
    if (x.rule != y.rule) return to_string(x.rule) < to_string(y.rule);
    return x.f.title < y.f.title;
  });
  return order;
}

verdict decide(const session_view& view) {
  bool any = false;
  for (const draft& d : view.drafts) {
    if (d.events.empty()) continue;
    if (d.blocks || d.f.severity == severity::critical) return verdict::broken;
    any = any || d.f.severity >= severity::warning;
  }
  return any ? verdict::degraded : verdict::healthy;
}

// The device class decides the main-thread bands (bot/rules/responsiveness.cpp).
void read_device(const session_input& input, session_view& view) {
  std::string_view text;
  if (input.summary && !input.summary->context.empty()) text = input.summary->context;
  for (auto it = input.events.rbegin(); text.empty() && it != input.events.rend(); ++it) {
    if (!it->context.empty()) text = it->context;
  }
  if (text.empty()) return;
  const nlohmann::json ctx = parse_object(std::string(text));
  std::string device = context_field(ctx, "device");
  for (char& c : device) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  view.device = std::move(device);
  view.connection = context_field(ctx, "connection");
}

}  // namespace

std::vector<std::string> session_issue_keys(const std::vector<store::event>& events) {
  std::vector<std::string> keys;
  std::unordered_set<std::string_view> seen;
  for (const store::event& e : events) {
    if (!e.issue_key.empty() && seen.insert(e.issue_key).second) keys.push_back(e.issue_key);
  }
  return keys;
}

std::string english_text(const message& m) { return detail::english(m); }

diagnosis run_rules(const session_input& input, const rule_settings& settings) {
  session_view view(settings, input);
  build_view(input, view);
  read_device(input, view);

  detail::classify_noise(view);
  detail::detect_loading(view);
  detail::detect_interface(view);
  detail::detect_messages(view);
  detail::detect_backend(view);
  escalate_critical(view);
  detail::detect_releases(view);
  detail::correlate(view);
  add_blast_radius(view);

  diagnosis d;
  d.session_id = input.session_id;
  d.context = read_context(input);
  d.events_truncated = input.events_truncated;
  if (input.summary) {
    d.first_seen_ms = input.summary->first_seen_ms;
    d.last_seen_ms = input.summary->last_seen_ms;
    d.event_count = input.summary->event_count;
  } else if (!view.events.empty()) {
    d.first_seen_ms = view.events.front().ev->ts_ms;
    d.last_seen_ms = view.events.back().ev->ts_ms;
    d.event_count = static_cast<std::int64_t>(view.events.size());
  }

  const std::vector<std::size_t> ranked = rank(view);
  d.verdict = decide(view);
  const detail::report_input facts{d.session_id,  d.context,       d.events_truncated,
                                   d.event_count, d.first_seen_ms, d.last_seen_ms};
  d.headline = detail::write_headline(view, ranked);
  d.headline_msg = detail::write_headline_msg(view, ranked);
  d.notice = detail::write_notice(view, ranked, facts);
  d.customer_summary = detail::write_customer_summary(view, ranked, facts);
  d.next_step = detail::write_next_step(view, ranked, facts);
  d.escalation = detail::write_escalation(view, ranked, facts);
  d.next_plan = detail::write_next_step_plan(view, ranked, facts);
  d.checked_msgs = detail::write_checked_msgs(view, facts);
  d.checked.reserve(d.checked_msgs.size());
  for (const message& m : d.checked_msgs) d.checked.push_back(detail::english(m));
  d.timeline = detail::write_timeline(view, k_max_timeline);
  d.findings.reserve(ranked.size());
  for (std::size_t i : ranked) {
    draft& x = view.drafts[i];
    x.f.rule = std::string(to_string(x.rule));
    x.f.release = std::move(x.release);
    x.f.release_info = std::move(x.release_info);
    d.findings.push_back(std::move(x.f));
  }
  return d;
}

}  // namespace sessiondx::bot

// The texts of a diagnosis: headline, customer summary, next step, the `checked` list and the
// timeline. Written for support agents, not engineers; the engineering details go into the
// escalation summary of the next step.

#include "bot/rules/engine.hpp"

#include <algorithm>

namespace sessiondx::bot::detail {
namespace {

std::int64_t others_of(const draft& d) {
  return d.f.other_sessions ? d.f.other_sessions->other_sessions : -1;
}

bool is_incident(const session_view& view, const draft& d) {
  return others_of(d) >= view.settings.incident_sessions;
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
    return "No other customer hit this problem in the last " + window_hours(view.settings) +
           ", so it is likely specific to this customer (device, network, account or data).";
  }
  std::string s =
      plural(static_cast<std::size_t>(b.other_sessions), "other customer", "other customers") +
      " hit the same problem";
  if (b.since_ms > 0) s += " since " + fmt_utc_since(b.since_ms, view.last_ts_ms);
  if (is_incident(view, d)) return s + ", so this is likely an incident, not the customer's fault.";
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
    if (&d != &top && d.f.rule == "backend.error") {
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

enum class workaround { retry_later, reload, reload_network, reload_element, ask };

workaround workaround_for(const std::string& rule) {
  if (rule == "api.failed" || rule == "backend.error") return workaround::retry_later;
  if (rule == "js_error" || rule == "interface.error_click" || rule == "ui_message.error") {
    return workaround::reload;
  }
  if (rule.starts_with("web_vital.") && rule != "web_vital.inp") return workaround::reload_network;
  if (rule == "api.slow" || rule == "resource.failed") return workaround::reload_network;
  if (rule == "ui_message.warning") return workaround::ask;
  return workaround::reload_element;
}

}  // namespace

std::string write_headline(const session_view& view, const std::vector<std::size_t>& ranked) {
  if (ranked.empty()) return "No problems found";
  const draft& top = view.drafts[ranked.front()];
  std::string h;
  if (const draft* symptom = linked_symptom(view, top)) {
    if (symptom->f.rule.starts_with("ui_message.") && !symptom->events.empty()) {
      const std::string_view text = ui_text(view.events[symptom->events.front()]);
      if (!text.empty()) h = clip(text, 60) + ": ";
    }
    h += top.cause_phrase + ", " + fmt_duration(static_cast<double>(top.link_gap_ms)) + " before " +
         symptom->symptom_phrase;
  } else {
    h = top.f.title;
  }
  if (is_incident(view, top)) {
    h += " — likely an incident (" +
         plural(static_cast<std::size_t>(top.f.other_sessions->other_sessions), "other session",
                "other sessions") +
         ")";
  }
  return h;
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
  switch (workaround_for(top.f.rule)) {
    case workaround::retry_later:
      s += "Ask the customer to retry in a few minutes. If it fails again, escalate to "
           "engineering with: ";
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

std::vector<std::string> write_checked(const session_view& view, const report_input& in) {
  const tallies& c = view.counts;
  const rule_settings& st = view.settings;
  std::vector<std::string> out;
  if (c.page_loads == 0 && c.vital_measurements == 0) {
    out.push_back("no page loads recorded");
  } else {
    std::string s =
        plural(c.page_loads, "page load", "page loads") + ", " +
        plural(c.vital_measurements, "Web Vitals measurement", "Web Vitals measurements");
    s += c.slow_vitals == 0 ? ": all Web Vitals good"
                            : ": " + std::to_string(c.slow_vitals) + " above the good threshold";
    out.push_back(std::move(s));
  }
  if (c.api_calls == 0) {
    out.push_back("no API calls recorded");
  } else if (c.api_failed == 0 && c.api_slow == 0) {
    out.push_back(plural(c.api_calls, "API call", "API calls") + ": none failed or slow (> " +
                  fmt_duration(st.slow_api_ms) + ")");
  } else {
    out.push_back(plural(c.api_calls, "API call", "API calls") + ": " +
                  std::to_string(c.api_failed) + " failed, " + std::to_string(c.api_slow) +
                  " slow (> " + fmt_duration(st.slow_api_ms) + ")");
  }
  out.push_back(c.resource_errors == 0
                    ? "no failed resources"
                    : plural(c.resource_errors, "failed resource", "failed resources"));
  out.push_back(c.js_errors == 0 ? "no JavaScript errors"
                                 : plural(c.js_errors, "JavaScript error", "JavaScript errors") +
                                       " (" + std::to_string(c.js_groups) + " distinct)");
  if (c.ui_errors == 0 && c.ui_warnings == 0) {
    out.push_back("no error messages shown");
  } else {
    out.push_back(plural(c.ui_errors, "error message", "error messages") + " and " +
                  plural(c.ui_warnings, "warning", "warnings") + " shown to the customer");
  }
  out.push_back(c.backend_errors == 0
                    ? "no backend errors"
                    : plural(c.backend_errors, "backend error", "backend errors"));
  std::string clicks = plural(c.clicks, "click", "clicks") + ": ";
  if (c.rage == 0 && c.dead == 0 && c.error_clicks == 0) {
    clicks += "no rage, dead or error clicks";
  } else {
    clicks += std::to_string(c.rage) + " rage, " + std::to_string(c.dead) + " dead, " +
              std::to_string(c.error_clicks) + " error clicks";
  }
  out.push_back(std::move(clicks));
  out.push_back(c.long_tasks == 0 ? "no long tasks (≥ " + fmt_duration(st.long_task_ms) + ")"
                                  : plural(c.long_tasks, "long task", "long tasks") + " (≥ " +
                                        fmt_duration(st.long_task_ms) + ")");
  if (!in.context.app_version.empty()) {
    if (in.context.outdated_app) {
      out.push_back("app version " + in.context.app_version + ": outdated, newest seen " +
                    in.context.newest_app_version);
    } else if (!in.context.newest_app_version.empty()) {
      out.push_back("app version " + in.context.app_version + ": the newest seen");
    } else {
      out.push_back("app version " + in.context.app_version);
    }
  }
  if (in.events_truncated) {
    out.push_back("only the most recent " + plural(view.events.size(), "event", "events") + " of " +
                  std::to_string(in.event_count) + " analysed");
  }
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

// The JSON reply (schema in docs/reply-json.md). Field names and enum strings are a contract:
// add fields, never rename or remove them.

#include "bot/render/render.hpp"
#include "bot/render/reply.hpp"
#include "bot/utc_time.hpp"

namespace sessiondx::bot::render {
namespace {

using nlohmann::json;

json str(std::string_view s) { return valid_utf8(s); }

json time_or_null(std::int64_t ms) { return ms == 0 ? json(nullptr) : json(rfc3339(ms)); }

json context_json(const session_context& c) {
  return {{"browser", str(c.browser)},
          {"os", str(c.os)},
          {"device", str(c.device)},
          {"app_version", str(c.app_version)},
          {"locale", str(c.locale)},
          {"region", str(c.region)},
          {"newest_app_version", str(c.newest_app_version)},
          {"outdated_app", c.outdated_app},
          {"time_zone", str(c.time_zone)},
          {"connection", str(c.connection)}};
}

// A release regression (bot/rules/release.cpp) as data: docs/reply-json.md, "release".
json release_json(const release_regression& r) {
  json older = json::array();
  for (const auto& v : r.not_seen_with) older.push_back(str(v));
  json out = {{"version", str(r.version)},
              {"first_seen", time_or_null(r.first_seen_ms)},
              {"not_seen_with", std::move(older)}};
  if (!r.switched_from.empty()) {
    out["switched_from"] = str(r.switched_from);
    out["switched_at"] = time_or_null(r.switched_ms);
  }
  return out;
}

json finding_json(const finding& f) {
  json evidence = json::array();
  for (const auto& e : f.evidence) {
    evidence.push_back(
        {{"ts", rfc3339(e.ts_ms)}, {"type", str(e.type)}, {"summary", str(e.summary)}});
  }
  json others = nullptr;
  if (f.other_sessions) {
    others = {{"count", f.other_sessions->other_sessions},
              {"since", time_or_null(f.other_sessions->since_ms)},
              {"assessment", str(f.other_sessions->assessment)}};
  }
  json out = {{"rule", str(f.rule)},
              {"category", std::string(to_string(f.category))},
              {"severity", std::string(to_string(f.severity))},
              {"title", str(f.title)},
              {"threshold", str(f.threshold)},
              {"first_seen", time_or_null(f.first_seen_ms)},
              {"count", f.count},
              {"issue_key", str(f.issue_key)},
              {"other_sessions", std::move(others)},
              {"caused_by", str(f.caused_by)},
              {"evidence", std::move(evidence)}};
  // Only where the release rule found one: documents without it stay as they were.
  if (f.release_info) out["release"] = release_json(*f.release_info);
  return out;
}

json escalation_json(const escalation& e) {
  if (e.empty()) return nullptr;
  json statuses = json::array();
  for (const auto& x : e.statuses) statuses.push_back(str(x));
  json traces = json::array();
  for (const auto& x : e.trace_ids) traces.push_back(str(x));
  json out = {{"session_id", str(e.session_id)},
              {"problem", str(e.problem)},
              {"symptom", str(e.symptom)},
              {"route", str(e.route)},
              {"service", str(e.service)},
              {"statuses", std::move(statuses)},
              {"from", time_or_null(e.from_ms)},
              {"to", time_or_null(e.to_ms)},
              {"trace_ids", std::move(traces)},
              {"issue_key", str(e.issue_key)},
              {"blast_radius", str(e.blast_radius)},
              {"other_sessions", e.other_sessions < 0 ? json(nullptr) : json(e.other_sessions)},
              {"app_version", str(e.app_version)},
              {"browser", str(e.browser)}};
  if (e.release) out["release"] = release_json(*e.release);
  return out;
}

json diagnosis_json(const diagnosis_reply& r, const render_options& o) {
  const auto& d = r.diagnosis;
  reply_options ro;
  ro.now_ms = o.now_ms;
  ro.team_language = o.team_language;
  const reply_document doc = build_reply(r, ro);
  json customer_line = nullptr;
  if (!doc.customer.empty() && !doc.customer.language.empty()) {
    customer_line = {{"language", doc.customer.language},
                     {"language_name", doc.customer.language_name},
                     {"label", emit_plain(doc.customer.label)},
                     {"text", str(doc.customer.text)}};
  }
  json escalation = json::array();
  for (const auto& item : doc.escalation.items) escalation.push_back(str(item));
  json findings = json::array();
  for (const auto& f : d.findings) findings.push_back(finding_json(f));
  json checked = json::array();
  for (const auto& c : d.checked) checked.push_back(str(c));
  json out = {{"type", "diagnosis"},
              {"view", std::string(to_string(r.view))},
              {"session_id", str(d.session_id)},
              {"verdict", std::string(to_string(d.verdict))},
              {"headline", str(d.headline)},
              {"customer_summary", str(d.customer_summary)},
              {"next_step", str(d.next_step)},
              {"context", context_json(d.context)},
              {"first_seen", time_or_null(d.first_seen_ms)},
              {"last_seen", time_or_null(d.last_seen_ms)},
              {"event_count", d.event_count},
              {"events_truncated", d.events_truncated},
              {"findings", std::move(findings)},
              {"checked", std::move(checked)},
              {"customer_line", std::move(customer_line)},
              {"escalation", std::move(escalation)},
              {"escalation_details",
               r.view == view::timeline ? json(nullptr) : escalation_json(d.escalation)}};
  if (r.view != view::summary) {
    json timeline = json::array();
    for (const auto& e : d.timeline) {
      timeline.push_back({{"ts", rfc3339(e.ts_ms)},
                          {"type", str(e.type)},
                          {"summary", str(e.summary)},
                          {"problem", e.problem}});
    }
    out["timeline"] = std::move(timeline);
  }
  return out;
}

}  // namespace

json to_json(const reply& r, const render_options& options) {
  if (const auto* d = std::get_if<diagnosis_reply>(&r)) return diagnosis_json(*d, options);
  if (const auto* u = std::get_if<unknown_session_reply>(&r)) {
    json similar = json::array();
    for (const auto& id : u->similar) similar.push_back(str(id));
    return {{"type", "unknown_session"},
            {"session_id", str(u->session_id)},
            {"verdict", "unknown"},
            {"similar", std::move(similar)},
            {"retention_days", u->retention_days}};
  }
  if (std::holds_alternative<help_reply>(r)) {
    return {{"type", "help"},
            {"commands",
             {{{"usage", "/session <id>"}, {"description", "summary of the session"}},
              {{"usage", "/session <id> timeline"}, {"description", "key events in time order"}},
              {{"usage", "/session <id> full"},
               {"description", "every finding with evidence, checks and timeline"}},
              {{"usage", "/help"}, {"description", "this help"}}}}};
  }
  const auto& e = std::get<error_reply>(r);
  return {{"type", "error"}, {"message", str(e.message)}};
}

std::string render_json(const reply& r, const render_options& options) {
  return to_json(r, options).dump(2) + "\n";
}

}  // namespace sessiondx::bot::render

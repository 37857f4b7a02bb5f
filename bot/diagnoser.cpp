#include "bot/diagnoser.hpp"

#include <exception>
#include <limits>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace sessiondx::bot {

diagnoser::diagnoser(store::event_store& store, rule_settings settings,
                     std::function<std::int64_t()> now_ms, int retention_days)
    : store_(store),
      settings_(std::move(settings)),
      now_ms_(std::move(now_ms)),
      retention_days_(retention_days) {}

diagnose_result diagnoser::diagnose(const std::string& session_id) const {
  auto summary = store_.summary(session_id);
  if (!summary) {
    return unknown_session{session_id, store_.similar_sessions(session_id, 5), retention_days_};
  }
  session_input input;
  input.session_id = session_id;
  // Only the columns the rules read: the latest context comes with the summary.
  input.events = store_.diagnosis_events(session_id, settings_.max_events);
  input.events_truncated = summary->event_count > static_cast<std::int64_t>(settings_.max_events);
  input.summary = std::move(summary);
  const std::int64_t now = now_ms_();
  const std::int64_t since = now - settings_.blast_radius_window_ms;
  input.window_start_ms = since;
  input.app_versions = store_.app_versions(since);
  // Versions first seen in the window: only a problem the session had with one of them can be
  // a release regression (bot/rules/release.cpp), so only those are worth the versions query.
  std::unordered_set<std::string_view> new_versions;
  for (const auto& v : input.app_versions) {
    if (v.first_seen_ms >= since && !v.version.empty()) new_versions.insert(v.version);
  }
  std::unordered_set<std::string_view> with_new_version;  // issue keys
  if (!new_versions.empty()) {
    for (const store::event& e : input.events) {
      if (!e.issue_key.empty() && new_versions.contains(e.app_version)) {
        with_new_version.insert(e.issue_key);
      }
    }
  }
  // What the store knows of each problem of the session, asked before the rules run: the rules
  // take it as data and do no I/O.
  for (std::string& key : session_issue_keys(input.events)) {
    problem_history h;
    try {
      h.others = store_.other_sessions(key, session_id, since);
      // Release regressions are read for JavaScript errors and failing routes only.
      if ((key.starts_with("js:") || key.starts_with("route:")) && with_new_version.contains(key)) {
        h.versions = store_.issue_versions(key, since, std::numeric_limits<std::int64_t>::max());
      }
    } catch (const std::exception&) {
      // The store could not answer for this problem: its finding stands without a blast radius
      // (or with the part that was answered).
    }
    input.problems.emplace(std::move(key), std::move(h));
  }
  return run_rules(input, settings_);
}

}  // namespace sessiondx::bot

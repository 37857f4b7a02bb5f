#include "bot/diagnoser.hpp"

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
  input.events = store_.session_events(session_id, settings_.max_events);
  input.events_truncated = summary->event_count > static_cast<std::int64_t>(settings_.max_events);
  input.summary = std::move(summary);
  const std::int64_t since = now_ms_() - settings_.blast_radius_window_ms;
  input.app_versions = store_.app_versions(since);
  const blast_lookup others = [this, &session_id, since](const std::string& issue_key) {
    return store_.other_sessions(issue_key, session_id, since);
  };
  return run_rules(input, settings_, others);
}

}  // namespace sessiondx::bot

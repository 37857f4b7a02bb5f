#pragma once

// The team-lead reports from the store: gathers the summary rows a digest, /top or an alert
// evaluation needs (bounded reads of the per-problem summary, never of events) and hands them to
// the pure builders of bot/digest.hpp and bot/incident.hpp. Like the diagnoser, it knows the
// store interface and nothing of SQLite or chat; the time is always an argument.

#include "bot/commands.hpp"
#include "bot/digest.hpp"
#include "bot/incident.hpp"
#include "store/event_store.hpp"

namespace sessiondx::bot {

class lead_reports {
 public:
  /// `store` must outlive this. Thread-safe if the store is.
  explicit lead_reports(store::event_store& store, digest_settings settings = {},
                        incident_settings incidents = {});

  /// The digest of [now - window, now), windows aligned to summary buckets. Blocking.
  digest build(std::int64_t now_ms, std::int64_t window_ms) const;

  /// /top over the last `window_ms`. Blocking.
  std::vector<problem_line> top(std::int64_t now_ms, std::int64_t window_ms) const;

  /// What the incident detector needs now: every problem with a session in the last window
  /// (distinct counts for those near the threshold), with its baseline and facets. Blocking.
  std::vector<problem_rate> rates(std::int64_t now_ms) const;

  /// Answers /digest and /top (a command_handler's report_function), rendered.
  report_reply answer(const command& cmd, std::int64_t now_ms) const;

 private:
  store::event_store& store_;
  digest_settings settings_;
  incident_settings incidents_;
};

}  // namespace sessiondx::bot

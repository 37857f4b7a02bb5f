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

  /// What the incident detector needs now: every problem with a session in the last window,
  /// with its baseline and facets. Blocking.
  ///
  /// Cost: one bounded read of the window's summary rows; then, per problem, only what its
  /// decision needs, bounded by incident_settings::exact_cap (or the problem's threshold, if
  /// larger), never by the incident's size. The summary's per-bucket counts bound the distinct
  /// sessions of the window (at least the largest bucket, at most their sum):
  ///  - a problem that is not `open` reads its baseline (the 24 h of summary rows before the
  ///    window) when its upper bound reaches min_sessions; if the upper bound stays below the
  ///    threshold that baseline sets, it keeps the upper bound (it cannot alert); otherwise its
  ///    distinct sessions are counted, stopping at max(exact_cap, threshold) — or not at all when
  ///    the largest bucket already holds that many;
  ///  - an `open` incident whose largest bucket keeps it above min_sessions and whose sum reaches
  ///    neither the growth factor nor its peak keeps the lower bound (it stays open, with no
  ///    update and no new peak); otherwise it is counted up to exact_cap, and beyond the cap the
  ///    largest bucket alone decides whether it grew.
  /// `window_sessions` is thus exact up to the cap and a lower bound beyond it. Facets are read
  /// only when `with_facets` and the problem alerts or grows (the loop reads them for the posts
  /// only, see facets()).
  std::vector<problem_rate> rates(std::int64_t now_ms,
                                  const std::vector<incident_record>& open = {},
                                  bool with_facets = true) const;

  /// Sessions of a problem per summary bucket over the hour ending at `now_ms`, oldest first
  /// (12 values): an alert's sparkline. Blocking.
  std::vector<std::int64_t> trend(const std::string& issue_key, std::int64_t now_ms) const;

  /// App versions and browsers of a problem in the alert window ending at `now_ms`. Blocking.
  std::vector<store::facet_count> facets(const std::string& issue_key, std::int64_t now_ms) const;

  /// Answers /digest and /top (a command_handler's report_function), rendered.
  report_reply answer(const command& cmd, std::int64_t now_ms) const;

 private:
  /// min(distinct sessions of [from, to), min(upper, limit)), or `lower` when the largest bucket
  /// already reaches that: never reads more than about `limit` entries per bucket.
  std::int64_t window_count(const std::string& issue_key, std::int64_t from, std::int64_t to,
                            std::int64_t lower, std::int64_t upper, std::int64_t limit) const;

  store::event_store& store_;
  digest_settings settings_;
  incident_settings incidents_;
};

}  // namespace sessiondx::bot

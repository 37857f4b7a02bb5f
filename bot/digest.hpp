#pragma once

// Digests and /top for team leads, as pure functions of the store's per-problem summary
// (store::issue_bucket), its traffic buckets and the lookup log: no I/O, no clock (the window is
// an input). Rendering lives in bot/digest_text.hpp.

#include "store/event_store.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sessiondx::bot {

/// How a problem moved against the previous window of the same length.
enum class trend { up, down, flat, new_problem };
std::string_view to_string(trend t);
/// "↑", "↓", "→", "new".
std::string_view trend_mark(trend t);

struct problem_line {
  std::string issue_key;
  std::int64_t sessions = 0;           ///< sessions affected in the window (see digest_settings)
  std::int64_t previous_sessions = 0;  ///< in the previous window of the same length
  std::int64_t events = 0;
  std::int64_t first_seen_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::string example_session;  ///< to drill into with /session
  bot::trend trend = trend::flat;
  std::int64_t lookups = 0;         ///< times support looked up a session with it on top
  std::vector<std::int64_t> spark;  ///< sessions per slot over the window, oldest first
};

struct verdict_count {
  std::string verdict;
  std::int64_t lookups = 0;
};

struct digest {
  std::int64_t from_ms = 0, to_ms = 0;
  std::int64_t sessions_received = 0;  ///< sessions whose first event fell in the window
  std::int64_t events_received = 0;
  std::int64_t lookups = 0;
  std::int64_t sessions_looked_up = 0;       ///< distinct
  std::vector<verdict_count> verdicts;       ///< most first
  std::vector<problem_line> top;             ///< most sessions first
  std::vector<problem_line> new_problems;    ///< not seen in the previous window, most first
  std::vector<problem_line> most_looked_up;  ///< most lookups first
};

struct digest_settings {
  std::size_t top = 5;           ///< lines per section
  std::size_t spark_slots = 12;  ///< sparkline width
  /// A change within this fraction of the previous count is flat (→).
  double flat_band = 0.2;
  /// Third-party noise never appears as a problem. Empty: bot::is_noise_issue (digest.cpp).
  std::function<bool(std::string_view)> is_noise;
};

struct digest_input {
  std::int64_t from_ms = 0, to_ms = 0;        ///< the window [from, to)
  std::vector<store::issue_bucket> current;   ///< buckets in [from, to)
  std::vector<store::issue_bucket> previous;  ///< buckets in [from - (to - from), from)
  std::vector<store::ingest_bucket> traffic;  ///< buckets in [from, to)
  std::vector<store::lookup_record> lookups;  ///< lookups in [from, to)
};

/// Sessions affected are summed over the problem's buckets: a session active in two buckets of
/// the window counts twice. Callers wanting distinct counts for the lines shown replace them
/// (bot/leads.cpp does, through store::event_store::issue_sessions).
digest build_digest(const digest_input& in, const digest_settings& settings = {});

/// /top: the problems of the window by sessions affected, with the same lines as a digest's.
std::vector<problem_line> top_problems(const digest_input& in,
                                       const digest_settings& settings = {});

/// A sparkline of block characters (▁▂▃▄▅▆▇█), scaled to the largest value; " " for zero.
std::string sparkline(const std::vector<std::int64_t>& values);

/// The one place noise is recognised. INTEGRATOR: helper "diag" adds
/// bot::issue_key_is_third_party(std::string_view) to bot/issue_key.hpp (and drops noise's issue
/// key at ingest); call it from this function's body in digest.cpp once both are on main.
bool is_noise_issue(std::string_view issue_key);

}  // namespace sessiondx::bot

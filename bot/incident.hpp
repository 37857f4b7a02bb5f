#pragma once

// Incident alerts as a state machine: fed the recent rate of every problem each minute, it says
// what to post — one alert when a problem crosses the threshold and is well above its own
// baseline, one update each time it grows by a factor, "back to normal" after a quiet period.
// Pure: no I/O, no clock (`now_ms` is an input), no store.
//
// The rule (defaults): a problem alerts when it hit >= 10 distinct sessions in the last 15 min
// AND that rate is >= 5x its rate over the previous 24 h (a problem never seen before has rate
// 0, so only the first condition applies). Third-party noise never alerts.

#include "store/event_store.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sessiondx::bot {

struct incident_settings {
  std::int64_t window_ms = 15 * 60'000;
  std::int64_t min_sessions = 10;
  double rate_factor = 5.0;
  std::int64_t baseline_ms = 24 * 3'600'000LL;
  /// An update is posted each time the sessions in the window reach this factor of the last
  /// posted figure.
  double growth_factor = 2.0;
  /// Back to normal once the window has stayed below min_sessions for this long.
  std::int64_t quiet_ms = 30 * 60'000;
  /// Distinct sessions are counted exactly up to this many per problem (bot::lead_reports::
  /// rates); beyond it the figure is a lower bound (at least the cap and the largest bucket),
  /// so an evaluation's cost does not grow with the incidents it watches.
  std::int64_t exact_cap = 200;
  /// Empty: bot::is_noise_issue.
  std::function<bool(std::string_view)> is_noise;
};

/// What one evaluation knows of one problem.
struct problem_rate {
  std::string issue_key;
  /// Distinct sessions in the last window_ms: exact up to incident_settings::exact_cap (and
  /// whenever the decision depends on it), a lower bound beyond.
  std::int64_t window_sessions = 0;
  std::int64_t baseline_sessions = 0;  ///< sessions in the baseline_ms before the window
  std::int64_t first_seen_ms = 0;      ///< earliest event in the window
  std::string example_session;
  std::vector<store::facet_count> facets;  ///< app versions and browsers, most first
};

enum class alert_kind { opened, grew, resolved };
std::string_view to_string(alert_kind k);

/// One post to make. `opened` starts a thread; the others go into it.
struct alert_action {
  alert_kind kind = alert_kind::opened;
  std::string issue_key;
  std::int64_t sessions = 0;           ///< in the window now (peak for `resolved`)
  std::int64_t previous_sessions = 0;  ///< last posted figure (`grew`)
  std::int64_t since_ms = 0;           ///< when the incident started
  std::int64_t at_ms = 0;
  double rate_ratio = 0;  ///< window rate / baseline rate; 0 when there was no baseline
  std::string example_session;
  std::vector<store::facet_count> facets;
  /// Sessions per summary bucket over the last hour, oldest first (the alert's sparkline);
  /// filled by the caller that posts it (bot::lead_reports::trend), empty from evaluate().
  std::vector<std::int64_t> trend;
  friend bool operator==(const alert_action&, const alert_action&) = default;
};

/// One open incident, as the store keeps it across a restart (service_state).
struct incident_record {
  std::string issue_key;
  std::int64_t since_ms = 0;
  std::int64_t posted_sessions = 0;  ///< the figure last posted (opened or grew)
  std::int64_t peak_sessions = 0;
  std::int64_t last_above_ms = 0;  ///< last evaluation at or above min_sessions
  friend bool operator==(const incident_record&, const incident_record&) = default;
};

/// An alert post to one platform not made yet (the post failed: network, 5xx, 429 beyond the
/// poster's own wait, a refusal), kept with its rendered texts so that the retry says what the
/// evaluation said then.
struct pending_alert {
  std::string issue_key;
  alert_kind kind = alert_kind::opened;
  std::string platform;
  std::string title, text, markdown, mrkdwn;  ///< the report_reply of bot::alert_report
  int attempts = 0;                           ///< failed posts so far
  std::int64_t next_ms = 0;                   ///< not retried before
  friend bool operator==(const pending_alert&, const pending_alert&) = default;
};

/// When a pending alert is retried after its `attempts`-th failure: 1 min, 2, 4, 8, 16, then
/// every 30 min. The loop looks once a minute, so a delay rounds up to the next look.
std::int64_t alert_retry_delay_ms(int attempts);
/// Failures after which a pending alert is dropped (with an error logged): about 6 h of retries.
inline constexpr int max_alert_attempts = 16;

/// What the alert loop persists after each evaluation: the open incidents, per problem the
/// message each platform's alert thread hangs from ("slack" -> ts, "discord" -> message id), and
/// the posts still to make, oldest first (a restart retries them, it does not re-decide them).
struct incident_state {
  std::vector<incident_record> open;
  std::map<std::string, std::map<std::string, std::string>> threads;
  std::vector<pending_alert> pending;
  friend bool operator==(const incident_state&, const incident_state&) = default;
};

/// JSON for the store's service_state, and back. Reading throws std::invalid_argument naming
/// the field when the text is not such a state.
std::string to_json(const incident_state& state);
incident_state incident_state_from_json(std::string_view text);

/// @par Thread safety
/// None: one evaluator calls it (the service's minute timer).
class incident_detector {
 public:
  explicit incident_detector(incident_settings settings = {});

  /// Applies one evaluation. `rates` holds the problems seen in the window (problems not in it
  /// count as zero). Returns the posts to make, in key order.
  std::vector<alert_action> evaluate(std::int64_t now_ms, const std::vector<problem_rate>& rates);

  /// Does this problem's window cross the threshold (the alerting rule alone, without state)?
  bool crosses(const problem_rate& rate) const;

  /// Problems with an incident open now.
  std::vector<std::string> open_incidents() const;

  const incident_settings& settings() const { return settings_; }

  /// The open incidents, to persist; restore() takes them back after a restart, so an incident
  /// still above is not announced again and one that ended while the service was down still
  /// gets its "back to normal".
  std::vector<incident_record> records() const;
  void restore(const std::vector<incident_record>& records);

 private:
  struct incident {
    std::int64_t since_ms = 0;
    std::int64_t posted_sessions = 0;
    std::int64_t peak_sessions = 0;
    std::int64_t last_above_ms = 0;
  };
  incident_settings settings_;
  std::map<std::string, incident, std::less<>> open_;
};

}  // namespace sessiondx::bot

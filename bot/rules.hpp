#pragma once

// The diagnosis rules: pure functions from a session's events to findings. No I/O, no clock.
// Every threshold is a setting; defaults and their sources are documented in docs/diagnosis.md.

#include "bot/diagnosis.hpp"
#include "store/event.hpp"
#include "store/event_store.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sessiondx::bot {

struct rule_settings {
  // Web Vitals bands (good <= first, poor > second); milliseconds except CLS.
  double lcp_good_ms = 2500, lcp_poor_ms = 4000;
  double fcp_good_ms = 1800, fcp_poor_ms = 3000;
  double ttfb_good_ms = 800, ttfb_poor_ms = 1800;
  double cls_good = 0.1, cls_poor = 0.25;
  double inp_good_ms = 200, inp_poor_ms = 500;
  double slow_api_ms = 3000;
  /// Long tasks: the blocking part of a task is its duration minus this (Lighthouse TBT).
  double long_task_ms = 50;
  /// Total Blocking Time per page load (Lighthouse bands): good <= first, poor > second.
  double tbt_good_mobile_ms = 200, tbt_poor_mobile_ms = 600;
  double tbt_good_desktop_ms = 150, tbt_poor_desktop_ms = 350;
  /// A failure followed by a success of the same call within this window "recovered".
  std::int64_t retry_window_ms = 10'000;
  /// A status-0 request without an error this close before a navigation or session_end was cut
  /// off by it.
  std::int64_t navigation_cut_ms = 1000;
  /// Causal chains: each link (failure -> 401/403 -> ... -> message) at most this far apart.
  std::int64_t chain_link_ms = 10'000;
  /// Hosts of the site besides those of the session's own pages (first party). Subdomains match.
  std::vector<std::string> site_hosts;
  /// Third-party hosts whose failure is a cause (a payment provider's script: "js.stripe.com").
  std::vector<std::string> critical_hosts;
  /// Tracker / analytics / ads hosts added to the built-in list (bot/noise.cpp).
  std::vector<std::string> tracker_hosts;
  int rage_click_count = 3;
  std::int64_t rage_click_gap_ms = 1000;
  std::int64_t error_click_window_ms = 1000;
  /// A symptom is linked to a cause that precedes it by at most this much.
  std::int64_t correlation_window_ms = 2000;
  std::int64_t blast_radius_window_ms = 24 * 3600 * 1000;
  /// From this many other sessions on, a problem is "likely an incident".
  std::int64_t incident_sessions = 5;
  std::size_t max_events = 20'000;   ///< events analysed per session (most recent)
  std::size_t max_evidence = 5;      ///< evidence events kept per finding
  std::size_t summary_findings = 5;  ///< findings shown in the chat summary
};

/// Everything the rules look at for one session.
struct session_input {
  std::string session_id;
  std::vector<store::event> events;  ///< time order
  std::optional<store::session_summary> summary;
  std::vector<store::app_version_seen> app_versions;
  bool events_truncated = false;
};

/// Looks up other sessions with the same issue key (the store's other_sessions).
using blast_lookup = std::function<store::blast_radius(const std::string& issue_key)>;

/// Runs every rule and the correlation, fills verdict, headline, customer summary, next step,
/// context and timeline. Deterministic: the same input always gives the same diagnosis.
diagnosis run_rules(const session_input& input, const rule_settings& settings,
                    const blast_lookup& others);

}  // namespace sessiondx::bot

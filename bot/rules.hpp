#pragma once

// The diagnosis rules: pure functions from a session's events to findings. No I/O, no clock.
// Every threshold is a setting; defaults and their sources are documented in docs/diagnosis.md.

#include "bot/diagnosis.hpp"
#include "store/event.hpp"
#include "store/event_store.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
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

/// The stable rule ids. finding::rule holds their text (to_string), which renderers and the JSON
/// reply show; inside the rules only the enum is compared.
enum class rule_id : std::uint8_t {
  web_vital_lcp,
  web_vital_fcp,
  web_vital_ttfb,
  web_vital_cls,
  web_vital_inp,
  resource_failed,
  api_failed,
  api_recovered,
  api_slow,
  api_auth_refused,
  api_payment_declined,
  api_invalid_data,
  api_rate_limited,
  js_error,
  ui_message_error,
  ui_message_warning,
  backend_error,
  interface_long_task,
  interface_rage_click,
  interface_dead_click,
  interface_error_click,
};
/// "web_vital.lcp", "api.failed", "interface.rage_click", ...
std::string_view to_string(rule_id id);

/// What the store knows of one problem (issue key) across sessions, asked by the diagnoser
/// before the rules run.
struct problem_history {
  /// Other sessions with the problem in the blast-radius window.
  std::optional<store::blast_radius> others;
  /// App versions of the sessions that had the problem in the window, from the per-problem
  /// summary (store::event_store::issue_versions); empty when unknown.
  std::vector<store::issue_version> versions;
};

/// Everything the rules look at for one session. Plain data: the rules do no I/O.
struct session_input {
  std::string session_id;
  std::vector<store::event> events;  ///< time order
  std::optional<store::session_summary> summary;
  /// App versions seen across sessions since window_start_ms (first and last seen).
  std::vector<store::app_version_seen> app_versions;
  bool events_truncated = false;
  /// Start of the blast-radius window (epoch ms): versions first seen after it are "new in the
  /// window". 0 when unknown (no cross-session release facts then).
  std::int64_t window_start_ms = 0;
  /// By issue key, for the keys of session_issue_keys(events). A key absent here has no known
  /// blast radius (the store did not answer): its finding stands without one.
  std::map<std::string, problem_history, std::less<>> problems;
};

/// The distinct issue keys of a session's events as ingest stored them (event::issue_key), in
/// first-occurrence order: what the diagnoser asks the store about before running the rules.
std::vector<std::string> session_issue_keys(const std::vector<store::event>& events);

/// Runs every rule and the correlation, fills verdict, headline, customer summary, next step,
/// context and timeline. Pure and deterministic: the same input always gives the same diagnosis.
diagnosis run_rules(const session_input& input, const rule_settings& settings = {});

/// The English of a rules message (diagnosis.hpp), as the rules word their string fields
/// (title, headline, evidence summary, checked). For tests and tools.
std::string english_text(const message& m);

}  // namespace sessiondx::bot

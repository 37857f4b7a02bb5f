#pragma once

// Internals of run_rules shared by the rule families (bot/rules/*.cpp). Not a public interface:
// only bot/rules.cpp and the files under bot/rules/ include it.

#include "bot/diagnosis.hpp"
#include "bot/noise.hpp"
#include "bot/rules.hpp"
#include "bot/utc_time.hpp"
#include "store/event.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sessiondx::bot::detail {

inline constexpr std::size_t npos = static_cast<std::size_t>(-1);

/// One top-level attribute value. Nested objects and arrays are kept only as "structured": no
/// rule reads inside them.
struct attr_value {
  enum class kind : std::uint8_t { null, boolean, number, string, structured };
  kind type = kind::null;
  bool boolean = false;
  double number = 0;
  std::string text;
};

/// The top-level scalar attributes of an event, parsed once with nlohmann's SAX parser into a
/// flat list (much cheaper than a DOM for the small objects events carry). Empty when the text
/// is empty, malformed or not a JSON object. Never throws.
class flat_attrs {
 public:
  static flat_attrs parse(std::string_view text);
  /// The last value of `key` (as a DOM would keep), nullptr when absent.
  const attr_value* find(std::string_view key) const;
  /// The scalar attributes as a JSON object, for bot::issue_key.
  nlohmann::json to_json() const;
  bool empty() const { return items_.empty(); }

 private:
  friend struct flat_attrs_builder;
  std::vector<std::pair<std::string, attr_value>> items_;
};

/// An event's attributes, parsed on first use and then kept: a session's events are parsed
/// only as far as some rule reads them (a rule family reads the attrs of the types it handles,
/// the timeline those of the entries it shows). Reads like a flat_attrs. Not thread-safe (one
/// run_rules call owns it).
class lazy_attrs {
 public:
  lazy_attrs() = default;
  /// `text` must outlive this (the event's attrs column).
  explicit lazy_attrs(std::string_view text) : text_(text), parsed_(text.empty()) {}
  const flat_attrs& get() const {
    if (!parsed_) {
      attrs_ = flat_attrs::parse(text_);
      parsed_ = true;
    }
    return attrs_;
  }
  operator const flat_attrs&() const { return get(); }  // NOLINT: reads as the attrs themselves
  const attr_value* find(std::string_view key) const { return get().find(key); }
  nlohmann::json to_json() const { return get().to_json(); }
  bool empty() const { return get().empty(); }
  /// Whether the text may hold `key` at all (a byte search, far cheaper than parsing): false
  /// means find(key) is nullptr, without parsing. Keys written with escapes count as may.
  bool may_hold(std::string_view key) const;

 private:
  std::string_view text_;
  mutable bool parsed_ = true;
  mutable flat_attrs attrs_;
};

/// One event with its attributes parsed once, when first read.
struct view_event {
  const store::event* ev = nullptr;
  lazy_attrs attrs;
  std::string_view message;               ///< event.message, else attrs.message (may be empty)
  noise::kind noise = noise::kind::none;  ///< not a problem: counted in `checked`, never a finding
};

// Attribute access that never throws: a missing or mistyped attribute reads as absent.
std::string_view str_attr(const flat_attrs& attrs, const char* key);
std::optional<double> num_attr(const flat_attrs& attrs, const char* key);
std::string_view str_attr(const nlohmann::json& attrs, const char* key);

/// An http_request as the rules see it.
struct http_info {
  std::string method;  ///< upper case, "GET" when missing
  std::string route;   ///< attrs.route, else the URL path without query
  std::optional<double> status;
  std::string error;  ///< attrs.error as text ("" when none)
  std::optional<double> duration_ms;
  bool failed = false;  ///< 5xx, status 0, or an error attribute without a 4xx status
  std::string host;     ///< host of attrs.url, "" when relative or absent
};
http_info read_http(const view_event& e);
/// "502 (5xx)", "network error: timeout (status 0)".
std::string http_outcome(const http_info& h);
message http_outcome_msg(const http_info& h);

/// Who the user clicked on: attrs.target, else attrs.selector, else "(unknown element)".
std::string_view click_target(const view_event& e);
/// The text of a ui_message: the message, else attrs.text.
std::string_view ui_text(const view_event& e);
/// The level of a ui_message in lower case ("error", "warning", ...); "" when missing.
std::string ui_level(const view_event& e);

// Formatting, deterministic and locale-free.
std::string fmt_duration(double ms);  ///< "812 ms", "7.4 s"
std::string fmt_number(double v, int decimals);
/// "10:02 UTC" when `ts_ms` is on the same UTC day as `reference_ms`, else "2024-05-02 10:02 UTC".
std::string fmt_utc_since(std::int64_t ts_ms, std::int64_t reference_ms);
/// Customer text cut to `max_bytes` on a UTF-8 boundary, with line breaks flattened.
std::string clip(std::string_view text, std::size_t max_bytes = 120);
/// “text”, clipped.
std::string quoted(std::string_view text, std::size_t max_bytes = 80);

/// One-line summary of any event, for evidence and the timeline: as a catalog message, and its
/// English rendering.
message summarize_msg(const view_event& e);
std::string summarize(const view_event& e);

/// The English rendering of a rules message (i18n/en.po): the text the rules' string fields
/// hold. Durations as fmt_duration, decimals as fmt_number, data as given.
std::string english(const message& m);
/// Sets `text` to the English of `m` and `msg` to `m`.
void put(std::string& text, message& msg, message m);
/// The click target as an argument: the target, else "(unknown element)" from the catalog.
message& target_arg(message& m, const char* name, const view_event& e);
/// The page as the `on_page` argument: " on /checkout" (rules.ev.on_page), or nothing.
message& on_page_arg(message& m, std::string_view page, std::size_t max_bytes = 80);

/// A finding while the rules build it, with what correlation, ranking and the texts need.
struct draft {
  finding f;
  /// Which rule made it; f.rule gets its text when the diagnosis is written.
  rule_id rule = rule_id::api_failed;
  std::vector<std::size_t> events;  ///< positions in the view, time order
  /// A problem the customer could see (ui_message, js_error, rage click, error click).
  bool symptom = false;
  /// Enough on its own to call the session broken (see docs/diagnosis.md, "Verdict").
  bool blocks = false;
  /// Becomes blocking when linked to a user-visible symptom (failed API, backend error).
  bool blocks_when_linked = false;
  /// This finding was linked as the cause of a symptom.
  bool linked_cause = false;
  std::size_t linked_symptom = npos;  ///< draft index of the first symptom linked to it
  std::int64_t link_gap_ms = 0;
  /// What a non-engineer would say happened: "a request to the server failed (502)".
  std::string plain;
  /// What engineering needs: "route POST /api/pay, status 502", "fingerprint js:ab12".
  std::string escalation;
  /// Short name of the cause for headlines: "POST /api/payment returned 502".
  std::string cause_phrase;
  /// The symptom as the headline names it: "the customer saw “Payment failed”".
  std::string symptom_phrase;
  message cause_msg{}, symptom_msg{};  ///< cause_phrase and symptom_phrase as catalog messages
  std::vector<std::string> trace_ids;
  /// A business refusal (402 payment declined, 422 invalid data, 429 rate limit): a cause whose
  /// symptom is not our bug.
  bool business = false;
  /// The failure is on our servers (5xx, backend error): never "specific to this customer".
  bool server_side = false;
  /// On a third-party host not configured as critical: never a cause, never an incident.
  bool third_party = false;
  /// May be linked as the cause of a symptom.
  bool may_cause = false;
  /// Evidence only (401/403): dropped unless linked as a cause.
  bool hidden_unless_linked = false;
  /// Distinct outcomes in event order ("502", "504"), for API failures.
  std::vector<std::string> statuses;
  std::vector<message> status_msgs{};  ///< the same as catalog messages (API failures)
  /// The cause event the linked symptom follows (the failure nearest before it).
  std::size_t link_cause_pos = npos;
  /// A causal chain: refusals (401/403) between this root and the symptom.
  std::size_t chain_refusals = 0;
  std::string chain_status;                           ///< "401", "401/403"
  std::size_t chain_first = npos, chain_last = npos;  ///< first and last refusal of the chain
  /// A release regression: "new in 4.12.0, first seen 14:02 UTC, not seen with 4.11.3"
  /// (bot/rules/release.cpp), "" when none.
  std::string release;
  message release_msg{};                             ///< the same as a catalog message
  std::optional<release_regression> release_info{};  ///< the same as data
  customer_notice::what notice_what = customer_notice::what::nothing_wrong;
  customer_notice::step notice_step = customer_notice::step::none;
};

/// Counters for the `checked` list.
struct tallies {
  std::size_t page_loads = 0, vital_measurements = 0, slow_vitals = 0;
  std::size_t api_calls = 0, api_failed = 0, api_slow = 0, api_recovered = 0;
  /// 4xx answers by status ("401" -> 5), in status order.
  std::vector<std::pair<int, std::size_t>> api_refused;
  /// Noise per class (index: noise::kind), requests/resources and JavaScript errors.
  std::array<std::size_t, 9> noise_requests{}, noise_js{};
  std::vector<std::string> tracker_hosts_seen;  ///< distinct, first few
  /// Main thread: Total Blocking Time of the worst page load and the worst task.
  double worst_tbt_ms = 0, worst_task_ms = 0;
  std::string worst_tbt_page;
  bool tbt_mobile_bands = true;
  std::size_t resource_errors = 0;
  std::size_t js_errors = 0, js_groups = 0;
  std::size_t ui_errors = 0, ui_warnings = 0, ui_other = 0;
  std::size_t backend_errors = 0;
  std::size_t clicks = 0, rage = 0, dead = 0, error_clicks = 0;
  std::size_t long_tasks = 0, inp_measurements = 0;
};

/// The state shared by the rule families for one run.
struct session_view {
  const rule_settings& settings;
  /// The input as given (the store's facts about the session's problems, app versions).
  const session_input& input;
  std::vector<view_event> events;  ///< time order (stable)
  std::vector<draft> drafts;
  tallies counts;
  std::int64_t last_ts_ms = 0;
  /// First-party hosts: settings.site_hosts and the hosts of the session's own pages.
  std::vector<std::string> site_hosts;
  std::string device;      ///< context.device, lower case
  std::string connection;  ///< context.connection (effective type, "3g")
  /// Positions of 401/403 answers, time order (evidence for causal chains).
  std::vector<std::size_t> refusals;

  session_view(const rule_settings& s, const session_input& in) : settings(s), input(in) {}

  /// The draft grouping `key`, created by `make` on first use. Creation order follows event
  /// order, so the result never depends on hash order.
  template <class Make>
  draft& group(const std::string& key, Make&& make) {
    auto [it, inserted] = index_.try_emplace(key, drafts.size());
    if (inserted) drafts.push_back(make());
    return drafts[it->second];
  }
  std::size_t group_index(const std::string& key) const {
    auto it = index_.find(key);
    return it == index_.end() ? npos : it->second;
  }

  /// Adds the event at `pos` to `d`: count, first seen, evidence (bounded).
  void add(draft& d, std::size_t pos);

 private:
  std::unordered_map<std::string, std::size_t> index_;
};

/// The event's issue key from ingest, else computed as ingest would.
std::string event_issue_key(const view_event& e);

/// A host of another party than the site (not a site host or its subdomain); false for "" or
/// when the site's hosts are unknown.
bool is_third_party(const session_view& view, std::string_view host);
bool is_critical_host(const session_view& view, std::string_view host);

/// Classifies every event's noise class (bot/rules/noise.cpp) and counts it. Runs first.
void classify_noise(session_view& view);

// The rule families, each appending drafts and tallies. They run in this order.
void detect_loading(session_view& view);
void detect_interface(session_view& view);
void detect_messages(session_view& view);
void detect_backend(session_view& view);

/// Dotted numeric versions compare numerically ("2.10.0" > "2.9.1", a leading "v" ignored);
/// anything else as strings. <0, 0, >0.
int compare_versions(std::string_view a, std::string_view b);

/// Release regressions (bot/rules/release.cpp): marks JavaScript errors and failing routes that
/// appeared only after the session switched app version, or that across sessions were first
/// seen with a version new in the blast-radius window.
void detect_releases(session_view& view);

/// Links user-visible symptoms to the failed call or backend error just before them.
void correlate(session_view& view);

/// Session facts the texts need besides the findings.
struct report_input {
  const std::string& session_id;
  const session_context& context;
  bool events_truncated = false;
  std::int64_t event_count = 0;
  std::int64_t first_seen_ms = 0, last_seen_ms = 0;
};

// The texts of a diagnosis (bot/rules/report.cpp). `ranked` are draft indices, most likely
// cause first.
std::string write_headline(const session_view& view, const std::vector<std::size_t>& ranked);
/// The headline as a catalog message (empty when a part has none).
message write_headline_msg(const session_view& view, const std::vector<std::size_t>& ranked);
/// The customer line as data: what happened, the customer's next step, when, how often.
customer_notice write_notice(const session_view& view, const std::vector<std::size_t>& ranked,
                             const report_input& in);
std::string write_customer_summary(const session_view& view, const std::vector<std::size_t>& ranked,
                                   const report_input& in);
std::string write_next_step(const session_view& view, const std::vector<std::size_t>& ranked,
                            const report_input& in);
/// The choice write_next_step makes, as data (the reply words it in the team language).
next_step_plan write_next_step_plan(const session_view& view,
                                    const std::vector<std::size_t>& ranked, const report_input& in);
/// The escalation payload of the most likely cause (empty when nothing was found).
escalation write_escalation(const session_view& view, const std::vector<std::size_t>& ranked,
                            const report_input& in);
std::vector<std::string> write_checked(const session_view& view, const report_input& in);
/// The checked list as catalog messages, one per write_checked entry.
std::vector<message> write_checked_msgs(const session_view& view, const report_input& in);
std::vector<timeline_entry> write_timeline(const session_view& view, std::size_t max_entries);

}  // namespace sessiondx::bot::detail

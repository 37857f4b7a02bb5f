#pragma once

// Internals of run_rules shared by the rule families (bot/rules/*.cpp). Not a public interface:
// only bot/rules.cpp and the files under bot/rules/ include it.

#include "bot/diagnosis.hpp"
#include "bot/rules.hpp"
#include "bot/utc_time.hpp"
#include "store/event.hpp"

#include <nlohmann/json.hpp>

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

/// One event with its attributes parsed once.
struct view_event {
  const store::event* ev = nullptr;
  flat_attrs attrs;
  std::string_view message;  ///< event.message, else attrs.message (may be empty)
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
  bool failed = false;  ///< 5xx, status 0, or an error attribute
};
http_info read_http(const view_event& e);
/// "502 (5xx)", "network error: timeout (status 0)".
std::string http_outcome(const http_info& h);

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

/// One-line summary of any event, for evidence and the timeline.
std::string summarize(const view_event& e);

/// A finding while the rules build it, with what correlation, ranking and the texts need.
struct draft {
  finding f;
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
  std::vector<std::string> trace_ids;
};

/// Counters for the `checked` list.
struct tallies {
  std::size_t page_loads = 0, vital_measurements = 0, slow_vitals = 0;
  std::size_t api_calls = 0, api_failed = 0, api_slow = 0;
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
  std::vector<view_event> events;  ///< time order (stable)
  std::vector<draft> drafts;
  tallies counts;
  std::int64_t last_ts_ms = 0;

  explicit session_view(const rule_settings& s) : settings(s) {}

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

// The rule families, each appending drafts and tallies. They run in this order.
void detect_loading(session_view& view);
void detect_interface(session_view& view);
void detect_messages(session_view& view);
void detect_backend(session_view& view);

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
std::string write_customer_summary(const session_view& view, const std::vector<std::size_t>& ranked,
                                   const report_input& in);
std::string write_next_step(const session_view& view, const std::vector<std::size_t>& ranked,
                            const report_input& in);
std::vector<std::string> write_checked(const session_view& view, const report_input& in);
std::vector<timeline_entry> write_timeline(const session_view& view, std::size_t max_entries);

}  // namespace sessiondx::bot::detail

#pragma once

// The structured result of diagnosing one session. Platform-independent: connectors and the
// command line render it (text, Markdown, JSON, Block Kit...). Plain data.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sessiondx::bot {

enum class verdict { healthy, degraded, broken, unknown };
enum class category { loading, interface, messages, backend };
enum class severity { info, warning, error, critical };

std::string_view to_string(verdict v);
std::string_view to_string(category c);
std::string_view to_string(severity s);

struct message;

/// One argument of a message, typed so the reply can format it for the team language.
struct message_arg {
  enum class kind : std::uint8_t {
    count,     ///< an integer: plural forms and the locale's digits ({n, plural, …})
    data,      ///< customer or event text (a route, a message, a selector): neutralised when shown
    literal,   ///< our own untranslated token: a time ("10:02 UTC"), a status ("502"), "LCP"
    duration,  ///< milliseconds: "812 ms", "7.4 s" ("7,4 s" in French)
    decimal,   ///< a number with `decimals` decimals: "0.14" ("0,14")
    list,      ///< messages joined with ", " (one of them: a nested message)
  };
  std::string name{};
  kind type = kind::literal;
  std::int64_t count = 0;
  double value = 0;
  int decimals = 0;
  std::string text{};
  // No initialiser: `message` is incomplete here, and `{}` would instantiate the vector's
  // constructor now (clang with libstdc++ rejects it).
  std::vector<message> items;  ///< list
};

/// A text of the rules as a catalog message (i18n/*.po, keys "rules.*") with typed arguments:
/// the reply words it in the team language (bot.language). The rules keep its English rendering
/// in the matching string field (title, headline, ...), which English replies, JSON and issue
/// ranking use. Empty (no id) when the text has no message: the reply shows the string.
struct message {
  std::string id;
  std::vector<message_arg> args;

  message() = default;
  explicit message(std::string key) : id(std::move(key)) {}
  bool empty() const { return id.empty(); }

  message& count(std::string name, std::int64_t n);
  message& data(std::string name, std::string text);
  message& literal(std::string name, std::string text);
  message& duration(std::string name, double ms);
  message& decimal(std::string name, double v, int decimals);
  message& nested(std::string name, message m);
  message& list(std::string name, std::vector<message> items);
};

/// What the release-regression rule found (bot/rules/release.cpp): the problem is new in
/// `version`, first seen at `first_seen_ms`, never seen with the older versions `not_seen_with`.
struct release_regression {
  std::string version;
  std::int64_t first_seen_ms = 0;
  std::vector<std::string> not_seen_with;  ///< newest first, at most two
  /// Within the session: the version the session switched from and when, "" / 0 otherwise.
  std::string switched_from;
  std::int64_t switched_ms = 0;
};

/// One event cited as evidence, already summarised in one line ("POST /api/payment -> 502 in
/// 812 ms"). Text comes from customer data: renderers must neutralise it.
struct evidence {
  std::int64_t ts_ms = 0;
  std::string type;
  std::string summary;
  message summary_msg{};  ///< the summary as a catalog message, empty when none
};

/// Other sessions that hit the same problem (same issue key) in the blast-radius window.
struct blast {
  /// What the assessment says, so the reply can word it in the team language.
  enum class meaning : std::uint8_t {
    unset,                  ///< not said: the reply shows `assessment` as it is
    only_this_customer,     ///< no other session, not a server-side failure
    only_this_server_side,  ///< no other session, but it failed on our servers
    some,                   ///< other sessions, fewer than an incident needs
    incident,               ///< enough other sessions for an incident of ours
    third_party,            ///< that many, but a third-party or business problem
  };
  std::int64_t other_sessions = 0;
  std::int64_t since_ms = 0;  ///< earliest occurrence in another session; 0 when none
  std::string assessment;     ///< "41 other sessions since 10:02 UTC — likely an incident"
  meaning kind = meaning::unset;
};

struct finding {
  std::string rule;  ///< stable rule id, e.g. "web_vital.lcp", "api.failed", "interface.rage_click"
  bot::category category = category::loading;
  bot::severity severity = severity::warning;
  std::string title;        ///< one line: "Payment API failed: POST /api/payment -> 502"
  message title_msg{};      ///< the title as a catalog message, empty when none
  std::string threshold;    ///< the rule and threshold applied: "LCP 7.4 s > 4.0 s, poor"
  message threshold_msg{};  ///< the threshold as a catalog message, empty when none
  std::int64_t first_seen_ms = 0;
  std::int64_t count = 0;
  std::string issue_key;  ///< cross-session key, "" when none
  std::optional<blast> other_sessions;
  /// The probable cause this symptom was linked to (a finding's title), "" when none:
  /// "502 from POST /api/payment 300 ms before".
  std::string caused_by;
  message caused_by_msg{};  ///< caused_by as a catalog message, empty when none
  std::vector<bot::evidence> evidence;
  /// A release regression, "" when none: "new in 4.12.0, first seen 14:02 UTC, not seen with
  /// 4.11.3" (also in threshold and the escalation summary).
  std::string release;
  std::optional<release_regression> release_info{};  ///< the same as data
};

struct session_context {
  std::string browser, os, device, app_version, locale, region;
  std::string newest_app_version;  ///< newest version seen across sessions, "" if unknown
  bool outdated_app = false;       ///< app_version older than newest_app_version
  std::string time_zone;   ///< IANA zone from context.timezone ("Europe/Paris"), "" if unknown
  std::string connection;  ///< effective connection type from context.connection ("3g"), ""
};

struct timeline_entry {
  std::int64_t ts_ms = 0;
  std::string type;
  std::string summary;
  bool problem = false;  ///< part of a finding
};

/// What the customer went through and what they can do, as data: the reply words it in the
/// customer's language from the message catalogs (bot/i18n). The rules fill it; it holds no
/// customer-provided text, no route, selector or internal service name.
struct customer_notice {
  enum class what : std::uint8_t {
    unknown,            ///< no events: nothing can be said
    nothing_wrong,      ///< nothing we could see went wrong
    page_slow,          ///< a page took long to appear or respond
    page_unresponsive,  ///< the page froze for a while
    page_error,         ///< part of a page broke (script error, a button that did nothing)
    action_failed,      ///< something the customer did failed on our side (server error)
    action_recovered,   ///< a failure that succeeded on an automatic retry: nothing to do
    payment_declined,   ///< the bank or card refused the payment (402 and the like)
    refused_by_rules,   ///< a business refusal: quota reached, invalid data shown to them
    rate_limited,       ///< too many attempts in a short time (429)
    signed_out,         ///< the sign-in expired or was refused
  };
  enum class step : std::uint8_t {
    none,             ///< nothing for the customer to do
    try_again_later,  ///< "please try again in a few minutes"
    reload_page,      ///< "please reload the page"
    use_other_card,   ///< "use another card or contact your bank"
    sign_in_again,    ///< "please sign in again"
    wait_for_fix,     ///< "we are already working on it"
    update_app,       ///< "please reload to get the latest version"
    wait_then_retry,  ///< rate limit: "wait a minute before trying again"
  };
  what happened = what::unknown;
  step next = step::none;
  std::int64_t at_ms = 0;        ///< when it happened (UTC epoch ms), 0 when unknown
  std::int64_t attempts = 0;     ///< how often it happened to the customer (plural forms), 0 = n/a
  bool others_affected = false;  ///< a known problem with other customers: "we are working on it"
};

/// What engineering needs to find the problem, complete and structured: built by the rules
/// (detail::write_escalation, the single place), rendered whole as a block of its own (never
/// parsed back out of next_step). Strings come from event data: renderers neutralise them.
/// Empty (no session id) when there is nothing to escalate: no finding, or the timeline view.
struct escalation {
  std::string session_id;
  /// The most likely cause as engineering names it, with its error: "route POST /api/pay,
  /// status 502", "service payments, error “card_declined”", "JavaScript error “x”, …".
  std::string problem;
  /// The symptom it was linked to, "" when none: "message shown error “Payment failed”".
  std::string symptom;
  std::string route;                   ///< "POST /api/payment" for an API problem, else ""
  std::string service;                 ///< the backend service for a backend error, else ""
  std::vector<std::string> statuses;   ///< distinct outcomes in event order: "502", "504"
  std::int64_t from_ms = 0;            ///< first event of the cause (and symptom), UTC epoch ms
  std::int64_t to_ms = 0;              ///< last one
  std::vector<std::string> trace_ids;  ///< up to three, distinct, the cause's first
  std::string issue_key;               ///< the cause's cross-session key, "" when none
  std::string blast_radius;          ///< "41 other sessions since 09:58 UTC — likely an incident"
  std::int64_t other_sessions = -1;  ///< sessions with the same issue key, -1 when unknown
  std::string app_version;
  std::string browser;
  /// The cause's release regression (finding::release_info), when the rule found one.
  std::optional<release_regression> release{};
  bool empty() const { return session_id.empty(); }
};

/// The next step as data, so the reply can word it in the team language (next_step is the
/// rules' English sentence): the playbook (catalog key agent.next.<playbook>) and whether the
/// customer should first update the app (context.app_version -> newest_app_version).
struct next_step_plan {
  /// "incident", "refresh_chain", "payment_hold", "retry_later", "other_card", "check_data",
  /// "wait_rate_limit", "recovered", "sign_in", "reload", "reload_network", "reload_element",
  /// "ask", "nothing_found"; "" when the rules did not say (the reply shows next_step).
  std::string playbook;
  bool update_app = false;
};

struct diagnosis {
  std::string session_id;
  bot::verdict verdict = verdict::unknown;
  std::string headline;          ///< the single most likely cause first
  message headline_msg{};        ///< the headline as a catalog message, empty when none
  std::string customer_summary;  ///< plain language, pasteable into the ticket
  std::string next_step;         ///< workaround for the customer, or escalate with a summary
  customer_notice notice;        ///< the customer line as data, worded per locale by the reply
  bot::escalation escalation;    ///< the escalation payload; empty when there is none
  next_step_plan next_plan;      ///< next_step as data, for the team language
  session_context context;
  std::int64_t first_seen_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::int64_t event_count = 0;
  bool events_truncated = false;     ///< the session had more events than were analysed
  std::vector<finding> findings;     ///< most likely cause first
  std::vector<std::string> checked;  ///< what was checked (shown for a clean session)
  /// The same as catalog messages: empty, or one per `checked` entry.
  std::vector<message> checked_msgs{};
  std::vector<timeline_entry> timeline;  ///< key events in time order
};

}  // namespace sessiondx::bot

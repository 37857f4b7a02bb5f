#pragma once

// Hand-built diagnoses for the renderer tests: no store, no rules, just values.

#include "bot/commands.hpp"
#include "bot/diagnosis.hpp"

#include <cstdint>
#include <string>

namespace sessiondx::test {

// 2024-05-03T10:00:00Z
inline constexpr std::int64_t t0 = 1'714'730'400'000;
inline constexpr std::int64_t sec = 1000;
/// When the snapshots are rendered: 2024-05-03T10:15:00Z.
inline constexpr std::int64_t render_now = t0 + 15 * 60 * sec;

inline bot::evidence ev(std::int64_t ts, std::string type, std::string summary) {
  return {ts, std::move(type), std::move(summary)};
}

inline bot::diagnosis broken_checkout() {
  using namespace sessiondx::bot;
  diagnosis d;
  d.session_id = "chk0ut7a9b2c4d6e";
  d.verdict = verdict::broken;
  d.headline = "Payment failed: POST /api/payment returned 502 — 41 other sessions since 09:58 UTC";
  d.customer_summary =
      "Your payment did not go through because our payment service had an error. You were not "
      "charged. Please try again in a few minutes.";
  d.next_step =
      "Escalate to the payments team: 41 other sessions hit the same 502 (likely an "
      "incident).";
  d.context = {"Chrome 124", "Windows 11", "desktop", "3.4.1",         "de-DE",
               "eu-west",    "3.5.0",      true,      "Europe/Berlin", "4g"};
  d.notice = {customer_notice::what::action_failed, customer_notice::step::wait_for_fix,
              t0 + 153 * sec, 3, true};
  d.first_seen_ms = t0 + 12 * sec;
  d.last_seen_ms = t0 + 14 * 60 * sec + 40 * sec;
  d.event_count = 212;

  finding api;
  api.rule = "api.failed";
  api.category = category::backend;
  api.severity = severity::critical;
  api.title = "Payment API failed: POST /api/payment -> 502";
  api.threshold = "HTTP status >= 500";
  api.first_seen_ms = t0 + 2 * 60 * sec + 33 * sec;
  api.count = 3;
  api.issue_key = "route:POST /api/payment";
  api.other_sessions =
      blast{41, t0 - 2 * 60 * sec, "41 other sessions since 09:58 UTC — likely an incident",
            blast::meaning::incident};
  api.evidence = {ev(t0 + 153 * sec, "http_request", "POST /api/payment -> 502 in 812 ms"),
                  ev(t0 + 171 * sec, "http_request", "POST /api/payment -> 502 in 790 ms"),
                  ev(t0 + 190 * sec, "http_request", "POST /api/payment -> 502 in 805 ms")};

  finding msg;
  msg.rule = "ui.error_message";
  msg.category = category::messages;
  msg.severity = severity::error;
  msg.title = "Error shown to the customer: “Payment failed”";
  msg.threshold = "ui_message with level error";
  msg.first_seen_ms = t0 + 153 * sec + 300;
  msg.count = 3;
  msg.issue_key = "ui:5f2a9c";
  msg.other_sessions = blast{38, t0 - 60 * sec, ""};
  msg.caused_by = "502 from POST /api/payment 300 ms before";
  msg.evidence = {ev(t0 + 153 * sec + 300, "ui_message", "error: Payment failed")};

  finding rage;
  rage.rule = "interface.rage_click";
  rage.category = category::interface;
  rage.severity = severity::warning;
  rage.title = "Rage clicks on “Pay now” (5 clicks in 2.1 s)";
  rage.threshold = ">= 3 clicks, gaps < 1.0 s";
  rage.first_seen_ms = t0 + 200 * sec;
  rage.count = 1;
  rage.caused_by = "Payment API failed: POST /api/payment -> 502";
  rage.evidence = {ev(t0 + 200 * sec, "click", "button#pay-now ×5")};

  finding js;
  js.rule = "js.error";
  js.category = category::messages;
  js.severity = severity::error;
  js.title = "TypeError: Cannot read properties of undefined (reading 'id')";
  js.threshold = "any uncaught error";
  js.first_seen_ms = t0 + 154 * sec;
  js.count = 2;
  js.issue_key = "js:a81f03";
  js.other_sessions = blast{0, 0, ""};
  js.evidence = {ev(t0 + 154 * sec, "js_error", "checkout.js:212 in onPaymentResult")};

  finding lcp;
  lcp.rule = "web_vital.lcp";
  lcp.category = category::loading;
  lcp.severity = severity::warning;
  lcp.title = "Slow main content on /checkout: LCP 4.6 s";
  lcp.threshold = "LCP 4.6 s > 4.0 s, poor";
  lcp.first_seen_ms = t0 + 20 * sec;
  lcp.count = 1;
  lcp.evidence = {ev(t0 + 20 * sec, "web_vital", "LCP 4,600 ms on /checkout")};

  finding slow;
  slow.rule = "api.slow";
  slow.category = category::backend;
  slow.severity = severity::warning;
  slow.title = "Slow API: GET /api/cart took 3.4 s";
  slow.threshold = "> 3.0 s";
  slow.first_seen_ms = t0 + 18 * sec;
  slow.count = 1;
  slow.issue_key = "";

  finding cls;
  cls.rule = "web_vital.cls";
  cls.category = category::loading;
  cls.severity = severity::info;
  cls.title = "Layout shifts on /checkout: CLS 0.14";
  cls.threshold = "CLS 0.14 > 0.1, needs improvement";
  cls.first_seen_ms = t0 + 25 * sec;
  cls.count = 1;

  d.findings = {api, msg, rage, js, lcp, slow, cls};
  d.checked = {"Web Vitals", "API errors", "JavaScript errors", "rage clicks", "error messages"};
  d.timeline = {
      {t0 + 12 * sec, "page_view", "/cart", false},
      {t0 + 18 * sec, "http_request", "GET /api/cart -> 200 in 3,412 ms", true},
      {t0 + 20 * sec, "page_view", "/checkout", false},
      {t0 + 20 * sec, "web_vital", "LCP 4,600 ms", true},
      {t0 + 153 * sec, "http_request", "POST /api/payment -> 502 in 812 ms", true},
      {t0 + 153 * sec + 300, "ui_message", "error: Payment failed", true},
      {t0 + 154 * sec, "js_error", "TypeError: Cannot read properties of undefined", true},
      {t0 + 171 * sec, "http_request", "POST /api/payment -> 502 in 790 ms", true},
      {t0 + 190 * sec, "http_request", "POST /api/payment -> 502 in 805 ms", true},
      {t0 + 200 * sec, "click", "button#pay-now ×5", true},
      {t0 + 14 * 60 * sec + 40 * sec, "page_view", "/help/payment", false},
  };
  return d;
}

// Spans midnight UTC, so times carry dates.
inline bot::diagnosis slow_loading() {
  using namespace sessiondx::bot;
  constexpr std::int64_t late = t0 + 13 * 3600 * sec + 58 * 60 * sec;  // 23:58:00
  diagnosis d;
  d.session_id = "sl0w_l0ad-1234";
  d.verdict = verdict::degraded;
  d.headline = "Pages load slowly: LCP 7.4 s on /products (server answered after 2.9 s)";
  d.customer_summary = "The pages took a long time to load because our server answered slowly.";
  d.next_step = "Ask the customer to retry; if it persists, escalate to the platform team.";
  d.context = {"Safari 17", "iOS 17.4", "mobile", "3.5.0",         "en-GB",
               "uk-south",  "3.5.0",    false,    "Europe/London", ""};
  d.notice = {customer_notice::what::page_slow, customer_notice::step::reload_page,
              late + 3 * 60 * sec, 0, false};
  d.first_seen_ms = late;
  d.last_seen_ms = late + 5 * 60 * sec;
  d.event_count = 20000;
  d.events_truncated = true;

  finding lcp;
  lcp.rule = "web_vital.lcp";
  lcp.category = category::loading;
  lcp.severity = severity::error;
  lcp.title = "Slow main content on /products: LCP 7.4 s";
  lcp.threshold = "LCP 7.4 s > 4.0 s, poor";
  lcp.first_seen_ms = late + 3 * 60 * sec;
  lcp.count = 2;
  lcp.issue_key = "vital:lcp:/products";
  lcp.other_sessions = blast{3, late - 3600 * sec, "3 other sessions since 22:58 UTC"};
  lcp.caused_by = "Slow server response: TTFB 2.9 s";
  lcp.evidence = {ev(late + 3 * 60 * sec, "web_vital", "LCP 7,400 ms on /products")};

  finding ttfb;
  ttfb.rule = "web_vital.ttfb";
  ttfb.category = category::loading;
  ttfb.severity = severity::warning;
  ttfb.title = "Slow server response: TTFB 2.9 s";
  ttfb.threshold = "TTFB 2.9 s > 1.8 s, poor";
  ttfb.first_seen_ms = late + 3 * 60 * sec - 500;
  ttfb.count = 2;
  ttfb.evidence = {ev(late + 3 * 60 * sec - 500, "web_vital", "TTFB 2,900 ms on /products")};

  d.findings = {lcp, ttfb};
  d.checked = {"Web Vitals", "API errors", "JavaScript errors"};
  d.timeline = {
      {late, "page_view", "/", false},
      {late + 3 * 60 * sec - 500, "web_vital", "TTFB 2,900 ms", true},
      {late + 3 * 60 * sec, "web_vital", "LCP 7,400 ms", true},
      {late + 5 * 60 * sec, "page_view", "/products/42", false},
  };
  return d;
}

inline bot::diagnosis healthy() {
  using namespace sessiondx::bot;
  diagnosis d;
  d.session_id = "h3althy0session";
  d.verdict = verdict::healthy;
  d.headline = "No problems found in 57 events.";
  d.customer_summary = "We found no technical problem in your session.";
  d.next_step = "Ask the customer what they expected to happen, with a screenshot.";
  d.context = {"Firefox 125", "Ubuntu", "desktop", "3.5.0", "fr-FR",
               "eu-west",     "3.5.0",  false,     "",      ""};
  d.notice = {customer_notice::what::nothing_wrong, customer_notice::step::none, 0, 0, false};
  d.first_seen_ms = t0;
  d.last_seen_ms = t0 + 6 * 60 * sec;
  d.event_count = 57;
  d.checked = {"Web Vitals (LCP, FCP, TTFB, CLS, INP)",
               "API errors and slow calls",
               "JavaScript errors",
               "failed resources",
               "rage and error clicks",
               "error messages shown",
               "backend errors"};
  d.timeline = {{t0, "page_view", "/", false}, {t0 + 6 * 60 * sec, "page_view", "/account", false}};
  return d;
}

inline bot::unknown_session_reply unknown() {
  return {"abcd1234efgh567", {"abcd1234efgh5678", "abcd1234efgh5679", "abcd1234efgh56"}, 30};
}

/// Everything a hostile (or just unlucky) customer can put into event data.
inline bot::diagnosis hostile() {
  using namespace sessiondx::bot;
  diagnosis d;
  d.session_id = "h0stile-text_01";
  d.verdict = verdict::broken;
  d.headline = "@everyone look <!channel> **bold** [link](http://x) `code`\nsecond line";
  d.customer_summary = "<!here> ```\nrm -rf /\n``` @here";
  d.next_step = "- item\n# heading\n> quote ||spoiler|| ~~strike~~ _it_";
  d.context = {"Evil\u202Egnp.exe",
               "<@U123456>",
               "desk\ttop",
               "1.0\r\n@channel",
               "en\x01US",
               "<#C123|general>",
               "",
               false,
               "",
               ""};
  d.first_seen_ms = t0;
  d.last_seen_ms = t0 + 60 * sec;
  d.event_count = 3;

  finding f;
  f.rule = "js.error";
  f.category = category::messages;
  f.severity = severity::error;
  f.title = "Error: @here <!everyone> [click me](javascript:alert(1)) ![img](http://x/y.png)";
  f.threshold = "1. not a list";
  f.first_seen_ms = t0 + 10 * sec;
  f.count = 1;
  f.issue_key = "js:`evil`";
  f.other_sessions = blast{2, t0, "2 other sessions @channel"};
  f.caused_by = "+ plus <script>alert(1)</script>";
  // Invalid UTF-8, a NUL, an ANSI colour sequence and a C1 control (NEL).
  std::string raw = std::string("bad utf8 \xC3\x28 and \xFF, NUL ") + '\0' +
                    " here \x1B[31mred\x1B[0m \xC2\x85 C1";
  f.evidence = {ev(t0 + 10 * sec, "js_error", raw),
                ev(t0 + 11 * sec, "ui_message", std::string(1500, 'A'))};
  d.findings = {f};
  d.checked = {"`backticks`", "*stars*"};
  d.timeline = {{t0 + 10 * sec, "js_error", "@everyone [x](http://evil) \u202Etxt.exe", true}};
  return d;
}

/// The longest realistic escalation: two 32-hex trace ids, long routes, every item present.
inline constexpr const char* trace_a = "9b0c1d2e3f405162738495a6b7c8d9e0";
inline constexpr const char* trace_b = "4f3e2d1c0b1a29384756a5b4c3d2e1f0";
inline constexpr const char* long_route =
    "POST /api/v2/organisations/acme-industries-europe/projects/website-relaunch-2026/checkout/"
    "payment-intents/confirm";

inline bot::diagnosis escalation() {
  using namespace sessiondx::bot;
  diagnosis d = broken_checkout();
  d.session_id = "esc4l4t10n0long";
  d.headline =
      std::string(long_route) + " returned 502, 300 ms before the customer saw “Payment failed”";
  d.next_step =
      std::string(
          "Likely an incident: tell the customer we know about it and are working on it, and "
          "check the incident channel. Escalate to engineering with: session esc4l4t10n0long; "
          "route ") +
      long_route +
      ", status 502; then message shown error “Payment failed. Please try again.” in "
      "CheckoutPaymentStep; 2024-05-03 10:02:33–10:03:10 UTC; trace_id " +
      trace_a + ", " + trace_b + "; issue key route:" + long_route +
      "; 41 other sessions since 09:58 UTC — likely an incident; app 3.4.1, Chrome 124";
  d.escalation.session_id = d.session_id;
  d.escalation.problem = "route " + std::string(long_route) + ", status 502";
  d.escalation.symptom =
      "message shown error “Payment failed. Please try again.” in "
      "CheckoutPaymentStep";
  d.escalation.route = long_route;
  d.escalation.statuses = {"502"};
  d.escalation.from_ms = t0 + 153 * sec;
  d.escalation.to_ms = t0 + 190 * sec;
  d.escalation.trace_ids = {trace_a, trace_b};
  d.escalation.issue_key = "route:" + std::string(long_route);
  d.escalation.blast_radius = "41 other sessions since 09:58 UTC — likely an incident";
  d.escalation.other_sessions = 41;
  d.escalation.app_version = "3.4.1";
  d.escalation.browser = "Chrome 124";
  d.findings.resize(2);
  d.findings[0].title = "Payment API failed: " + std::string(long_route) + " -> 502";
  d.findings[0].issue_key = "route:" + std::string(long_route);
  return d;
}

inline bot::reply summary(bot::diagnosis d) {
  return bot::diagnosis_reply{std::move(d), bot::view::summary};
}
inline bot::reply timeline(bot::diagnosis d) {
  return bot::diagnosis_reply{std::move(d), bot::view::timeline};
}
inline bot::reply full(bot::diagnosis d) {
  return bot::diagnosis_reply{std::move(d), bot::view::full};
}

}  // namespace sessiondx::test

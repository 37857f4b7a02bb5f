#include "bot/render/render.hpp"
#include "bot/render/reply.hpp"
#include "tests/bot/test_render_fixtures.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

// Targeted properties of the renderers (the snapshots show the exact layout).

using namespace sessiondx;
using namespace sessiondx::bot::render;
using sessiondx::test::full;
using sessiondx::test::summary;
using sessiondx::test::timeline;

namespace {

// Lines that start with "<digits>. " (the numbered findings).
std::size_t count_lines_starting_with_digit_dot(const std::string& s) {
  std::size_t n = 0;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t k = start;
    while (k < s.size() && s[k] >= '0' && s[k] <= '9') ++k;
    if (k > start && s.compare(k, 2, ". ") == 0) ++n;
    auto end = s.find('\n', start);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return n;
}

// "](" not preceded by a backslash: the middle of a Markdown link or image.
bool has_unescaped_link(const std::string& s) {
  for (auto pos = s.find("]("); pos != std::string::npos; pos = s.find("](", pos + 1)) {
    if (pos == 0 || s[pos - 1] != '\\') return true;
  }
  return false;
}

bool contains(const std::string& s, std::string_view what) {
  return s.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("summary shows at most five findings and points to the rest", "[render]") {
  auto d = test::broken_checkout();
  REQUIRE(d.findings.size() == 7);
  for (auto* render : {&render_text, &render_markdown}) {
    auto out = (*render)(summary(d), {});
    CHECK(count_lines_starting_with_digit_dot(out) == 5);
    CHECK(contains(out, "2 more findings"));
    CHECK(contains(out, "/session chk0ut7a9b2c4d6e full"));
    CHECK(contains(out, "41 other sessions since 09:58 UTC"));
    CHECK_FALSE(contains(out, "Layout shifts"));  // the seventh finding
  }
  render_options three;
  three.summary_findings = 3;
  CHECK(count_lines_starting_with_digit_dot(render_text(summary(d), three)) == 3);
}

TEST_CASE("summary of a default Discord-sized message fits", "[render]") {
  render_options discord;
  discord.max_chars = 2000;
  auto out = render_markdown(summary(test::broken_checkout()), discord);
  CHECK(text_length(out) <= 2000);
  CHECK_FALSE(contains(out, "cut at"));
}

TEST_CASE("long views are cut on a line boundary with a note", "[render]") {
  auto d = test::broken_checkout();
  for (std::size_t limit : {200u, 500u, 1000u, 1500u}) {
    render_options o;
    o.max_chars = limit;
    for (auto* render : {&render_text, &render_markdown}) {
      auto out = (*render)(full(d), o);
      INFO(limit << "\n" << out);
      CHECK(text_length(out) <= limit);
      CHECK(contains(out, "\u2026 cut at " + with_thousands(limit) + " characters: "));
      CHECK(contains(out, "more lines; use "));
      CHECK(contains(out, "sessiondx diagnose chk0ut7a9b2c4d6e"));
      // Every kept line is a whole line of the uncut output.
      auto whole = (*render)(full(d), {});
      auto note = out.find("\u2026 cut at");
      CHECK(whole.starts_with(out.substr(0, note)));
    }
  }
  render_options o;
  o.max_chars = 4000;
  auto out = render_markdown(timeline(d), o);
  CHECK_FALSE(contains(out, "cut at"));  // fits
}

TEST_CASE("every view respects a small limit; split_for_limit spreads a long reply", "[render]") {
  render_options tiny;
  tiny.max_chars = 300;
  for (auto r :
       {summary(test::broken_checkout()), timeline(test::slow_loading()), full(test::hostile()),
        bot::reply(test::unknown()), bot::reply(bot::help_reply{})}) {
    for (auto* render : {&render_text, &render_markdown}) {
      auto out = (*render)(r, tiny);
      INFO(out);
      CHECK(text_length(out) <= 300);
    }
  }
  auto whole = render_markdown(full(test::broken_checkout()));
  REQUIRE(text_length(whole) > 2000);
  auto parts = split_for_limit(whole, 2000);
  CHECK(parts.size() >= 2);
  std::string joined;
  for (const auto& p : parts) {
    CHECK(text_length(p) <= 2000);
    CHECK(p.back() == '\n');  // split on line boundaries: no formatting is cut in half
    joined += p;
  }
  CHECK(joined == whole);
}

TEST_CASE("the cut note counts the lines left out", "[render]") {
  auto d = test::broken_checkout();
  auto whole = render_text(full(d), {});
  render_options o;
  o.max_chars = 600;
  auto out = render_text(full(d), o);
  auto kept = static_cast<std::size_t>(std::count(out.begin(), out.end(), '\n')) - 1;
  auto total = static_cast<std::size_t>(std::count(whole.begin(), whole.end(), '\n'));
  CHECK(contains(out, ": " + std::to_string(total - kept) + " more lines;"));
}

TEST_CASE("timestamps are UTC and say so", "[render]") {
  auto out = render_text(full(test::broken_checkout()), {});
  CHECK(contains(out, "2024-05-03 10:00:12\u201310:14:40 UTC"));
  CHECK(contains(out, "first at 10:02:33 UTC"));
  CHECK(contains(out, "Timeline (UTC;"));
  // Spanning midnight: dates everywhere.
  auto slow = render_text(timeline(test::slow_loading()), {});
  CHECK(contains(slow, "2024-05-03 23:58:00 UTC \u2013 2024-05-04 00:03:00 UTC"));
  CHECK(contains(slow, "! 2024-05-04 00:01:00 web_vital"));
}

TEST_CASE("hostile event text never yields a mention, link or formatting", "[render]") {
  for (auto r : {summary(test::hostile()), full(test::hostile()), timeline(test::hostile())}) {
    auto md = render_markdown(r);
    auto txt = render_text(r);
    for (const auto& out : {md, txt}) {
      INFO(out);
      for (std::string_view mention : {"@everyone", "@here", "@channel", "<!channel>", "<!here>",
                                       "<!everyone>", "<@U", "<#C"}) {
        CHECK_FALSE(contains(out, mention));
      }
      CHECK_FALSE(contains(out, "\u202E"));  // RTL override
      for (char c = 0; c < 0x20; ++c) {
        if (c != '\n') CHECK(out.find(c) == std::string::npos);
      }
      CHECK_FALSE(contains(out, "\xC2\x85"));
      CHECK(valid_utf8(out) == out);
    }
    // Markdown: no unescaped link, image, emphasis or code from the data.
    CHECK_FALSE(has_unescaped_link(md));
    CHECK_FALSE(contains(md, "](http"));
    CHECK_FALSE(contains(md, "](javascript"));
    CHECK_FALSE(contains(md, "```"));
    CHECK(contains(md, "\\*\\*bold\\*\\*"));
    CHECK_FALSE(contains(md, " **bold**"));
    CHECK_FALSE(contains(md, "<script>"));
    // Nothing from the data starts a line (newlines inside fields became spaces).
    CHECK_FALSE(contains(md, "\nsecond line"));
    CHECK_FALSE(contains(md, "\n# heading"));
    CHECK_FALSE(contains(md, "\n- item"));
  }
  // Overlong fields are shortened: 300 characters in the summary, 1,000 in the full view.
  auto d = test::hostile();
  d.headline = std::string(5000, 'H');
  CHECK(contains(render_markdown(summary(d)), std::string(299, 'H') + "\u2026\n"));
  CHECK_FALSE(contains(render_markdown(summary(d)), std::string(300, 'H')));
  auto out = render_markdown(full(test::hostile()));
  CHECK(contains(out, std::string(999, 'A') + "\u2026\n"));
  CHECK_FALSE(contains(out, std::string(1000, 'A')));
}

TEST_CASE("JSON has every documented field with the documented enum strings", "[render]") {
  auto j = to_json(full(test::broken_checkout()));
  for (const char* key : {"type", "view", "session_id", "verdict", "headline", "customer_summary",
                          "next_step", "context", "first_seen", "last_seen", "event_count",
                          "events_truncated", "findings", "checked", "timeline"}) {
    INFO(key);
    CHECK(j.contains(key));
  }
  CHECK(j["type"] == "diagnosis");
  CHECK(j["view"] == "full");
  CHECK(j["verdict"] == "broken");
  CHECK(j["first_seen"] == "2024-05-03T10:00:12.000Z");
  CHECK(j["last_seen"] == "2024-05-03T10:14:40.000Z");
  for (const char* key : {"browser", "os", "device", "app_version", "locale", "region",
                          "newest_app_version", "outdated_app"}) {
    INFO(key);
    CHECK(j["context"].contains(key));
  }
  CHECK(j["context"]["outdated_app"] == true);
  REQUIRE(j["findings"].size() == 7);  // all findings, whatever the view
  const auto& f = j["findings"][0];
  for (const char* key : {"category", "severity", "rule", "title", "threshold", "first_seen",
                          "count", "issue_key", "other_sessions", "caused_by", "evidence"}) {
    INFO(key);
    CHECK(f.contains(key));
  }
  CHECK(f["category"] == "backend");
  CHECK(f["severity"] == "critical");
  CHECK(f["other_sessions"]["count"] == 41);
  CHECK(f["other_sessions"]["since"] == "2024-05-03T09:58:00.000Z");
  CHECK(f["evidence"][0]["ts"] == "2024-05-03T10:02:33.000Z");
  CHECK(j["findings"][2]["other_sessions"].is_null());  // rage click: no issue key
  CHECK(j["findings"][3]["other_sessions"]["since"].is_null());

  std::set<std::string> categories, severities;
  for (const auto& x : j["findings"]) {
    categories.insert(x["category"].get<std::string>());
    severities.insert(x["severity"].get<std::string>());
  }
  CHECK(categories == std::set<std::string>{"loading", "interface", "messages", "backend"});
  CHECK(severities == std::set<std::string>{"info", "warning", "error", "critical"});

  CHECK_FALSE(to_json(summary(test::broken_checkout())).contains("timeline"));
  CHECK(to_json(summary(test::healthy()))["verdict"] == "healthy");
  CHECK(to_json(summary(test::slow_loading()))["verdict"] == "degraded");

  auto u = to_json(test::unknown());
  CHECK(u["type"] == "unknown_session");
  CHECK(u["verdict"] == "unknown");
  CHECK(u["similar"].size() == 3);
  CHECK(u["retention_days"] == 30);
}

TEST_CASE("JSON is valid UTF-8 even from invalid input", "[render]") {
  auto s = render_json(full(test::hostile()));
  CHECK(valid_utf8(s) == s);
  auto j = nlohmann::json::parse(s);
  CHECK(j["findings"][0]["evidence"][0]["summary"].get<std::string>().find("\uFFFD") !=
        std::string::npos);
  // Raw text is kept (JSON consumers escape for their own output).
  CHECK(j["headline"].get<std::string>().starts_with("@everyone"));
}

TEST_CASE("help lists the commands with examples", "[render]") {
  for (auto* render : {&render_text, &render_markdown}) {
    auto out = (*render)(bot::help_reply{}, {});
    for (std::string_view cmd : {"/session <id>", "/session <id> timeline", "/session <id> full",
                                 "/help", "/session abcd1234efgh5678"}) {
      CHECK(contains(out, cmd));
    }
  }
}

TEST_CASE("escalation: every item whole in text and Markdown, a forced cut drops whole items",
          "[render][escalation]") {
  const auto r = test::summary(test::escalation());
  for (const std::string& out : {render_text(r), render_markdown(r)}) {
    CHECK(out.find(test::trace_a) != std::string::npos);
    CHECK(out.find(test::trace_b) != std::string::npos);
    CHECK(out.find(std::string("route ") + test::long_route + ", status 502") != std::string::npos);
    CHECK(out.find("app 3.4.1, Chrome 124") != std::string::npos);
    CHECK(out.find("left out") == std::string::npos);
  }
  CHECK(render_markdown(r).find("**For engineering:**\n```\nsession esc4l4t10n0long\n") !=
        std::string::npos);
  for (std::size_t max : {700u, 900u, 1100u, 1300u}) {
    render_options o;
    o.max_chars = max;
    for (const std::string& out : {render_text(r, o), render_markdown(r, o)}) {
      INFO(max << "\n" << out);
      CHECK(text_length(out) <= max);
      // Whatever is kept is whole: a trace id is there in full or not at all.
      for (const char* t : {test::trace_a, test::trace_b}) {
        const std::string id(t);
        for (std::size_t n = 8; n < id.size(); ++n) {
          const auto at = out.find(id.substr(0, n));
          if (at != std::string::npos) CHECK(out.compare(at, id.size(), id) == 0);
        }
      }
      if (out.find("app 3.4.1, Chrome 124") == std::string::npos) {
        CHECK(out.find("left out") != std::string::npos);
      }
      // Fences stay paired.
      std::size_t fences = 0;
      for (auto at = out.find("```"); at != std::string::npos; at = out.find("```", at + 3))
        ++fences;
      CHECK(fences % 2 == 0);
    }
  }
}

TEST_CASE("reply document: one structure for every emitter", "[render][reply]") {
  reply_options o;
  o.now_ms = test::render_now;
  const auto doc = build_reply(test::summary(test::escalation()), o);
  CHECK(doc.kind == document_kind::diagnosis);
  CHECK(doc.view == bot::view::summary);
  CHECK(doc.plain_title == "Session esc4l4t10n0long: broken");
  CHECK(emit_plain(doc.title) == "Session esc4l4t10n0long: broken");
  CHECK(doc.findings.size() == 2);
  CHECK(doc.findings[0].details.empty());  // summary: lines only
  CHECK(doc.escalation.items.size() == 8);
  CHECK(doc.escalation.items.front() == "session esc4l4t10n0long");
  CHECK(doc.escalation.items.back() == "app 3.4.1, Chrome 124");
  CHECK(emit_plain(doc.next_step.value).ends_with("to engineering with the details below."));
  CHECK(doc.customer.language == "de");
  CHECK(emit_plain(doc.customer.label) == "For the customer (Deutsch):");
  REQUIRE(doc.actions.size() == 1);
  CHECK(doc.actions[0].id == "share_in_channel");
  CHECK(emit_plain(more_note(3, "more finding", "more findings")) == "3 more findings not shown");
  CHECK(emit_plain(left_out_note(1)) == "1 item left out");

  bot::diagnosis odd = test::broken_checkout();
  odd.session_id = "has space";
  CHECK(build_reply(test::summary(odd)).plain_title == "Session (unusual id): broken");

  const auto full_doc = build_reply(test::full(test::broken_checkout()), o);
  CHECK(full_doc.findings.size() == 7);
  CHECK_FALSE(full_doc.findings[0].details.empty());
  CHECK(full_doc.findings[0].evidence.size() == 3);
  CHECK(build_reply(bot::help_reply{}).kind == document_kind::help);
  CHECK(build_reply(bot::help_reply{}).footer.size() == 2);
}

TEST_CASE("escalation: from diagnosis.escalation, never parsed out of next_step",
          "[render][escalation]") {
  reply_options o;
  // The payload without any escalation sentence in the next step: the block is whole.
  bot::diagnosis d = test::escalation();
  d.next_step = "Ask the customer to retry in a few minutes.";
  auto doc = build_reply(test::summary(d), o);
  REQUIRE(doc.escalation.items.size() == 8);
  CHECK(doc.escalation.items[4] == std::string("trace_id ") + test::trace_a + ", " + test::trace_b);
  CHECK(emit_plain(doc.next_step.value) == "Ask the customer to retry in a few minutes.");
  // Escalation words in the next step but no payload: no block, the sentence as the rules wrote it.
  d = test::escalation();
  d.escalation = {};
  doc = build_reply(test::summary(d), o);
  CHECK(doc.escalation.empty());
  // (shown as data, so cut at the summary field length like any next step)
  CHECK(emit_plain(doc.next_step.value).starts_with(d.next_step.substr(0, 200)));
  CHECK(emit_plain(doc.next_step.value).find("with the details below") == std::string::npos);
  // Items: no symptom, no trace, no app version: only what is there, in order.
  bot::escalation e;
  e.session_id = "s1";
  e.problem = "service payments, error “timeout”";
  e.from_ms = test::t0;
  e.to_ms = test::t0;
  e.browser = "Firefox 126";
  CHECK(escalation_items(e) == std::vector<std::string>{"session s1",
                                                        "service payments, error “timeout”",
                                                        "2024-05-03 10:00:00 UTC", "Firefox 126"});
  CHECK(escalation_items(bot::escalation{}).empty());
}

TEST_CASE("next step in the team language from the rules' plan", "[render][i18n]") {
  bot::diagnosis d = test::escalation();
  d.next_plan = {"incident", true};
  reply_options o;
  const std::string en = emit_plain(build_reply(test::summary(d), o).next_step.value);
  CHECK(en.starts_with("Likely an incident: tell the customer"));  // English: the rules' text
  CHECK(en.ends_with("Escalate to engineering with the details below."));
  o.team_language = "fr";
  const std::string fr = emit_plain(build_reply(test::summary(d), o).next_step.value);
  CHECK(fr ==
        "Demandez au client de mettre à jour l’application (3.4.1 → 3.5.0) et de réessayer. "
        "Probablement un incident : dites au client que nous sommes au courant et que nous y "
        "travaillons, et consultez le canal des incidents. Transmettez à l’équipe technique avec "
        "les détails ci-dessous.");
  d.next_plan = {"nothing_found", true};
  o.team_language = "de";
  CHECK(emit_plain(build_reply(test::summary(d), o).next_step.value)
            .ends_with("Bitten Sie ihn, die App zu aktualisieren (3.4.1 → 3.5.0)."));
  // A playbook the rules did not name: their sentence, whatever the language.
  d.next_plan = {};
  o.team_language = "pl";
  CHECK(emit_plain(build_reply(test::summary(d), o).next_step.value)
            .starts_with("Likely an incident"));
}

#include "bot/i18n/catalog.hpp"
#include "bot/i18n/customer_line.hpp"
#include "bot/render/render.hpp"
#include "bot/render/reply.hpp"
#include "bot/rules.hpp"
#include "tests/bot/scenarios.hpp"
#include "tests/bot/test_render_fixtures.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

// The catalogs (i18n/*.po) and the customer line in every shipped language. Customer lines are
// compared with reviewed files under tests/bot/snapshots/customer_line.<lang>.txt; to accept a
// deliberate change, run with SESSIONDX_UPDATE_SNAPSHOTS=1, review the diff and commit it.

using namespace sessiondx;
using namespace sessiondx::bot::i18n;
using what = bot::customer_notice::what;
using step = bot::customer_notice::step;

namespace {

bool updating() {
  const char* v = std::getenv("SESSIONDX_UPDATE_SNAPSHOTS");
  return v != nullptr && std::string_view(v) == "1";
}

void check_snapshot(const std::string& name, const std::string& actual) {
  std::filesystem::path path = std::filesystem::path(SESSIONDX_SNAPSHOT_DIR) / name;
  if (updating()) {
    std::ofstream(path, std::ios::binary) << actual;
    WARN("snapshot written: " << path);
    return;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) FAIL("missing snapshot " << path << " (run with SESSIONDX_UPDATE_SNAPSHOTS=1)");
  std::stringstream expected;
  expected << in.rdbuf();
  INFO("snapshot " << path);
  CHECK(actual == expected.str());
}

const std::vector<std::string> shipped{"en", "fr", "pl", "nl", "de"};

// 2024-05-03T10:02:33Z; the render happens at 10:14:40.
constexpr std::int64_t at = test::t0 + 153 * test::sec;
constexpr std::int64_t now = test::t0 + 14 * 60 * test::sec + 40 * test::sec;

bot::diagnosis with_notice(std::string locale, std::string zone, bot::customer_notice n) {
  bot::diagnosis d;
  d.session_id = "chk0ut7a9b2c4d6e";
  d.event_count = 12;
  d.first_seen_ms = test::t0;
  d.last_seen_ms = now - 60 * test::sec;
  d.context.locale = std::move(locale);
  d.context.time_zone = std::move(zone);
  d.notice = n;
  return d;
}

}  // namespace

TEST_CASE("every catalog has every key, with the English placeholders", "[i18n]") {
  const catalog* en = find_catalog("en");
  REQUIRE(en != nullptr);
  REQUIRE(en->size() >= 20);
  for (const auto& lang : shipped) {
    const catalog* c = find_catalog(lang);
    INFO("catalog " << lang);
    REQUIRE(c != nullptr);
    for (const auto& [key, pattern] : *en) {
      INFO("key " << key);
      auto it = c->find(key);
      REQUIRE(it != c->end());
      CHECK(placeholders(it->second) == placeholders(pattern));
      CHECK(placeholders(it->second) != std::vector<std::string>{""});  // parses as ICU
    }
    for (const auto& [key, pattern] : *c) {
      INFO("key only in " << lang << ": " << key);
      CHECK(en->count(key) == 1);
    }
  }
}

TEST_CASE("plural patterns use the language's CLDR categories, and always 'other'", "[i18n]") {
  CHECK(cldr_plural_keywords("pl") == std::vector<std::string>{"few", "many", "one", "other"});
  CHECK(cldr_plural_keywords("en") == std::vector<std::string>{"one", "other"});
  for (const auto& lang : shipped) {
    const auto categories = cldr_plural_keywords(lang);
    REQUIRE_FALSE(categories.empty());
    for (const auto& [key, pattern] : *find_catalog(lang)) {
      const auto used = plural_keywords(pattern);
      if (used.empty()) continue;
      INFO("catalog " << lang << ", key " << key << ": " << pattern);
      CHECK(std::find(used.begin(), used.end(), "other") != used.end());
      for (const auto& k : used) {
        INFO("keyword " << k);
        CHECK(std::find(categories.begin(), categories.end(), k) != categories.end());
      }
    }
  }
}

TEST_CASE("agent-facing Polish counts: 1, 2-4, 5+, 12-14, 22, 25", "[i18n]") {
  const auto events = [](std::int64_t n) { return format("pl", "agent.events", {{"n", n}}); };
  CHECK(events(1) == "1 zdarzenie");
  CHECK(events(2) == "2 zdarzenia");
  CHECK(events(4) == "4 zdarzenia");
  CHECK(events(5) == "5 zdarzeń");
  CHECK(events(12) == "12 zdarzeń");
  CHECK(events(13) == "13 zdarzeń");
  CHECK(events(14) == "14 zdarzeń");
  CHECK(events(22) == "22 zdarzenia");
  CHECK(events(25) == "25 zdarzeń");
  CHECK(events(1000).ends_with("000 zdarzeń"));  // 1 000: the locale's digit grouping
  const auto others = [](std::int64_t n) { return format("pl", "agent.blast.count", {{"n", n}}); };
  CHECK(others(1) == "1 inna sesja");
  CHECK(others(3) == "3 inne sesje");
  CHECK(others(12) == "12 innych sesji");
  CHECK(others(22) == "22 inne sesje");
  CHECK(others(25) == "25 innych sesji");
  const auto left = [](std::int64_t n) { return format("pl", "agent.left_out", {{"n", n}}); };
  CHECK(left(1) == "pominięto 1 element");
  CHECK(left(2) == "pominięto 2 elementy");
  CHECK(left(14) == "pominięto 14 elementów");
  CHECK(left(24) == "pominięto 24 elementy");
  // English and French: one/other (French "one" is 0 and 1).
  CHECK(format("en", "agent.events", {{"n", std::int64_t{1}}}) == "1 event");
  CHECK(format("en", "agent.events", {{"n", std::int64_t{1234}}}) == "1,234 events");
  CHECK(format("fr", "agent.events", {{"n", std::int64_t{0}}}) == "0 événement");
  CHECK(format("fr", "agent.events", {{"n", std::int64_t{2}}}) == "2 événements");
}

TEST_CASE("every reply in every team language: no key shown raw, the language's own words",
          "[i18n][render]") {
  using namespace sessiondx::bot;
  const std::vector<reply> replies{
      test::summary(test::broken_checkout()),
      test::full(test::broken_checkout()),
      test::timeline(test::broken_checkout()),
      test::summary(test::escalation()),
      test::full(test::slow_loading()),
      test::full(test::healthy()),
      test::timeline(test::healthy()),
      help_reply{},
      unknown_session_reply{"abcd1234efgh5678", {"abcd1234efgh567B", "abcdl234efgh5678"}, 30},
      unknown_session_reply{"abcd1234efgh5678", {}, 1},
      unknown_session_reply{"abcd1234efgh5678", {}, 0},
      error_reply{"Unknown command.", true}};
  const std::map<std::string, std::string> title_word{
      {"en", "Session"}, {"fr", "Session"}, {"pl", "Sesja"}, {"nl", "Sessie"}, {"de", "Sitzung"}};
  for (const auto& lang : shipped) {
    for (std::size_t limit : {std::size_t{0}, std::size_t{700}}) {
      render::render_options o;
      o.now_ms = test::render_now;
      o.team_language = lang;
      o.max_chars = limit;
      for (std::size_t i = 0; i < replies.size(); ++i) {
        INFO("language " << lang << ", reply " << i << ", limit " << limit);
        for (const auto& out :
             {render::render_text(replies[i], o), render::render_markdown(replies[i], o)}) {
          INFO(out);
          CHECK(out.find("agent.") == std::string::npos);
          CHECK(out.find('\x1F') == std::string::npos);  // no part mark left over
          if (i < 7) CHECK(out.rfind(title_word.at(lang), 2 + 6) != std::string::npos);
        }
      }
    }
  }
}

TEST_CASE("po parsing: context, continuation lines, escapes, empty msgstr", "[i18n]") {
  const auto c = parse_po(
      "# comment\nmsgid \"\"\nmsgstr \"\"\n\"Language: xx\\n\"\n\n"
      "msgctxt \"a\"\nmsgid \"A\"\nmsgstr \"\"\n\"first \\\"quoted\\\" \"\n\"second\"\n\n"
      "msgctxt \"b\"\nmsgid \"B\"\nmsgstr \"\"\n");
  REQUIRE(c.size() == 1);
  CHECK(c.at("a") == "first \"quoted\" second");
}

TEST_CASE("a missing key falls back to English, an unknown one shows the key", "[i18n]") {
  CHECK(format("xx", "step.sign_in_again") == "Please sign in again.");
  CHECK(format("fr", "no.such.key") == "no.such.key");
}

TEST_CASE("language fallback: BCP 47 -> language -> team language -> English", "[i18n]") {
  CHECK(pick_language("fr-CA") == "fr");
  CHECK(pick_language("pl-PL") == "pl");
  CHECK(pick_language("nl-BE") == "nl");
  CHECK(pick_language("de-AT") == "de");
  CHECK(pick_language("de_CH.UTF-8") == "de");
  CHECK(pick_language("pt-BR", "fr") == "fr");
  CHECK(pick_language("", "nl") == "nl");
  CHECK(pick_language("pt-BR", "pt") == "en");
  CHECK(language_name("fr") == "français");
  CHECK(language_name("pl") == "polski");
  CHECK(language_name("de") == "Deutsch");
  CHECK(language_name("nl") == "Nederlands");
  CHECK(language_name("en") == "English");
}

TEST_CASE("Polish plurals follow CLDR: 1, 2-4, 5+, 22, 25", "[i18n]") {
  std::string out;
  for (std::int64_t n : {1, 2, 3, 4, 5, 11, 12, 21, 22, 25, 112, 1000}) {
    out += std::to_string(n) + ": " + format("pl", "customer.attempts", {{"attempts", n}}) + "\n";
  }
  CHECK(format("pl", "customer.attempts", {{"attempts", std::int64_t{1}}}) == "Wykonano 1 próbę.");
  CHECK(format("pl", "customer.attempts", {{"attempts", std::int64_t{3}}}) == "Wykonano 3 próby.");
  CHECK(format("pl", "customer.attempts", {{"attempts", std::int64_t{5}}}) == "Wykonano 5 prób.");
  CHECK(format("pl", "customer.attempts", {{"attempts", std::int64_t{22}}}) ==
        "Wykonano 22 próby.");
  CHECK(format("pl", "customer.attempts", {{"attempts", std::int64_t{25}}}) == "Wykonano 25 prób.");
  check_snapshot("customer_line.pl.plurals.txt", out);
}

TEST_CASE("customer line in every shipped language", "[i18n][snapshot]") {
  struct sample {
    std::string name, zone;
    bot::customer_notice notice;
  };
  const std::vector<sample> samples{
      {"incident, local time",
       "Europe/Paris",
       {what::action_failed, step::wait_for_fix, at, 3, true}},
      {"server error, relative", "", {what::action_failed, step::try_again_later, at, 2, false}},
      {"server error, once", "", {what::action_failed, step::try_again_later, at, 1, false}},
      {"payment declined, 5 times",
       "America/New_York",
       {what::payment_declined, step::use_other_card, at, 5, false}},
      {"payment declined, 22 times",
       "",
       {what::payment_declined, step::use_other_card, at, 22, false}},
      {"payment declined, 25 times",
       "",
       {what::payment_declined, step::use_other_card, at, 25, false}},
      {"slow page, an hour ago",
       "",
       {what::page_slow, step::reload_page, now - 65 * 60 * test::sec, 0, false}},
      {"frozen page, days ago",
       "Bogus/Zone",
       {what::page_unresponsive, step::reload_page, now - 3 * 86'400'000, 0, false}},
      {"page error, other day in zone",
       "Asia/Tokyo",
       {what::page_error, step::update_app, at - 86'400'000, 0, false}},
      {"recovered, just now",
       "",
       {what::action_recovered, step::none, now - 30 * test::sec, 0, false}},
      {"refused", "", {what::refused_by_rules, step::none, at, 0, false}},
      {"rate limited", "", {what::rate_limited, step::wait_then_retry, at, 0, false}},
      {"signed out", "Europe/Warsaw", {what::signed_out, step::sign_in_again, at, 0, false}},
      {"nothing wrong", "Europe/Amsterdam", {what::nothing_wrong, step::none, 0, 0, false}},
  };
  const std::map<std::string, std::string> locales{
      {"en", "en-GB"}, {"fr", "fr-FR"}, {"pl", "pl-PL"}, {"nl", "nl-NL"}, {"de", "de-DE"}};
  for (const auto& lang : shipped) {
    std::string out;
    for (const auto& s : samples) {
      const auto line =
          word_customer_line(with_notice(locales.at(lang), s.zone, s.notice), "en", now);
      CHECK(line.language == lang);
      CHECK(line.text.find("UTC") == std::string::npos);
      CHECK(line.text.find("customer.") == std::string::npos);  // no key shown raw
      CHECK(line.text.find("when.") == std::string::npos);
      out += "[" + s.name + "]\n" + line.label + " " + line.text + "\n\n";
    }
    bot::diagnosis empty;
    out += "[no events]\n" + word_customer_line(empty, lang, now).text + "\n";
    check_snapshot("customer_line." + lang + ".txt", out);
  }
}

TEST_CASE("the label is in the team language, naming the customer's language", "[i18n]") {
  const auto d = with_notice("fr-FR", "", {what::page_slow, step::reload_page, at, 0, false});
  CHECK(word_customer_line(d, "en", now).label == "For the customer (français):");
  CHECK(word_customer_line(d, "de", now).label == "Für den Kunden (français):");
  const auto unknown_locale =
      with_notice("pt-BR", "", {what::page_slow, step::reload_page, at, 0, false});
  CHECK(word_customer_line(unknown_locale, "nl", now).language == "nl");
  CHECK(word_customer_line(unknown_locale, "en", now).language == "en");
}

TEST_CASE("times: local zone when known, else relative to now, else 'earlier'", "[i18n]") {
  CHECK(when_phrase("fr", "fr-FR", at, "Europe/Paris", now) == "à 12:02");
  CHECK(when_phrase("de", "de-DE", at, "Europe/Berlin", now) == "um 12:02 Uhr");
  CHECK(when_phrase("en", "en-US", at, "America/New_York", now) == "at 6:02\u202FAM");
  CHECK(when_phrase("fr", "fr-FR", at, "", now) == "il y a 12 minutes");
  CHECK(when_phrase("fr", "fr-FR", now - 4 * 60 * test::sec, "", now) == "il y a quelques minutes");
  CHECK(when_phrase("pl", "pl-PL", now - 30 * 60 * test::sec, "", now) == "30 minut temu");
  CHECK(when_phrase("de", "de-DE", now - 3 * 3600 * test::sec, "", now) == "vor 3 Stunden");
  CHECK(when_phrase("nl", "nl-NL", at, "", 0) == "eerder");
  CHECK(when_phrase("en", "en-GB", at, "Not/AZone", now) == "12 minutes ago");
}

namespace {

// A golden scenario (tests/bot/fixtures/*.json), diagnosed as test_rules_scenarios does.
bot::diagnosis diagnose_fixture(const std::filesystem::path& path) {
  return sessiondx::tests::run_scenario(sessiondx::tests::load_scenario(path));
}

}  // namespace

TEST_CASE("the English playbooks of the catalog say what the rules say, in every scenario",
          "[i18n][rules]") {
  // The reply shows the rules' next step in English and the catalog's in other languages: the
  // catalog's English (the translators' source) must not drift from the rules' sentences.
  const auto dir = std::filesystem::path(SESSIONDX_SNAPSHOT_DIR) / ".." / "fixtures";
  std::set<std::string> playbooks;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    INFO("scenario " << entry.path().filename());
    const bot::diagnosis d = diagnose_fixture(entry.path());
    REQUIRE_FALSE(d.next_plan.playbook.empty());
    playbooks.insert(d.next_plan.playbook);
    const auto doc = bot::render::build_reply(bot::diagnosis_reply{d, bot::view::summary});
    std::string rules = doc.next_step.value.runs.at(0).text;  // the rules' advice, unrendered
    const auto& c = d.context;
    std::string catalog = format("en", "agent.next." + d.next_plan.playbook);
    if (d.next_plan.update_app) {
      const arguments versions{{"current", c.app_version}, {"newest", c.newest_app_version}};
      catalog = d.next_plan.playbook == "nothing_found"
                    ? catalog + " " + format("en", "agent.next.update_suffix", versions)
                    : format("en", "agent.next.update_prefix", versions) + " " + catalog;
    }
    CHECK(rules == catalog);
    CHECK(d.escalation.empty() == (d.next_plan.playbook == "nothing_found"));
  }
  CHECK(playbooks.size() >= 8);
}

// ---- Rules texts (keys "rules.*"): titles, headlines, evidence and checked in the team language

TEST_CASE("rules messages: each plural argument covers the language's CLDR categories",
          "[i18n][rules]") {
  std::size_t plurals = 0;
  for (const auto& lang : shipped) {
    const auto categories = cldr_plural_keywords(lang);
    for (const auto& [key, pattern] : *find_catalog(lang)) {
      if (!key.starts_with("rules.")) continue;
      INFO("catalog " << lang << ", key " << key << ": " << pattern);
      for (const auto& used : plural_arguments(pattern)) {
        ++plurals;
        CHECK(used == categories);  // every category, nothing else (pl: one, few, many, other)
      }
    }
  }
  CHECK(plurals >= 5 * 30);
}

TEST_CASE("rules messages: Polish plurals of a rules text, 1, 2-4, 5+, 12, 22, 25",
          "[i18n][rules]") {
  auto backend = [](std::int64_t n) {
    return format("pl", "rules.checked.backend_errors", {{"n", n}});
  };
  CHECK(backend(1) == "1 błąd backendu");
  CHECK(backend(3) == "3 błędy backendu");
  CHECK(backend(5) == "5 błędów backendu");
  CHECK(backend(12) == "12 błędów backendu");
  CHECK(backend(22) == "22 błędy backendu");
  CHECK(backend(25) == "25 błędów backendu");
  CHECK(format("fr", "rules.checked.backend_errors", {{"n", std::int64_t{1000000}}}) ==
        "1\u202F000\u202F000 d’erreurs backend");
  CHECK(format_decimal("de", 7.4, 1) == "7,4");
  CHECK(format_decimal("en", 7.4, 1) == "7.4");
}

namespace {

// Every rules message of a diagnosis, nested ones included.
void collect(const bot::message& m, std::set<std::string>& ids) {
  if (m.empty()) return;
  ids.insert(m.id);
  for (const auto& a : m.args) {
    for (const auto& sub : a.items) collect(sub, ids);
  }
}

std::string sentence_case(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

std::vector<std::filesystem::path> fixtures() {
  const auto dir = std::filesystem::path(SESSIONDX_SNAPSHOT_DIR) / ".." / "fixtures";
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("rules messages say in English exactly what the rules' strings say, in every scenario",
          "[i18n][rules]") {
  // English replies show the rules' strings; other languages the messages: the catalog's English
  // (the translators' source) must be those strings, byte for byte.
  std::set<std::string> ids;
  for (const auto& path : fixtures()) {
    INFO("scenario " << path.filename());
    const bot::diagnosis d = diagnose_fixture(path);
    REQUIRE_FALSE(d.headline_msg.empty());
    CHECK(sentence_case(bot::english_text(d.headline_msg)) == d.headline);
    collect(d.headline_msg, ids);
    REQUIRE(d.checked_msgs.size() == d.checked.size());
    for (std::size_t i = 0; i < d.checked.size(); ++i) {
      CHECK(bot::english_text(d.checked_msgs[i]) == d.checked[i]);
      collect(d.checked_msgs[i], ids);
    }
    for (const auto& f : d.findings) {
      INFO("finding " << f.rule);
      REQUIRE_FALSE(f.title_msg.empty());
      CHECK(bot::english_text(f.title_msg) == f.title);
      collect(f.title_msg, ids);
      if (!f.threshold.empty()) {
        REQUIRE_FALSE(f.threshold_msg.empty());
        CHECK(bot::english_text(f.threshold_msg) == f.threshold);
        collect(f.threshold_msg, ids);
      }
      if (!f.caused_by.empty()) {
        REQUIRE_FALSE(f.caused_by_msg.empty());
        CHECK(bot::english_text(f.caused_by_msg) == f.caused_by);
        collect(f.caused_by_msg, ids);
      }
      for (const auto& e : f.evidence) {
        REQUIRE_FALSE(e.summary_msg.empty());
        CHECK(bot::english_text(e.summary_msg) == e.summary);
        collect(e.summary_msg, ids);
      }
    }
  }
  const catalog* en = find_catalog("en");
  for (const auto& id : ids) {
    INFO("message " << id);
    CHECK(en->count(id) == 1);
  }
  CHECK(ids.size() >= 60);  // the scenarios exercise most of the catalog
}

namespace {

// The literal English words of a rules pattern: the text between its placeholders, each piece
// trimmed, long enough to be a phrase (10+ bytes with a space).
std::vector<std::string> english_phrases(const std::string& pattern) {
  std::vector<std::string> out;
  std::string piece;
  int depth = 0;
  auto flush = [&] {
    auto b = piece.find_first_not_of(" :;,()");
    auto e = piece.find_last_not_of(" :;,()");
    if (b != std::string::npos) {
      std::string t = piece.substr(b, e - b + 1);
      if (t.size() >= 10 && t.find(' ') != std::string::npos) out.push_back(t);
    }
    piece.clear();
  };
  for (char c : pattern) {
    if (c == '{') {
      if (depth == 0) flush();
      ++depth;
    } else if (c == '}') {
      --depth;
    } else if (depth == 0) {
      piece += c;
    }
  }
  flush();
  return out;
}

// Headline, finding titles and their detail lines (thresholds, "Caused by"), evidence lines and
// the checked list of a reply, as plain text.
std::string rules_parts(const bot::render::reply_document& doc) {
  using bot::render::emit_plain;
  std::string out = emit_plain(doc.headline) + "\n";
  for (const auto& f : doc.findings) {
    out += emit_plain(f.title) + "\n";
    for (const auto& x : f.details) out += emit_plain(x) + "\n";
    for (const auto& e : f.evidence) out += emit_plain(e) + "\n";
  }
  return out + emit_plain(doc.checked.value) + "\n";
}

}  // namespace

TEST_CASE("a golden scenario in every team language: rules texts translated, none left in English",
          "[i18n][rules][snapshot]") {
  const auto dir = std::filesystem::path(SESSIONDX_SNAPSHOT_DIR) / ".." / "fixtures";
  const catalog* en = find_catalog("en");
  for (const char* name : {"payment_502_backend_error", "auth_refresh_chain",
                           "release_within_session", "noise_cancel_favicon_retry", "long_tasks"}) {
    const bot::diagnosis d = diagnose_fixture(dir / (std::string(name) + ".json"));
    const bot::reply r = bot::diagnosis_reply{d, bot::view::full};
    for (const auto& lang : shipped) {
      INFO("scenario " << name << ", language " << lang);
      bot::render::render_options o;
      o.now_ms = test::render_now;
      o.team_language = lang;
      bot::render::reply_options ro;
      ro.now_ms = o.now_ms;
      ro.team_language = lang;
      const std::string parts = rules_parts(bot::render::build_reply(r, ro));
      INFO(parts);
      CHECK(parts.find("rules.") == std::string::npos);  // no key shown raw
      CHECK(parts.find('\x1F') == std::string::npos);
      if (lang == "en") continue;
      const catalog* c = find_catalog(lang);
      for (const auto& [key, pattern] : *en) {
        if (!key.starts_with("rules.")) continue;
        const std::string& translated = c->at(key);
        for (const auto& phrase : english_phrases(pattern)) {
          if (translated.find(phrase) != std::string::npos) continue;  // the same in both
          INFO("English phrase of " << key << ": " << phrase);
          CHECK(parts.find(phrase) == std::string::npos);
        }
      }
      if (std::string_view(name) == "payment_502_backend_error") {
        check_snapshot(std::string("rules.") + name + ".full.team_" + lang + ".md",
                       bot::render::render_markdown(r, o));
      }
    }
  }
}

TEST_CASE("English replies of the rules stay the rules' own strings", "[i18n][rules]") {
  // The renderer keeps English on the rules' strings: the same bytes as before messages existed.
  for (const auto& path : fixtures()) {
    INFO("scenario " << path.filename());
    const bot::diagnosis d = diagnose_fixture(path);
    const auto doc = bot::render::build_reply(bot::diagnosis_reply{d, bot::view::full});
    REQUIRE(doc.headline.runs.size() == 1);
    CHECK(doc.headline.runs[0].text == d.headline);
    REQUIRE(doc.findings.size() == d.findings.size());
    for (std::size_t i = 0; i < d.findings.size(); ++i) {
      REQUIRE(doc.findings[i].title.runs.size() == 1);
      CHECK(doc.findings[i].title.runs[0].text == d.findings[i].title);
    }
  }
}

TEST_CASE("JSON: a release regression as its own field, only where the rule found one",
          "[render][rules]") {
  const auto dir = std::filesystem::path(SESSIONDX_SNAPSHOT_DIR) / ".." / "fixtures";
  for (const char* name : {"release_within_session", "release_across_sessions"}) {
    INFO("scenario " << name);
    const bot::diagnosis d = diagnose_fixture(dir / (std::string(name) + ".json"));
    const auto j = bot::render::to_json(bot::diagnosis_reply{d, bot::view::full});
    std::size_t with = 0;
    for (std::size_t i = 0; i < d.findings.size(); ++i) {
      const auto& f = j["findings"][i];
      CHECK(f.contains("release") == d.findings[i].release_info.has_value());
      if (!f.contains("release")) continue;
      ++with;
      CHECK_FALSE(f["release"]["version"].get<std::string>().empty());
      CHECK(f["release"]["first_seen"].is_string());
      CHECK_FALSE(f["release"]["not_seen_with"].empty());
      CHECK(d.findings[i].release.find(f["release"]["version"].get<std::string>()) !=
            std::string::npos);
    }
    CHECK(with >= 1);
    CHECK(j["escalation_details"].contains("release") == d.escalation.release.has_value());
  }
  const bot::diagnosis plain = diagnose_fixture(dir / "api_5xx.json");
  const auto j = bot::render::to_json(bot::diagnosis_reply{plain, bot::view::full});
  for (const auto& f : j["findings"]) CHECK_FALSE(f.contains("release"));
  CHECK_FALSE(j["escalation_details"].contains("release"));
}

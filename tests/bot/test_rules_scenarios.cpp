#include "bot/rules.hpp"
#include "tests/bot/scenarios.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

// Golden scenarios: each file under tests/bot/fixtures/ holds a session's events (times as
// "HH:MM:SS.mmm" UTC on the scenario's date, optionally each event's app_version), the context,
// the store's answers (blast radii in "others", per-problem app versions in "versions", global
// "app_versions" with optional first/last seen, the window start) and the expected diagnosis:
// verdict, rules, and text fragments that must appear. Issue keys are computed as ingest does,
// and the store's answers are given to run_rules as data, as the diagnoser does.

using nlohmann::json;
namespace bot = sessiondx::bot;
namespace fs = std::filesystem;

using sessiondx::tests::at_ms;
using sessiondx::tests::load_scenario;
using sessiondx::tests::run_scenario;
using sessiondx::tests::scenario;

namespace {

const fs::path fixtures_dir = SESSIONDX_RULES_FIXTURES;

// Everything the diagnosis says, for failure messages and the determinism check.
json dump(const bot::diagnosis& d) {
  json j;
  j["verdict"] = std::string(bot::to_string(d.verdict));
  j["headline"] = d.headline;
  j["customer_summary"] = d.customer_summary;
  j["next_step"] = d.next_step;
  j["checked"] = d.checked;
  for (const auto& f : d.findings) {
    json jf{{"rule", f.rule},
            {"category", std::string(bot::to_string(f.category))},
            {"severity", std::string(bot::to_string(f.severity))},
            {"title", f.title},
            {"threshold", f.threshold},
            {"first_seen_ms", f.first_seen_ms},
            {"count", f.count},
            {"issue_key", f.issue_key},
            {"caused_by", f.caused_by},
            {"release", f.release}};
    if (f.other_sessions) {
      jf["other_sessions"] = f.other_sessions->other_sessions;
      jf["assessment"] = f.other_sessions->assessment;
    }
    for (const auto& e : f.evidence) jf["evidence"].push_back(e.summary);
    j["findings"].push_back(jf);
  }
  for (const auto& t : d.timeline) {
    j["timeline"].push_back(std::to_string(t.ts_ms) + (t.problem ? " ! " : "   ") + t.type + ": " +
                            t.summary);
  }
  j["context"] = {{"app_version", d.context.app_version},
                  {"newest", d.context.newest_app_version},
                  {"outdated", d.context.outdated_app},
                  {"browser", d.context.browser}};
  return j;
}

std::string notice_what(bot::customer_notice::what w) {
  using W = bot::customer_notice::what;
  switch (w) {
    case W::unknown:
      return "unknown";
    case W::nothing_wrong:
      return "nothing_wrong";
    case W::page_slow:
      return "page_slow";
    case W::page_unresponsive:
      return "page_unresponsive";
    case W::page_error:
      return "page_error";
    case W::action_failed:
      return "action_failed";
    case W::action_recovered:
      return "action_recovered";
    case W::payment_declined:
      return "payment_declined";
    case W::refused_by_rules:
      return "refused_by_rules";
    case W::rate_limited:
      return "rate_limited";
    case W::signed_out:
      return "signed_out";
  }
  return "?";
}

std::string notice_step(bot::customer_notice::step st) {
  using S = bot::customer_notice::step;
  switch (st) {
    case S::none:
      return "none";
    case S::try_again_later:
      return "try_again_later";
    case S::reload_page:
      return "reload_page";
    case S::use_other_card:
      return "use_other_card";
    case S::sign_in_again:
      return "sign_in_again";
    case S::wait_for_fix:
      return "wait_for_fix";
    case S::update_app:
      return "update_app";
    case S::wait_then_retry:
      return "wait_then_retry";
  }
  return "?";
}

void check_fragments(const json& expect, const char* field, const std::string& text) {
  for (const json& fragment : expect.value(field, json::array())) {
    INFO(field << " should contain: " << fragment.get<std::string>());
    CHECK(text.find(fragment.get<std::string>()) != std::string::npos);
  }
}

void check_absent(const json& expect, const char* field, const std::string& text) {
  for (const json& fragment : expect.value(field, json::array())) {
    INFO(field << " should not contain: " << fragment.get<std::string>());
    CHECK(text.find(fragment.get<std::string>()) == std::string::npos);
  }
}

void check_scenario(const scenario& sc) {
  const bot::diagnosis d = run_scenario(sc);
  INFO("scenario " << sc.name << "\n" << dump(d).dump(2));
  const json& x = sc.expect;
  CHECK(bot::to_string(d.verdict) == x.at("verdict").get<std::string>());
  CHECK_FALSE(d.checked.empty());
  CHECK_FALSE(d.headline.empty());
  CHECK_FALSE(d.customer_summary.empty());
  CHECK_FALSE(d.next_step.empty());

  std::multiset<std::string> rules, expected_rules;
  for (const auto& f : d.findings) rules.insert(f.rule);
  for (const json& r : x.value("rules", json::array())) expected_rules.insert(r.get<std::string>());
  CHECK(rules == expected_rules);
  if (x.contains("first_rule")) {
    REQUIRE_FALSE(d.findings.empty());
    CHECK(d.findings.front().rule == x["first_rule"].get<std::string>());
  }
  check_fragments(x, "headline", d.headline);
  check_fragments(x, "customer_summary", d.customer_summary);
  check_fragments(x, "next_step", d.next_step);
  check_absent(x, "headline_absent", d.headline);
  check_absent(x, "customer_summary_absent", d.customer_summary);
  check_absent(x, "next_step_absent", d.next_step);
  std::string checked;
  for (const auto& c : d.checked) checked += c + "\n";
  check_fragments(x, "checked", checked);
  if (x.contains("outdated_app")) CHECK(d.context.outdated_app == x["outdated_app"].get<bool>());
  // The customer line as data (bot::customer_notice), for the reply's catalogs.
  if (x.contains("notice")) {
    const json& n = x["notice"];
    if (n.contains("happened")) CHECK(notice_what(d.notice.happened) == n["happened"]);
    if (n.contains("next")) CHECK(notice_step(d.notice.next) == n["next"]);
    if (n.contains("attempts")) CHECK(d.notice.attempts == n["attempts"].get<std::int64_t>());
    if (n.contains("others_affected")) {
      CHECK(d.notice.others_affected == n["others_affected"].get<bool>());
    }
    if (n.contains("at")) CHECK(d.notice.at_ms == at_ms(sc.day, n["at"].get<std::string>()));
  }
  // Healthy means no finding of severity warning or more.
  if (d.verdict == bot::verdict::healthy) {
    for (const auto& f : d.findings) CHECK(f.severity < bot::severity::warning);
  }

  for (const json& ef : x.value("findings", json::array())) {
    const std::string rule = ef.at("rule").get<std::string>();
    auto it = std::find_if(d.findings.begin(), d.findings.end(),
                           [&](const bot::finding& f) { return f.rule == rule; });
    INFO("finding " << rule);
    REQUIRE(it != d.findings.end());
    const bot::finding& f = *it;
    if (ef.contains("severity"))
      CHECK(bot::to_string(f.severity) == ef["severity"].get<std::string>());
    if (ef.contains("category"))
      CHECK(bot::to_string(f.category) == ef["category"].get<std::string>());
    if (ef.contains("count")) CHECK(f.count == ef["count"].get<std::int64_t>());
    if (ef.contains("first_seen")) {
      CHECK(f.first_seen_ms == at_ms(sc.day, ef["first_seen"].get<std::string>()));
    }
    if (ef.contains("other_sessions")) {
      REQUIRE(f.other_sessions);
      CHECK(f.other_sessions->other_sessions == ef["other_sessions"].get<std::int64_t>());
    }
    CHECK_FALSE(f.title.empty());
    CHECK_FALSE(f.threshold.empty());
    CHECK_FALSE(f.evidence.empty());
    CHECK(f.evidence.size() <= bot::rule_settings{}.max_evidence);
    check_fragments(ef, "title", f.title);
    check_fragments(ef, "threshold", f.threshold);
    check_fragments(ef, "caused_by", f.caused_by);
    check_fragments(ef, "release", f.release);
    if (ef.contains("no_release")) CHECK(f.release.empty());
    std::string evidence;
    for (const auto& e : f.evidence) evidence += e.summary + "\n";
    check_fragments(ef, "evidence", evidence);
    if (ef.contains("no_cause")) CHECK(f.caused_by.empty());
    if (ef.contains("assessment")) {
      REQUIRE(f.other_sessions);
      check_fragments(ef, "assessment", f.other_sessions->assessment);
      check_absent(ef, "assessment_absent", f.other_sessions->assessment);
    }
  }
  // Problems in the findings are marked in the timeline, which is in time order.
  const bool any_problem = std::any_of(d.timeline.begin(), d.timeline.end(),
                                       [](const bot::timeline_entry& t) { return t.problem; });
  CHECK(any_problem == !d.findings.empty());
  CHECK(std::is_sorted(d.timeline.begin(), d.timeline.end(),
                       [](const auto& a, const auto& b) { return a.ts_ms < b.ts_ms; }));
}

std::vector<fs::path> fixture_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fixtures_dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("rules scenarios: every golden fixture gives its expected diagnosis") {
  const auto files = fixture_files();
  REQUIRE(files.size() >= 20);
  for (const auto& file : files) {
    DYNAMIC_SECTION(file.stem().string()) { check_scenario(load_scenario(file)); }
  }
}

TEST_CASE("rules scenarios: the same input twice gives the same diagnosis") {
  for (const auto& file : fixture_files()) {
    const scenario sc = load_scenario(file);
    INFO(sc.name);
    CHECK(dump(run_scenario(sc)) == dump(run_scenario(sc)));
  }
}

TEST_CASE("rules scenarios: events out of order give the same diagnosis as in order") {
  for (const auto& file : fixture_files()) {
    scenario sc = load_scenario(file);
    const json in_order = dump(run_scenario(sc));
    std::reverse(sc.input.events.begin(), sc.input.events.end());
    // Equal timestamps keep their (now reversed) arrival order, so only compare scenarios
    // without ties.
    std::set<std::int64_t> times;
    for (const auto& e : sc.input.events) times.insert(e.ts_ms);
    if (times.size() != sc.input.events.size()) continue;
    INFO(sc.name);
    CHECK(dump(run_scenario(sc)) == in_order);
  }
}

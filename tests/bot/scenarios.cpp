#include "tests/bot/scenarios.hpp"

#include "bot/issue_key.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>

namespace sessiondx::tests {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::int64_t day_start_ms(const std::string& date) {
  using namespace std::chrono;
  int y = 0;
  unsigned m = 0, dd = 0;
  REQUIRE(std::sscanf(date.c_str(), "%d-%u-%u", &y, &m, &dd) == 3);
  const sys_days start{year{y} / month{m} / day{dd}};
  return duration_cast<milliseconds>(start.time_since_epoch()).count();
}

}  // namespace

std::int64_t at_ms(std::int64_t day, const std::string& at) {
  int h = 0, m = 0, s = 0, ms = 0;
  const int n = std::sscanf(at.c_str(), "%d:%d:%d.%d", &h, &m, &s, &ms);
  REQUIRE(n >= 3);
  return day + ((h * 60 + m) * 60 + s) * 1000LL + ms;
}

scenario load_scenario(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  const json j = json::parse(in);
  scenario sc;
  sc.name = path.stem().string();
  const std::int64_t day = day_start_ms(j.value("date", "2024-05-03"));
  sc.day = day;
  sc.input.session_id = j.value("session_id", "s_" + sc.name);
  int n = 0;
  for (const json& e : j.at("events")) {
    sessiondx::store::event ev;
    ev.id = "e" + std::to_string(++n);
    ev.session_id = sc.input.session_id;
    ev.ts_ms = at_ms(day, e.at("at").get<std::string>());
    ev.type = e.at("type").get<std::string>();
    ev.page = e.value("page", "");
    ev.message = e.value("message", "");
    ev.severity = e.value("severity", "");
    if (e.contains("attrs")) ev.attrs = e["attrs"].dump();
    // Malformed input as the store could hold it: raw text instead of a JSON object.
    if (e.contains("attrs_raw")) ev.attrs = e["attrs_raw"].get<std::string>();
    ev.app_version = e.value("app_version", "");
    // The key ingest stores with the event.
    ev.issue_key = bot::issue_key(ev.type, ev.message, e.value("attrs", json::object()), ev.page);
    sc.input.events.push_back(std::move(ev));
  }
  sessiondx::store::session_summary summary;
  summary.session_id = sc.input.session_id;
  summary.event_count = static_cast<std::int64_t>(sc.input.events.size());
  if (!sc.input.events.empty()) {
    summary.first_seen_ms = sc.input.events.front().ts_ms;
    summary.last_seen_ms = sc.input.events.back().ts_ms;
  }
  if (j.contains("context")) {
    summary.context = j["context"].dump();
    summary.app_version = j["context"].value("app_version", "");
  }
  sc.input.summary = summary;
  for (const json& v : j.value("app_versions", json::array())) {
    if (v.is_string()) {
      sc.input.app_versions.push_back({v.get<std::string>(), day, day});
    } else {
      sc.input.app_versions.push_back({v.at("version").get<std::string>(),
                                       at_ms(day, v.at("first_seen").get<std::string>()),
                                       at_ms(day, v.at("last_seen").get<std::string>())});
    }
  }
  if (j.contains("window_start")) {
    sc.input.window_start_ms = at_ms(day, j["window_start"].get<std::string>());
  }
  const json versions = j.value("versions", json::object());
  for (const auto& [key, list] : versions.items()) {
    for (const json& v : list) {
      sc.versions[key].push_back({v.at("version").get<std::string>(),
                                  v.value("sessions", std::int64_t{1}),
                                  at_ms(day, v.at("first_seen").get<std::string>())});
    }
  }
  const json others = j.value("others", json::object());
  for (const auto& [key, o] : others.items()) {
    sc.others[key] = {key, o.at("sessions").get<std::int64_t>(),
                      at_ms(day, o.at("since").get<std::string>())};
  }
  // Rule settings a scenario needs (site, critical and tracker hosts).
  const json settings = j.value("settings", json::object());
  auto hosts = [&](const char* key) {
    std::vector<std::string> out;
    for (const json& h : settings.value(key, json::array())) out.push_back(h.get<std::string>());
    return out;
  };
  sc.settings.site_hosts = hosts("site_hosts");
  sc.settings.critical_hosts = hosts("critical_hosts");
  sc.settings.tracker_hosts = hosts("tracker_hosts");
  sc.expect = j.at("expect");
  return sc;
}

namespace {

// A key ending in '*' answers for every issue key with that prefix.
template <class Map>
const typename Map::mapped_type* answer(const Map& answers, const std::string& key) {
  for (const auto& [k, value] : answers) {
    if (k == key || (k.ends_with('*') && key.starts_with(k.substr(0, k.size() - 1)))) {
      return &value;
    }
  }
  return nullptr;
}

}  // namespace

// As the diagnoser does: the store is asked about every issue key of the session first.
bot::diagnosis run_scenario(const scenario& sc) {
  bot::session_input in = sc.input;
  for (const std::string& key : bot::session_issue_keys(in.events)) {
    bot::problem_history h;
    const auto* radius = answer(sc.others, key);
    h.others = sessiondx::store::blast_radius{key, radius ? radius->other_sessions : 0,
                                              radius ? radius->first_seen_ms : 0};
    if (const auto* v = answer(sc.versions, key)) h.versions = *v;
    in.problems.emplace(key, std::move(h));
  }
  return bot::run_rules(in, sc.settings);
}

}  // namespace sessiondx::tests

#pragma once

// The golden scenarios of tests/bot/fixtures/ as the rules see them: each file holds a session's
// events (times as "HH:MM:SS.mmm" UTC on the scenario's date, optionally each event's
// app_version), the context, the store's answers (blast radii in "others", per-problem app
// versions in "versions", global "app_versions" with optional first/last seen, the window start)
// and the expected diagnosis. Issue keys are computed as ingest does, and the store's answers are
// given to run_rules as data, as the diagnoser does. Shared by every test that reads them.

#include "bot/rules.hpp"
#include "store/event_store.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sessiondx::tests {

struct scenario {
  std::string name;
  std::int64_t day = 0;
  sessiondx::bot::session_input input;
  std::map<std::string, store::blast_radius> others;
  std::map<std::string, std::vector<store::issue_version>> versions;
  nlohmann::json expect;
  sessiondx::bot::rule_settings settings;
};

/// The time "HH:MM:SS[.mmm]" (UTC) of the day that starts at `day` (ms since the epoch).
std::int64_t at_ms(std::int64_t day, const std::string& at);

/// Reads a fixture; fails the running test (Catch REQUIRE) when it is malformed.
scenario load_scenario(const std::filesystem::path& path);

/// Asks the "store" (the fixture's answers) about every issue key of the session, then runs the
/// rules, as the diagnoser does.
bot::diagnosis run_scenario(const scenario& sc);

}  // namespace sessiondx::tests

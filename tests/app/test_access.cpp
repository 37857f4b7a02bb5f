// Access control end to end: commands typed into the shell connector go through the real command
// handler, the access gate (bot::access_policy per platform) and the real diagnoser over a real
// SQLite store; refused lookups show nothing of the session and land in the lookup (audit) log.
#include "app/access_gate.hpp"
#include "app/settings.hpp"
#include "bot/diagnoser.hpp"
#include "connectors/discord/messages.hpp"
#include "connectors/shell/shell_connector.hpp"
#include "store/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>

using namespace sessiondx;

namespace {

constexpr std::int64_t t0 = 1'760'000'000'000;
constexpr const char* session_id = "S0CUSTOMER1";

store::event event(std::string id, std::int64_t ts, std::string type, std::string attrs,
                   std::string issue_key = "") {
  store::event e;
  e.session_id = session_id;
  e.id = std::move(id);
  e.ts_ms = ts;
  e.type = std::move(type);
  e.attrs = std::move(attrs);
  e.page = "/checkout";
  e.issue_key = std::move(issue_key);
  return e;
}

struct stack {
  explicit stack(const app::access_rules_by_platform& rules)
      : store(open(dir)),
        diagnoser(
            *store, bot::rule_settings{}, [this] { return now.load(); }, 0),
        handler([this](const std::string& id) {
          ++diagnoses;
          return diagnoser.diagnose(id);
        }),
        gate(*store, rules, [this] { return now.load(); }) {
    handler.on_lookup([this](const bot::answered_lookup& l) {
      store->record_lookup({now.load(), l.session_id, l.verdict, l.issue_key, l.input->user,
                            l.input->platform, l.input->channel});
    });
    handler.on_access([this](const bot::command& cmd, const bot::command_input& input) {
      return gate.check(cmd, input);
    });
    std::vector<store::event> batch;
    batch.push_back(event("a1", t0, "page_view", R"({"lcp_ms":1500})"));
    batch.push_back(event("a2", t0 + 1'000, "http_request",
                          R"({"method":"POST","route":"/api/payment","status":502})",
                          "route:POST /api/payment"));
    batch.push_back(
        event("a3", t0 + 1'300, "ui_message", R"({"level":"error","text":"Payment failed"})"));
    REQUIRE_FALSE(store->append_and_wait(std::move(batch)).error);
  }
  ~stack() { store->close(); }
  stack(const stack&) = delete;
  stack& operator=(const stack&) = delete;

  static std::unique_ptr<store::event_store> open(const test::temp_dir& dir) {
    store::store_settings s;
    s.path = dir / "events.db";
    s.retention_days = 0;
    return store::make_sqlite_store(s);
  }

  std::string ask(const std::string& user, const std::string& line) {
    shell::shell_settings settings;
    settings.user = user;
    return shell::answer_line(line, handler, settings);
  }

  /// Every lookup logged so far, oldest first. The writer commits record_lookup in queue order:
  /// an append waited for behind them is a barrier.
  std::vector<store::lookup_record> audit() {
    REQUIRE_FALSE(store->append_and_wait({}).error);
    auto rows = store->lookups(store::lookup_query{});
    std::reverse(rows.begin(), rows.end());
    return rows;
  }

  test::temp_dir dir;
  std::atomic<std::int64_t> now{t0 + 60'000};
  std::unique_ptr<store::event_store> store;
  bot::diagnoser diagnoser;
  std::atomic<int> diagnoses{0};
  bot::command_handler handler;
  app::access_gate gate;
};

/// sessiondx_lookups_total{verdict="<verdict>"} as GET /metrics shows it.
long metric(const std::string& verdict) {
  const std::string text = app::lookup_metrics();
  const std::string key = "sessiondx_lookups_total{verdict=\"" + verdict + "\"} ";
  const auto at = text.find(key);
  return at == std::string::npos ? -1 : std::stol(text.substr(at + key.size()));
}

}  // namespace

TEST_CASE("access end to end: allow list refusals say nothing and are audited", "[access]") {
  // The shell's channel is "shell": allowing only another channel refuses it.
  bot::access_rules rules;
  rules.allowed_channels = {"C-support"};
  stack s({{"shell", rules}});
  const auto answer = s.ask("U-eve", std::string("/session ") + session_id + " full");
  CHECK_THAT(answer, Catch::Contains("not enabled in this channel"));
  CHECK_THAT(answer, !Catch::Contains("Payment"));
  CHECK_THAT(answer, !Catch::Contains("502"));
  CHECK(s.diagnoses == 0);
  // /digest and /top are refused by the same lists; /help still answers.
  CHECK_THAT(s.ask("U-eve", "/digest"), Catch::Contains("not enabled in this channel"));
  CHECK_THAT(s.ask("U-eve", "/help"), Catch::Contains("/session"));

  const auto rows = s.audit();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].session_id == session_id);
  CHECK(rows[0].verdict == "refused_channel");
  CHECK(rows[0].user == "U-eve");
  CHECK(rows[0].platform == "shell");
  CHECK(rows[0].channel == "shell");
  CHECK(rows[0].at_ms == t0 + 60'000);
}

TEST_CASE("access end to end: users list, then the per-user rate limit", "[access]") {
  bot::access_rules rules;
  rules.allowed_users = {"U-alice"};
  rules.lookups_per_minute = 2;
  stack s({{"shell", rules}});
  const std::string lookup = std::string("/session ") + session_id;
  const long limited_before = metric("rate_limited");
  const long refused_before = metric("refused_user");

  CHECK_THAT(s.ask("U-eve", lookup), Catch::Contains("not allowed to look up"));
  CHECK(s.diagnoses == 0);
  CHECK_THAT(s.ask("U-alice", lookup), Catch::Contains("Payment"));
  CHECK_THAT(s.ask("U-alice", lookup), Catch::Contains("Payment"));
  const auto limited = s.ask("U-alice", lookup);
  CHECK(limited ==
        "You have made many lookups in the last minute. Please try again in 30 "
        "seconds.\n");
  CHECK(s.diagnoses == 2);
  CHECK(metric("rate_limited") == limited_before + 1);
  CHECK(metric("refused_user") == refused_before + 1);
  // Half a minute later one token is back.
  s.now += 30'000;
  CHECK_THAT(s.ask("U-alice", lookup), Catch::Contains("Payment"));
  CHECK(s.diagnoses == 3);

  const auto rows = s.audit();
  REQUIRE(rows.size() == 5);
  std::vector<std::string> verdicts;
  for (const auto& r : rows) verdicts.push_back(r.user + " " + r.verdict);
  // Within one millisecond the order is the store's; compare as a multiset.
  std::sort(verdicts.begin(), verdicts.end());
  CHECK(verdicts == std::vector<std::string>{"U-alice broken", "U-alice broken", "U-alice broken",
                                             "U-alice rate_limited", "U-eve refused_user"});
  store::lookup_query by_user;
  by_user.user = "U-eve";
  CHECK(s.store->lookups(by_user).size() == 1);
}

TEST_CASE("access: platforms without rules are not restricted", "[access]") {
  bot::access_rules closed;
  closed.allowed_users = {"nobody"};
  stack s({{"slack", closed}});
  CHECK_THAT(s.ask("U-eve", std::string("/session ") + session_id), Catch::Contains("Payment"));
}

TEST_CASE("access settings: per connector lists from the file and the environment", "[access]") {
  test::temp_dir dir;
  const auto file = dir / "sessiondx.toml";
  {
    std::ofstream out(file);
    out << "[slack]\nallowed_channels = \"C1, C2\"\nallowed_users = [\"U1\", \"U2\"]\n"
           "[discord]\nallowed_roles = '111,222'\nlookups_per_minute = 5\n";
  }
  const std::map<std::string, std::string> env{{"SESSIONDX_MATTERMOST_ALLOWED_USERS", "m1,,m2 "}};
  const auto settings = app::load_settings(file, [&env](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  CHECK(settings.slack_access.allowed_channels == std::vector<std::string>{"C1", "C2"});
  CHECK(settings.slack_access.allowed_users == std::vector<std::string>{"U1", "U2"});
  CHECK(settings.slack_access.lookups_per_minute == 30);
  CHECK(settings.discord_access.allowed_roles == std::vector<std::string>{"111", "222"});
  CHECK(settings.discord_access.lookups_per_minute == 5);
  CHECK(settings.mattermost_access.allowed_users == std::vector<std::string>{"m1", "m2"});
  CHECK(settings.mattermost_access.allowed_channels.empty());
}

TEST_CASE("access: a Discord interaction carries the member's role ids", "[access]") {
  const auto parsed = discord::parse_interaction(nlohmann::json::parse(R"({
    "id": "1", "token": "t", "type": 2, "channel_id": "C1", "guild_id": "G1",
    "member": {"user": {"id": "U1"}, "roles": ["111", "222"]},
    "data": {"name": "session", "options": [{"name": "id", "value": "S0CUSTOMER1"}]}})"));
  REQUIRE(std::holds_alternative<discord::interaction>(parsed));
  CHECK(std::get<discord::interaction>(parsed).role_ids == std::vector<std::string>{"111", "222"});
}

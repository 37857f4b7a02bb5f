#include "app/settings.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>

using namespace sessiondx;

namespace {

struct fake_env {
  std::map<std::string, std::string> vars;
  app::env_lookup lookup() const {
    return [this](const char* name) -> const char* {
      const auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

std::filesystem::path write_file(const test::temp_dir& dir, const std::string& text) {
  const auto path = dir / "sessiondx.toml";
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("defaults serve one machine with no file at all", "[settings]") {
  const auto s = app::load_settings(std::nullopt, fake_env{}.lookup());
  CHECK(s.server.host == "127.0.0.1");
  CHECK(s.server.port == 8080);
  CHECK(s.store.path == "sessiondx.db");
  CHECK(s.store.retention_days == 30);
  CHECK_FALSE(s.server.secret);
}

TEST_CASE("the file sets keys and the environment overrides them", "[settings]") {
  test::temp_dir dir;
  const auto file = write_file(dir,
                               "[server]\nlisten = '0.0.0.0:9000'\n[store]\nretention_days = 7\n"
                               "synchronous = 'full'\n");
  fake_env env;
  env.vars["SESSIONDX_STORE_RETENTION_DAYS"] = "3";
  env.vars["SESSIONDX_WEBHOOK_SECRET"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const auto s = app::load_settings(file, env.lookup());
  CHECK(s.server.host == "0.0.0.0");
  CHECK(s.server.port == 9000);
  CHECK(s.store.retention_days == 3);
  CHECK(s.store.synchronous == store::sync_mode::full);
  CHECK(s.server.secret);
}

TEST_CASE("configuration errors name the key and the reason", "[settings]") {
  test::temp_dir dir;
  const auto message_of = [&](const std::string& toml, fake_env env = {}) {
    try {
      app::load_settings(toml.empty() ? std::nullopt : std::optional(write_file(dir, toml)),
                         env.lookup());
    } catch (const app::config_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message_of("[store]\nretention_dayz = 3\n"),
             Catch::Contains("store.retention_dayz: unknown key"));
  CHECK_THAT(message_of("[store]\nsynchronous = 'sometimes'\n"),
             Catch::Contains("store.synchronous: expected normal or full"));
  CHECK_THAT(message_of("[server]\nlisten = 'nowhere'\n"), Catch::Contains("expected HOST:PORT"));
  CHECK_THAT(message_of("[webhook]\nsecret = 'whsec_abc'\n"),
             Catch::Contains("secrets are read only from the environment"));
  CHECK_THAT(message_of("[server\n"), Catch::Contains("sessiondx.toml"));
  fake_env bad_port;
  bad_port.vars["SESSIONDX_SERVER_IO_THREADS"] = "many";
  CHECK_THAT(message_of("", bad_port),
             Catch::Contains("SESSIONDX_SERVER_IO_THREADS: expected an integer"));
  fake_env bad_secret;
  bad_secret.vars["SESSIONDX_WEBHOOK_SECRET"] = "hunter2";
  const auto secret_error = message_of("", bad_secret);
  CHECK_THAT(secret_error, Catch::Contains("SESSIONDX_WEBHOOK_SECRET"));
  CHECK_THAT(secret_error, !Catch::Contains("hunter2"));
}

TEST_CASE("the printed defaults parse back to the defaults", "[settings]") {
  test::temp_dir dir;
  const auto s =
      app::load_settings(write_file(dir, app::default_config_toml()), fake_env{}.lookup());
  const app::app_settings defaults;
  CHECK(s.server.port == defaults.server.port);
  CHECK(s.ingest.session_id_pattern == defaults.ingest.session_id_pattern);
  CHECK(s.store.retention_days == defaults.store.retention_days);
}

TEST_CASE("slack starts only with both tokens, and swapped tokens are refused", "[settings]") {
  fake_env env;
  env.vars["SLACK_APP_TOKEN"] = "xapp-1-A1-123-abc";
  CHECK_FALSE(app::load_settings(std::nullopt, env.lookup()).slack_enabled);

  env.vars["SLACK_BOT_TOKEN"] = "xoxb-123-abc";
  env.vars["SESSIONDX_SLACK_VISIBILITY"] = "ephemeral";
  const auto s = app::load_settings(std::nullopt, env.lookup());
  CHECK(s.slack_enabled);
  CHECK(s.slack.app_token == "xapp-1-A1-123-abc");
  CHECK(s.slack.visibility == slack::reply_visibility::ephemeral);

  std::swap(env.vars["SLACK_APP_TOKEN"], env.vars["SLACK_BOT_TOKEN"]);
  try {
    app::load_settings(std::nullopt, env.lookup());
    FAIL("swapped tokens were accepted");
  } catch (const app::config_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("SLACK_APP_TOKEN") || Catch::Contains("SLACK_BOT_TOKEN"));
    CHECK_THAT(e.what(), !Catch::Contains("xoxb-123-abc"));  // the secret never reaches a message
  }
}

TEST_CASE("a set but empty webhook secret is an error, not unsigned mode", "[settings]") {
  fake_env env;
  env.vars["SESSIONDX_WEBHOOK_SECRET"] = "";
  CHECK_THROWS_WITH(app::load_settings(std::nullopt, env.lookup()),
                    Catch::Contains("SESSIONDX_WEBHOOK_SECRET: set but empty"));
  env.vars.clear();
  CHECK_FALSE(app::load_settings(std::nullopt, env.lookup()).server.secret.has_value());
}

TEST_CASE("check_config lists every problem with its line and key", "[settings]") {
  test::temp_dir dir;
  const auto path = write_file(dir,
                               "# a comment\n"
                               "[server]\n"
                               "listen = '0.0.0.0:8080'\n"
                               "io_threads = 0\n"
                               "[store]\n"
                               "retention_dayz = 3\n"
                               "synchronous = 'sometimes'\n"
                               "[slack]\n"
                               "bot_token = 'xoxb-1'\n");
  const auto problems = app::check_config(path, fake_env{}.lookup());
  REQUIRE(problems.size() == 4);
  CHECK(problems[0].line == 4);
  CHECK(problems[0].key == "server.io_threads");
  CHECK(app::to_string(problems[0]) ==
        path.string() + ":4: server.io_threads: must be between 1 and 64");
  CHECK(problems[1].line == 6);
  CHECK(problems[1].reason == "unknown key");
  CHECK(problems[2].line == 7);
  CHECK(problems[2].key == "store.synchronous");
  CHECK(problems[3].line == 9);
  CHECK(problems[3].key == "slack.bot_token");

  const auto syntax = app::check_config(write_file(dir, "[server]\nlisten = \n"), {});
  REQUIRE(syntax.size() == 1);
  CHECK(syntax[0].line == 2);

  fake_env empty_secret;
  empty_secret.vars["SESSIONDX_WEBHOOK_SECRET"] = "";
  const auto env_problems =
      app::check_config(write_file(dir, "[log]\nlevel = 'info'\n"), empty_secret.lookup());
  REQUIRE(env_problems.size() == 1);
  CHECK_THAT(env_problems[0].reason, Catch::Contains("SESSIONDX_WEBHOOK_SECRET"));
}

TEST_CASE("config/sessiondx.toml documents every key and is valid", "[settings]") {
  const std::filesystem::path example = SESSIONDX_SOURCE_DIR "/config/sessiondx.toml";
  std::ifstream in(example);
  REQUIRE(in);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Every key of `sessiondx config`, with its environment variable, is in the example.
  std::istringstream defaults(app::default_config_toml());
  std::string line;
  int keys = 0;
  while (std::getline(defaults, line)) {
    const auto eq = line.find(" = ");
    if (line.empty() || line[0] == '#' || line[0] == '[' || eq == std::string::npos) continue;
    ++keys;
    const std::string key = line.substr(0, eq);
    INFO(key);
    CHECK(text.find(key + " = ") != std::string::npos);
  }
  CHECK(keys >= 15);
  CHECK(text.find("SESSIONDX_WEBHOOK_SECRET") != std::string::npos);
  CHECK(app::check_config(example, fake_env{}.lookup()).empty());
}

TEST_CASE("privacy.extra_patterns: a TOML array or lines in the environment", "[settings]") {
  const test::temp_dir dir;
  const auto file =
      write_file(dir, "[privacy]\nextra_patterns = ['/api/contacts/([^/]+)', 'member-[0-9]{6}']\n");
  const auto s = app::load_settings(file, fake_env{}.lookup());
  CHECK(s.ingest.privacy.extra_patterns ==
        std::vector<std::string>{"/api/contacts/([^/]+)", "member-[0-9]{6}"});
  fake_env env;
  env.vars["SESSIONDX_PRIVACY_EXTRA_PATTERNS"] = "a+\n\nb+";
  CHECK(app::load_settings(std::nullopt, env.lookup()).ingest.privacy.extra_patterns ==
        std::vector<std::string>{"a+", "b+"});
  env.vars["SESSIONDX_PRIVACY_EXTRA_PATTERNS"] = "([oops";
  CHECK_THROWS_WITH(
      app::load_settings(std::nullopt, env.lookup()),
      Catch::Contains("SESSIONDX_PRIVACY_EXTRA_PATTERNS") && Catch::Contains("([oops"));
  CHECK_THROWS_AS(
      app::load_settings(write_file(dir, "[privacy]\nextra_patterns = [1]\n"), fake_env{}.lookup()),
      app::config_error);
  CHECK(
      app::load_settings(std::nullopt, fake_env{}.lookup()).ingest.privacy.extra_patterns.empty());
}

TEST_CASE("the receiver limits are settings keys with defaults", "[settings]") {
  const auto defaults = app::load_settings(std::nullopt, fake_env{}.lookup());
  CHECK(defaults.server.max_connections == 10'000);
  CHECK(defaults.server.header_timeout == std::chrono::seconds(10));
  fake_env env;
  env.vars["SESSIONDX_SERVER_MAX_CONNECTIONS"] = "500";
  env.vars["SESSIONDX_SERVER_HEADER_TIMEOUT_S"] = "3";
  env.vars["SESSIONDX_SERVER_MIN_BODY_BYTES_PER_S"] = "0";
  env.vars["SESSIONDX_SERVER_MAX_HEADER_BYTES"] = "4096";
  env.vars["SESSIONDX_SERVER_MAX_INFLIGHT_REQUESTS"] = "8";
  env.vars["SESSIONDX_SERVER_MAX_BODY_BUFFER_BYTES"] = "1048576";
  env.vars["SESSIONDX_SERVER_MAX_QUEUED_BYTES"] = "2097152";
  const auto s = app::load_settings(std::nullopt, env.lookup());
  CHECK(s.server.max_connections == 500);
  CHECK(s.server.header_timeout == std::chrono::seconds(3));
  CHECK(s.server.min_body_bytes_per_s == 0);
  CHECK(s.server.max_header_bytes == 4096);
  CHECK(s.server.max_inflight_requests == 8);
  CHECK(s.server.max_body_buffer_bytes == 1'048'576);
  CHECK(s.server.max_queued_bytes == 2'097'152);
}

TEST_CASE("digest and alerts: schedule, zone and channels per platform", "[settings][leads]") {
  test::temp_dir dir;
  const auto file = write_file(dir,
                               "[digest]\nschedule = '0 9 * * mon-fri'\ntimezone = 'Europe/Paris'\n"
                               "slack_channel = 'C0123'\ndiscord_channel = '6450'\n"
                               "[alerts]\nmattermost_channel = 'mm1'\nmin_sessions = 20\n"
                               "window_min = 10\nquiet_min = 45\n");
  const auto s = app::load_settings(file, fake_env{}.lookup());
  CHECK(s.leads.digest_schedule == "0 9 * * mon-fri");
  CHECK(s.leads.digest_timezone == "Europe/Paris");
  CHECK(s.leads.digest_channels.at("slack") == "C0123");
  CHECK(s.leads.digest_channels.at("discord") == "6450");
  CHECK(s.leads.alert_channels.at("mattermost") == "mm1");
  CHECK(s.leads.incidents.min_sessions == 20);
  CHECK(s.leads.incidents.window_ms == 10 * 60'000);
  CHECK(s.leads.incidents.quiet_ms == 45 * 60'000);

  const auto message_of = [&](const std::string& toml) {
    try {
      app::load_settings(write_file(dir, toml), fake_env{}.lookup());
    } catch (const app::config_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message_of("[digest]\nschedule = '0 25 * * *'\n"),
             Catch::Contains("digest.schedule") && Catch::Contains("hour: 25 is out of range"));
  CHECK_THAT(message_of("[digest]\ntimezone = 'Europe/Pariss'\n"),
             Catch::Contains("digest.timezone") && Catch::Contains("not an IANA time zone"));
  fake_env env;
  env.vars["SESSIONDX_DIGEST_SCHEDULE"] = "*/15 8-18 * * 1-5";
  CHECK(app::load_settings(std::nullopt, env.lookup()).leads.digest_schedule ==
        "*/15 8-18 * * 1-5");
}

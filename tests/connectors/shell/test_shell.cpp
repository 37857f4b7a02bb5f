#include "connectors/shell/shell_connector.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace sessiondx;

namespace {

bot::command_handler fake_handler(std::vector<std::string>& asked) {
  return bot::command_handler([&asked](const std::string& id) -> bot::diagnose_result {
    asked.push_back(id);
    if (id == "abcd1234efgh5678") {
      bot::diagnosis d;
      d.session_id = id;
      d.verdict = bot::verdict::healthy;
      d.headline = "No problems found";
      d.checked = {"no JavaScript errors"};
      return d;
    }
    return bot::unknown_session{id, {"abcd1234efgh5678"}, 30};
  });
}

}  // namespace

TEST_CASE("the shell answers each command line and stops at /quit", "[shell]") {
  std::vector<std::string> asked;
  const auto handler = fake_handler(asked);
  std::istringstream in(
      "/session abcd1234efgh5678\n\n/session abcd1234efgh567O\n/quit\n/session never\n");
  std::ostringstream out;
  shell::shell_settings settings;
  settings.interactive = false;
  shell::run_shell(in, out, handler, settings);

  CHECK(asked == std::vector<std::string>{"abcd1234efgh5678", "abcd1234efgh567O"});
  CHECK_THAT(out.str(), Catch::Contains("No problems found"));
  CHECK_THAT(out.str(), Catch::Contains("abcd1234efgh5678"));  // the suggestion for the misread id
  CHECK_THAT(out.str(), !Catch::Contains("sessiondx>"));       // no prompt when not interactive
}

TEST_CASE("the interactive shell shows a banner and a prompt", "[shell]") {
  std::vector<std::string> asked;
  const auto handler = fake_handler(asked);
  std::istringstream in("/help\n");
  std::ostringstream out;
  shell::run_shell(in, out, handler, shell::shell_settings{});
  CHECK_THAT(out.str(), Catch::StartsWith("sessiondx shell."));
  CHECK_THAT(out.str(), Catch::Contains("sessiondx> "));
  CHECK_THAT(out.str(), Catch::Contains("/session <id>"));
  CHECK(asked.empty());
}

TEST_CASE("local commands and failures", "[shell]") {
  std::vector<std::string> asked;
  const auto handler = fake_handler(asked);
  shell::shell_settings settings;
  settings.local_commands.emplace_back("/demo", [] { return std::string("demo loaded\n"); });
  CHECK(shell::answer_line("  /demo ", handler, settings) == "demo loaded\n");

  const bot::command_handler failing([](const std::string&) -> bot::diagnose_result {
    throw std::runtime_error("database is locked");
  });
  CHECK_THAT(shell::answer_line("/session abcd1234efgh5678", failing, settings),
             Catch::Contains("the diagnosis failed: database is locked"));
}

TEST_CASE("the shell prints digests and /top as text", "[shell]") {
  std::vector<std::string> asked;
  auto handler = fake_handler(asked);
  handler.on_report([](const bot::command& cmd, const bot::command_input& input) {
    const bool digest = std::holds_alternative<bot::digest_command>(cmd);
    return bot::report_reply{"title", (digest ? "digest for " : "top for ") + input.platform + "\n",
                             "md", "mrkdwn"};
  });
  shell::shell_settings settings;
  CHECK(shell::answer_line("/digest 7d", handler, settings) == "digest for shell\n");
  CHECK(shell::answer_line("/top", handler, settings) == "top for shell\n");
  CHECK(asked.empty());
}

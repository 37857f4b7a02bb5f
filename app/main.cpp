// sessiondx: composition only. Parses the command line, loads settings, runs a subcommand.

#include "app/log_format.hpp"
#include "app/service.hpp"
#include "app/settings.hpp"
#include "bot/commands.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <unistd.h>

namespace {

using sessiondx::app::app_settings;

struct common_flags {
  std::string config_file, listen, db, log_format;
};

app_settings settings_from(const common_flags& flags) {
  const std::optional<std::filesystem::path> file =
      flags.config_file.empty() ? std::nullopt
                                : std::optional<std::filesystem::path>(flags.config_file);
  app_settings settings =
      sessiondx::app::load_settings(file, [](const char* name) { return std::getenv(name); });
  // Command-line flags win over the file and the environment.
  if (!flags.listen.empty())
    std::tie(settings.server.host, settings.server.port) =
        sessiondx::app::parse_listen(flags.listen, "--listen");
  if (!flags.db.empty()) settings.store.path = flags.db;
  spdlog::set_level(spdlog::level::from_str(settings.log_level));
  if (!flags.log_format.empty())
    sessiondx::app::apply_log_format(*spdlog::default_logger(),
                                     *sessiondx::app::parse_log_format(flags.log_format));
  return settings;
}

void add_common(CLI::App& app, common_flags& flags, bool with_listen) {
  app.add_option("--config", flags.config_file, "TOML configuration file")
      ->check(CLI::ExistingFile);
  if (with_listen)
    app.add_option("--listen", flags.listen, "HOST:PORT of the webhook (default 127.0.0.1:8080)");
  app.add_option("--db", flags.db, "SQLite database file (default sessiondx.db)");
  app.add_option("--log-format", flags.log_format, "text (default) or json (JSON lines)")
      ->check(CLI::IsMember({"text", "json"}));
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("sessiondx"));
  sessiondx::app::apply_log_format(*spdlog::default_logger(), sessiondx::app::log_format::text);

  CLI::App cli{
      "sessiondx: support diagnosis of customer sessions from website events.\n"
      "Without a subcommand it runs the webhook receiver with a diagnosis prompt on the terminal."};
  cli.require_subcommand(0, 1);
  common_flags top;
  add_common(cli, top, true);

  common_flags serve_flags;
  auto* serve = cli.add_subcommand("serve", "Run the webhook receiver in the foreground");
  add_common(*serve, serve_flags, true);

  common_flags diagnose_flags;
  std::string session_text, format_name = "text", view = "summary";
  auto* diagnose = cli.add_subcommand("diagnose", "Print the diagnosis of one session");
  diagnose->add_option("id", session_text, "The session id, as shown in the website footer")
      ->required();
  diagnose->add_option("--format", format_name, "text, markdown or json")
      ->check(CLI::IsMember({"text", "markdown", "json"}));
  diagnose->add_option("--view", view, "summary, timeline or full")
      ->check(CLI::IsMember({"summary", "timeline", "full"}));
  add_common(*diagnose, diagnose_flags, false);

  common_flags demo_flags;
  std::string url = "http://127.0.0.1:8080";
  auto* demo = cli.add_subcommand("demo-data",
                                  "Post realistic demo sessions to a running receiver (signed if "
                                  "SESSIONDX_WEBHOOK_SECRET is set)");
  demo->add_option("--url", url, "Base URL of the receiver");

  common_flags digest_flags;
  std::string digest_since = "24h", digest_format = "text";
  auto* digest = cli.add_subcommand("digest", "Print the team-lead digest of a recent window");
  digest->add_option("--since", digest_since, "The window: 24h, 7d, 1h... (default 24h)");
  digest->add_option("--format", digest_format, "text, markdown or json")
      ->check(CLI::IsMember({"text", "markdown", "json"}));
  add_common(*digest, digest_flags, false);

  common_flags audit_flags;
  std::string audit_session, audit_user, audit_since = "30d";
  auto* audit =
      cli.add_subcommand("audit", "List who looked up a session, or what a user looked up");
  auto* audit_by_session = audit->add_option("--session", audit_session, "A session id");
  auto* audit_by_user = audit->add_option("--user", audit_user, "A chat user id");
  audit_by_session->excludes(audit_by_user);
  audit->add_option("--since", audit_since, "How far back (default 30d)");
  add_common(*audit, audit_flags, false);

  auto* config = cli.add_subcommand("config", "Print the configuration keys with their defaults");

  std::string checked_file;
  auto* check_config = cli.add_subcommand(
      "check-config", "Check a configuration file: print every problem with its line and key");
  check_config->add_option("file", checked_file, "The TOML file")->required();

  CLI11_PARSE(cli, argc, argv);

  try {
    if (config->parsed()) {
      std::cout << sessiondx::app::default_config_toml();
      return 0;
    }
    if (check_config->parsed()) {
      const auto problems = sessiondx::app::check_config(
          checked_file, [](const char* name) { return std::getenv(name); });
      for (const auto& p : problems) std::cout << sessiondx::app::to_string(p) << "\n";
      if (problems.empty()) std::cout << checked_file << ": OK\n";
      return problems.empty() ? 0 : 1;
    }
    if (serve->parsed()) return sessiondx::app::serve(settings_from(serve_flags), {});
    if (diagnose->parsed()) {
      static const std::map<std::string, sessiondx::app::output_format> formats{
          {"text", sessiondx::app::output_format::text},
          {"markdown", sessiondx::app::output_format::markdown},
          {"json", sessiondx::app::output_format::json}};
      return sessiondx::app::diagnose(settings_from(diagnose_flags), session_text,
                                      formats.at(format_name), view);
    }
    if (digest->parsed() || audit->parsed()) {
      const std::string& since = digest->parsed() ? digest_since : audit_since;
      const auto window = sessiondx::bot::parse_window(since);
      if (!window) {
        spdlog::critical("--since {}: use a number and m, h or d (24h, 7d), at most 31d", since);
        return 2;
      }
      if (digest->parsed()) {
        static const std::map<std::string, sessiondx::app::output_format> formats{
            {"text", sessiondx::app::output_format::text},
            {"markdown", sessiondx::app::output_format::markdown},
            {"json", sessiondx::app::output_format::json}};
        return sessiondx::app::digest(settings_from(digest_flags), *window,
                                      formats.at(digest_format));
      }
      if (audit_session.empty() && audit_user.empty()) {
        spdlog::critical("audit: give --session ID or --user ID");
        return 2;
      }
      return sessiondx::app::audit(settings_from(audit_flags), audit_session, audit_user, *window);
    }
    if (demo->parsed()) {
      std::cout << sessiondx::app::post_demo_data(url, settings_from(demo_flags));
      return 0;
    }
    // No subcommand: with no chat platform configured, the shell connector answers on the
    // terminal.
    const app_settings settings = settings_from(top);
    return sessiondx::app::serve(settings,
                                 {.shell = !settings.slack_enabled && !settings.discord_enabled &&
                                           !settings.mattermost_enabled,
                                  .interactive = ::isatty(0) == 1});
  } catch (const sessiondx::app::config_error& e) {
    spdlog::critical("configuration: {}", e.what());
    return 2;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}

// sessiondx: composition only. Parses the command line, loads settings, runs a subcommand.

#include "app/service.hpp"
#include "app/settings.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

namespace {

using sessiondx::app::app_settings;

app_settings settings_from(const std::optional<std::filesystem::path>& config,
                           const std::string& listen, const std::string& db) {
  app_settings settings = sessiondx::app::load_settings(config, [](const char* name) {
    return std::getenv(name);
  });
  // Command-line flags win over the file and the environment.
  if (!listen.empty())
    std::tie(settings.server.host, settings.server.port) =
        sessiondx::app::parse_listen(listen, "--listen");
  if (!db.empty()) settings.store.path = db;
  spdlog::set_level(spdlog::level::from_str(settings.log_level));
  return settings;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("sessiondx"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);

  CLI::App cli{"sessiondx: support diagnosis of customer sessions from website events"};
  cli.require_subcommand(0, 1);
  std::string config_file, listen, db;

  auto* serve = cli.add_subcommand("serve", "Run the webhook receiver in the foreground");
  serve->add_option("--config", config_file, "TOML configuration file")->check(CLI::ExistingFile);
  serve->add_option("--listen", listen, "HOST:PORT of the webhook (default 127.0.0.1:8080)");
  serve->add_option("--db", db, "SQLite database file (default sessiondx.db)");

  auto* config = cli.add_subcommand("config", "Print the configuration keys with their defaults");

  CLI11_PARSE(cli, argc, argv);

  try {
    if (config->parsed()) {
      std::cout << sessiondx::app::default_config_toml();
      return 0;
    }
    // With no subcommand, sessiondx serves with its embedded defaults.
    const std::optional<std::filesystem::path> file =
        config_file.empty() ? std::nullopt : std::optional<std::filesystem::path>(config_file);
    return sessiondx::app::serve(settings_from(file, listen, db));
  } catch (const sessiondx::app::config_error& e) {
    spdlog::critical("configuration: {}", e.what());
    return 2;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}

#include "app/settings.hpp"

#include "bot/i18n/catalog.hpp"
#include "bot/schedule.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>
#include <vector>

namespace sessiondx::app {
namespace {

/// One configurable key: how to read it from text (environment) or TOML, and where it goes.
struct key_spec {
  std::string section;
  std::string key;
  std::string help;
  std::function<void(app_settings&, const std::string&)> set_text;  // throws std::invalid_argument
  std::function<std::string(const app_settings&)> get_text;
};

std::int64_t parse_int(const std::string& text, std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    throw std::invalid_argument("expected an integer, got \"" + text + "\"");
  if (value < min || value > max)
    throw std::invalid_argument("must be between " + std::to_string(min) + " and " +
                                std::to_string(max));
  return value;
}

template <typename Field>
key_spec int_key(std::string section, std::string key, std::string help, std::int64_t min,
                 std::int64_t max, Field field) {
  return {std::move(section), std::move(key), std::move(help),
          [=](app_settings& s, const std::string& v) {
            field(s) =
                static_cast<std::remove_reference_t<decltype(field(s))>>(parse_int(v, min, max));
          },
          [=](const app_settings& s) { return std::to_string(field(s)); }};
}

std::vector<key_spec> key_specs() {
  std::vector<key_spec> keys;
  keys.push_back({"server", "listen", "address of the webhook receiver, HOST:PORT",
                  [](app_settings& s, const std::string& v) {
                    std::tie(s.server.host, s.server.port) = parse_listen(v, "server.listen");
                  },
                  [](const app_settings& s) {
                    const bool v6 = s.server.host.find(':') != std::string::npos;
                    return (v6 ? "[" + s.server.host + "]" : s.server.host) + ":" +
                           std::to_string(s.server.port);
                  }});
  keys.push_back(int_key(
      "server", "io_threads", "threads serving HTTP", 1, 64,
      [](auto& s) -> auto& { return s.io_threads; }));
  keys.push_back(int_key(
      "server", "max_body_bytes", "largest request body, after decompression", 1024, 1LL << 30,
      [](auto& s) -> auto& { return s.server.max_body_bytes; }));
  keys.push_back(
      {"server", "idle_timeout_s", "seconds before an idle connection is closed",
       [](app_settings& s, const std::string& v) {
         s.server.idle_timeout = std::chrono::seconds(parse_int(v, 1, 3600));
       },
       [](const app_settings& s) { return std::to_string(s.server.idle_timeout.count()); }});
  // Receiver limits (issue 9): each bounds one resource a hostile or broken client could hold.
  const auto seconds_key = [](std::string key, std::string help,
                              std::chrono::seconds webhook::server_settings::*field) {
    return key_spec{
        "server", std::move(key), std::move(help),
        [field](app_settings& s, const std::string& v) {
          s.server.*field = std::chrono::seconds(parse_int(v, 1, 3600));
        },
        [field](const app_settings& s) { return std::to_string((s.server.*field).count()); }};
  };
  keys.push_back(seconds_key("header_timeout_s",
                             "seconds from a request's first byte to the end of its header",
                             &webhook::server_settings::header_timeout));
  keys.push_back(int_key(
      "server", "min_body_bytes_per_s",
      "slowest average body rate after header_timeout_s of grace (0: no rate check)", 0, 1LL << 30,
      [](auto& s) -> auto& { return s.server.min_body_bytes_per_s; }));
  keys.push_back(int_key(
      "server", "max_header_bytes", "largest request header (431 beyond)", 1024, 1 << 20,
      [](auto& s) -> auto& { return s.server.max_header_bytes; }));
  keys.push_back(int_key(
      "server", "max_connections", "open connections at most (new ones closed beyond)", 1,
      10'000'000, [](auto& s) -> auto& { return s.server.max_connections; }));
  keys.push_back(int_key(
      "server", "max_inflight_requests", "POST requests being read or processed at most (503)", 1,
      1'000'000, [](auto& s) -> auto& { return s.server.max_inflight_requests; }));
  keys.push_back(int_key(
      "server", "max_body_buffer_bytes", "request body bytes in memory, all connections (503)",
      1024, 1LL << 40, [](auto& s) -> auto& { return s.server.max_body_buffer_bytes; }));
  keys.push_back(int_key(
      "server", "max_queued_bytes", "event bytes waiting for the writer (503)", 1024, 1LL << 40,
      [](auto& s) -> auto& { return s.server.max_queued_bytes; }));
  keys.push_back(
      {"server", "shutdown_timeout_s",
       "seconds to finish requests in flight after SIGTERM before stopping anyway",
       [](app_settings& s, const std::string& v) {
         s.shutdown_timeout = std::chrono::seconds(parse_int(v, 1, 3600));
       },
       [](const app_settings& s) { return std::to_string(s.shutdown_timeout.count()); }});
  keys.push_back(
      {"ingest", "timestamp_tolerance_s", "how far webhook-timestamp may be from now, in seconds",
       [](app_settings& s, const std::string& v) {
         s.server.timestamp_tolerance = std::chrono::seconds(parse_int(v, 1, 86400));
       },
       [](const app_settings& s) { return std::to_string(s.server.timestamp_tolerance.count()); }});
  keys.push_back({"ingest", "session_id_pattern", "regex a session id must match in full",
                  [](app_settings& s, const std::string& v) { s.ingest.session_id_pattern = v; },
                  [](const app_settings& s) { return s.ingest.session_id_pattern; }});
  keys.push_back(int_key(
      "ingest", "max_events_per_request", "most events in one request", 1, 1'000'000,
      [](auto& s) -> auto& { return s.ingest.max_events_per_request; }));
  keys.push_back(
      {"ingest", "max_ts_ahead_s",
       "an event ts later than receipt + this is clamped to it (0: no bound)",
       [](app_settings& s, const std::string& v) {
         s.store.max_ts_ahead = std::chrono::seconds(parse_int(v, 0, 10LL * 365 * 86400));
       },
       [](const app_settings& s) {
         return std::to_string(
             std::chrono::duration_cast<std::chrono::seconds>(s.store.max_ts_ahead).count());
       }});
  keys.push_back(
      {"ingest", "max_ts_behind_s",
       "an event ts earlier than receipt - this is clamped to it (0: no bound)",
       [](app_settings& s, const std::string& v) {
         s.store.max_ts_behind = std::chrono::seconds(parse_int(v, 0, 10LL * 365 * 86400));
       },
       [](const app_settings& s) {
         return std::to_string(
             std::chrono::duration_cast<std::chrono::seconds>(s.store.max_ts_behind).count());
       }});
  keys.push_back(
      {"privacy", "extra_patterns",
       "regexes of site-specific identifiers scrubbed at ingest (TOML: an array of strings; "
       "environment: one per line)",
       [](app_settings& s, const std::string& v) {
         std::vector<std::string> patterns;
         std::istringstream lines(v);
         for (std::string line; std::getline(lines, line);) {
           if (!line.empty()) patterns.push_back(line);
         }
         s.ingest.privacy.extra_patterns = patterns;
         webhook::scrubber check(s.ingest.privacy);  // throws std::invalid_argument
       },
       [](const app_settings& s) {
         std::string text;
         for (const auto& p : s.ingest.privacy.extra_patterns)
           text += (text.empty() ? "" : "\n") + p;
         return text;
       }});
  keys.push_back({"store", "path", "SQLite database file",
                  [](app_settings& s, const std::string& v) {
                    if (v.empty()) throw std::invalid_argument("must not be empty");
                    s.store.path = v;
                  },
                  [](const app_settings& s) { return s.store.path.string(); }});
  keys.push_back(
      {"store", "synchronous", "normal (survives a process crash) or full (also a power loss)",
       [](app_settings& s, const std::string& v) {
         if (v == "normal")
           s.store.synchronous = store::sync_mode::normal;
         else if (v == "full")
           s.store.synchronous = store::sync_mode::full;
         else
           throw std::invalid_argument("expected normal or full, got \"" + v + "\"");
       },
       [](const app_settings& s) {
         return std::string(s.store.synchronous == store::sync_mode::full ? "full" : "normal");
       }});
  keys.push_back(int_key(
      "store", "retention_days", "days events are kept (0 keeps them forever)", 0, 36500,
      [](auto& s) -> auto& { return s.store.retention_days; }));
  keys.push_back(int_key(
      "store", "max_queued_events", "events waiting for the writer before requests get 503", 100,
      100'000'000, [](auto& s) -> auto& { return s.store.max_queued_events; }));
  keys.push_back(int_key(
      "store", "cache_kib", "SQLite page cache per connection, KiB", 1024, 16'777'216,
      [](auto& s) -> auto& { return s.store.cache_kib; }));
  keys.push_back(int_key(
      "store", "max_failed_commits", "consecutive failed commits after which /readyz answers 503",
      1, 1'000'000, [](auto& s) -> auto& { return s.store.max_failed_commits; }));
  keys.push_back(int_key(
      "store", "max_size_mib",
      "largest database file in MiB, then writes fail as on a full disk "
      "(0: no limit)",
      0, 1LL << 40, [](auto& s) -> auto& { return s.store.max_size_mib; }));
  keys.push_back({"slack", "api_url", "Slack Web API base URL",
                  [](app_settings& s, const std::string& v) {
                    if (v.empty()) throw std::invalid_argument("must not be empty");
                    s.slack.api_url = v;
                  },
                  [](const app_settings& s) { return s.slack.api_url; }});
  keys.push_back(
      {"slack", "visibility",
       "who sees a reply first: channel (everyone) or ephemeral (the agent, with a "
       "Share button)",
       [](app_settings& s, const std::string& v) {
         const auto visibility = slack::parse_visibility(v);
         if (!visibility)
           throw std::invalid_argument("expected channel or ephemeral, got \"" + v + "\"");
         s.slack.visibility = *visibility;
       },
       [](const app_settings& s) { return std::string(slack::to_string(s.slack.visibility)); }});
  keys.push_back({"slack", "allow_plaintext",
                  "accept http:// and ws:// URLs (tests, local fakes only)",
                  [](app_settings& s, const std::string& v) {
                    if (v != "true" && v != "false")
                      throw std::invalid_argument("expected true or false, got \"" + v + "\"");
                    s.slack.allow_plaintext = v == "true";
                  },
                  [](const app_settings& s) {
                    return std::string(s.slack.allow_plaintext ? "true" : "false");
                  }});
  // ---- access control (issue 9): per connector, who may look up sessions and how often ----
  // "C1,C2", "C1, C2" (file or environment) or ["C1", "C2"] (a TOML array: one per line).
  const auto id_list = [](const std::string& v) {
    std::vector<std::string> out;
    std::string item;
    for (const char c : v + ",") {
      if (c == ',' || c == '\n' || c == ' ' || c == '\t' || c == '\r') {
        if (!item.empty()) out.push_back(std::move(item));
        item.clear();
      } else {
        item += c;
      }
    }
    return out;
  };
  const auto joined = [](const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) out += (out.empty() ? "" : ",") + id;
    return out;
  };
  const auto access_keys = [&](const std::string& section, bot::access_rules app_settings::*rules,
                               bool roles) {
    const auto list_key = [&](const std::string& key, const std::string& help,
                              std::vector<std::string> bot::access_rules::*list) {
      keys.push_back({section, key, help,
                      [=](app_settings& s, const std::string& v) { (s.*rules).*list = id_list(v); },
                      [=](const app_settings& s) { return joined((s.*rules).*list); }});
    };
    list_key("allowed_channels",
             "comma-separated channel ids where sessions may be looked up; empty: every channel",
             &bot::access_rules::allowed_channels);
    list_key("allowed_users",
             roles ? "comma-separated user ids who may look up sessions; empty (and no "
                     "allowed_roles): everyone"
                   : "comma-separated user ids who may look up sessions; empty: everyone",
             &bot::access_rules::allowed_users);
    if (roles)
      list_key("allowed_roles",
               "comma-separated role ids whose members may look up sessions (besides "
               "allowed_users)",
               &bot::access_rules::allowed_roles);
    keys.push_back(int_key(
        section, "lookups_per_minute", "session lookups per user per minute (0: no limit)", 0,
        100'000, [rules](auto& s) -> auto& { return (s.*rules).lookups_per_minute; }));
  };
  access_keys("slack", &app_settings::slack_access, false);
  keys.push_back({"bot", "language",
                  "the team's language (agent-facing text; the customer line falls back to it): "
                  "en, fr, pl, nl or de",
                  [](app_settings& s, const std::string& v) {
                    if (bot::i18n::find_catalog(v) == nullptr)
                      throw std::invalid_argument("no message catalog for \"" + v + "\"");
                    s.bot_language = v;
                    s.slack.team_language = v;
                    s.discord.team_language = v;
                    s.mattermost.team_language = v;
                  },
                  [](const app_settings& s) { return s.bot_language; }});
  // ---- Discord and Mattermost (the chat helper's keys; tokens only from the environment) ----
  const auto bool_of = [](const std::string& v) {
    if (v != "true" && v != "false")
      throw std::invalid_argument("expected true or false, got \"" + v + "\"");
    return v == "true";
  };
  keys.push_back({"discord", "api_url", "Discord REST API base URL (v10)",
                  [](app_settings& s, const std::string& v) {
                    if (v.empty()) throw std::invalid_argument("must not be empty");
                    s.discord.api_url = v;
                  },
                  [](const app_settings& s) { return s.discord.api_url; }});
  keys.push_back(
      {"discord", "allow_plaintext", "accept http:// and ws:// URLs (tests, local fakes only)",
       [bool_of](app_settings& s, const std::string& v) { s.discord.allow_plaintext = bool_of(v); },
       [](const app_settings& s) {
         return std::string(s.discord.allow_plaintext ? "true" : "false");
       }});
  keys.push_back({"discord", "application_id",
                  "the application id; empty: taken from the gateway's READY",
                  [](app_settings& s, const std::string& v) { s.discord.application_id = v; },
                  [](const app_settings& s) { return s.discord.application_id; }});
  keys.push_back({"discord", "guild_ids",
                  "comma-separated guild ids to register /session in (instant); empty: globally",
                  [](app_settings& s, const std::string& v) {
                    s.discord.guild_ids = discord::parse_guild_ids(v);
                  },
                  [](const app_settings& s) {
                    std::string out;
                    for (const auto& g : s.discord.guild_ids) out += (out.empty() ? "" : ",") + g;
                    return out;
                  }});
  keys.push_back(
      {"discord", "visibility",
       "who sees a reply first: channel (everyone) or ephemeral (the agent, with a Share button)",
       [](app_settings& s, const std::string& v) {
         const auto visibility = discord::parse_visibility(v);
         if (!visibility)
           throw std::invalid_argument("expected channel or ephemeral, got \"" + v + "\"");
         s.discord.visibility = *visibility;
       },
       [](const app_settings& s) {
         return std::string(discord::to_string(s.discord.visibility));
       }});
  access_keys("discord", &app_settings::discord_access, true);
  keys.push_back({"mattermost", "url", "the Mattermost server, https://chat.example.com",
                  [](app_settings& s, const std::string& v) { s.mattermost.url = v; },
                  [](const app_settings& s) { return s.mattermost.url; }});
  keys.push_back({"mattermost", "allow_plaintext",
                  "accept http:// and ws:// URLs (tests, local installs)",
                  [bool_of](app_settings& s, const std::string& v) {
                    s.mattermost.allow_plaintext = bool_of(v);
                  },
                  [](const app_settings& s) {
                    return std::string(s.mattermost.allow_plaintext ? "true" : "false");
                  }});
  keys.push_back({"mattermost", "command_prefix",
                  "posts starting with it are commands (\"!session <id>\"); empty: mentions only",
                  [](app_settings& s, const std::string& v) { s.mattermost.command_prefix = v; },
                  [](const app_settings& s) { return s.mattermost.command_prefix; }});
  access_keys("mattermost", &app_settings::mattermost_access, false);
  // Team-lead posts (issue 11): [digest] and [alerts], a channel per platform.
  keys.push_back({"digest", "schedule",
                  "when to post the digest: five cron fields, e.g. '0 9 * * 1-5'; empty: never",
                  [](app_settings& s, const std::string& v) {
                    if (!v.empty()) bot::parse_cron(v);  // throws naming the field
                    s.leads.digest_schedule = v;
                  },
                  [](const app_settings& s) { return s.leads.digest_schedule; }});
  keys.push_back({"digest", "timezone", "IANA time zone the schedule is read in (Europe/Paris)",
                  [](app_settings& s, const std::string& v) {
                    const bot::zoned_schedule check("0 0 * * *", v);  // throws for an unknown zone
                    s.leads.digest_timezone = v;
                  },
                  [](const app_settings& s) { return s.leads.digest_timezone; }});
  keys.push_back(int_key(
      "digest", "window_hours", "hours a scheduled digest covers", 1, 24 * 31,
      [](auto& s) -> auto& { return s.leads.digest_window_hours; }));
  keys.push_back(int_key(
      "digest", "late_after_min",
      "a digest posted this many minutes after its due time says it is late", 1, 24 * 60,
      [](auto& s) -> auto& { return s.leads.digest_late_after_min; }));
  for (const char* platform : {"slack", "discord", "mattermost"}) {
    const std::string p = platform;
    keys.push_back({"digest", p + "_channel",
                    "channel id the " + p + " digest is posted to; empty: none",
                    [p](app_settings& s, const std::string& v) { s.leads.digest_channels[p] = v; },
                    [p](const app_settings& s) {
                      const auto it = s.leads.digest_channels.find(p);
                      return it == s.leads.digest_channels.end() ? std::string() : it->second;
                    }});
  }
  for (const char* platform : {"slack", "discord", "mattermost"}) {
    const std::string p = platform;
    keys.push_back({"alerts", p + "_channel",
                    "channel id " + p + " incident alerts are posted to; empty: none",
                    [p](app_settings& s, const std::string& v) { s.leads.alert_channels[p] = v; },
                    [p](const app_settings& s) {
                      const auto it = s.leads.alert_channels.find(p);
                      return it == s.leads.alert_channels.end() ? std::string() : it->second;
                    }});
  }
  keys.push_back(int_key(
      "alerts", "min_sessions", "sessions in the window that make an incident", 1, 1'000'000,
      [](auto& s) -> auto& { return s.leads.incidents.min_sessions; }));
  keys.push_back(
      {"alerts", "window_min", "minutes of the sliding window",
       [](app_settings& s, const std::string& v) {
         s.leads.incidents.window_ms = parse_int(v, 5, 24 * 60) * 60'000;
       },
       [](const app_settings& s) { return std::to_string(s.leads.incidents.window_ms / 60'000); }});
  keys.push_back({"alerts", "rate_factor",
                  "times its own rate over the baseline a problem must reach to alert",
                  [](app_settings& s, const std::string& v) {
                    s.leads.incidents.rate_factor = static_cast<double>(parse_int(v, 1, 1000));
                  },
                  [](const app_settings& s) {
                    return std::to_string(static_cast<long long>(s.leads.incidents.rate_factor));
                  }});
  keys.push_back({"alerts", "baseline_hours", "hours before the window its baseline rate covers",
                  [](app_settings& s, const std::string& v) {
                    s.leads.incidents.baseline_ms = parse_int(v, 1, 24 * 30) * 3'600'000;
                  },
                  [](const app_settings& s) {
                    return std::to_string(s.leads.incidents.baseline_ms / 3'600'000);
                  }});
  keys.push_back({"alerts", "growth_factor",
                  "an update is posted each time the sessions reach this factor of the last post",
                  [](app_settings& s, const std::string& v) {
                    s.leads.incidents.growth_factor = static_cast<double>(parse_int(v, 2, 100));
                  },
                  [](const app_settings& s) {
                    return std::to_string(static_cast<long long>(s.leads.incidents.growth_factor));
                  }});
  keys.push_back(
      {"alerts", "quiet_min", "minutes below the threshold before \"back to normal\" is posted",
       [](app_settings& s, const std::string& v) {
         s.leads.incidents.quiet_ms = parse_int(v, 1, 24 * 60) * 60'000;
       },
       [](const app_settings& s) { return std::to_string(s.leads.incidents.quiet_ms / 60'000); }});
  keys.push_back({"log", "level", "trace, debug, info, warn, error or off",
                  [](app_settings& s, const std::string& v) {
                    static const std::vector<std::string> levels{"trace", "debug", "info",
                                                                 "warn",  "error", "off"};
                    if (std::find(levels.begin(), levels.end(), v) == levels.end())
                      throw std::invalid_argument(
                          "expected one of trace|debug|info|warn|error|off");
                    s.log_level = v;
                  },
                  [](const app_settings& s) { return s.log_level; }});
  return keys;
}

std::string env_name(const key_spec& k) {
  std::string name = "SESSIONDX_" + k.section + "_" + k.key;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return name;
}

/// TOML scalars as text, so the file and the environment share one parser per key.
std::optional<std::string> toml_scalar_text(const toml::node& node) {
  if (auto s = node.value<std::string>(); s && node.is_string()) return *s;
  if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  if (const auto* array = node.as_array()) {  // an array of strings: one per line
    std::string lines;
    for (const auto& item : *array) {
      if (!item.is_string()) return std::nullopt;
      lines += *item.value<std::string>() + "\n";
    }
    return lines;
  }
  return std::nullopt;
}

bool looks_secret(const std::string& key) {
  return key.find("secret") != std::string::npos || key.find("token") != std::string::npos ||
         key.find("password") != std::string::npos;
}

}  // namespace

std::string to_string(const config_problem& problem) {
  std::string out = problem.file;
  if (problem.line > 0) out += ":" + std::to_string(problem.line);
  if (!problem.key.empty()) out += ": " + problem.key;
  return out + ": " + problem.reason;
}

namespace {

/// Applies the TOML file to `settings`. Each problem is thrown as a config_error, or, when
/// `problems` is given, collected there and the next key tried.
void apply_file(const std::filesystem::path& file, app_settings& settings,
                const std::vector<key_spec>& keys, std::vector<config_problem>* problems) {
  const auto report = [&](config_problem problem) {
    if (!problems) throw config_error(to_string(problem));
    problems->push_back(std::move(problem));
  };
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    report(
        {file.string(), static_cast<int>(e.source().begin.line), "", std::string(e.description())});
    return;
  }
  for (const auto& [section, node] : table) {
    const std::string section_name(section.str());
    const int section_line = static_cast<int>(node.source().begin.line);
    const auto* entries = node.as_table();
    if (!entries) {
      report({file.string(), section_line, section_name, "expected a [section] table"});
      continue;
    }
    for (const auto& [key, value] : *entries) {
      const std::string name = section_name + "." + std::string(key.str());
      const int line = static_cast<int>(value.source().begin.line);
      if (looks_secret(std::string(key.str()))) {
        report({file.string(), line, name,
                "secrets are read only from the environment, never from a file"});
        continue;
      }
      const auto spec = std::find_if(keys.begin(), keys.end(), [&](const key_spec& k) {
        return k.section == section_name && k.key == key.str();
      });
      if (spec == keys.end()) {
        report({file.string(), line, name, "unknown key"});
        continue;
      }
      const auto text = toml_scalar_text(value);
      if (!text) {
        report({file.string(), line, name, "expected a string or number"});
        continue;
      }
      try {
        spec->set_text(settings, *text);
      } catch (const std::invalid_argument& e) {
        report({file.string(), line, name, e.what()});
      } catch (const config_error& e) {
        report({file.string(), line, "", e.what()});
      }
    }
  }
}

}  // namespace

std::vector<config_problem> check_config(const std::filesystem::path& file, const env_lookup& env) {
  std::vector<config_problem> problems;
  app_settings settings;
  apply_file(file, settings, key_specs(), &problems);
  // In the order of the file (TOML tables iterate sorted by key).
  std::stable_sort(
      problems.begin(), problems.end(),
      [](const config_problem& a, const config_problem& b) { return a.line < b.line; });
  if (!problems.empty()) return problems;
  try {
    load_settings(file, env);
  } catch (const config_error& e) {
    problems.push_back({"", 0, "", e.what()});
  }
  return problems;
}

std::pair<std::string, std::uint16_t> parse_listen(const std::string& text,
                                                   const std::string& what) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw config_error(what + ": expected HOST:PORT, got \"" + text + "\"");
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  try {
    return {host, static_cast<std::uint16_t>(parse_int(text.substr(colon + 1), 0, 65535))};
  } catch (const std::invalid_argument& e) {
    throw config_error(what + ": port " + e.what());
  }
}

app_settings load_settings(const std::optional<std::filesystem::path>& file,
                           const env_lookup& env) {
  app_settings settings;
  const auto keys = key_specs();

  if (file) apply_file(*file, settings, keys, nullptr);

  for (const auto& spec : keys) {
    const std::string name = env_name(spec);
    const char* value = env(name.c_str());
    if (value == nullptr) continue;
    try {
      spec.set_text(settings, value);
    } catch (const std::invalid_argument& e) {
      throw config_error("environment: " + name + ": " + e.what());
    } catch (const config_error& e) {
      throw config_error("environment: " + name + ": " + e.what());
    }
  }

  try {
    if (auto with_tokens = slack::with_tokens_from_env(settings.slack, env)) {
      settings.slack = std::move(*with_tokens);
      settings.slack_enabled = true;
    }
  } catch (const std::invalid_argument& e) {  // a token with the wrong prefix, e.g. swapped
    throw config_error(std::string("environment: ") + e.what());
  }
  try {
    if (auto with_token = discord::with_token_from_env(settings.discord, env)) {
      settings.discord = std::move(*with_token);
      settings.discord_enabled = true;
    }
    if (auto with_token = mattermost::with_token_from_env(settings.mattermost, env)) {
      settings.mattermost = std::move(*with_token);
      settings.mattermost_enabled = true;
    }
  } catch (const std::invalid_argument& e) {
    throw config_error(std::string("environment: ") + e.what());
  }

  if (const char* secret = env("SESSIONDX_WEBHOOK_SECRET"); secret != nullptr) {
    // Set but empty is a mistake (a template, a missing value), not a wish to run unsigned.
    if (*secret == '\0')
      throw config_error(
          "environment: SESSIONDX_WEBHOOK_SECRET: set but empty; give the whsec_ secret, or "
          "unset the variable to run unsigned (loopback addresses only)");
    settings.server.secret = webhook::webhook_secret::parse(secret);
    if (!settings.server.secret)
      throw config_error(
          "environment: SESSIONDX_WEBHOOK_SECRET: expected whsec_ followed by base64 of at least "
          "16 bytes");
  }
  return settings;
}

std::string default_config_toml() {
  const app_settings defaults;
  std::string out =
      "# sessiondx configuration. Every key can be overridden by SESSIONDX_<SECTION>_<KEY>.\n"
      "# Secrets (SESSIONDX_WEBHOOK_SECRET) are read from the environment only.\n";
  std::string section;
  for (const auto& spec : key_specs()) {
    if (spec.section != section) {
      section = spec.section;
      out += "\n[" + section + "]\n";
    }
    const std::string value = spec.get_text(defaults);
    const bool numeric = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c));
    });
    std::string quoted = value;
    if (!numeric) {
      quoted = "'" + value + "'";  // TOML literal string: no escapes needed for regexes
    }
    out += "# " + spec.help + " (" + env_name(spec) + ")\n" + spec.key + " = " + quoted + "\n";
  }
  return out;
}

}  // namespace sessiondx::app

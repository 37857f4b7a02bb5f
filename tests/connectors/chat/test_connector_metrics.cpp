#include "connectors/chat/connector_metrics.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace sessiondx::chat;
using namespace std::chrono_literals;

namespace {
bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}
}  // namespace

TEST_CASE("connector metrics: up follows the state; replies by outcome; latency buckets") {
  connector_metrics discord("discord");
  connector_metrics mattermost("mattermost");
  CHECK_FALSE(discord.up());
  CHECK(discord.set_state(link_state::connected) == link_state::starting);
  CHECK(discord.up());
  discord.reply(reply_outcome::sent, 30ms);
  discord.reply(reply_outcome::sent, 3s);
  discord.reply(reply_outcome::failed, 20s);
  mattermost.set_state(link_state::fatal);

  const std::string text = prometheus({&discord, &mattermost});
  CHECK(has_line(text, "sessiondx_connector_up{platform=\"discord\"} 1"));
  CHECK(has_line(text, "sessiondx_connector_up{platform=\"mattermost\"} 0"));
  CHECK(has_line(text, "sessiondx_connector_state{platform=\"mattermost\",state=\"fatal\"} 1"));
  CHECK(has_line(text, "sessiondx_connector_state{platform=\"mattermost\",state=\"connected\"} 0"));
  CHECK(has_line(text, "sessiondx_chat_replies_total{platform=\"discord\",outcome=\"sent\"} 2"));
  CHECK(has_line(text, "sessiondx_chat_replies_total{platform=\"discord\",outcome=\"failed\"} 1"));
  // Cumulative buckets: 30 ms is within 0.05 s, 3 s within 5 s, 20 s only in +Inf.
  CHECK(has_line(
      text, "sessiondx_chat_reply_duration_seconds_bucket{platform=\"discord\",le=\"0.025\"} 0"));
  CHECK(has_line(
      text, "sessiondx_chat_reply_duration_seconds_bucket{platform=\"discord\",le=\"0.05\"} 1"));
  CHECK(has_line(text,
                 "sessiondx_chat_reply_duration_seconds_bucket{platform=\"discord\",le=\"5\"} 2"));
  CHECK(has_line(
      text, "sessiondx_chat_reply_duration_seconds_bucket{platform=\"discord\",le=\"+Inf\"} 3"));
  CHECK(has_line(text, "sessiondx_chat_reply_duration_seconds_count{platform=\"discord\"} 3"));
  CHECK(has_line(text, "sessiondx_connector_reconnects_total{platform=\"discord\"} 0"));
  // One HELP and TYPE per family, whatever the number of connectors.
  std::size_t helps = 0;
  for (std::size_t at = 0;
       (at = text.find("# HELP sessiondx_connector_up ", at)) != std::string::npos; ++at)
    ++helps;
  CHECK(helps == 1);
  CHECK(prometheus({}).empty());

  if (std::system("command -v promtool > /dev/null 2>&1") != 0) {
    WARN("promtool not installed (Debian package prometheus): exposition format not checked");
    return;
  }
  const auto path = std::filesystem::temp_directory_path() / "sessiondx-connector-metrics.txt";
  std::ofstream(path) << text;
  const std::string command = "promtool check metrics < '" + path.string() + "'";
  CHECK(std::system(command.c_str()) == 0);
  std::filesystem::remove(path);
}

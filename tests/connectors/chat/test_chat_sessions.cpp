// The protocol sessions of the three chat connectors driven over boost::beast::test::stream: the
// websocket is an in-memory pipe (tests/support/test_stream_websocket.hpp) whose platform end a
// script plays frame by frame, with the same websocket_session template the connectors use over
// TCP and TLS. Only REST (the handful of calls before the socket opens, and replies) goes to the
// fake servers on loopback.

#include "connectors/chat/websocket_session.hpp"
#include "connectors/discord/discord_connector.hpp"
#include "connectors/mattermost/mattermost_connector.hpp"
#include "connectors/slack/socket_mode_connector.hpp"
#include "tests/connectors/discord/fake_discord.hpp"
#include "tests/connectors/mattermost/fake_mattermost.hpp"
#include "tests/connectors/slack/fake_slack.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/test_stream_websocket.hpp"

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

using namespace sessiondx;
namespace net = boost::asio;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

bot::diagnose_result unknown(const std::string&) { return bot::unknown_session{}; }

/// Runs `Connector` on its own io_context thread; stops it and drains on destruction.
template <class Connector>
struct running {
  template <class Settings>
  running(Settings s, const bot::command_handler& handler)
      : connector(std::make_unique<Connector>(ioc, std::move(s), handler)) {
    connector->start();
    thread = std::thread([this] { ioc.run(); });
  }
  ~running() {
    connector->stop();
    thread.join();
    ioc.restart();
    ioc.run();
    connector.reset();
  }
  net::io_context ioc;
  std::unique_ptr<Connector> connector;
  std::thread thread;
};

std::string frame_text(const json& j) { return j.dump(); }

// ---- Discord: Hello, Identify, READY, heartbeats with the last sequence, op 7, Resume ----

net::awaitable<void> discord_gateway(std::shared_ptr<test::server_end> end,
                                     std::shared_ptr<test::script_log> log) {
  if (end->index == 0) {
    const std::string frame1 = frame_text(
        {{"op", 10}, {"d", {{"heartbeat_interval", 40}}}, {"s", nullptr}, {"t", nullptr}});
    co_await end->write(frame1);
    const json identify = co_await end->read_json();
    log->note("op " + std::to_string(identify.value("op", -1)));
    if (identify.value("op", -1) == 2) {
      log->note("token " + identify["d"].value("token", ""));
      log->note("intents " + std::to_string(identify["d"].value("intents", -1)));
    }
    const std::string frame2 = frame_text(
        {{"op", 0},
         {"t", "READY"},
         {"s", 1},
         {"d",
          {{"v", 10},
           {"user", {{"id", "111"}, {"username", "sessiondx"}, {"bot", true}}},
           {"guilds", json::array()},
           {"session_id", "sess-a"},
           {"resume_gateway_url", "ws://resume.invalid"},
           {"application", {{"id", test::fake_discord::application_id}, {"flags", 0}}}}}});
    co_await end->write(frame2);
    // Two beats, each carrying the last sequence seen (1), each acknowledged.
    for (int beat = 1; beat <= 2; ++beat) {
      const json hb = co_await end->read_json();
      log->note("beat " + std::to_string(hb.value("op", -1)) + " d=" + hb["d"].dump());
      const std::string frame3 =
          frame_text({{"op", 11}, {"d", nullptr}, {"s", nullptr}, {"t", nullptr}});
      co_await end->write(frame3);
    }
    // Op 7: the client must close with a resumable code and come back with Resume.
    const std::string frame4 =
        frame_text({{"op", 7}, {"d", nullptr}, {"s", nullptr}, {"t", nullptr}});
    co_await end->write(frame4);
    for (;;) {
      const std::string text = co_await end->read();
      if (text.empty()) break;
    }
    log->note("closed " + std::to_string(end->ws.reason().code));
    co_return;
  }
  log->note("url " + end->url);
  const std::string frame5 =
      frame_text({{"op", 10}, {"d", {{"heartbeat_interval", 40}}}, {"s", nullptr}, {"t", nullptr}});
  co_await end->write(frame5);
  const json resume = co_await end->read_json();
  if (resume.value("op", -1) == 6)
    log->note("resume " + resume["d"].value("session_id", "") + " " + resume["d"]["seq"].dump());
  const std::string frame6 = frame_text({{"op", 0}, {"t", "RESUMED"}, {"s", 2}, {"d", nullptr}});
  co_await end->write(frame6);
  for (;;) {
    const json j = co_await end->read_json();
    if (j.is_null()) break;
    if (j.value("op", -1) != 1) continue;
    const std::string frame7 =
        frame_text({{"op", 11}, {"d", nullptr}, {"s", nullptr}, {"t", nullptr}});
    co_await end->write(frame7);
  }
}

}  // namespace

TEST_CASE("discord over test::stream: hello, identify, heartbeats with seq, op 7 resumes",
          "[discord][test_stream]") {
  test::fake_discord rest;  // GET /gateway/bot and the command registration only
  auto log = std::make_shared<test::script_log>();
  discord::discord_settings s;
  s.bot_token = test::fake_discord::token;
  s.api_url = rest.api_url();
  s.allow_plaintext = true;
  s.jitter = [] { return 1.0; };
  s.backoff.base = 10ms;
  s.backoff.cap = 50ms;
  s.identify_window = 50ms;
  s.open_websocket = test::in_memory_websockets(
      [log](std::shared_ptr<test::server_end> end) { return discord_gateway(end, log); });
  const bot::command_handler handler(unknown);
  running<discord::discord_connector> r(s, handler);

  REQUIRE(log->wait_for("op 2"));  // Identify, right after Hello
  CHECK(log->wait_for(std::string("token ") + test::fake_discord::token));
  CHECK(log->wait_for("intents 1"));  // GUILDS only: no privileged intent
  REQUIRE(log->wait_for("beat 1 d=1"));
  // op 7: closed with a code that keeps the session (not 1000/1001), then resumed with seq 1 on
  // the resume_gateway_url READY gave.
  REQUIRE(log->wait_for("closed 4000"));
  REQUIRE(log->wait_for("resume sess-a 1"));
  CHECK(log->wait_for("url ws://resume.invalid/?v=10&encoding=json"));
  CHECK(test::eventually([&] { return r.connector->connected(); }));
}

namespace {

// ---- Slack: hello, an envelope acknowledged at once, disconnect -> a new socket first ----

net::awaitable<void> slack_link(std::shared_ptr<test::server_end> end,
                                std::shared_ptr<test::script_log> log) {
  const std::string frame8 = frame_text(
      {{"type", "hello"}, {"num_connections", 1}, {"connection_info", {{"app_id", "A111"}}}});
  co_await end->write(frame8);
  log->note("hello " + std::to_string(end->index));
  if (end->index == 0) {
    const std::string frame9 = frame_text(test::slack_frames::app_mention(
        "env-1", "Ev1", "<@UBOT0001> session abcd1234efgh5678", "C1", "U1"));
    co_await end->write(frame9);
    const json ack = co_await end->read_json();
    log->note("ack " + ack.value("envelope_id", ""));
    const std::string frame10 = frame_text(test::slack_frames::disconnect("refresh_requested"));
    co_await end->write(frame10);
  }
  for (;;) {
    const std::string text = co_await end->read();
    if (text.empty()) break;
  }
  log->note("closed " + std::to_string(end->index));
}

}  // namespace

TEST_CASE("slack over test::stream: hello, ack, disconnect opens a new socket before closing",
          "[slack][test_stream]") {
  test::fake_slack rest;  // apps.connections.open and chat.postMessage
  auto log = std::make_shared<test::script_log>();
  slack::slack_settings s;
  s.app_token = "xapp-1-A111-test";
  s.bot_token = "xoxb-test";
  s.api_url = rest.api_url();
  s.allow_plaintext = true;
  s.jitter = [] { return 1.0; };
  s.looking_up_after = 10s;
  s.open_websocket = test::in_memory_websockets(
      [log](std::shared_ptr<test::server_end> end) { return slack_link(end, log); });
  const bot::command_handler handler(unknown);
  running<slack::socket_mode_connector> r(s, handler);

  REQUIRE(log->wait_for("hello 0"));
  REQUIRE(log->wait_for("ack env-1"));
  // The answer to the mention goes out over the Web API, in the channel it came from.
  REQUIRE(rest.wait_for_posts(1));
  CHECK(rest.posts()[0].body["channel"] == "C1");
  // disconnect: the second socket says hello, then the first is closed.
  REQUIRE(log->wait_for("hello 1"));
  REQUIRE(log->wait_for("closed 0"));
  const auto notes = log->all();
  const auto at = [&](const std::string& n) { return std::find(notes.begin(), notes.end(), n); };
  CHECK(at("hello 1") < at("closed 0"));
  CHECK(rest.calls("apps.connections.open").size() == 2);
  CHECK(test::eventually([&] { return r.connector->connected(); }));
}

namespace {

// ---- Mattermost: the Authorization header on the upgrade, hello, resume with seq + 1 ----

net::awaitable<void> mattermost_link(std::shared_ptr<test::server_end> end,
                                     std::shared_ptr<test::script_log> log) {
  namespace http = boost::beast::http;
  log->note("auth " + std::string(end->upgrade[http::field::authorization]));
  log->note("target " + std::string(end->upgrade.target()));
  if (end->index == 0) {
    const json broadcast{{"omit_users", nullptr}, {"user_id", ""},
                         {"channel_id", ""},      {"team_id", ""},
                         {"connection_id", ""},   {"omit_connection_id", ""}};
    const std::string frame11 = frame_text(
        {{"event", "hello"},
         {"data",
          {{"connection_id", "conn-a"}, {"server_version", "9.11.0"}, {"server_hostname", "mm-0"}}},
         {"broadcast", broadcast},
         {"seq", 0}});
    co_await end->write(frame11);
    const std::string frame12 = frame_text({{"event", "typing"},
                                            {"data", {{"parent_id", ""}, {"user_id", "u1"}}},
                                            {"broadcast", broadcast},
                                            {"seq", 1}});
    co_await end->write(frame12);
    const std::string frame13 = frame_text({{"event", "typing"},
                                            {"data", {{"parent_id", ""}, {"user_id", "u1"}}},
                                            {"broadcast", broadcast},
                                            {"seq", 2}});
    co_await end->write(frame13);
    log->note("events sent");
    // Lost link: no close frame.
    end->ws.next_layer().close();
    co_return;
  }
  for (;;) {
    const std::string text = co_await end->read();
    if (text.empty()) break;
  }
}

}  // namespace

TEST_CASE("mattermost over test::stream: header auth, hello, reconnect asks for the next seq",
          "[mattermost][test_stream]") {
  test::fake_mattermost rest;  // GET /api/v4/users/me
  auto log = std::make_shared<test::script_log>();
  mattermost::mattermost_settings s;
  s.token = test::fake_mattermost::token;
  s.url = rest.url();
  s.allow_plaintext = true;
  s.jitter = [] { return 1.0; };
  s.backoff.base = 10ms;
  s.backoff.cap = 50ms;
  s.open_websocket = test::in_memory_websockets(
      [log](std::shared_ptr<test::server_end> end) { return mattermost_link(end, log); });
  const bot::command_handler handler(unknown);
  running<mattermost::mattermost_connector> r(s, handler);

  REQUIRE(log->wait_for(std::string("auth Bearer ") + test::fake_mattermost::token));
  REQUIRE(log->wait_for("target /api/v4/websocket"));
  REQUIRE(log->wait_for("events sent"));
  // Seqs 0 (hello), 1 and 2 received: the reconnect resumes the connection from 3, not 2 (which
  // would replay an event), with the header again.
  REQUIRE(log->wait_for("target /api/v4/websocket?connection_id=conn-a&sequence_number=3"));
  const auto notes = log->all();
  CHECK(std::count(notes.begin(), notes.end(),
                   std::string("auth Bearer ") + test::fake_mattermost::token) == 2);
}

#include "connectors/discord/discord_connector.hpp"
#include "tests/connectors/discord/fake_discord.hpp"
#include "tests/support/eventually.hpp"

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <future>
#include <thread>

using namespace sessiondx;
using test::fake_discord;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* known_id = "abcd1234efgh5678";
constexpr const char* other_id = "zzzz9999yyyy8888";

bot::diagnosis make_diagnosis(const std::string& id) {
  bot::diagnosis d;
  d.session_id = id;
  d.verdict = bot::verdict::degraded;
  d.headline = "Payment API failed: POST /api/payment -> 502 @everyone <@&123> @here";
  d.next_step = "Escalate to the payments team.";
  d.first_seen_ms = 1'714'730'553'000;
  d.last_seen_ms = 1'714'730'853'000;
  d.event_count = 42;
  d.context.browser = "Chrome 124";
  bot::finding f;
  f.rule = "api.failed";
  f.category = bot::category::backend;
  f.severity = bot::severity::error;
  f.title = "Payment API failed: POST /api/payment -> 502 @everyone";
  f.first_seen_ms = d.first_seen_ms;
  f.count = 1;
  d.findings.push_back(f);
  return d;
}

struct harness {
  explicit harness(std::function<void(discord::discord_settings&)> tweak = {})
      : handler([](const std::string& id) -> bot::diagnose_result {
          if (id == known_id || id == other_id) return make_diagnosis(id);
          return bot::unknown_session{};
        }) {
    discord::discord_settings s;
    s.bot_token = fake_discord::token;
    s.api_url = fake.api_url();
    s.allow_plaintext = true;
    s.backoff.base = 20ms;
    s.backoff.cap = 100ms;
    s.jitter = [] { return 1.0; };
    s.invalid_session_min = 10ms;
    s.invalid_session_max = 20ms;
    s.identify_window = 50ms;
    s.request_timeout = 5s;
    s.delivery.retry_delay = 20ms;
    if (tweak) tweak(s);
    connector = std::make_unique<discord::discord_connector>(
        ioc, s, handler, [this](const discord::stop_reason& why) { stopped.set_value(why); });
    stopped_future = stopped.get_future();
    connector->start();
    thread = std::thread([this] { ioc.run(); });
  }
  ~harness() {
    connector->stop();
    thread.join();
    ioc.restart();
    ioc.run();
    connector.reset();
  }
  harness(const harness&) = delete;
  harness& operator=(const harness&) = delete;

  fake_discord fake;
  bot::command_handler handler;
  boost::asio::io_context ioc;
  std::unique_ptr<discord::discord_connector> connector;
  std::promise<discord::stop_reason> stopped;
  std::future<discord::stop_reason> stopped_future;
  std::thread thread;
};

/// Every text of the message's embeds: descriptions, fields, footers.
std::string description(const test::discord_call& c) {
  std::string all;
  for (const auto& e : c.body["embeds"]) {
    all += e.value("description", "") + "\n";
    for (const auto& f : e.value("fields", json::array()))
      all += f.value("name", "") + "\n" + f.value("value", "") + "\n";
    if (e.contains("footer")) all += e["footer"].value("text", "") + "\n";
  }
  return all;
}

}  // namespace

TEST_CASE("handshake: gateway URL, Identify, READY, commands registered by bulk overwrite") {
  harness h;
  REQUIRE(h.fake.wait_for_ready(1));
  REQUIRE(h.fake.wait_for_calls("PUT", "/commands", 1));
  const auto gw = h.fake.calls("/gateway/bot");
  REQUIRE_FALSE(gw.empty());
  CHECK(gw[0].authorization == std::string("Bot ") + fake_discord::token);
  CHECK(gw[0].user_agent.rfind("DiscordBot (", 0) == 0);
  const auto identify = h.fake.frames(2);
  REQUIRE(identify.size() == 1);
  CHECK(identify[0].payload["d"]["intents"] == 1);
  const auto put = h.fake.calls("/commands");
  REQUIRE(put.size() == 1);
  CHECK(put[0].path == "/api/v10/applications/333/commands");
  CHECK(put[0].status == 200);
  CHECK(put[0].body[0]["name"] == "session");
  CHECK(put[0].body[1]["name"] == "digest");
  CHECK(put[0].body[2]["name"] == "top");
  CHECK(put[0].body[3]["name"] == "help");
}

TEST_CASE("commands register per guild when guild ids are set") {
  harness h([](auto& s) { s.guild_ids = {"290926798626357999", "42"}; });
  REQUIRE(h.fake.wait_for_calls("PUT", "/commands", 2));
  const auto put = h.fake.calls("/commands");
  CHECK(put[0].path == "/api/v10/applications/333/guilds/290926798626357999/commands");
  CHECK(put[1].path == "/api/v10/applications/333/guilds/42/commands");
}

TEST_CASE("a command is deferred (type 5), then the original edited with embeds") {
  harness h;
  REQUIRE(h.fake.wait_for_ready(1));
  const auto token = h.fake.send_command(known_id, "full");
  REQUIRE(h.fake.wait_for_edits(1));
  const auto cb = h.fake.calls("/callback");
  REQUIRE(cb.size() == 1);
  CHECK(cb[0].status == 204);
  CHECK(cb[0].body == json{{"type", 5}});
  CHECK(cb[0].authorization.empty());  // the token in the path authorises it
  CHECK(cb[0].user_agent.rfind("DiscordBot (", 0) == 0);
  const auto e = h.fake.edits().at(0);
  CHECK(e.method == "PATCH");
  CHECK(e.path == "/api/v10/webhooks/333/" + token + "/messages/@original");
  CHECK(e.body["allowed_mentions"] == json{{"parse", json::array()}});
  CHECK(e.body["embeds"][0]["title"] == std::string("Session ") + known_id + ": degraded");
  const auto text = description(e);
  INFO(text);
  CHECK(text.find("/api/payment") != std::string::npos);
  CHECK(text.find("@everyone") == std::string::npos);  // never a ping from event text
  CHECK(text.find("@here") == std::string::npos);
  CHECK_FALSE(e.body.contains("components"));
}

TEST_CASE("ephemeral visibility: flag 64 on the deferral and a Share button") {
  harness h([](auto& s) { s.visibility = discord::reply_visibility::ephemeral; });
  REQUIRE(h.fake.wait_for_ready(1));
  h.fake.send_command(known_id);
  REQUIRE(h.fake.wait_for_edits(1));
  CHECK(h.fake.calls("/callback").at(0).body == json{{"type", 5}, {"data", {{"flags", 64}}}});
  const auto e = h.fake.edits().at(0);
  CHECK(e.body["components"][0]["components"][0]["custom_id"] ==
        std::string("share:") + known_id + ":summary");
  // The button press: a public deferral and the reply for everyone.
  h.fake.send_dispatch(
      "INTERACTION_CREATE",
      {{"id", "999"},
       {"application_id", "333"},
       {"type", 3},
       {"token", "share-token"},
       {"guild_id", "290926798626357999"},
       {"channel_id", "645027906669510667"},
       {"member", {{"user", {{"id", "53908232506183680"}}}}},
       {"data",
        {{"custom_id", std::string("share:") + known_id + ":summary"}, {"component_type", 2}}}});
  REQUIRE(h.fake.wait_for_edits(2));
  const auto cb = h.fake.calls("/interactions/999/share-token/callback");
  REQUIRE(cb.size() == 1);
  CHECK(cb[0].body == json{{"type", 5}});
  const auto shared = h.fake.edits().at(1);
  CHECK(shared.path.find("share-token") != std::string::npos);
  CHECK_FALSE(shared.body.contains("components"));
}

TEST_CASE("missing heartbeat ACK: zombie closed, session resumed, no command lost or doubled") {
  harness h;
  h.fake.set_heartbeat_interval(150);
  REQUIRE(h.fake.wait_for_ready(1));
  h.fake.ack_heartbeats(false);
  h.fake.hold_dispatches(true);  // the link is dead: this command waits for the replay
  h.fake.send_command(known_id);
  REQUIRE(h.fake.wait_for_resumed(1));
  h.fake.ack_heartbeats(true);
  REQUIRE(h.fake.wait_for_edits(1));
  CHECK(h.fake.client_close_code(0) != 1000);
  CHECK(h.fake.client_close_code(0) != 1001);
  CHECK(h.fake.identifies() == 1);
  const auto resume = h.fake.frames(6);
  REQUIRE(resume.size() == 1);
  CHECK(resume[0].payload["d"]["session_id"] == "sess-1");
  CHECK(resume[0].payload["d"]["seq"] == 1);
  // Another command after the resume: one reply each, none twice.
  h.fake.send_command(other_id);
  REQUIRE(h.fake.wait_for_edits(2));
  CHECK(h.fake.calls("/callback").size() == 2);
  CHECK(h.fake.edits().size() == 2);
}

TEST_CASE("op 7 reconnect resumes and the replayed command is answered once") {
  harness h;
  REQUIRE(h.fake.wait_for_ready(1));
  h.fake.send_command(known_id);
  REQUIRE(h.fake.wait_for_edits(1));
  h.fake.send_reconnect();
  REQUIRE(h.fake.wait_for_resumed(1));
  h.fake.send_command(other_id);
  REQUIRE(h.fake.wait_for_edits(2));
  CHECK(h.fake.identifies() == 1);
  CHECK(h.fake.calls("/callback").size() == 2);
  // In /metrics: up again, one reconnect, two replies sent.
  const auto& m = h.connector->metrics();
  CHECK(test::eventually([&] { return m.replies(chat::reply_outcome::sent) == 2; }));
  CHECK(h.connector->connected());
  CHECK(m.reconnects() == 1);
  CHECK(m.replies(chat::reply_outcome::failed) == 0);
}

TEST_CASE("invalid session: a fresh Identify on the gateway URL, after the wait") {
  harness h;
  REQUIRE(h.fake.wait_for_ready(1));
  h.fake.invalidate_session();
  REQUIRE(h.fake.wait_for_ready(2));
  CHECK(h.fake.identifies() == 2);
  CHECK(h.fake.resumes() == 0);
  h.fake.send_command(known_id);
  REQUIRE(h.fake.wait_for_edits(1));
}

TEST_CASE("a failed resume falls back to Identify") {
  harness h;
  REQUIRE(h.fake.wait_for_ready(1));
  h.fake.forget_sessions();
  h.fake.close_socket(4000);  // resumable: the client tries to resume, the fake says op 9
  REQUIRE(h.fake.wait_for_ready(2));
  CHECK(h.fake.resumes() == 1);
  CHECK(h.fake.identifies() == 2);
  h.fake.send_command(known_id);
  REQUIRE(h.fake.wait_for_edits(1));
}

TEST_CASE("a fatal close code stops the connector without reconnecting") {
  harness h([](auto& s) { s.bot_token = "wrong-token"; });
  // /gateway/bot refuses the token first: fatal before any socket.
  auto f = h.stopped_future.wait_for(5s);
  REQUIRE(f == std::future_status::ready);
  const auto why = h.stopped_future.get();
  CHECK(why.fatal);
  CHECK(why.message.find("DISCORD_BOT_TOKEN") != std::string::npos);
  CHECK(h.fake.sockets() == 0);
}

TEST_CASE("close 4014 (disallowed intents) from the gateway stops with the cause") {
  harness h;
  REQUIRE(h.fake.wait_for_ready(1));
  h.fake.close_socket(4014);
  REQUIRE(h.stopped_future.wait_for(5s) == std::future_status::ready);
  const auto why = h.stopped_future.get();
  CHECK(why.fatal);
  CHECK(why.message.find("4014") != std::string::npos);
  CHECK(h.fake.sockets() == 1);
  CHECK(h.fake.identifies() == 1);
  CHECK(h.connector->metrics().state() == chat::link_state::fatal);
  CHECK_FALSE(h.connector->connected());
}

TEST_CASE("429 on the edit: retried after retry_after, replies kept in command order") {
  harness h;
  REQUIRE(h.fake.wait_for_ready(1));
  h.fake.rate_limit_webhooks(1, 0.3);
  const auto first = h.fake.send_command(known_id);
  const auto second = h.fake.send_command(other_id);
  REQUIRE(h.fake.wait_for_edits(2));
  const auto limited = h.fake.calls("/webhooks/");
  REQUIRE(limited.size() >= 3);
  CHECK(limited[0].status == 429);
  const auto edits = h.fake.edits();
  REQUIRE(edits.size() == 2);
  CHECK(edits[0].path.find(first) != std::string::npos);
  CHECK(edits[1].path.find(second) != std::string::npos);
  CHECK(edits[0].at - limited[0].at >= 300ms);
}

TEST_CASE("malformed frames are ignored and the link kept") {
  harness h;
  REQUIRE(h.fake.wait_for_ready(1));
  h.fake.send_raw("this is not json");
  h.fake.send_raw(R"({"op":"ten"})");
  h.fake.send_raw(R"({"op":0,"t":"INTERACTION_CREATE","s":null,"d":{"type":2}})");
  h.fake.send_command(known_id);
  REQUIRE(h.fake.wait_for_edits(1));
  CHECK(h.fake.sockets() == 1);
}

#include "connectors/discord/gateway.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace sessiondx::discord;
using json = nlohmann::json;
using namespace std::chrono_literals;
using clock_type = gateway_session::clock;
using kind = gateway_action::kind;

namespace {

gateway_session make(double jitter = 0.5) {
  gateway_settings s;
  s.token = "tok";
  gateway_session g(s, [jitter] { return jitter; });
  g.set_gateway_url("wss://gateway.discord.gg");
  return g;
}

std::string hello(int interval = 41'250) {
  return json{{"op", 10}, {"d", {{"heartbeat_interval", interval}}}, {"s", nullptr}, {"t", nullptr}}
      .dump();
}

std::string ready(int s = 1) {
  return json{{"op", 0},
              {"t", "READY"},
              {"s", s},
              {"d",
               {{"v", 10},
                {"user", {{"id", "111"}, {"username", "sessiondx"}, {"bot", true}}},
                {"guilds", json::array()},
                {"session_id", "sess-1"},
                {"resume_gateway_url", "wss://resume.discord.gg"},
                {"application", {{"id", "333"}, {"flags", 0}}}}}}
      .dump();
}

std::string dispatch(const std::string& t, int s) {
  return json{{"op", 0}, {"t", t}, {"s", s}, {"d", {{"id", "x"}}}}.dump();
}

json sent(const std::vector<gateway_action>& actions, std::size_t i = 0) {
  std::size_t n = 0;
  for (const auto& a : actions)
    if (a.what == kind::send && n++ == i) return json::parse(a.payload);
  return json();
}

const gateway_action* find(const std::vector<gateway_action>& actions, kind k) {
  for (const auto& a : actions)
    if (a.what == k) return &a;
  return nullptr;
}

/// A session through Hello and READY at `t`.
gateway_session connected(clock_type::time_point t) {
  auto g = make();
  g.opened();
  g.on_frame(hello(), t);
  g.on_frame(ready(), t);
  return g;
}

}  // namespace

TEST_CASE("hello arms a jittered first heartbeat and identifies with the token and intents") {
  auto g = make(0.25);
  REQUIRE(g.next_connection().what == gateway_next::kind::identify);
  CHECK(g.next_connection().url == "wss://gateway.discord.gg/?v=10&encoding=json");
  g.opened();
  const auto actions = g.on_frame(hello(40'000), clock_type::time_point{});
  const auto* t = find(actions, kind::heartbeat_timer);
  REQUIRE(t != nullptr);
  CHECK(t->delay == 10'000ms);
  const auto identify = sent(actions);
  CHECK(identify["op"] == 2);
  CHECK(identify["d"]["token"] == "tok");
  CHECK(identify["d"]["intents"] == 1);
  CHECK(identify["d"]["properties"]["os"] == "linux");
  CHECK(g.identifies() == 1);
}

TEST_CASE("READY keeps the session, resume URL, application and sequence") {
  auto g = connected(clock_type::time_point{});
  CHECK(g.ready());
  CHECK(g.session_id() == "sess-1");
  CHECK(g.application_id() == "333");
  CHECK(g.bot_user_id() == "111");
  CHECK(g.sequence() == 1);
  const auto actions = g.on_frame(dispatch("INTERACTION_CREATE", 2), clock_type::time_point{});
  REQUIRE(find(actions, kind::dispatch) != nullptr);
  CHECK(find(actions, kind::dispatch)->event == "INTERACTION_CREATE");
  CHECK(g.sequence() == 2);
}

TEST_CASE("heartbeats carry the last sequence; a missing ACK closes the zombie and resumes") {
  auto g = connected(clock_type::time_point{});
  auto beat = g.on_heartbeat_due();
  CHECK(sent(beat) == json{{"op", 1}, {"d", 1}});
  REQUIRE(find(beat, kind::heartbeat_timer) != nullptr);
  CHECK(find(beat, kind::heartbeat_timer)->delay == 41'250ms);
  g.on_frame(R"({"op":11,"d":null,"s":null,"t":null})", clock_type::time_point{});
  beat = g.on_heartbeat_due();  // ACKed: another beat
  CHECK(sent(beat)["op"] == 1);
  beat = g.on_heartbeat_due();  // not ACKed: zombie
  const auto* close = find(beat, kind::close);
  REQUIRE(close != nullptr);
  CHECK(close->close_code != 1000);
  CHECK(close->close_code != 1001);
  CHECK(find(beat, kind::send) == nullptr);
  const auto next = g.on_closed(0, clock_type::time_point{});
  CHECK(next.what == gateway_next::kind::resume);
  CHECK(next.url == "wss://resume.discord.gg/?v=10&encoding=json");
}

TEST_CASE("a resumed socket sends Resume with the session and sequence, and resets the ACK") {
  auto g = connected(clock_type::time_point{});
  g.on_frame(dispatch("MESSAGE_CREATE", 7), clock_type::time_point{});
  g.on_heartbeat_due();  // never ACKed
  g.on_closed(0, clock_type::time_point{});
  g.opened();
  const auto actions = g.on_frame(hello(), clock_type::time_point{});
  const auto resume = sent(actions);
  CHECK(resume["op"] == 6);
  CHECK(resume["d"]["session_id"] == "sess-1");
  CHECK(resume["d"]["seq"] == 7);
  CHECK(g.identifies() == 1);
  // The stale "awaiting ACK" of the dead socket does not make the first beat a zombie.
  CHECK(sent(g.on_heartbeat_due())["op"] == 1);
  // Replayed events the session already had are dropped; new ones pass.
  CHECK(find(g.on_frame(dispatch("INTERACTION_CREATE", 7), {}), kind::dispatch) == nullptr);
  CHECK(find(g.on_frame(dispatch("INTERACTION_CREATE", 8), {}), kind::dispatch) != nullptr);
  CHECK(find(g.on_frame(dispatch("RESUMED", 9), {}), kind::connected) != nullptr);
}

TEST_CASE("op 1 from the gateway gets a heartbeat at once") {
  auto g = connected(clock_type::time_point{});
  const auto actions = g.on_frame(R"({"op":1,"d":null})", clock_type::time_point{});
  CHECK(sent(actions) == json{{"op", 1}, {"d", 1}});
}

TEST_CASE("op 7 closes resumably and resumes") {
  auto g = connected(clock_type::time_point{});
  const auto actions = g.on_frame(R"({"op":7,"d":null})", clock_type::time_point{});
  REQUIRE(find(actions, kind::close) != nullptr);
  CHECK(find(actions, kind::close)->close_code == resumable_close);
  CHECK(g.on_closed(1000, clock_type::time_point{}).what == gateway_next::kind::resume);
}

TEST_CASE("op 9 d=true resumes; d=false identifies anew after a wait, never in a loop") {
  const auto t0 = clock_type::time_point{} + 1h;
  SECTION("resumable") {
    auto g = connected(t0);
    g.on_frame(R"({"op":9,"d":true})", t0);
    CHECK(g.on_closed(0, t0).what == gateway_next::kind::resume);
  }
  SECTION("not resumable") {
    auto g = connected(t0);
    const auto actions = g.on_frame(R"({"op":9,"d":false})", t0);
    REQUIRE(find(actions, kind::close) != nullptr);
    const auto next = g.on_closed(0, t0 + 10s);
    CHECK(next.what == gateway_next::kind::identify);
    CHECK(next.url == "wss://gateway.discord.gg/?v=10&encoding=json");
    CHECK(next.min_delay >= 1s);
    CHECK(next.min_delay <= 5s);
    CHECK(g.session_id().empty());
    CHECK_FALSE(g.sequence().has_value());
    // The new session starts its sequence again from 1, and its events are not dropped.
    g.opened();
    CHECK(sent(g.on_frame(hello(), t0 + 20s))["op"] == 2);
    CHECK(find(g.on_frame(ready(1), t0 + 20s), kind::dispatch) != nullptr);
    CHECK(g.identifies() == 2);
  }
}

TEST_CASE("identify rate: a new identify waits out the window since the last one") {
  const auto t0 = clock_type::time_point{} + 1h;
  auto g = connected(t0);
  const auto next = g.on_closed(4009, t0 + 1s);  // session timed out: a new session
  CHECK(next.what == gateway_next::kind::identify);
  CHECK(next.min_delay == 4s);
  g.set_max_concurrency(1);
  CHECK(g.on_closed(4007, t0 + 10s).min_delay == 0ms);
}

TEST_CASE("close codes: fatal ones stop with the cause, others resume") {
  const auto t0 = clock_type::time_point{};
  for (std::uint16_t code : {4004, 4010, 4011, 4012, 4013, 4014}) {
    auto g = connected(t0);
    const auto next = g.on_closed(code, t0);
    INFO(code);
    CHECK(next.what == gateway_next::kind::stop);
    CHECK(next.message.find(std::to_string(code)) != std::string::npos);
  }
  CHECK(fatal_close_reason(4004).find("DISCORD_BOT_TOKEN") != std::string::npos);
  CHECK(fatal_close_reason(4014).find("intents") != std::string::npos);
  for (std::uint16_t code : {0, 1006, 4000, 4001, 4002, 4003, 4005, 4008}) {
    auto g = connected(t0);
    INFO(code);
    CHECK(g.on_closed(code, t0).what == gateway_next::kind::resume);
  }
  for (std::uint16_t code : {4007, 4009}) {
    auto g = connected(t0);
    INFO(code);
    CHECK(g.on_closed(code, t0).what == gateway_next::kind::identify);
  }
  // Without a session there is nothing to resume.
  auto fresh = make();
  CHECK(fresh.on_closed(4000, t0).what == gateway_next::kind::identify);
}

TEST_CASE("malformed and unknown payloads give no action and keep the state") {
  auto g = connected(clock_type::time_point{});
  for (const char* bad : {"", "not json", "[]", R"({"op":"x"})", R"({"d":1})", R"({"op":42})",
                          R"({"op":10,"d":{"heartbeat_interval":"soon"}})",
                          R"({"op":0,"t":"READY","s":"two","d":null})"}) {
    INFO(bad);
    const auto actions = g.on_frame(bad, clock_type::time_point{});
    CHECK(find(actions, kind::close) == nullptr);
    CHECK(find(actions, kind::send) == nullptr);
    CHECK(find(actions, kind::connected) == nullptr);
  }
  CHECK(g.session_id() == "sess-1");
  CHECK(g.sequence() == 1);
}

TEST_CASE("an absurd heartbeat interval is capped at an hour, a NaN-like one ignored") {
  // Found by fuzz_discord_gateway: 6.7e122 ms converted to an integer was undefined behaviour.
  auto g = make(1.0);
  const auto actions =
      g.on_frame(R"({"op":10,"d":{"heartbeat_interval":6.66667e122}})", clock_type::time_point{});
  const auto* timer = find(actions, kind::heartbeat_timer);
  REQUIRE(timer != nullptr);
  CHECK(timer->delay == std::chrono::hours(1));

  auto h = make();
  for (const char* bad : {R"({"op":10,"d":{"heartbeat_interval":0.5}})",
                          R"({"op":10,"d":{"heartbeat_interval":-1e300}})"}) {
    INFO(bad);
    CHECK(find(h.on_frame(bad, clock_type::time_point{}), kind::heartbeat_timer) == nullptr);
  }
}

#include "connectors/slack/socket_mode_connector.hpp"
#include "tests/connectors/slack/fake_slack.hpp"
#include "tests/support/eventually.hpp"

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <future>
#include <thread>

using namespace sessiondx;
using test::fake_slack;
namespace frames = test::slack_frames;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* known_id = "abcd1234efgh5678";
constexpr const char* other_id = "zzzz9999yyyy8888";

bot::diagnosis make_diagnosis(const std::string& id) {
  bot::diagnosis d;
  d.session_id = id;
  d.verdict = bot::verdict::degraded;
  d.headline = "Payment API failed: POST /api/payment -> 502 <!channel> *now*";
  d.next_step = "Escalate to the payments team.";
  d.first_seen_ms = 1'714'730'553'000;
  d.last_seen_ms = 1'714'730'853'000;
  d.event_count = 42;
  d.context.browser = "Chrome 124";
  bot::finding f;
  f.rule = "api.failed";
  f.category = bot::category::backend;
  f.severity = bot::severity::error;
  f.title = "Payment API failed: POST /api/payment -> 502";
  f.first_seen_ms = d.first_seen_ms;
  f.count = 1;
  d.findings.push_back(f);
  for (int i = 0; i < 3; ++i)
    d.timeline.push_back({d.first_seen_ms + i * 1000, "api", "GET /x", i == 1});
  return d;
}

/// Every test's setup: a fake Slack, the connector on one io_context thread, a fake diagnosis.
struct harness {
  explicit harness(std::function<void(slack::slack_settings&)> tweak = {},
                   std::function<bot::diagnose_result(const std::string&)> diagnose = {})
      : handler(diagnose ? std::move(diagnose) : [](const std::string& id) -> bot::diagnose_result {
          if (id == known_id || id == other_id) return make_diagnosis(id);
          return bot::unknown_session{};
        }) {
    slack::slack_settings s;
    s.app_token = "xapp-1-A111-test";
    s.bot_token = "xoxb-test";
    s.api_url = slack.api_url();
    s.allow_plaintext = true;
    s.backoff.base = 50ms;
    s.backoff.cap = 200ms;
    s.jitter = [] { return 1.0; };
    s.hello_timeout = 2s;
    s.request_timeout = 5s;
    s.idle_timeout = 5s;
    s.looking_up_after = 10s;
    s.delivery.retry_delay = 50ms;
    if (tweak) tweak(s);
    connector = std::make_unique<slack::socket_mode_connector>(
        ioc, s, handler, [this](const slack::stop_reason& why) { stopped.set_value(why); });
    stopped_future = stopped.get_future();
    connector->start();
    thread = std::thread([this] { ioc.run(); });
  }

  ~harness() {
    connector->stop();
    thread.join();
    ioc.restart();
    ioc.run();  // anything posted after run() had returned
    connector.reset();
  }

  bool stopped_within(std::chrono::milliseconds t) {
    return stopped_future.wait_for(t) == std::future_status::ready;
  }

  fake_slack slack;
  boost::asio::io_context ioc;
  bot::command_handler handler;
  std::promise<slack::stop_reason> stopped;
  std::future<slack::stop_reason> stopped_future;
  std::unique_ptr<slack::socket_mode_connector> connector;
  std::thread thread;
};

std::string header_of(const test::api_call& c) {
  for (const auto& b : c.body["blocks"])
    if (b["type"] == "header") return b["text"]["text"];
  return {};
}

bool mentions(const test::api_call& c, const std::string& id) {
  return c.body.dump().find(id) != std::string::npos;
}

}  // namespace

TEST_CASE("slash command: acked at once, the reply posted in its channel with blocks") {
  harness h;
  REQUIRE(h.slack.wait_for_sockets(1));
  h.slack.send(0, frames::slash_command("env-1", "/session", std::string(known_id) + " ",
                                        "C0SUPPORT", "U0AGENT", h.slack.response_url()));
  REQUIRE(h.slack.wait_for_ack("env-1"));
  CHECK(h.slack.ack_delay("env-1") < 3000ms);
  REQUIRE(h.slack.wait_for_posts(1));

  const auto post = h.slack.posts().at(0);
  CHECK(post.api_method == "chat.postMessage");
  CHECK(post.authorization == "Bearer xoxb-test");
  CHECK(post.content_type == "application/json; charset=utf-8");
  CHECK(post.body["channel"] == "C0SUPPORT");
  CHECK_FALSE(post.body.contains("thread_ts"));
  CHECK(header_of(post) == std::string("Session ") + known_id + ": degraded");
  const std::string text = post.body["text"];
  CHECK(text.find("Payment API failed") != std::string::npos);
  // Customer text can neither ping the channel nor format.
  CHECK(post.body.dump().find("<!channel>") == std::string::npos);
  CHECK(post.body.dump().find("*now*") == std::string::npos);
  CHECK(h.slack.calls("apps.connections.open").at(0).authorization == "Bearer xapp-1-A111-test");
  CHECK(h.slack.bad_tickets() == 0);
}

TEST_CASE("slash command /help and an unknown session get their replies") {
  harness h;
  REQUIRE(h.slack.wait_for_sockets(1));
  h.slack.send(0, frames::slash_command("env-h", "/help", "", "C1", "U1", h.slack.response_url()));
  h.slack.send(0, frames::slash_command("env-u", "/session", "nosuch12345678", "C1", "U1",
                                        h.slack.response_url()));
  REQUIRE(h.slack.wait_for_posts(2));
  const auto posts = h.slack.posts();
  CHECK(posts[0].body.dump().find("diagnoses a customer") != std::string::npos);
  CHECK(posts[1].body.dump().find("No session") != std::string::npos);
}

TEST_CASE("refresh: the new socket says hello before the old one closes; nothing lost or doubled") {
  harness h;
  REQUIRE(h.slack.wait_for_sockets(1));
  const auto a =
      frames::slash_command("env-a", "/session", known_id, "C1", "U1", h.slack.response_url());
  h.slack.send(0, a);
  h.slack.send(0, frames::disconnect("refresh_requested"));
  REQUIRE(h.slack.wait_for_sockets(2));
  REQUIRE(h.slack.wait_closed(0));
  CHECK(h.slack.closed_by_client(0));
  CHECK(h.slack.wait_for_ack("env-a"));

  // A redelivered envelope is acked again but answered once.
  h.slack.send(1, a);
  h.slack.send(
      1, frames::slash_command("env-b", "/session", other_id, "C1", "U1", h.slack.response_url()));
  REQUIRE(h.slack.wait_for_posts(2));
  const auto posts = h.slack.posts();
  REQUIRE(posts.size() == 2);
  CHECK(mentions(posts[0], known_id));
  CHECK(mentions(posts[1], other_id));
  CHECK(h.slack.calls("apps.connections.open").size() == 2);
  CHECK(h.slack.bad_tickets() == 0);
  std::size_t acks_of_a = 0;
  for (const auto& f : h.slack.frames())
    if (f.text == R"({"envelope_id":"env-a"})") ++acks_of_a;
  CHECK(acks_of_a == 2);
  // In /metrics: a planned refresh is no reconnect; both replies sent, still connected.
  const auto& m = h.connector->metrics();
  CHECK(test::eventually([&] { return m.replies(chat::reply_outcome::sent) == 2; }));
  CHECK(m.reconnects() == 0);
  CHECK(h.connector->connected());
}

TEST_CASE("abrupt close: reconnects after the backoff with a fresh URL") {
  harness h;
  REQUIRE(h.slack.wait_for_sockets(1));
  // Connected first (hello handled), so that the drop is a lost link, not a failed start.
  REQUIRE(test::eventually([&] { return h.connector->connected(); }));
  const auto dropped_at = std::chrono::steady_clock::now();
  h.slack.drop(0);
  REQUIRE(h.slack.wait_for_sockets(2));
  const auto opens = h.slack.calls("apps.connections.open");
  REQUIRE(opens.size() == 2);
  CHECK(opens[1].at - dropped_at >= 50ms);  // base 50 ms, jitter 1.0
  h.slack.send(
      1, frames::slash_command("env-1", "/session", known_id, "C1", "U1", h.slack.response_url()));
  REQUIRE(h.slack.wait_for_posts(1));
  CHECK(h.slack.bad_tickets() == 0);
  CHECK(test::eventually([&] { return h.connector->metrics().reconnects() == 1; }));
  CHECK(h.connector->metrics().up());
}

TEST_CASE("429 on chat.postMessage: retried after Retry-After, in order") {
  harness h;
  REQUIRE(h.slack.wait_for_sockets(1));
  h.slack.rate_limit_posts(1, 1);
  h.slack.send(
      0, frames::slash_command("env-1", "/session", known_id, "C1", "U1", h.slack.response_url()));
  h.slack.send(
      0, frames::slash_command("env-2", "/session", other_id, "C1", "U1", h.slack.response_url()));
  REQUIRE(h.slack.wait_for_posts(2, 8000ms));
  const auto calls = h.slack.calls("chat.postMessage");
  REQUIRE(calls.size() == 3);
  CHECK(calls[0].status == 429);
  CHECK(mentions(calls[0], known_id));
  CHECK(calls[1].at - calls[0].at >= 950ms);
  CHECK(mentions(calls[1], known_id));
  CHECK(mentions(calls[2], other_id));
}

TEST_CASE("malformed frames and unknown envelope types are ignored; the socket stays") {
  harness h;
  REQUIRE(h.slack.wait_for_sockets(1));
  h.slack.send_text(0, "this is not json");
  h.slack.send_text(0, "[1,2,3]");
  h.slack.send(0, json{{"type", "something_new"}, {"x", 1}});
  h.slack.send(0, json{{"envelope_id", "env-x"}, {"type", "future_kind"}, {"payload", {{"a", 1}}}});
  h.slack.send(
      0, json{{"envelope_id", "env-y"}, {"type", "slash_commands"}, {"payload", "not an object"}});
  h.slack.send(
      0, frames::slash_command("env-1", "/session", known_id, "C1", "U1", h.slack.response_url()));
  REQUIRE(h.slack.wait_for_posts(1));
  CHECK(h.slack.wait_for_ack("env-x"));  // every envelope is acked
  CHECK(h.slack.wait_for_ack("env-y"));
  CHECK(h.slack.calls("apps.connections.open").size() == 1);
  CHECK(h.slack.posts().size() == 1);
}

TEST_CASE("invalid_auth from apps.connections.open stops the connector") {
  fake_slack slack;
  slack.fail_connections_open("invalid_auth");
  boost::asio::io_context ioc;
  bot::command_handler handler(
      [](const std::string&) -> bot::diagnose_result { return bot::unknown_session{}; });
  slack::slack_settings s;
  s.app_token = "xapp-1-bad";
  s.bot_token = "xoxb-test";
  s.api_url = slack.api_url();
  s.allow_plaintext = true;
  s.backoff.base = 10ms;
  s.jitter = [] { return 1.0; };
  std::promise<slack::stop_reason> stopped;
  auto stopped_future = stopped.get_future();
  {
    slack::socket_mode_connector connector(
        ioc, s, handler, [&](const slack::stop_reason& r) { stopped.set_value(r); });
    connector.start();
    ioc.run();  // returns once the connector has given up: nothing else to do
  }
  REQUIRE(stopped_future.wait_for(0s) == std::future_status::ready);
  const auto why = stopped_future.get();
  CHECK(why.fatal);
  CHECK(why.message.find("invalid_auth") != std::string::npos);
  CHECK(slack.calls("apps.connections.open").size() == 1);
  CHECK(slack.sockets() == 0);
}

TEST_CASE("link_disabled: stops with a clear reason, no reconnect") {
  harness h;
  REQUIRE(h.slack.wait_for_sockets(1));
  h.slack.send(0, frames::disconnect("link_disabled"));
  REQUIRE(h.stopped_within(5s));
  const auto why = h.stopped_future.get();
  CHECK(why.message.find("link_disabled") != std::string::npos);
  CHECK(h.connector->metrics().state() == chat::link_state::fatal);
  CHECK(h.slack.wait_closed(0));
  CHECK(h.slack.calls("apps.connections.open").size() == 1);
}

TEST_CASE(
    "mentions in a thread are answered in the thread; DMs answered; bots ignored; retries once") {
  harness h;
  REQUIRE(h.slack.wait_for_sockets(1));
  const std::string mention = "<@" + std::string(frames::bot_user) + "> session " + known_id;
  h.slack.send(0, frames::app_mention("env-1", "Ev1", mention, "C1", "U1", "1700000000.000001"));
  h.slack.send(0, frames::app_mention("env-2", "Ev1", mention, "C1", "U1", "1700000000.000001", 1));
  h.slack.send(0, frames::direct_message("env-3", "Ev3", "session zzzz", "B1", true));
  h.slack.send(0, frames::direct_message("env-4", "Ev4", std::string("session ") + other_id, "U2"));
  REQUIRE(h.slack.wait_for_posts(2));
  for (const char* id : {"env-1", "env-2", "env-3", "env-4"}) CHECK(h.slack.wait_for_ack(id));
  auto posts = h.slack.posts();
  // Different channels: their order is free.
  std::sort(posts.begin(), posts.end(),
            [](auto& a, auto& b) { return a.body["channel"] < b.body["channel"]; });
  CHECK(posts[0].body["channel"] == "C1");
  CHECK(posts[0].body["thread_ts"] == "1700000000.000001");
  CHECK(mentions(posts[0], known_id));
  CHECK(posts[1].body["channel"] == "D0DM0001");
  CHECK(mentions(posts[1], other_id));
  // One more command in C1 proves the retried mention was not answered twice.
  h.slack.send(0, frames::app_mention("env-5", "Ev5", mention, "C1", "U1"));
  REQUIRE(h.slack.wait_for_posts(3));
  std::size_t in_c1 = 0;
  for (const auto& p : h.slack.posts()) in_c1 += p.body["channel"] == "C1" ? 1 : 0;
  CHECK(in_c1 == 2);
}

TEST_CASE("ephemeral replies carry a Share button; its click posts for the channel") {
  harness h([](slack::slack_settings& s) { s.visibility = slack::reply_visibility::ephemeral; });
  REQUIRE(h.slack.wait_for_sockets(1));
  h.slack.send(
      0, frames::slash_command("env-1", "/session", known_id, "C1", "U1", h.slack.response_url()));
  REQUIRE(h.slack.wait_for_posts(1));
  const auto first = h.slack.posts().at(0);
  CHECK(first.api_method == "chat.postEphemeral");
  CHECK(first.body["user"] == "U1");
  const auto& last_block = first.body["blocks"].back();
  REQUIRE(last_block["type"] == "actions");
  const auto& button = last_block["elements"][0];
  CHECK(button["action_id"] == "share_in_channel");
  h.slack.send(0, frames::share_click("env-2", button["value"], "C1", "U1"));
  REQUIRE(h.slack.wait_for_posts(2));
  CHECK(h.slack.wait_for_ack("env-2"));
  const auto shared = h.slack.posts().at(1);
  CHECK(shared.api_method == "chat.postMessage");
  CHECK(shared.body["channel"] == "C1");
  CHECK(header_of(shared) == std::string("Session ") + known_id + ": degraded");
  CHECK(shared.body["blocks"].back()["type"] != "actions");
}

TEST_CASE("a slow lookup first gets a Looking up reply") {
  std::promise<void> release;
  auto gate = release.get_future().share();
  harness h([](slack::slack_settings& s) { s.looking_up_after = 20ms; },
            [gate](const std::string& id) -> bot::diagnose_result {
              gate.wait();
              return make_diagnosis(id);
            });
  // Opens the gate however the test ends, before the harness waits for the lookup threads.
  struct opener {
    std::promise<void>& p;
    bool opened = false;
    void open() {
      if (!opened) p.set_value();
      opened = true;
    }
    ~opener() { open(); }
  } open_gate{release};
  REQUIRE(h.slack.wait_for_sockets(1));
  h.slack.send(
      0, frames::slash_command("env-1", "/session", known_id, "C1", "U1", h.slack.response_url()));
  REQUIRE(h.slack.wait_for_posts(1));
  CHECK(h.slack.posts().at(0).body["text"].get<std::string>().find("Looking up") == 0);
  CHECK(h.slack.posts().size() == 1);
  open_gate.open();
  REQUIRE(h.slack.wait_for_posts(2));
  CHECK(header_of(h.slack.posts().at(1)) == std::string("Session ") + known_id + ": degraded");
}

TEST_CASE("a bot not in the channel answers a slash command through its response_url") {
  harness h;
  h.slack.fail_post_message("not_in_channel");
  REQUIRE(h.slack.wait_for_sockets(1));
  h.slack.send(
      0, frames::slash_command("env-1", "/session", known_id, "C1", "U1", h.slack.response_url()));
  REQUIRE(h.slack.wait_for_calls("response_url", 1));
  const auto via = h.slack.calls("response_url").at(0);
  CHECK(via.body["response_type"] == "in_channel");
  CHECK(via.body["blocks"].is_array());
}

// End to end, in one process: events are POSTed over real HTTP to the real webhook receiver, which
// stores them in a real SQLite store; `/session <id>` then goes through the fake Slack to the real
// Socket Mode connector, which runs the real diagnosis and posts the reply back to the fake.
#include "bot/commands.hpp"
#include "bot/diagnoser.hpp"
#include "connectors/slack/socket_mode_connector.hpp"
#include "connectors/webhook/server.hpp"
#include "store/sqlite_store.hpp"
#include "tests/connectors/slack/fake_slack.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

using namespace sessiondx;
using json = nlohmann::json;
using namespace std::chrono_literals;
namespace frames = test::slack_frames;

namespace {

const char* const secret_text = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* broken_id = "chk7Qm2xPa9Lw4Rt";
constexpr const char* channel = "C0SUPPORT";

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

webhook::webhook_secret secret() { return *webhook::webhook_secret::parse(secret_text); }

/// The webhook receiver on an ephemeral loopback port, with its own io_context thread.
class running_webhook {
 public:
  explicit running_webhook(store::event_store& store) : parser_(webhook::ingest_settings{}) {
    webhook::server_settings s;
    s.port = 0;
    s.secret = secret();
    server_ = std::make_unique<webhook::webhook_server>(ioc_, s, parser_, store);
    port_ = server_->start().port();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~running_webhook() {
    server_->stop();
    thread_.join();
  }
  running_webhook(const running_webhook&) = delete;
  running_webhook& operator=(const running_webhook&) = delete;

  /// POSTs `events` as one signed JSON array, as a website backend would.
  test::http_reply post(const json& events) {
    test::http_client client("127.0.0.1", port_);
    const std::string body = events.dump();
    const std::string id = "msg_" + std::to_string(std::hash<std::string>{}(body));
    const std::string ts = std::to_string(wall_ms() / 1000);
    return client.post("/v1/events", body,
                       {{"content-type", "application/json"},
                        {"webhook-id", id},
                        {"webhook-timestamp", ts},
                        {"webhook-signature", webhook::sign(secret(), id, ts, body)}});
  }

 private:
  boost::asio::io_context ioc_;
  webhook::event_parser parser_;
  std::unique_ptr<webhook::webhook_server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

/// The Slack connector against the fake Slack, on one io_context thread.
class running_connector {
 public:
  running_connector(test::fake_slack& slack, const bot::command_handler& handler) {
    slack::slack_settings s;
    s.app_token = "xapp-1-A111-e2e";
    s.bot_token = "xoxb-e2e";
    s.api_url = slack.api_url();
    s.allow_plaintext = true;
    // Under sanitizers a lookup can take a while; the test waits for the reply, not a notice.
    s.looking_up_after = 30s;
    connector_ = std::make_unique<slack::socket_mode_connector>(ioc_, s, handler);
    connector_->start();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~running_connector() {
    connector_->stop();
    thread_.join();
    ioc_.restart();
    ioc_.run();  // anything posted after run() had returned
    connector_.reset();
  }
  running_connector(const running_connector&) = delete;
  running_connector& operator=(const running_connector&) = delete;

 private:
  boost::asio::io_context ioc_;
  std::unique_ptr<slack::socket_mode_connector> connector_;
  std::thread thread_;
};

json event(const std::string& id, const std::string& session, std::int64_t ts, const char* type,
           json attrs, const std::string& page = "/checkout/payment") {
  return {{"id", id},
          {"session_id", session},
          {"ts", ts},
          {"type", type},
          {"page", page},
          {"attrs", std::move(attrs)},
          {"context",
           {{"browser", "Chrome 124"},
            {"os", "Windows 11"},
            {"device", "desktop"},
            {"app_version", "4.12.0"},
            {"locale", "fr-FR"}}}};
}

/// A customer who could not pay: the payment API answered 502 and, 300 ms later, the page said
/// "Payment failed".
json broken_checkout(std::int64_t now) {
  const std::string s = broken_id;
  const std::int64_t t0 = now - 90'000;
  return json::array({
      event("e2e-1", s, t0, "session_start", {{"landing_page", "/cart"}}, "/cart"),
      event("e2e-2", s, t0 + 1'200, "page_view",
            {{"ttfb_ms", 180}, {"fcp_ms", 620}, {"lcp_ms", 1'100}, {"load_ms", 1'400}}, "/cart"),
      event("e2e-3", s, t0 + 20'000, "click", {{"target", "button#checkout"}}, "/cart"),
      event("e2e-4", s, t0 + 21'500, "page_view",
            {{"ttfb_ms", 210}, {"fcp_ms", 700}, {"lcp_ms", 1'300}, {"load_ms", 1'600}}),
      event("e2e-5", s, t0 + 22'000, "http_request",
            {{"method", "GET"}, {"route", "/api/cart"}, {"status", 200}, {"duration_ms", 95}}),
      event("e2e-6", s, t0 + 60'000, "click", {{"target", "button#pay-now"}}),
      event("e2e-7", s, t0 + 60'050, "http_request",
            {{"method", "POST"}, {"route", "/api/payment"}, {"status", 502}, {"duration_ms", 812}}),
      event("e2e-8", s, t0 + 60'350, "ui_message",
            {{"level", "error"}, {"text", "Payment failed"}, {"component", "PaymentForm"}}),
  });
}

/// Other customers whose payment hit the same 502 in the last hour: the blast radius.
json other_payment_failures(std::int64_t now, int sessions) {
  json events = json::array();
  for (int i = 0; i < sessions; ++i) {
    const std::string s = "other" + std::to_string(i) + "Xq8vN3kTzB";
    const std::int64_t t = now - 3'600'000 + i * 60'000;
    const std::string p = "o" + std::to_string(i) + "-";
    events.push_back(event(p + "1", s, t, "page_view", {{"load_ms", 1'500}}));
    events.push_back(event(
        p + "2", s, t + 30'000, "http_request",
        {{"method", "POST"}, {"route", "/api/payment"}, {"status", 502}, {"duration_ms", 790}}));
  }
  return events;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string header_of(const test::api_call& c) {
  for (const auto& b : c.body["blocks"])
    if (b["type"] == "header") return b["text"]["text"];
  return {};
}

/// Everything: store, receiver, diagnosis stack, fake Slack and connector, torn down in order.
struct end_to_end {
  static std::unique_ptr<store::event_store> open_store(const test::temp_dir& dir) {
    store::store_settings s;
    s.path = dir / "events.db";
    return store::make_sqlite_store(s);
  }

  end_to_end() = default;
  end_to_end(const end_to_end&) = delete;
  end_to_end& operator=(const end_to_end&) = delete;
  ~end_to_end() {
    connector.reset();
    webhook.reset();
    store->close();
  }

  void start_connector() { connector = std::make_unique<running_connector>(slack, handler); }

  test::temp_dir dir;
  std::unique_ptr<store::event_store> store = open_store(dir);
  std::unique_ptr<running_webhook> webhook = std::make_unique<running_webhook>(*store);
  bot::diagnoser diagnoser{*store, bot::rule_settings{}, [] { return wall_ms(); }, 30};
  bot::command_handler handler{[this](const std::string& id) { return diagnoser.diagnose(id); }};
  test::fake_slack slack;
  std::unique_ptr<running_connector> connector;
};

}  // namespace

TEST_CASE("a broken checkout posted to the webhook is diagnosed through Slack", "[e2e]") {
  end_to_end e;
  const std::int64_t now = wall_ms();
  const auto broken = e.webhook->post(broken_checkout(now));
  REQUIRE(broken.status == 200);
  CHECK(json::parse(broken.body)["accepted"] == 8);
  const auto others = e.webhook->post(other_payment_failures(now, 3));
  REQUIRE(others.status == 200);
  CHECK(json::parse(others.body)["accepted"] == 6);

  e.start_connector();
  REQUIRE(e.slack.wait_for_sockets(1));
  e.slack.send(0, frames::slash_command("env-e2e-1", "/session", broken_id, channel, "U0AGENT",
                                        e.slack.response_url()));
  REQUIRE(e.slack.wait_for_ack("env-e2e-1"));
  REQUIRE(e.slack.wait_for_posts(1, 20s));

  const auto posts = e.slack.posts();
  REQUIRE(posts.size() == 1);
  const auto& post = posts[0];
  CHECK(post.api_method == "chat.postMessage");
  CHECK(post.authorization == "Bearer xoxb-e2e");
  CHECK(post.body["channel"] == channel);
  REQUIRE(post.body["blocks"].is_array());
  CHECK(post.body["blocks"].size() >= 2);
  CHECK(header_of(post) == std::string("Session ") + broken_id + ": broken");

  const std::string text = post.body["text"];
  INFO("text: " << text);
  CHECK(contains(text, "broken"));
  CHECK(contains(text, "/api/payment"));
  CHECK(contains(text, "502"));
  CHECK(contains(text, "Payment failed"));

  const std::string blocks = post.body["blocks"].dump();
  INFO("blocks: " << blocks);
  CHECK(contains(blocks, "POST /api/payment"));
  CHECK(contains(blocks, "502"));
  CHECK(contains(blocks, "Payment failed"));
  CHECK(contains(blocks, "3 other sessions"));
  CHECK(contains(blocks, "Chrome 124"));
  CHECK(contains(blocks, "8 events"));
}

TEST_CASE("an id one character off gets the real one suggested", "[e2e]") {
  end_to_end e;
  const std::int64_t now = wall_ms();
  REQUIRE(e.webhook->post(broken_checkout(now)).status == 200);

  e.start_connector();
  REQUIRE(e.slack.wait_for_sockets(1));
  std::string typo = broken_id;
  typo.back() = typo.back() == 't' ? 'f' : 't';
  e.slack.send(0, frames::slash_command("env-e2e-2", "/session", typo, channel, "U0AGENT",
                                        e.slack.response_url()));
  REQUIRE(e.slack.wait_for_ack("env-e2e-2"));
  REQUIRE(e.slack.wait_for_posts(1, 20s));

  const auto post = e.slack.posts().at(0);
  CHECK(post.body["channel"] == channel);
  REQUIRE(post.body["blocks"].is_array());
  const std::string blocks = post.body["blocks"].dump();
  INFO("blocks: " << blocks);
  CHECK(contains(post.body["text"].get<std::string>(), "No session"));
  CHECK(contains(blocks, "Did you mean"));
  CHECK(contains(blocks, broken_id));
}

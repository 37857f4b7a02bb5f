// End to end, in one process, for Discord and Mattermost: events are POSTed over real HTTP to
// the real webhook receiver and stored in a real SQLite store; the command then goes through the
// fake Discord (or fake Mattermost) to the real connector, which runs the real diagnosis and
// sends the reply back to the fake. The model is tests/connectors/slack/test_slack_end_to_end.cpp.
#include "bot/commands.hpp"
#include "bot/diagnoser.hpp"
#include "connectors/discord/discord_connector.hpp"
#include "connectors/mattermost/mattermost_connector.hpp"
#include "connectors/webhook/server.hpp"
#include "store/sqlite_store.hpp"
#include "tests/connectors/discord/fake_discord.hpp"
#include "tests/connectors/mattermost/fake_mattermost.hpp"
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

/// A connector on its own io_context thread.
template <class Connector, class Settings>
class running {
 public:
  running(Settings s, const bot::command_handler& handler) {
    connector_ = std::make_unique<Connector>(ioc_, std::move(s), handler);
    connector_->start();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~running() {
    connector_->stop();
    thread_.join();
    ioc_.restart();
    ioc_.run();
    connector_.reset();
  }
  running(const running&) = delete;
  running& operator=(const running&) = delete;

 private:
  boost::asio::io_context ioc_;
  std::unique_ptr<Connector> connector_;
  std::thread thread_;
};

struct stack {
  static std::unique_ptr<store::event_store> open_store(const test::temp_dir& dir) {
    store::store_settings s;
    s.path = dir / "events.db";
    return store::make_sqlite_store(s);
  }
  stack() = default;
  stack(const stack&) = delete;
  stack& operator=(const stack&) = delete;
  ~stack() {
    webhook.reset();
    store->close();
  }
  void load() {
    const std::int64_t now = wall_ms();
    REQUIRE(webhook->post(broken_checkout(now)).status == 200);
    REQUIRE(webhook->post(other_payment_failures(now, 3)).status == 200);
  }

  test::temp_dir dir;
  std::unique_ptr<store::event_store> store = open_store(dir);
  std::unique_ptr<running_webhook> webhook = std::make_unique<running_webhook>(*store);
  bot::diagnoser diagnoser{*store, bot::rule_settings{}, [] { return wall_ms(); }, 30};
  bot::command_handler handler{[this](const std::string& id) { return diagnoser.diagnose(id); }};
};

}  // namespace

TEST_CASE("a broken checkout posted to the webhook is diagnosed through Discord", "[e2e]") {
  stack e;
  e.load();
  test::fake_discord fake;
  discord::discord_settings s;
  s.bot_token = test::fake_discord::token;
  s.api_url = fake.api_url();
  s.allow_plaintext = true;
  running<discord::discord_connector, discord::discord_settings> c(s, e.handler);
  REQUIRE(fake.wait_for_ready(1));
  const auto token = fake.send_command(broken_id, "full", channel);
  REQUIRE(fake.wait_for_edits(1, 20s));
  const auto edit = fake.edits().at(0);
  CHECK(edit.path.find(token) != std::string::npos);
  CHECK(edit.body["embeds"][0]["title"].get<std::string>().find("broken") != std::string::npos);
  std::string text;
  for (const auto& m : fake.edits())
    for (const auto& em : m.body["embeds"]) {
      text += em.value("description", "") + "\n";
      for (const auto& f : em.value("fields", json::array()))
        text += f.value("name", "") + "\n" + f.value("value", "") + "\n";
      if (em.contains("footer")) text += em["footer"].value("text", "") + "\n";
    }
  INFO(text);
  CHECK(contains(text, "/api/payment"));
  CHECK(contains(text, "502"));
  CHECK(contains(text, "Payment failed"));
  CHECK(contains(text, "3 other sessions"));
  CHECK(contains(text, "Chrome 124"));
}

TEST_CASE("a broken checkout posted to the webhook is diagnosed through Mattermost", "[e2e]") {
  stack e;
  e.load();
  test::fake_mattermost fake;
  mattermost::mattermost_settings s;
  s.token = test::fake_mattermost::token;
  s.url = fake.url();
  s.allow_plaintext = true;
  running<mattermost::mattermost_connector, mattermost::mattermost_settings> c(s, e.handler);
  REQUIRE(fake.wait_for_hellos(1));
  const auto post = fake.user_posts(std::string("@sessiondx session ") + broken_id, "support");
  REQUIRE(fake.wait_for_replies(1, 20s));
  const auto reply = fake.replies().at(0);
  CHECK(reply.body["channel_id"] == "support");
  CHECK(reply.body["root_id"] == post);
  const std::string text = reply.body["message"];
  INFO(text);
  CHECK(contains(text, "broken"));
  CHECK(contains(text, "/api/payment"));
  CHECK(contains(text, "502"));
  CHECK(contains(text, "Payment failed"));
  CHECK(contains(text, "3 other sessions"));
}

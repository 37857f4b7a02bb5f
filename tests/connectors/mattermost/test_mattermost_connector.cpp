#include "connectors/mattermost/mattermost_connector.hpp"
#include "tests/connectors/mattermost/fake_mattermost.hpp"
#include "tests/support/eventually.hpp"

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <future>
#include <thread>

using namespace sessiondx;
using test::fake_mattermost;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* known_id = "abcd1234efgh5678";
constexpr const char* other_id = "zzzz9999yyyy8888";

bot::diagnosis make_diagnosis(const std::string& id) {
  bot::diagnosis d;
  d.session_id = id;
  d.verdict = bot::verdict::broken;
  d.headline = "Payment failed @channel @here @all";
  d.first_seen_ms = 1'714'730'553'000;
  d.last_seen_ms = 1'714'730'853'000;
  d.event_count = 42;
  bot::finding f;
  f.rule = "api.failed";
  f.category = bot::category::backend;
  f.severity = bot::severity::error;
  f.title = "POST /api/payment -> 502 @channel";
  f.first_seen_ms = d.first_seen_ms;
  f.count = 1;
  d.findings.push_back(f);
  return d;
}

struct harness {
  explicit harness(std::function<void(mattermost::mattermost_settings&)> tweak = {})
      : handler([](const std::string& id) -> bot::diagnose_result {
          if (id == known_id || id == other_id) return make_diagnosis(id);
          return bot::unknown_session{};
        }) {
    mattermost::mattermost_settings s;
    s.token = fake_mattermost::token;
    s.url = fake.url();
    s.allow_plaintext = true;
    s.backoff.base = 20ms;
    s.backoff.cap = 100ms;
    s.jitter = [] { return 1.0; };
    s.request_timeout = 5s;
    s.delivery.retry_delay = 20ms;
    if (tweak) tweak(s);
    connector = std::make_unique<mattermost::mattermost_connector>(
        ioc, s, handler, [this](const mattermost::stop_reason& why) { stopped.set_value(why); });
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

  fake_mattermost fake;
  bot::command_handler handler;
  boost::asio::io_context ioc;
  std::unique_ptr<mattermost::mattermost_connector> connector;
  std::promise<mattermost::stop_reason> stopped;
  std::future<mattermost::stop_reason> stopped_future;
  std::thread thread;
};

}  // namespace

TEST_CASE("mattermost: header auth on the upgrade, a prefixed command answered in its thread") {
  harness h;
  REQUIRE(h.fake.wait_for_hellos(1));
  CHECK(h.fake.upgrade_authorizations().at(0) == std::string("Bearer ") + fake_mattermost::token);
  CHECK(h.fake.upgrade_targets().at(0) == "/api/v4/websocket");
  const auto post = h.fake.user_posts(std::string("!session ") + known_id);
  REQUIRE(h.fake.wait_for_replies(1));
  const auto r = h.fake.replies().at(0);
  CHECK(r.body["channel_id"] == "chan1");
  CHECK(r.body["root_id"] == post);
  const std::string text = r.body["message"];
  INFO(text);
  CHECK(text.find(known_id) != std::string::npos);
  CHECK(text.find("broken") != std::string::npos);
  CHECK(text.find("@channel") == std::string::npos);  // no ping from event text
  CHECK(text.find("@here") == std::string::npos);
  CHECK(text.find("@all") == std::string::npos);
}

TEST_CASE("mattermost: mentions and DMs answered; other posts and its own replies ignored") {
  harness h;
  REQUIRE(h.fake.wait_for_hellos(1));
  h.fake.user_posts("just chatting about sessions");
  const auto thread_root = h.fake.user_posts("the customer says it broke");
  h.fake.user_posts(std::string("@sessiondx session ") + known_id, "chan1", "O", thread_root);
  h.fake.user_posts(std::string("session ") + other_id, "dmchan", "D");
  REQUIRE(h.fake.wait_for_replies(2));
  // Its own two replies come back as posted events; answering them would make a third.
  h.fake.user_posts("!help");
  REQUIRE(h.fake.wait_for_replies(3));
  const auto replies = h.fake.replies();
  REQUIRE(replies.size() == 3);
  CHECK(replies[0].body["root_id"] == thread_root);  // a reply in a thread goes to its root
  CHECK(replies[1].body["channel_id"] == "dmchan");
  CHECK(replies[2].body["message"].get<std::string>().find("/session") != std::string::npos);
}

TEST_CASE("mattermost: a dropped link resumes with connection_id and last seq + 1, no doubles") {
  harness h;
  REQUIRE(h.fake.wait_for_hellos(1));
  h.fake.user_posts(std::string("!session ") + known_id);
  REQUIRE(h.fake.wait_for_replies(1));
  h.fake.hold_events(true);
  h.fake.user_posts(std::string("!session ") + other_id);  // sent while the link is dead
  h.fake.drop_socket();
  REQUIRE(h.fake.wait_for_sockets(2));
  REQUIRE(h.fake.wait_for_replies(2));
  const auto targets = h.fake.upgrade_targets();
  REQUIRE(targets.size() >= 2);
  CHECK(targets[1].find("connection_id=conn") != std::string::npos);  // the hello's id
  // hello (0), the command (1), the bot's own reply (2, unless already held): last + 1.
  CHECK((targets[1].find("sequence_number=3") != std::string::npos ||
         targets[1].find("sequence_number=2") != std::string::npos));
  CHECK(h.fake.hellos() == 1);  // resumed: no new hello
  h.fake.user_posts("!help");
  REQUIRE(h.fake.wait_for_replies(3));
  CHECK(h.fake.replies().size() == 3);
  // In /metrics: connected again after one reconnect, three replies sent.
  const auto& m = h.connector->metrics();
  CHECK(test::eventually([&] { return m.replies(chat::reply_outcome::sent) == 3; }));
  CHECK(h.connector->connected());
  CHECK(m.reconnects() == 1);
}

TEST_CASE("mattermost: a connection the server forgot is caught up over REST") {
  harness h;
  REQUIRE(h.fake.wait_for_hellos(1));
  h.fake.user_posts(std::string("!session ") + known_id);
  REQUIRE(h.fake.wait_for_replies(1));
  h.fake.hold_events(true);
  const auto missed = h.fake.user_posts(std::string("!session ") + other_id);
  h.fake.forget_connections();
  h.fake.drop_socket();
  REQUIRE(h.fake.wait_for_hellos(2));
  REQUIRE(h.fake.wait_for_replies(2));
  CHECK_FALSE(h.fake.calls("/api/v4/channels/chan1/posts?since=").empty());
  CHECK(h.fake.replies().at(1).body["root_id"] == missed);
  CHECK(h.fake.replies().size() == 2);
}

TEST_CASE("mattermost: 429 with Retry-After is waited out, replies kept in order") {
  harness h;
  REQUIRE(h.fake.wait_for_hellos(1));
  h.fake.rate_limit_posts(1, 1);
  const auto first = h.fake.user_posts(std::string("!session ") + known_id);
  const auto second = h.fake.user_posts(std::string("!session ") + other_id);
  REQUIRE(h.fake.wait_for_replies(2, 10s));
  const auto posts = h.fake.calls("/api/v4/posts");
  REQUIRE(posts.size() >= 3);
  CHECK(posts[0].status == 429);
  const auto replies = h.fake.replies();
  CHECK(replies[0].body["root_id"] == first);
  CHECK(replies[1].body["root_id"] == second);
  CHECK(replies[0].at - posts[0].at >= 1s);
}

TEST_CASE("mattermost: a long reply is split within the message limit") {
  harness h([](auto& s) { s.message_limit = 200; });
  REQUIRE(h.fake.wait_for_hellos(1));
  h.fake.user_posts("!help");
  REQUIRE(h.fake.wait_for_replies(2));
  for (const auto& r : h.fake.replies())
    CHECK(r.body["message"].get<std::string>().size() <= 200 * 3);
}

TEST_CASE("mattermost: malformed frames ignored, link kept; a bad token stops") {
  {
    harness h;
    REQUIRE(h.fake.wait_for_hellos(1));
    h.fake.send_raw("garbage");
    h.fake.send_raw(R"({"event":"posted","data":{"post":"not json"},"seq":1})");
    h.fake.user_posts("!help");
    REQUIRE(h.fake.wait_for_replies(1));
    CHECK(h.fake.upgrade_targets().size() == 1);
  }
  harness bad([](auto& s) { s.token = "wrong"; });
  REQUIRE(bad.stopped_future.wait_for(5s) == std::future_status::ready);
  const auto why = bad.stopped_future.get();
  CHECK(why.fatal);
  CHECK(why.message.find("MATTERMOST_TOKEN") != std::string::npos);
  CHECK(bad.connector->metrics().state() == chat::link_state::fatal);
  CHECK_FALSE(bad.connector->connected());
}

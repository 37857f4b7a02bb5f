// Team-lead posts end to end: a real SQLite store filled with events, the leads loop with an
// injected clock, the real Slack and Mattermost posters against the fake servers. The scheduled
// digest and an incident alert arrive in the configured channels in each platform's format;
// restarts (a new loop on the same store) neither repeat nor lose them.

#include "app/leads_loop.hpp"
#include "connectors/discord/poster.hpp"
#include "connectors/mattermost/poster.hpp"
#include "connectors/slack/poster.hpp"
#include "store/sqlite_store.hpp"
#include "tests/connectors/mattermost/fake_mattermost.hpp"
#include "tests/connectors/slack/fake_slack.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <mutex>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace app = sessiondx::app;
namespace bot = sessiondx::bot;
namespace chat = sessiondx::chat;
namespace store = sessiondx::store;
namespace net = boost::asio;
using nlohmann::json;
using sessiondx::test::fake_mattermost;
using sessiondx::test::fake_slack;

namespace {

constexpr std::int64_t minute = 60'000;
constexpr std::int64_t hour = 60 * minute;

std::int64_t utc(int y, unsigned m, unsigned d, int h, int mi = 0) {
  namespace chr = std::chrono;
  const chr::sys_days day{chr::year{y} / chr::month{m} / chr::day{d}};
  return day.time_since_epoch().count() * 24 * hour + h * hour + mi * minute;
}

/// Monday 13 January 2025, 07:55 UTC = 08:55 in Paris.
const std::int64_t start = utc(2025, 1, 13, 7, 55);

struct world {
  sessiondx::test::temp_dir dir;
  std::atomic<std::int64_t> now{start};
  std::unique_ptr<store::event_store> db;
  fake_slack slack;
  fake_mattermost mattermost;
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  std::thread io{[this] { ioc.run(); }};
  int next_event = 0;

  world() {
    store::store_settings s;
    s.path = dir / "leads.db";
    s.now_ms = [this] { return now.load(); };
    db = store::make_sqlite_store(s);
  }
  ~world() {
    work.reset();
    io.join();
    db->close();
  }

  app::leads_settings settings() const {
    app::leads_settings s;
    s.digest_schedule = "0 9 * * 1-5";
    s.digest_timezone = "Europe/Paris";
    s.digest_channels = {{"slack", "CDIGEST"}, {"mattermost", "mm-digest"}};
    s.alert_channels = {{"slack", "CALERTS"}, {"mattermost", "mm-alerts"}};
    return s;
  }

  std::vector<std::shared_ptr<chat::channel_poster>> posters() const {
    sessiondx::slack::poster_settings ss;
    ss.api_url = slack.api_url();
    ss.bot_token = "xoxb-test-token";
    ss.http.allow_plaintext = true;
    sessiondx::mattermost::poster_settings ms;
    ms.url = mattermost.url();
    ms.token = fake_mattermost::token;
    ms.http.allow_plaintext = true;
    return {std::make_shared<sessiondx::slack::poster>(ss),
            std::make_shared<sessiondx::mattermost::poster>(ms)};
  }

  std::unique_ptr<app::leads_loop> loop() {
    return std::make_unique<app::leads_loop>(ioc, *db, settings(), posters(),
                                             [this] { return now.load(); });
  }

  /// One look of `l` at the current clock, waited for (bounded).
  void look(app::leads_loop& l) {
    auto done = net::co_spawn(l.strand(), l.look(), net::use_future);
    REQUIRE(done.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    done.get();
  }

  /// `sessions` sessions hit `issue_key` just before now, on app 3.1 in Firefox.
  void hit(const std::string& issue_key, int sessions) {
    std::vector<store::event> batch;
    for (int i = 0; i < sessions; ++i) {
      store::event e;
      e.id = "e" + std::to_string(++next_event);
      e.session_id = "sess" + std::to_string(next_event);
      e.ts_ms = now.load() - 30'000;
      e.type = "js_error";
      e.severity = "error";
      e.message = "TypeError: cart is undefined";
      e.context = R"({"browser":"Firefox 128","app_version":"3.1"})";
      e.issue_key = issue_key;
      e.app_version = "3.1";
      batch.push_back(std::move(e));
    }
    REQUIRE_FALSE(db->append_and_wait(std::move(batch)).error);
  }
};

std::string slack_text(const sessiondx::test::api_call& c) {
  std::string all;
  for (const auto& b : c.body["blocks"]) all += b["text"]["text"].get<std::string>() + "\n";
  return all;
}

std::vector<sessiondx::test::api_call> slack_posts_to(const fake_slack& f, const std::string& ch) {
  std::vector<sessiondx::test::api_call> out;
  for (auto& c : f.posts())
    if (c.body["channel"] == ch) out.push_back(c);
  return out;
}

std::vector<sessiondx::test::mm_call> mm_posts_to(const fake_mattermost& f, const std::string& ch) {
  std::vector<sessiondx::test::mm_call> out;
  for (auto& c : f.replies())
    if (c.body["channel_id"] == ch) out.push_back(c);
  return out;
}

/// Discord's channel-messages route, as documented (POST /api/v10/channels/{id}/messages answers
/// 200 with the message object, its id a snowflake string), over plain HTTP/1.1 with
/// keep-alive: the one route the fake Discord of tests/connectors/discord does not serve.
class fake_discord_channels {
 public:
  struct request {
    std::string target, authorization, user_agent;
    json body;
  };

  fake_discord_channels() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    REQUIRE(::listen(listener_, 8) == 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~fake_discord_channels() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  std::string api_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/api/v10"; }
  std::vector<request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  static std::string header(const std::string& head, const std::string& name) {
    std::string lower = head;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = lower.find("\r\n" + name + ":");
    if (at == std::string::npos) return "";
    const auto start = head.find_first_not_of(' ', at + 3 + name.size());
    return head.substr(start, head.find("\r\n", start) - start);
  }

  void serve() {
    for (;;) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::string buffer;
      char chunk[4096];
      for (;;) {  // requests on this connection, one after another
        std::size_t end;
        while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
          const auto n = ::read(fd, chunk, sizeof chunk);
          if (n <= 0) break;
          buffer.append(chunk, static_cast<std::size_t>(n));
        }
        if (end == std::string::npos) break;
        const std::string head = buffer.substr(0, end + 2);
        const std::size_t length = std::stoul("0" + header(head, "content-length"));
        while (buffer.size() < end + 4 + length) {
          const auto n = ::read(fd, chunk, sizeof chunk);
          if (n <= 0) break;
          buffer.append(chunk, static_cast<std::size_t>(n));
        }
        request r;
        r.target = head.substr(head.find(' ') + 1,
                               head.find(' ', head.find(' ') + 1) - head.find(' ') - 1);
        r.authorization = header(head, "authorization");
        r.user_agent = header(head, "user-agent");
        r.body = json::parse(buffer.substr(end + 4, length), nullptr, false);
        buffer.erase(0, end + 4 + length);
        json message = r.body;
        std::string status = "200 OK";
        {
          std::lock_guard lock(mutex_);
          message["id"] = std::to_string(1'200'000'000'000'000'000LL + requests_.size());
          requests_.push_back(r);
        }
        if (!r.target.starts_with("/api/v10/channels/") || !r.target.ends_with("/messages") ||
            r.authorization.rfind("Bot ", 0) != 0 || !r.user_agent.starts_with("DiscordBot ")) {
          status = "404 Not Found";
          message = {{"message", "404: Not Found"}, {"code", 0}};
        }
        const std::string body = message.dump();
        const std::string answer =
            "HTTP/1.1 " + status +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n\r\n" + body;
        if (::write(fd, answer.data(), answer.size()) < 0) break;
      }
      ::close(fd);
    }
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::vector<request> requests_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("leads: an alert and its update reach a Discord channel as embeds", "[leads][e2e]") {
  world w;
  fake_discord_channels discord;
  sessiondx::discord::poster_settings ds;
  ds.api_url = discord.api_url();
  ds.bot_token = "MTE.fake.bot-token";
  ds.user_agent = "DiscordBot (https://github.com/sessiondx/sessiondx, 1.0)";
  ds.http.allow_plaintext = true;
  auto settings = w.settings();
  settings.digest_channels = {{"discord", "645027906669510667"}};
  settings.alert_channels = {{"discord", "645027906669510668"}};
  auto loop =
      std::make_unique<app::leads_loop>(w.ioc, *w.db, settings,
                                        std::vector<std::shared_ptr<chat::channel_poster>>{
                                            std::make_shared<sessiondx::discord::poster>(ds)},
                                        [&w] { return w.now.load(); });
  w.look(*loop);
  w.now = utc(2025, 1, 13, 8, 0) + 30'000;
  w.hit("js:checkout", 12);
  w.now = utc(2025, 1, 13, 8, 1);
  w.look(*loop);
  w.now = utc(2025, 1, 13, 8, 4);
  w.hit("js:checkout", 24);
  w.look(*loop);

  const auto r = discord.requests();
  REQUIRE(r.size() == 3);  // the digest, the alert, its update
  CHECK(r[0].target == "/api/v10/channels/645027906669510667/messages");
  CHECK(r[0].authorization == "Bot MTE.fake.bot-token");
  CHECK(r[0].body["embeds"][0]["description"].get<std::string>().find("js:checkout") !=
        std::string::npos);
  CHECK(r[1].target == "/api/v10/channels/645027906669510668/messages");
  const std::string opened = r[1].body["embeds"][0]["description"];
  INFO(opened);
  CHECK(opened.find("Possible incident") != std::string::npos);
  CHECK(opened.find("\u2588") != std::string::npos);  // the sparkline
  CHECK(r[1].body["allowed_mentions"]["parse"].empty());
  CHECK_FALSE(r[1].body.contains("message_reference"));
  // The update replies to the alert (Discord's thread of a channel message).
  CHECK(r[2].body["message_reference"]["message_id"] == "1200000000000000001");
  CHECK(r[2].body["embeds"][0]["description"].get<std::string>().find("Growing") !=
        std::string::npos);
  CHECK(loop->stats().post_failures == 0);
}

TEST_CASE("leads: digest and alert posted to the channels, threaded, once across restarts",
          "[leads][e2e]") {
  world w;
  // Yesterday's traffic, for the digest's trend; two problems.
  w.now = start - 20 * hour;
  w.hit("route:POST /api/cart", 3);
  w.now = start;
  auto loop = w.loop();
  REQUIRE(loop->active());
  w.look(*loop);  // first look: records the schedule's start, nothing due, nothing above
  CHECK(w.slack.posts().empty());
  CHECK(w.mattermost.replies().empty());

  // 08:01 UTC (09:01 in Paris): the digest is due; a checkout spike began.
  w.now = utc(2025, 1, 13, 8, 0) + 30'000;
  w.hit("js:checkout", 12);
  w.hit("route:POST /api/cart", 2);
  w.now = utc(2025, 1, 13, 8, 1);
  w.look(*loop);

  auto digests = slack_posts_to(w.slack, "CDIGEST");
  REQUIRE(digests.size() == 1);
  const std::string digest = slack_text(digests[0]);
  INFO(digest);
  CHECK(digests[0].body["text"].get<std::string>().find("sessiondx digest") == 0);
  CHECK(digests[0].body["blocks"][0]["type"] == "section");
  CHECK(digests[0].body["blocks"][0]["text"]["type"] == "mrkdwn");
  CHECK_FALSE(digests[0].body.contains("thread_ts"));
  CHECK(digest.find("js:checkout") != std::string::npos);
  CHECK(digest.find("\u2581") != std::string::npos);  // the sparkline
  CHECK(digest.find("Late") == std::string::npos);
  auto mm_digests = mm_posts_to(w.mattermost, "mm-digest");
  REQUIRE(mm_digests.size() == 1);
  const std::string mm_digest = mm_digests[0].body["message"];
  CHECK(mm_digest.find("**sessiondx digest") == 0);  // Markdown
  CHECK(mm_digest.find("`js:checkout`") != std::string::npos);

  auto alerts = slack_posts_to(w.slack, "CALERTS");
  REQUIRE(alerts.size() == 1);
  const std::string opened = slack_text(alerts[0]);
  INFO(opened);
  CHECK(opened.find("Possible incident") != std::string::npos);
  CHECK(opened.find("`js:checkout`") != std::string::npos);
  CHECK(opened.find("12 sessions") != std::string::npos);
  CHECK(opened.find("Firefox 128") != std::string::npos);
  CHECK(opened.find("/session sess") != std::string::npos);
  CHECK(opened.find("Last hour: ") != std::string::npos);  // the sparkline
  CHECK(opened.find("\u2588") != std::string::npos);
  CHECK(opened.find("route:POST") == std::string::npos);  // 5 sessions: below the threshold
  auto mm_alerts = mm_posts_to(w.mattermost, "mm-alerts");
  REQUIRE(mm_alerts.size() == 1);
  CHECK(mm_alerts[0].body.value("root_id", "").empty());

  // Restarted at 08:02: neither the digest nor the alert is posted again.
  loop.reset();
  w.now = utc(2025, 1, 13, 8, 2);
  loop = w.loop();
  w.look(*loop);
  CHECK(slack_posts_to(w.slack, "CDIGEST").size() == 1);
  CHECK(slack_posts_to(w.slack, "CALERTS").size() == 1);
  CHECK(mm_posts_to(w.mattermost, "mm-digest").size() == 1);

  // It grows to 36 sessions: one update, in the alert's thread on each platform.
  w.now = utc(2025, 1, 13, 8, 4);
  w.hit("js:checkout", 24);
  w.look(*loop);
  alerts = slack_posts_to(w.slack, "CALERTS");
  REQUIRE(alerts.size() == 2);
  CHECK(slack_text(alerts[1]).find("Growing") != std::string::npos);
  const std::string thread_ts = alerts[1].body.value("thread_ts", "");
  CHECK_FALSE(thread_ts.empty());
  mm_alerts = mm_posts_to(w.mattermost, "mm-alerts");
  REQUIRE(mm_alerts.size() == 2);
  const std::string mm_root = mm_alerts[1].body.value("root_id", "");
  CHECK_FALSE(mm_root.empty());

  // Quiet for an hour, across another restart: "back to normal" in the same threads, once.
  loop.reset();
  w.now = utc(2025, 1, 13, 9, 10);
  loop = w.loop();
  w.look(*loop);
  w.now = utc(2025, 1, 13, 9, 11);
  w.look(*loop);
  alerts = slack_posts_to(w.slack, "CALERTS");
  REQUIRE(alerts.size() == 3);
  CHECK(slack_text(alerts[2]).find("Back to normal") != std::string::npos);
  CHECK(alerts[2].body.value("thread_ts", "") == thread_ts);
  mm_alerts = mm_posts_to(w.mattermost, "mm-alerts");
  REQUIRE(mm_alerts.size() == 3);
  CHECK(mm_alerts[2].body.value("root_id", "") == mm_root);
  CHECK(std::string(mm_alerts[2].body["message"]).find("Back to normal") != std::string::npos);

  // Down from Monday 09:11 UTC to Wednesday 10:30 UTC: Tuesday's and Wednesday's digests are
  // posted once, on start, marked late.
  loop.reset();
  w.now = utc(2025, 1, 15, 10, 30);
  loop = w.loop();
  w.look(*loop);
  w.now = utc(2025, 1, 15, 10, 31);
  w.look(*loop);
  digests = slack_posts_to(w.slack, "CDIGEST");
  REQUIRE(digests.size() == 2);
  CHECK(slack_text(digests[1]).find("Late: due 2025-01-15 09:00 Europe/Paris") !=
        std::string::npos);
  CHECK(mm_posts_to(w.mattermost, "mm-digest").size() == 2);
  CHECK(loop->stats().post_failures == 0);
}

TEST_CASE("leads: a refused post is retried at the next look, not lost", "[leads][e2e]") {
  world w;
  auto loop = w.loop();
  w.look(*loop);
  w.slack.fail_post_message("channel_not_found");
  w.now = utc(2025, 1, 13, 8, 1);
  w.look(*loop);
  CHECK(w.slack.calls("chat.postMessage").size() == 1);  // answered ok:false
  CHECK(loop->stats().post_failures == 1);
  CHECK(loop->stats().digests_posted == 1);
  CHECK(mm_posts_to(w.mattermost, "mm-digest").size() == 1);  // Mattermost is not held back
  w.slack.fail_post_message("");
  w.now = utc(2025, 1, 13, 8, 2);
  w.look(*loop);
  CHECK(w.slack.calls("chat.postMessage").size() == 2);
  CHECK(loop->stats().digests_posted == 2);
  w.now = utc(2025, 1, 13, 8, 3);
  w.look(*loop);
  CHECK(w.slack.calls("chat.postMessage").size() == 2);  // and only once
  CHECK(mm_posts_to(w.mattermost, "mm-digest").size() == 1);
}

TEST_CASE("leads: a 429 from Slack is waited out", "[leads][e2e]") {
  world w;
  auto posters = w.posters();
  w.slack.rate_limit_posts(1, 1);
  bot::report_reply r{"title", "text", "**md**", "*mrkdwn*"};
  const std::string channel = "C1", thread = "1700000000.000001";
  auto done = net::co_spawn(w.ioc, posters[0]->post(channel, r, thread), net::use_future);
  REQUIRE(done.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  CHECK_FALSE(done.get().empty());
  const auto posts = w.slack.posts();
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].body["thread_ts"] == "1700000000.000001");
  CHECK(w.slack.calls("chat.postMessage").size() == 2);
}

TEST_CASE("leads: Discord channel messages are embeds replying to the alert", "[leads]") {
  const bot::report_reply r{"Possible incident: js:x (12 sessions)", "plain",
                            "**\u26A0 Possible incident:** `js:x`\n12 sessions", "mrkdwn"};
  const auto first = sessiondx::discord::channel_messages(r, "");
  REQUIRE(first.size() == 1);
  CHECK_FALSE(first[0].contains("message_reference"));
  REQUIRE(first[0]["embeds"].is_array());
  CHECK(first[0]["embeds"][0]["description"].get<std::string>().find("`js:x`") !=
        std::string::npos);
  CHECK(first[0]["allowed_mentions"]["parse"].empty());
  const auto reply = sessiondx::discord::channel_messages(r, "1234567890");
  CHECK(reply[0]["message_reference"]["message_id"] == "1234567890");
}

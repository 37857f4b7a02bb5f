// Team-lead posts end to end: a real SQLite store filled with events, the leads loop with an
// injected clock, the real Slack and Mattermost posters against the fake servers. The scheduled
// digest and an incident alert arrive in the configured channels in each platform's format;
// restarts (a new loop on the same store) neither repeat nor lose them.

#include "app/leads_loop.hpp"
#include "connectors/discord/poster.hpp"
#include "connectors/mattermost/poster.hpp"
#include "connectors/slack/poster.hpp"
#include "store/sqlite_store.hpp"
#include "tests/connectors/discord/fake_discord.hpp"
#include "tests/connectors/mattermost/fake_mattermost.hpp"
#include "tests/connectors/slack/fake_slack.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace app = sessiondx::app;
namespace bot = sessiondx::bot;
namespace chat = sessiondx::chat;
namespace store = sessiondx::store;
namespace net = boost::asio;
using nlohmann::json;
using sessiondx::test::fake_discord;
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

}  // namespace

TEST_CASE("leads: an alert and its update reach a Discord channel as embeds", "[leads][e2e]") {
  world w;
  fake_discord discord;
  sessiondx::discord::poster_settings ds;
  ds.api_url = discord.api_url();
  ds.bot_token = fake_discord::token;
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

  const auto r = discord.channel_messages();
  REQUIRE(r.size() == 3);  // the digest, the alert, its update
  for (const auto& m : r) CHECK(m.status == 200);
  CHECK(r[0].path == "/api/v10/channels/645027906669510667/messages");
  CHECK(r[0].authorization == std::string("Bot ") + fake_discord::token);
  CHECK(r[0].body["embeds"][0]["description"].get<std::string>().find("js:checkout") !=
        std::string::npos);
  CHECK(r[1].path == "/api/v10/channels/645027906669510668/messages");
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

TEST_CASE("leads: a failed alert post is retried with backoff, across a restart, and arrives once",
          "[leads][e2e]") {
  world w;
  auto settings = w.settings();
  settings.digest_schedule.clear();  // alerts only: every Slack call below is an alert post
  const auto make_loop = [&] {
    return std::make_unique<app::leads_loop>(w.ioc, *w.db, settings, w.posters(),
                                             [&w] { return w.now.load(); });
  };
  const auto alert_calls = [&w] { return slack_posts_to(w.slack, "CALERTS").size(); };
  auto loop = make_loop();
  w.look(*loop);
  w.now = utc(2025, 1, 13, 8, 0) + 30'000;
  w.hit("js:checkout", 12);

  // 08:01: Slack fails the post; Mattermost gets its alert at once.
  w.slack.fail_post_message("internal_error");
  w.now = utc(2025, 1, 13, 8, 1);
  w.look(*loop);
  CHECK(alert_calls() == 1);
  CHECK(loop->stats().post_failures == 1);
  CHECK(mm_posts_to(w.mattermost, "mm-alerts").size() == 1);
  // Not before its retry time (one minute after the first failure).
  w.now = utc(2025, 1, 13, 8, 1) + 30'000;
  w.look(*loop);
  CHECK(alert_calls() == 1);

  // Restarted: the pending post is in the store, retried at 08:02, and fails again.
  loop.reset();
  loop = make_loop();
  w.now = utc(2025, 1, 13, 8, 2);
  w.look(*loop);
  CHECK(alert_calls() == 2);
  // The second failure waits two minutes: nothing at 08:03.
  w.slack.fail_post_message("");
  w.now = utc(2025, 1, 13, 8, 3);
  w.look(*loop);
  CHECK(alert_calls() == 2);
  // 08:04: posted, with what the evaluation said at 08:01.
  w.now = utc(2025, 1, 13, 8, 4);
  w.look(*loop);
  auto alerts = slack_posts_to(w.slack, "CALERTS");
  REQUIRE(alerts.size() == 3);
  const std::string opened = slack_text(alerts[2]);
  INFO(opened);
  CHECK(opened.find("Possible incident") != std::string::npos);
  CHECK(opened.find("12 sessions") != std::string::npos);
  CHECK(loop->stats().alerts_posted == 1);
  // Once: later looks, and another restart, post nothing more.
  w.now = utc(2025, 1, 13, 8, 5);
  w.look(*loop);
  loop.reset();
  loop = make_loop();
  w.now = utc(2025, 1, 13, 8, 6);
  w.look(*loop);
  CHECK(alert_calls() == 3);
  CHECK(mm_posts_to(w.mattermost, "mm-alerts").size() == 1);

  // The update goes into the thread the retried post started.
  w.hit("js:checkout", 24);
  w.now = utc(2025, 1, 13, 8, 7);
  w.look(*loop);
  alerts = slack_posts_to(w.slack, "CALERTS");
  REQUIRE(alerts.size() == 4);
  CHECK(slack_text(alerts[3]).find("Growing") != std::string::npos);
  CHECK_FALSE(alerts[3].body.value("thread_ts", "").empty());
  CHECK(mm_posts_to(w.mattermost, "mm-alerts").size() == 2);
}

TEST_CASE("leads: an alert post that keeps failing is dropped after its last attempt", "[leads]") {
  // The schedule of retries: 1, 2, 4, 8, 16, then 30 minutes, max_alert_attempts in all.
  CHECK(bot::alert_retry_delay_ms(1) == minute);
  CHECK(bot::alert_retry_delay_ms(2) == 2 * minute);
  CHECK(bot::alert_retry_delay_ms(5) == 16 * minute);
  CHECK(bot::alert_retry_delay_ms(6) == 30 * minute);
  CHECK(bot::alert_retry_delay_ms(40) == 30 * minute);
  std::int64_t total = 0;
  for (int i = 1; i < bot::max_alert_attempts; ++i) total += bot::alert_retry_delay_ms(i);
  CHECK(total > 5 * hour);
  CHECK(total < 7 * hour);
  // The pending posts go through the stored state as JSON.
  bot::incident_state state;
  state.pending.push_back(
      {"js:x", bot::alert_kind::grew, "slack", "t", "x", "**x**", "*x*", 3, 1'700'000'000'000});
  CHECK(bot::incident_state_from_json(bot::to_json(state)) == state);
  CHECK_THROWS_WITH(bot::incident_state_from_json(R"({"pending":[{"issue_key":"k"}]})"),
                    "incident state: pending.kind is not a string");
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

TEST_CASE("leads: a 429 from Discord's Create Message is waited out, in order", "[leads][e2e]") {
  world w;
  fake_discord discord;
  sessiondx::discord::poster_settings ds;
  ds.api_url = discord.api_url();
  ds.bot_token = fake_discord::token;
  ds.user_agent = "DiscordBot (https://github.com/sessiondx/sessiondx, 1.0)";
  ds.http.allow_plaintext = true;
  sessiondx::discord::poster poster(ds);
  discord.rate_limit_channel_messages(1, 0.2);
  bot::report_reply r{"title", "text", "**md**", "*mrkdwn*"};
  const std::string channel = "645027906669510667", no_thread;
  auto done = net::co_spawn(w.ioc, poster.post(channel, r, no_thread), net::use_future);
  REQUIRE(done.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  const std::string id = done.get();
  const auto calls = discord.channel_messages();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].status == 429);
  CHECK(calls[1].status == 200);
  // Retry-After is 0.2 s: the second try waited at least that long.
  CHECK(calls[1].at - calls[0].at >= std::chrono::milliseconds(200));
  CHECK(id == "1200000000000000000");
}

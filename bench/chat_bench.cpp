// sessiondx-chat-bench: command-to-reply latency of the Discord and Mattermost connectors, on
// loopback.
//
// One process holds everything: a real SQLite store (in a fresh temporary directory) filled with
// sessions through the server's own event parser, the real diagnosis stack, the real connector,
// and the fake platform server of the test suite (tests/connectors/discord/fake_discord.*,
// tests/connectors/mattermost/fake_mattermost.*), which speaks the documented protocol over
// plain HTTP and ws on 127.0.0.1.
//
// One Discord sample: from just before the fake sends INTERACTION_CREATE on the gateway to the
// moment it has read the PATCH …/messages/@original carrying the embeds (after the deferred
// response, type 5). One Mattermost sample: from just before the fake sends the `posted` event
// to the moment it has read the POST /api/v4/posts answering it. Commands go one at a time (the
// next when the reply has arrived), then in bursts of --concurrency. Every reply is checked to be
// the diagnosis of the session asked for.

#include "bench/harness.hpp"
#include "bench/latency.hpp"
#include "bot/commands.hpp"
#include "bot/diagnoser.hpp"
#include "connectors/discord/discord_connector.hpp"
#include "connectors/mattermost/mattermost_connector.hpp"
#include "connectors/webhook/event_parser.hpp"
#include "store/sqlite_store.hpp"
#include "tests/connectors/discord/fake_discord.hpp"
#include "tests/connectors/mattermost/fake_mattermost.hpp"

#include <boost/asio/io_context.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace bench = sessiondx::bench;
namespace bot = sessiondx::bot;
namespace discord = sessiondx::discord;
namespace mattermost = sessiondx::mattermost;
namespace store = sessiondx::store;
namespace test = sessiondx::test;
namespace webhook = sessiondx::webhook;
using nlohmann::json;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct options {
  std::size_t sequential = 500;
  std::size_t concurrent = 400;
  std::size_t concurrency = 8;
  std::size_t warmup = 20;
  std::size_t sessions = 12;
  std::size_t events = 150;
  std::size_t lookup_threads = 2;
  std::string only;  ///< "discord" or "mattermost"; both when empty
  bool json = false;
  bool verbose = false;
};

using bench::cpu_seconds;
using bench::loadavg;
using bench::wall_ms;

/// Sessions of `events` events each with a failing checkout in the middle, and a crowd of 30
/// short ones hitting the same 502 (the blast radius). Returns the ids asked about.
std::vector<std::string> fill(store::event_store& db, const options& opt) {
  const webhook::event_parser parser(webhook::ingest_settings{});
  const std::int64_t now = wall_ms();
  std::vector<std::string> ids;
  auto session = [&](const std::string& id, std::int64_t start, std::size_t browse) {
    json events = json::array();
    std::int64_t ts = start;
    auto add = [&](const char* type, json attrs, const char* page) {
      ts += 400;
      events.push_back({{"id", id + "-" + std::to_string(events.size() + 1)},
                        {"session_id", id},
                        {"ts", ts},
                        {"type", type},
                        {"page", page},
                        {"attrs", std::move(attrs)},
                        {"context", {{"browser", "Chrome 124"}, {"os", "Windows 11"}}}});
    };
    for (std::size_t i = 0; i < browse / 2; ++i)
      add("http_request",
          {{"method", "GET"}, {"route", "/api/products/:id"}, {"status", 200}, {"duration_ms", 90}},
          "/products/42");
    add("http_request",
        {{"method", "POST"}, {"route", "/api/payment"}, {"status", 502}, {"duration_ms", 812}},
        "/checkout");
    add("ui_message",
        {{"level", "error"}, {"text", "Payment failed"}, {"component", "PaymentForm"}},
        "/checkout");
    for (std::size_t i = browse / 2; i < browse; ++i)
      add("click", {{"target", "button#pay"}}, "/checkout");
    auto parsed = parser.parse(events.dump(), webhook::body_format::json);
    auto* batch = std::get_if<webhook::parsed_batch>(&parsed);
    if (batch == nullptr || !batch->rejected.empty())
      throw std::runtime_error("bench events do not parse");
    const auto r = db.append_and_wait(std::move(batch->events));
    if (r.error) throw std::runtime_error("append failed: " + r.error.message());
  };
  for (std::size_t i = 0; i < opt.sessions; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "chtb%04zuQx7Lm2", i);
    session(id, now - 3'600'000 + static_cast<std::int64_t>(i) * 60'000, opt.events);
    ids.emplace_back(id);
  }
  for (std::size_t i = 0; i < 30; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "crwd%04zuTz9Kp4", i);
    session(id, now - 7'200'000 + static_cast<std::int64_t>(i) * 90'000, 10);
  }
  return ids;
}

struct run_result {
  std::string platform, name;
  std::size_t concurrency = 1;
  std::vector<std::uint32_t> latency_us;
  double cpu_ms_per_command = 0;  ///< the whole process: connector, fake and driver
};

struct command_sent {
  std::string session_id;
  steady::time_point at;
  bool measured;
};

/// A reply as the fake read it: the key of the command it answers, its text, when it arrived.
struct reply_seen {
  std::string key;
  std::string text;
  steady::time_point at;
};

/// The two runs (one at a time, then bursts) through one platform's fake. `Platform` has
/// `std::string send(session_id, n)` (sends command n, returns its key), `bool wait(n)` (n
/// replies arrived), `std::vector<reply_seen> replies()` (in arrival order) and
/// `bool answers(reply, session_id)` (the reply is that session's diagnosis).
template <class Platform>
void measure(Platform& p, const std::string& platform, const options& opt,
             const std::vector<std::string>& ids, std::vector<run_result>& out) {
  std::map<std::string, command_sent> sent;  // by key
  auto drive = [&](std::size_t count, std::size_t group, std::size_t warmup) {
    for (std::size_t i = 0; i < count;) {
      for (std::size_t k = 0; k < group && i < count; ++k, ++i) {
        const std::string& id = ids[sent.size() % ids.size()];
        const auto at = steady::now();
        const std::string key = p.send(id, sent.size());
        sent.emplace(key, command_sent{id, at, i >= warmup});
      }
      if (!p.wait(sent.size())) throw std::runtime_error(platform + ": no reply within 30 s");
    }
  };
  auto collect = [&](run_result& r, std::size_t from, std::size_t to) {
    const auto replies = p.replies();
    for (std::size_t n = from; n < to; ++n) {
      const auto& reply = replies.at(n);
      const auto& command = sent.at(reply.key);
      if (!p.answers(reply, command.session_id))
        throw std::runtime_error(platform + ": unexpected reply: " + reply.text.substr(0, 80));
      if (command.measured)
        r.latency_us.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(reply.at - command.at).count()));
    }
  };
  run_result one{platform, "one at a time", 1, {}, 0};
  double cpu = cpu_seconds();
  drive(opt.sequential, 1, opt.warmup);
  one.cpu_ms_per_command = (cpu_seconds() - cpu) * 1000.0 / static_cast<double>(opt.sequential);
  collect(one, 0, opt.sequential);
  run_result bursts{platform, "bursts", opt.concurrency, {}, 0};
  cpu = cpu_seconds();
  drive(opt.concurrent, opt.concurrency, 0);
  bursts.cpu_ms_per_command = (cpu_seconds() - cpu) * 1000.0 /
                              static_cast<double>(std::max<std::size_t>(1, opt.concurrent));
  collect(bursts, opt.sequential, opt.sequential + opt.concurrent);
  out.push_back(std::move(one));
  out.push_back(std::move(bursts));
}

// ---- Discord: INTERACTION_CREATE in, PATCH @original with the embeds out ----

struct discord_platform {
  test::fake_discord& fake;

  std::string send(const std::string& session_id, std::size_t n) {
    return fake.send_command(session_id, "", "9" + std::to_string(100'000 + n));
  }
  bool wait(std::size_t n) { return fake.wait_for_edits(n, 30s); }
  std::vector<reply_seen> replies() {
    std::vector<reply_seen> out;
    for (const auto& e : fake.edits()) {
      // "/api/v10/webhooks/333/<token>/messages/@original"
      const auto start = e.path.find("/webhooks/333/") + 14;
      out.push_back({e.path.substr(start, e.path.find('/', start) - start),
                     e.body["embeds"][0].value("title", ""), e.at});
    }
    return out;
  }
  static bool answers(const reply_seen& r, const std::string& session_id) {
    return r.text.rfind("Session " + session_id + ": ", 0) == 0;
  }
};

void discord_runs(const options& opt, const bot::command_handler& handler,
                  const std::vector<std::string>& ids, std::vector<run_result>& out) {
  test::fake_discord fake;
  discord::discord_settings s;
  s.bot_token = test::fake_discord::token;
  s.api_url = fake.api_url();
  s.allow_plaintext = true;
  s.lookup_threads = opt.lookup_threads;
  bench::running<discord::discord_connector> c(s, handler);
  if (!fake.wait_for_ready(1, 10s)) throw std::runtime_error("discord: no READY");
  discord_platform p{fake};
  measure(p, "discord", opt, ids, out);
}

// ---- Mattermost: a `posted` event in, POST /api/v4/posts in its thread out ----

struct mattermost_platform {
  test::fake_mattermost& fake;

  std::string send(const std::string& session_id, std::size_t n) {
    return fake.user_posts("!session " + session_id, "ch" + std::to_string(100'000 + n));
  }
  bool wait(std::size_t n) { return fake.wait_for_replies(n, 30s); }
  std::vector<reply_seen> replies() {
    std::vector<reply_seen> out;
    for (const auto& p : fake.replies())
      out.push_back({p.body.value("root_id", ""), p.body.value("message", ""), p.at});
    return out;
  }
  static bool answers(const reply_seen& r, const std::string& session_id) {
    return r.text.find(session_id) != std::string::npos;
  }
};

void mattermost_runs(const options& opt, const bot::command_handler& handler,
                     const std::vector<std::string>& ids, std::vector<run_result>& out) {
  test::fake_mattermost fake;
  mattermost::mattermost_settings s;
  s.token = test::fake_mattermost::token;
  s.url = fake.url();
  s.allow_plaintext = true;
  s.lookup_threads = opt.lookup_threads;
  bench::running<mattermost::mattermost_connector> c(s, handler);
  if (!fake.wait_for_hellos(1, 10s)) throw std::runtime_error("mattermost: no hello");
  mattermost_platform p{fake};
  measure(p, "mattermost", opt, ids, out);
}

int run(const options& opt) {
  // The connectors log every command at info.
  spdlog::set_level(opt.verbose ? spdlog::level::info : spdlog::level::warn);
  const std::string load_before = loadavg();
  std::string pattern =
      (std::filesystem::temp_directory_path() / "sessiondx-chat-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  const std::filesystem::path dir = pattern;

  std::vector<run_result> results;
  {
    store::store_settings ss;
    ss.path = dir / "events.db";
    auto db = store::make_sqlite_store(ss);
    const auto ids = fill(*db, opt);
    const bot::diagnoser diagnoser(*db, bot::rule_settings{}, wall_ms, 30);
    const bot::command_handler handler(
        [&diagnoser](const std::string& id) { return diagnoser.diagnose(id); });
    if (opt.only.empty() || opt.only == "discord") discord_runs(opt, handler, ids, results);
    if (opt.only.empty() || opt.only == "mattermost") mattermost_runs(opt, handler, ids, results);
    db->close();
  }
  std::filesystem::remove_all(dir);

  json out{{"load_before", load_before},
           {"load_after", loadavg()},
           {"cores", std::thread::hardware_concurrency()},
           {"runs", json::array()}};
  for (auto& r : results) {
    const auto s = bench::summarise(r.latency_us);
    out["runs"].push_back({{"platform", r.platform},
                           {"name", r.name},
                           {"concurrency", r.concurrency},
                           {"count", s.count},
                           {"p50_ms", s.p50_ms},
                           {"p90_ms", s.p90_ms},
                           {"p99_ms", s.p99_ms},
                           {"max_ms", s.max_ms},
                           {"cpu_ms_per_command", r.cpu_ms_per_command}});
  }
  if (opt.json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf("command -> reply on loopback (load average before %s, after %s; %u cores)\n",
              load_before.c_str(), out["load_after"].get<std::string>().c_str(),
              std::thread::hardware_concurrency());
  std::printf("%-11s %-14s %5s %7s %9s %9s %9s %9s %9s\n", "platform", "run", "conc", "count",
              "p50 ms", "p90 ms", "p99 ms", "max ms", "cpu ms");
  for (const auto& r : out["runs"])
    std::printf("%-11s %-14s %5zu %7zu %9.2f %9.2f %9.2f %9.2f %9.2f\n",
                r["platform"].get<std::string>().c_str(), r["name"].get<std::string>().c_str(),
                r["concurrency"].get<std::size_t>(), r["count"].get<std::size_t>(),
                r["p50_ms"].get<double>(), r["p90_ms"].get<double>(), r["p99_ms"].get<double>(),
                r["max_ms"].get<double>(), r["cpu_ms_per_command"].get<double>());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  CLI::App cli{"Command-to-reply latency of the Discord and Mattermost connectors on loopback"};
  cli.add_option("--commands", opt.sequential, "commands sent one at a time");
  cli.add_option("--concurrent", opt.concurrent, "commands sent in bursts");
  cli.add_option("--concurrency", opt.concurrency, "commands per burst");
  cli.add_option("--warmup", opt.warmup, "first commands not measured");
  cli.add_option("--sessions", opt.sessions, "sessions asked about");
  cli.add_option("--events", opt.events, "events per session asked about");
  cli.add_option("--lookup-threads", opt.lookup_threads, "lookup threads per connector");
  cli.add_option("--only", opt.only, "discord or mattermost (default: both)");
  cli.add_flag("--json", opt.json, "print JSON");
  cli.add_flag("--verbose", opt.verbose, "the connectors' log at info level");
  CLI11_PARSE(cli, argc, argv);
  try {
    return run(opt);
  } catch (const std::exception& e) {
    std::cerr << "sessiondx-chat-bench: " << e.what() << "\n";
    return 1;
  }
}

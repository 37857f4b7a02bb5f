// sessiondx-slack-bench: command-to-reply latency of the Slack connector, on loopback.
//
// One process holds everything: a real SQLite store (in a fresh temporary directory) filled with
// realistic sessions through the server's own event parser, the real diagnosis stack
// (bot::diagnoser + bot::command_handler), the real Socket Mode connector, and the fake Slack of
// the test suite (tests/connectors/slack/fake_slack.*), which speaks the documented protocol over
// plain HTTP and ws on 127.0.0.1.
//
// One sample is one `/session <id>` slash command: from just before the fake Slack sends the
// envelope on the websocket to the moment the fake has read the chat.postMessage carrying the
// reply (both on the steady clock). In between: websocket frame, parse, ack, command parsing, the
// lookup on the connector's thread pool (store reads, rules, blast radius), Block Kit rendering
// and the HTTP POST. Every command goes to its own channel so that each reply is matched to its
// command, and every reply is checked to be the diagnosis of the session asked for.
//
// Two runs: commands one at a time (the next is sent when the reply has arrived), then bursts of
// --concurrency commands sent back to back (the next burst when all replies have arrived).

#include "bench/harness.hpp"
#include "bench/latency.hpp"
#include "bot/commands.hpp"
#include "bot/diagnoser.hpp"
#include "connectors/slack/socket_mode_connector.hpp"
#include "connectors/webhook/event_parser.hpp"
#include "store/sqlite_store.hpp"
#include "tests/connectors/slack/fake_slack.hpp"

#include <boost/asio/io_context.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace {

namespace bench = sessiondx::bench;
namespace bot = sessiondx::bot;
namespace slack = sessiondx::slack;
namespace store = sessiondx::store;
namespace test = sessiondx::test;
namespace webhook = sessiondx::webhook;
using nlohmann::json;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct options {
  std::size_t sequential = 2'000;
  std::size_t concurrent = 1'000;
  std::size_t concurrency = 8;
  std::size_t warmup = 50;
  std::size_t sessions = 12;
  std::size_t events = 150;
  std::size_t crowd = 40;
  std::size_t lookup_threads = 2;
  std::string dir;
  bool json = false;
  std::uint64_t seed = 42;
};

using bench::cpu_seconds;
using bench::loadavg;
using bench::wall_ms;

// ---- the sessions in the store --------------------------------------------------------------

/// One session's webhook events, as a website backend sends them, in time order.
class session_script {
 public:
  session_script(std::string id, std::int64_t start_ms, json context)
      : id_(std::move(id)), ts_(start_ms), context_(std::move(context)) {}

  void add(std::int64_t after_ms, const char* type, json attrs, const char* page) {
    ts_ += after_ms;
    events_.push_back({{"id", id_ + "-" + std::to_string(events_.size() + 1)},
                       {"session_id", id_},
                       {"ts", ts_},
                       {"type", type},
                       {"page", page},
                       {"attrs", std::move(attrs)},
                       {"context", context_}});
  }

  void browse(std::mt19937_64& rng) {
    switch (rng() % 5) {
      case 0:
        add(900, "page_view", {{"ttfb_ms", 180}, {"fcp_ms", 900}, {"lcp_ms", 1700}},
            "/products/42");
        break;
      case 1:
        add(400, "http_request",
            {{"method", "GET"},
             {"route", "/api/products/:id"},
             {"status", 200},
             {"duration_ms", 90}},
            "/products/42");
        break;
      case 2:
        add(700, "http_request",
            {{"method", "POST"}, {"route", "/api/cart"}, {"status", 200}, {"duration_ms", 140}},
            "/cart");
        break;
      case 3:
        add(1500, "click", {{"target", "button#add-to-cart"}}, "/products/42");
        break;
      default:
        add(300, "ui_message",
            {{"level", "info"}, {"text", "Item added to your cart"}, {"component", "Toast"}},
            "/products/42");
    }
  }

  /// A checkout that fails: slow page, 502 from the payment API, "Payment failed" 300 ms later, a
  /// JavaScript error and rage clicks on the Pay button.
  void broken_checkout() {
    add(2000, "page_view", {{"ttfb_ms", 950}, {"fcp_ms", 2600}, {"lcp_ms", 4800}}, "/checkout");
    add(600, "long_task", {{"duration_ms", 320}}, "/checkout");
    add(1200, "click", {{"target", "button#pay"}}, "/checkout");
    add(50, "http_request",
        {{"method", "POST"}, {"route", "/api/payment"}, {"status", 502}, {"duration_ms", 812}},
        "/checkout");
    add(300, "ui_message",
        {{"level", "error"}, {"text", "Payment failed"}, {"component", "PaymentForm"}},
        "/checkout");
    add(200, "js_error",
        {{"message", "TypeError: Cannot read properties of null (reading 'price')"},
         {"stack",
          "TypeError: Cannot read properties of null (reading 'price')\n"
          "    at updateTotals (checkout.js:1:20417)"},
         {"source", "checkout.js"}},
        "/checkout");
    for (int i = 0; i < 4; ++i) add(250, "click", {{"target", "button#pay"}}, "/checkout");
  }

  std::size_t size() const { return events_.size(); }
  const json& events() const { return events_; }

 private:
  std::string id_;
  std::int64_t ts_;
  json context_;
  json events_ = json::array();
};

json context_of(std::size_t i) {
  static const char* const browsers[] = {"Chrome 124", "Safari 17.4", "Firefox 125", "Edge 124"};
  static const char* const oses[] = {"Windows 11", "iOS 17.4", "Ubuntu 24.04", "macOS 14.4"};
  return {{"browser", browsers[i % 4]},
          {"os", oses[i % 4]},
          {"app_version", i % 3 == 0 ? "4.11.3" : "4.12.0"},
          {"locale", "en-US"}};
}

/// Parses with the server's own parser (issue keys, scrubbing) and appends, as ingest does.
void store_session(store::event_store& db, const webhook::event_parser& parser,
                   const session_script& s) {
  auto parsed = parser.parse(s.events().dump(), webhook::body_format::json);
  auto* batch = std::get_if<webhook::parsed_batch>(&parsed);
  if (batch == nullptr) throw std::runtime_error("bench events do not parse");
  if (!batch->rejected.empty())
    throw std::runtime_error("bench event rejected: " + batch->rejected.front().error);
  const auto r = db.append_and_wait(std::move(batch->events));
  if (r.error) throw std::runtime_error("append failed: " + r.error.message());
}

/// Adds the sessions asked about (each ~`events` long, a broken checkout in it) and a crowd of
/// short sessions hitting the same 502 (the blast radius). Returns the ids asked about.
std::vector<std::string> fill(store::event_store& db, const options& opt) {
  const webhook::event_parser parser(webhook::ingest_settings{});
  std::mt19937_64 rng(opt.seed);
  const std::int64_t now = wall_ms();
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < opt.sessions; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "slkb%04zuQx7Lm2", i);
    session_script s(id, now - 3'600'000 + static_cast<std::int64_t>(i) * 60'000, context_of(i));
    s.add(0, "session_start", {{"landing_page", "/"}}, "/");
    const std::size_t problem_at = opt.events / 2;
    while (s.size() < opt.events) {
      if (s.size() == problem_at)
        s.broken_checkout();
      else
        s.browse(rng);
    }
    store_session(db, parser, s);
    ids.emplace_back(id);
  }
  for (std::size_t i = 0; i < opt.crowd; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "crwd%04zuTz9Kp4", i);
    session_script s(id, now - 7'200'000 + static_cast<std::int64_t>(i) * 90'000, context_of(i));
    for (int k = 0; k < 12; ++k) s.browse(rng);
    s.broken_checkout();
    store_session(db, parser, s);
  }
  return ids;
}

// ---- the run --------------------------------------------------------------------------------

std::string header_of(const json& body) {
  if (!body.contains("blocks") || !body["blocks"].is_array()) return {};
  for (const auto& b : body["blocks"])
    if (b.value("type", "") == "header") return b["text"].value("text", "");
  return {};
}

struct command_sent {
  std::string session_id;
  steady::time_point at;
  bool measured = false;
};

struct run_result {
  std::string name;
  std::size_t concurrency = 1;
  std::vector<std::uint32_t> latency_us;
  std::vector<std::uint32_t> diagnose_us;  ///< the handler's own time (store, rules), same commands
  double cpu_ms_per_command = 0;
  double wall_s = 0;
};

/// Drives the fake Slack; every command goes to its own channel.
class driver {
 public:
  driver(test::fake_slack& slack, std::vector<std::string> ids)
      : slack_(slack), ids_(std::move(ids)) {}

  /// Sends `count` commands in groups of `group` (back to back), waiting for every reply of a
  /// group before the next. The first `warmup` commands are not measured.
  void run(std::size_t count, std::size_t group, std::size_t warmup, run_result& out) {
    const auto cpu0 = cpu_seconds();
    const auto t0 = steady::now();
    std::vector<std::string> channels;
    for (std::size_t i = 0; i < count;) {
      for (std::size_t k = 0; k < group && i < count; ++k, ++i) {
        const std::size_t n = sent_.size();
        const std::string channel = "CB" + std::to_string(100'000 + n);
        const std::string& id = ids_[n % ids_.size()];
        command_sent c{id, steady::now(), i >= warmup};
        slack_.send(0, test::slack_frames::slash_command("env-" + std::to_string(n), "/session", id,
                                                         channel, "U0AGENT", response_url_));
        sent_.emplace(channel, std::move(c));
        channels.push_back(channel);
      }
      if (!slack_.wait_for_posts(sent_.size(), 30s))
        throw std::runtime_error("no reply within 30 s after " + std::to_string(sent_.size()) +
                                 " commands");
    }
    out.wall_s = std::chrono::duration<double>(steady::now() - t0).count();
    out.cpu_ms_per_command = (cpu_seconds() - cpu0) * 1000.0 / static_cast<double>(count);
    run_channels_.push_back({&out, std::move(channels)});
  }

  /// Matches every reply to its command and fills the samples; throws on a wrong reply.
  void collect() {
    std::map<std::string, const test::api_call*> by_channel;
    const auto posts = slack_.posts();
    for (const auto& p : posts) {
      const std::string channel = p.body.value("channel", "");
      if (by_channel.count(channel) != 0)
        throw std::runtime_error("two replies in channel " + channel);
      by_channel[channel] = &p;
    }
    for (auto& [result, channels] : run_channels_) {
      for (const auto& channel : channels) {
        const auto& sent = sent_.at(channel);
        const auto it = by_channel.find(channel);
        if (it == by_channel.end()) throw std::runtime_error("no reply in " + channel);
        const std::string header = header_of(it->second->body);
        if (header.rfind("Session " + sent.session_id + ": ", 0) != 0)
          throw std::runtime_error("unexpected reply in " + channel + ": " + header);
        if (!sent.measured) continue;
        const auto us =
            std::chrono::duration_cast<std::chrono::microseconds>(it->second->at - sent.at);
        result->latency_us.push_back(static_cast<std::uint32_t>(us.count()));
      }
    }
  }

 private:
  test::fake_slack& slack_;
  std::vector<std::string> ids_;
  std::string response_url_ = slack_.response_url();
  std::map<std::string, command_sent> sent_;
  std::vector<std::pair<run_result*, std::vector<std::string>>> run_channels_;
};

/// The connector on one io_context thread, as `sessiondx serve` runs it.
slack::slack_settings bench_settings(test::fake_slack& fake, std::size_t lookup_threads) {
  slack::slack_settings s;
  s.app_token = "xapp-1-A111-bench";
  s.bot_token = "xoxb-bench";
  s.api_url = fake.api_url();
  s.allow_plaintext = true;
  s.lookup_threads = lookup_threads;
  // Every post is then the reply itself; a lookup that slow would be reported as one anyway.
  s.looking_up_after = 60s;
  return s;
}

/// Wall time of each diagnosis (the handler's call into the diagnoser), in completion order.
class diagnose_timer {
 public:
  void record(steady::duration d) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    std::lock_guard lock(mutex_);
    us_.push_back(static_cast<std::uint32_t>(us));
  }
  /// Samples [from, to) in completion order; runs are sequential, so this splits them.
  std::vector<std::uint32_t> slice(std::size_t from, std::size_t to) const {
    std::lock_guard lock(mutex_);
    to = std::min(to, us_.size());
    if (from >= to) return {};
    return {us_.begin() + static_cast<std::ptrdiff_t>(from),
            us_.begin() + static_cast<std::ptrdiff_t>(to)};
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::uint32_t> us_;
};

json summary_json(run_result& r) {
  const auto s = bench::summarise(r.latency_us);
  const auto d = bench::summarise(r.diagnose_us);
  return {{"name", r.name},
          {"concurrency", r.concurrency},
          {"count", s.count},
          {"p50_ms", s.p50_ms},
          {"p90_ms", s.p90_ms},
          {"p99_ms", s.p99_ms},
          {"max_ms", s.max_ms},
          {"mean_ms", s.mean_ms},
          {"wall_s", r.wall_s},
          {"cpu_ms_per_command", r.cpu_ms_per_command},
          {"diagnose", {{"p50_ms", d.p50_ms}, {"p99_ms", d.p99_ms}, {"max_ms", d.max_ms}}}};
}

int run(const options& opt) {
  spdlog::set_level(spdlog::level::warn);  // the connector logs every command at info
  const std::string load_before = loadavg();

  std::filesystem::path dir = opt.dir;
  bool remove_dir = false;
  if (dir.empty()) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "sessiondx-slack-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
    remove_dir = true;
  }

  std::vector<run_result> results(2);
  {
    store::store_settings ss;
    ss.path = dir / "events.db";
    auto db = store::make_sqlite_store(ss);
    const auto ids = fill(*db, opt);
    const bot::diagnoser diagnoser(*db, bot::rule_settings{}, wall_ms, 30);
    diagnose_timer timer;
    const bot::command_handler handler([&diagnoser, &timer](const std::string& id) {
      const auto start = steady::now();
      auto result = diagnoser.diagnose(id);
      timer.record(steady::now() - start);
      return result;
    });

    test::fake_slack fake;
    {
      bench::running<slack::socket_mode_connector> connector(
          bench_settings(fake, opt.lookup_threads), handler);
      if (!fake.wait_for_sockets(1, 10s)) throw std::runtime_error("the connector did not connect");
      driver d(fake, ids);
      results[0].name = "one at a time";
      results[0].concurrency = 1;
      d.run(opt.sequential, 1, opt.warmup, results[0]);
      results[1].name = "bursts";
      results[1].concurrency = opt.concurrency;
      d.run(opt.concurrent, opt.concurrency, 0, results[1]);
      d.collect();
    }
    results[0].diagnose_us = timer.slice(opt.warmup, opt.sequential);
    results[1].diagnose_us = timer.slice(opt.sequential, opt.sequential + opt.concurrent);
    db->close();
  }
  if (remove_dir) std::filesystem::remove_all(dir);

  const std::string load_after = loadavg();
  json out{{"commands", opt.sequential + opt.concurrent},
           {"sessions", opt.sessions},
           {"events_per_session", opt.events},
           {"crowd_sessions", opt.crowd},
           {"lookup_threads", opt.lookup_threads},
           {"nproc", std::thread::hardware_concurrency()},
           {"loadavg_before", load_before},
           {"loadavg_after", load_after},
           {"runs", json::array()}};
  for (auto& r : results) out["runs"].push_back(summary_json(r));
  if (opt.json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf(
      "sessiondx-slack-bench: /session via the fake Slack, envelope sent -> reply posted\n");
  std::printf(
      "store: %zu sessions of %zu events asked about, %zu crowd sessions; %zu lookup "
      "threads; load %s -> %s\n",
      opt.sessions, opt.events, opt.crowd, opt.lookup_threads, load_before.c_str(),
      load_after.c_str());
  std::printf("%-14s %5s %6s %8s %8s %8s %8s %8s %10s %16s\n", "run", "conc", "n", "p50 ms",
              "p90 ms", "p99 ms", "max ms", "mean ms", "cpu ms/cmd", "diagnose p50/p99");
  for (const auto& r : out["runs"]) {
    std::printf("%-14s %5zu %6zu %8.2f %8.2f %8.2f %8.2f %8.2f %10.2f %7.2f / %6.2f\n",
                r["name"].get<std::string>().c_str(), r["concurrency"].get<std::size_t>(),
                r["count"].get<std::size_t>(), r["p50_ms"].get<double>(), r["p90_ms"].get<double>(),
                r["p99_ms"].get<double>(), r["max_ms"].get<double>(), r["mean_ms"].get<double>(),
                r["cpu_ms_per_command"].get<double>(), r["diagnose"]["p50_ms"].get<double>(),
                r["diagnose"]["p99_ms"].get<double>());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  CLI::App cli{"sessiondx-slack-bench: /session command-to-reply latency through a fake Slack"};
  cli.add_option("-n,--commands", opt.sequential, "commands sent one at a time")
      ->check(CLI::Range(1, 1'000'000));
  cli.add_option("--concurrent-commands", opt.concurrent, "commands sent in bursts (0: none)")
      ->check(CLI::Range(0, 1'000'000));
  cli.add_option("-c,--concurrency", opt.concurrency, "commands per burst")
      ->check(CLI::Range(1, 256));
  cli.add_option("--warmup", opt.warmup, "first one-at-a-time commands not measured");
  cli.add_option("--sessions", opt.sessions, "sessions asked about")->check(CLI::Range(1, 10'000));
  cli.add_option("--events", opt.events, "events per session asked about")
      ->check(CLI::Range(20, 20'000));
  cli.add_option("--crowd", opt.crowd, "other sessions with the same failure (blast radius)");
  cli.add_option("--lookup-threads", opt.lookup_threads, "the connector's lookup threads")
      ->check(CLI::Range(1, 64));
  cli.add_option("--dir", opt.dir, "directory for the store (default: a fresh temporary one)");
  cli.add_option("--seed", opt.seed, "random seed of the sessions");
  cli.add_flag("--json", opt.json, "print the results as JSON");
  CLI11_PARSE(cli, argc, argv);
  try {
    return run(opt);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sessiondx-slack-bench: %s\n", e.what());
    return 1;
  }
}

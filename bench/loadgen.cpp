// sessiondx-loadgen: signed webhook POSTs over N keep-alive connections, for a fixed time.
//
// Each connection is one coroutine that sends a request, waits for the full response and sends
// the next (closed loop), so the offered load is "as fast as the server answers" on N
// connections. Latency is measured from the first byte written to the last byte read.

#include "bench/event_gen.hpp"
#include "bench/latency.hpp"
#include "connectors/webhook/signature.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;
using sessiondx::bench::event_generator;
using sessiondx::bench::planned_batch;
using sessiondx::webhook::webhook_secret;

constexpr auto nothrow = net::as_tuple(net::use_awaitable);

struct options {
  std::string target = "127.0.0.1:8080";
  std::size_t connections = 8;
  std::size_t batch = 1;
  double duration_s = 10;
  double warmup_s = 2;
  std::uint64_t sessions = 100'000;
  std::uint64_t session_seed = 2;
  unsigned threads = 1;
  unsigned timeout_s = 10;
  unsigned backoff_ms = 100;
  std::string secret;
  bool json = false;
};

/// The measured window: only requests sent at or after `from` and answered by `until` count.
struct run_window {
  steady::time_point from;
  steady::time_point until;
};

/// What one connection saw; written only by its coroutine, read after the run.
struct connection_stats {
  std::vector<std::uint32_t> latencies_us;
  std::array<std::uint64_t, 600> statuses{};
  std::uint64_t events_ok = 0;
  std::uint64_t bad_bodies = 0;
  std::uint64_t io_errors = 0;
  std::uint64_t connects = 0;
  std::string first_error;
};

std::optional<std::int64_t> json_int_after(std::string_view body, std::string_view key) {
  const auto at = body.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::int64_t v = 0;
  const char* p = body.data() + at + key.size();
  const auto r = std::from_chars(p, body.data() + body.size(), v);
  if (r.ec != std::errc{}) return std::nullopt;
  return v;
}

/// Cheap check of a 200 body: accepted + duplicates == batch and nothing rejected.
bool body_matches(std::string_view body, std::size_t batch) {
  const auto accepted = json_int_after(body, "\"accepted\":");
  const auto duplicates = json_int_after(body, "\"duplicates\":");
  if (!accepted || !duplicates) return false;
  if (*accepted + *duplicates != static_cast<std::int64_t>(batch)) return false;
  return body.find("\"rejected\":[]") != std::string_view::npos;
}

std::int64_t retry_after_ms(const http::response<http::string_body>& res, unsigned cap_ms) {
  std::int64_t seconds = 1;
  const auto value = res[http::field::retry_after];
  std::from_chars(value.data(), value.data() + value.size(), seconds);
  return std::min<std::int64_t>(seconds * 1000, cap_ms);
}

void note_error(connection_stats& stats, const std::string& what, const beast::error_code& ec) {
  ++stats.io_errors;
  if (stats.first_error.empty()) stats.first_error = what + ": " + ec.message();
}

// One keep-alive connection, top to bottom. Parameters by value: they live across suspensions.
net::awaitable<void> run_connection(tcp::endpoint endpoint, std::string host, options opt,
                                    std::uint32_t index, run_window window,
                                    std::optional<webhook_secret> secret, connection_stats* stats) {
  auto executor = co_await net::this_coro::executor;
  beast::tcp_stream stream(executor);
  net::steady_timer pause(executor);
  beast::flat_buffer buffer;
  event_generator generator(index, opt.sessions, opt.session_seed);
  planned_batch plan;
  std::string body;
  bool connected = false;
  stats->latencies_us.reserve(
      static_cast<std::size_t>(opt.duration_s * 50'000.0 / static_cast<double>(opt.connections)) +
      1024);

  while (steady::now() < window.until) {
    if (!connected) {
      stream.expires_after(std::chrono::seconds(opt.timeout_s));
      auto [ec] = co_await stream.async_connect(endpoint, nothrow);
      if (ec) {
        note_error(*stats, "connect", ec);
        stream.close();
        pause.expires_after(std::chrono::milliseconds(50));
        co_await pause.async_wait(nothrow);
        continue;
      }
      stream.socket().set_option(tcp::no_delay(true));
      buffer.clear();
      connected = true;
      ++stats->connects;
    }

    const auto wall = std::chrono::system_clock::now().time_since_epoch();
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wall).count();
    generator.plan(opt.batch, now_ms, plan);
    generator.render(plan, body);

    http::request<http::string_body> req{http::verb::post, "/v1/events", 11};
    req.set(http::field::host, host);
    req.set(http::field::content_type, "application/json");
    req.keep_alive(true);
    if (secret) {
      // The timestamp must be fresh for every attempt, so every request is signed as it leaves.
      const std::string id = "msg_" + plan.events.front().id;
      const std::string ts = std::to_string(now_ms / 1000);
      req.set("webhook-id", id);
      req.set("webhook-timestamp", ts);
      req.set("webhook-signature", sessiondx::webhook::sign(*secret, id, ts, body));
    }
    req.body() = std::move(body);
    req.prepare_payload();

    const auto sent = steady::now();
    stream.expires_after(std::chrono::seconds(opt.timeout_s));
    if (auto [ec, n] = co_await http::async_write(stream, req, nothrow); ec) {
      note_error(*stats, "write", ec);
      stream.close();
      connected = false;
      continue;
    }
    http::response<http::string_body> res;
    auto [ec, n] = co_await http::async_read(stream, buffer, res, nothrow);
    const auto answered = steady::now();
    body = std::move(req.body());
    if (ec) {
      note_error(*stats, "read", ec);
      stream.close();
      connected = false;
      continue;
    }

    if (sent >= window.from && answered <= window.until) {
      const auto us =
          std::chrono::duration_cast<std::chrono::microseconds>(answered - sent).count();
      stats->latencies_us.push_back(static_cast<std::uint32_t>(us));
      ++stats->statuses[std::min<unsigned>(res.result_int(), stats->statuses.size() - 1)];
      if (res.result() == http::status::ok) {
        if (body_matches(res.body(), opt.batch))
          stats->events_ok += opt.batch;
        else
          ++stats->bad_bodies;
      }
    }
    if (!res.keep_alive()) {
      stream.close();
      connected = false;
    }
    if (res.result() == http::status::service_unavailable ||
        res.result() == http::status::too_many_requests) {
      // Honour Retry-After as a sender would, capped so the run keeps measuring.
      pause.expires_after(std::chrono::milliseconds(retry_after_ms(res, opt.backoff_ms)));
      co_await pause.async_wait(nothrow);
    }
  }
  if (connected) {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
  }
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  if (const char* s = std::getenv("SESSIONDX_WEBHOOK_SECRET")) opt.secret = s;

  CLI::App cli{"sessiondx-loadgen: signed webhook POST load over keep-alive connections"};
  cli.add_option("--target", opt.target, "HOST:PORT of `sessiondx serve` (numeric address)");
  cli.add_option("-c,--connections", opt.connections, "keep-alive connections")
      ->check(CLI::Range(1, 10'000));
  cli.add_option("-b,--batch", opt.batch, "events per request (1 = a single event object)")
      ->check(CLI::Range(1, 10'000));
  cli.add_option("-d,--duration", opt.duration_s, "measured seconds")
      ->check(CLI::Range(0.1, 3600.0));
  cli.add_option("-w,--warmup", opt.warmup_s, "seconds of load before measuring")
      ->check(CLI::Range(0.0, 600.0));
  cli.add_option("--sessions", opt.sessions, "distinct session ids")->check(CLI::PositiveNumber);
  cli.add_option("--session-seed", opt.session_seed, "family of session ids (prefill uses 1)");
  cli.add_option("-t,--threads", opt.threads, "client threads, one io_context each")
      ->check(CLI::Range(1, 64));
  cli.add_option("--timeout", opt.timeout_s, "seconds before a request is given up");
  cli.add_option("--backoff-ms", opt.backoff_ms, "cap on the pause after a 503/429");
  cli.add_option("--secret", opt.secret,
                 "whsec_<base64> (default: $SESSIONDX_WEBHOOK_SECRET; empty: unsigned)");
  cli.add_flag("--json", opt.json, "print the summary as one JSON object");
  CLI11_PARSE(cli, argc, argv);

  std::optional<webhook_secret> secret;
  if (!opt.secret.empty()) {
    secret = webhook_secret::parse(opt.secret);
    if (!secret) {
      std::cerr << "sessiondx-loadgen: --secret: expected whsec_<base64>\n";
      return 2;
    }
  }
  const auto colon = opt.target.rfind(':');
  tcp::endpoint endpoint;
  try {
    if (colon == std::string::npos) throw std::invalid_argument("missing :PORT");
    std::string host = opt.target.substr(0, colon);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    endpoint = tcp::endpoint(net::ip::make_address(host),
                             static_cast<unsigned short>(std::stoul(opt.target.substr(colon + 1))));
  } catch (const std::exception& e) {
    std::cerr << "sessiondx-loadgen: --target " << opt.target << ": " << e.what() << "\n";
    return 2;
  }

  std::vector<std::unique_ptr<net::io_context>> contexts;
  for (unsigned i = 0; i < opt.threads; ++i)
    contexts.push_back(std::make_unique<net::io_context>(1));
  std::vector<connection_stats> stats(opt.connections);
  std::vector<std::string> failures;
  std::mutex failures_mutex;

  const auto start = steady::now();
  const auto to_duration = [](double s) {
    return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s));
  };
  const run_window window{start + to_duration(opt.warmup_s),
                          start + to_duration(opt.warmup_s + opt.duration_s)};
  for (std::size_t i = 0; i < opt.connections; ++i) {
    auto& ioc = *contexts[i % contexts.size()];
    net::co_spawn(ioc,
                  run_connection(endpoint, opt.target, opt, static_cast<std::uint32_t>(i), window,
                                 secret, &stats[i]),
                  [&failures, &failures_mutex](std::exception_ptr e) {
                    if (!e) return;
                    try {
                      std::rethrow_exception(e);
                    } catch (const std::exception& ex) {
                      std::lock_guard lock(failures_mutex);
                      failures.emplace_back(ex.what());
                    }
                  });
  }
  const double cpu_before = cpu_seconds();
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < contexts.size(); ++i)
    threads.emplace_back([&ioc = *contexts[i]] { ioc.run(); });
  contexts.front()->run();
  for (auto& t : threads) t.join();
  const double cpu_used = cpu_seconds() - cpu_before;
  const double wall_used = std::chrono::duration<double>(steady::now() - start).count();

  std::vector<std::uint32_t> all;
  std::array<std::uint64_t, 600> statuses{};
  std::uint64_t events_ok = 0, bad_bodies = 0, io_errors = 0, connects = 0;
  std::string first_error;
  for (auto& s : stats) {
    all.insert(all.end(), s.latencies_us.begin(), s.latencies_us.end());
    for (std::size_t k = 0; k < statuses.size(); ++k) statuses[k] += s.statuses[k];
    events_ok += s.events_ok;
    bad_bodies += s.bad_bodies;
    io_errors += s.io_errors;
    connects += s.connects;
    if (first_error.empty()) first_error = s.first_error;
  }
  const auto lat = sessiondx::bench::summarise(all);
  const double rps = static_cast<double>(lat.count) / opt.duration_s;
  const double eps = static_cast<double>(events_ok) / opt.duration_s;
  const std::uint64_t non_200 = lat.count - statuses[200];

  if (opt.json) {
    nlohmann::json out{{"connections", opt.connections},
                       {"batch", opt.batch},
                       {"duration_s", opt.duration_s},
                       {"warmup_s", opt.warmup_s},
                       {"requests", lat.count},
                       {"requests_per_s", rps},
                       {"events_ok", events_ok},
                       {"events_per_s", eps},
                       {"p50_ms", lat.p50_ms},
                       {"p90_ms", lat.p90_ms},
                       {"p99_ms", lat.p99_ms},
                       {"p999_ms", lat.p999_ms},
                       {"max_ms", lat.max_ms},
                       {"mean_ms", lat.mean_ms},
                       {"non_200", non_200},
                       {"bad_bodies", bad_bodies},
                       {"io_errors", io_errors},
                       {"connects", connects},
                       {"loadgen_cpu_pct", 100.0 * cpu_used / wall_used},
                       {"first_error", first_error},
                       {"failures", failures}};
    nlohmann::json by_status = nlohmann::json::object();
    for (std::size_t k = 0; k < statuses.size(); ++k)
      if (statuses[k] != 0) by_status[std::to_string(k)] = statuses[k];
    out["statuses"] = by_status;
    std::cout << out.dump() << "\n";
  } else {
    std::printf("target %s, %zu connections, batch %zu, %.1f s measured after %.1f s warm-up\n",
                opt.target.c_str(), opt.connections, opt.batch, opt.duration_s, opt.warmup_s);
    std::printf("requests   %10llu   %10.0f req/s\n", static_cast<unsigned long long>(lat.count),
                rps);
    std::printf("events ok  %10llu   %10.0f events/s\n", static_cast<unsigned long long>(events_ok),
                eps);
    std::printf("latency ms p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n", lat.p50_ms,
                lat.p90_ms, lat.p99_ms, lat.p999_ms, lat.max_ms);
    std::printf("statuses  ");
    for (std::size_t k = 0; k < statuses.size(); ++k)
      if (statuses[k] != 0)
        std::printf(" %zu: %llu", k, static_cast<unsigned long long>(statuses[k]));
    std::printf(
        "\nnon-200 %llu, bad 200 bodies %llu, I/O errors %llu, connects %llu, loadgen CPU %.0f%%\n",
        static_cast<unsigned long long>(non_200), static_cast<unsigned long long>(bad_bodies),
        static_cast<unsigned long long>(io_errors), static_cast<unsigned long long>(connects),
        100.0 * cpu_used / wall_used);
    if (!first_error.empty()) std::printf("first error: %s\n", first_error.c_str());
    for (const auto& f : failures) std::printf("connection failed: %s\n", f.c_str());
  }
  return failures.empty() && lat.count > 0 ? 0 : 1;
}

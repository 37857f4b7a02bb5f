// sessiondx-diagnose-bench: end-to-end latency of `/session <id>` against a large store.
//
// End to end is what the chat connectors do: command_handler::handle({"u", "c", "/session id"})
// (id cleaning, store reads, rules, blast-radius counts) and then render_markdown(reply). The
// store is opened through make_sqlite_store like the server does; nothing here speaks SQL.
//
// Sessions measured, in three groups:
//   typical  sessions of 100-500 events with the problems support sees (failed API call, error
//            message shown, a JavaScript error, rage clicks, long tasks, a slow call), whose
//            issues are shared with a crowd of other sessions, so blast radius counts are real
//            but moderate (an incident of tens of sessions);
//   big      one session of 10,000 events with the same problems repeated through it;
//   prefill  random sessions of the prefill (sessiondx-ceiling --prefill, ~100 events each),
//            found by reproducing its session-id scheme (event_generator seed 1). Their problems
//            are the load generator's templates, shared by every prefilled session of the last
//            24 h: the heavy blast-radius case.
// The typical, crowd and big sessions are added (through the real event parser and
// event_store::append) when the store does not hold them yet; --tag names them, so a run can
// reuse the sessions an earlier --setup-only run added.
//
// Besides end to end, the phases are timed separately on the same sessions: the store reads
// (summary + session_events), app_versions, the per-problem lookups the diagnoser makes before the
// rules (other_sessions and issue_versions of every issue key), the rules alone (run_rules takes
// those answers as data), and render_markdown.

#include "bench/event_gen.hpp"
#include "bench/latency.hpp"
#include "bot/commands.hpp"
#include "bot/diagnoser.hpp"
#include "bot/render/render.hpp"
#include "bot/rules.hpp"
#include "connectors/webhook/event_parser.hpp"
#include "store/sqlite_store.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace {

namespace store = sessiondx::store;
namespace bot = sessiondx::bot;
using nlohmann::json;
using steady = std::chrono::steady_clock;

struct options {
  std::string db;
  std::string tag = "bench";
  std::uint64_t prefill_sessions = 100'000;
  std::size_t prefill_samples = 20;
  std::size_t typical_sessions = 8;
  std::size_t crowd_sessions = 40;
  std::size_t big_events = 10'000;
  std::size_t warmup = 3;
  std::size_t iterations = 400;
  double max_seconds = 60;
  std::vector<std::string> groups{"typical", "big", "prefill"};
  bool no_phases = false;
  bool setup_only = false;
  bool json = false;
  std::uint64_t seed = 42;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint32_t micros_since(steady::time_point from) {
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - from).count());
}

/// CPU time of the whole process (the store's reader threads included), in microseconds.
std::uint64_t process_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1'000u;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

// ---- the sessions the benchmark adds -------------------------------------------------------

/// Builds one session's webhook events (JSON, as a website backend sends them), time-ordered.
class session_script {
 public:
  session_script(std::string id, std::int64_t start_ms, json context)
      : id_(std::move(id)), ts_(start_ms), context_(std::move(context)) {}

  void add(std::int64_t after_ms, const char* type, json attrs, const char* page,
           const std::string& message = "", const char* severity = "") {
    ts_ += after_ms;
    json e{{"id", id_ + "-" + std::to_string(events_.size() + 1)},
           {"session_id", id_},
           {"ts", ts_},
           {"type", type},
           {"page", page},
           {"context", context_}};
    if (!attrs.empty()) e["attrs"] = std::move(attrs);
    if (!message.empty()) e["message"] = message;
    if (*severity != '\0') e["severity"] = severity;
    events_.push_back(std::move(e));
  }

  // Ordinary browsing: page views with Web Vitals, fast API calls, clicks, info toasts.
  void ordinary(std::mt19937_64& rng) {
    switch (rng() % 6) {
      case 0:
        add(900, "page_view", {{"ttfb_ms", 180}, {"fcp_ms", 900}, {"lcp_ms", 1700}},
            "/products/42");
        break;
      case 1:
        add(400, "http_request",
            {{"method", "GET"},
             {"route", "/api/products/{id}"},
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
        add(1500, "click", {{"target", "button#add-to-cart"}, {"text", "Add to cart"}},
            "/products/42");
        break;
      case 4:
        add(1800, "click", {{"target", "a.product-card"}, {"text", "Trail shoe"}}, "/products");
        break;
      default:
        add(300, "ui_message", {{"level", "info"}, {"component", "Toast"}}, "/products/42",
            "Item added to your cart");
    }
  }

  // One occurrence of each problem, in the order a broken checkout produces them.
  void problems() {
    add(2000, "page_view", {{"ttfb_ms", 950}, {"fcp_ms", 2600}, {"lcp_ms", 4800}}, "/checkout");
    add(600, "long_task", {{"duration_ms", 320}}, "/checkout");
    add(100, "long_task", {{"duration_ms", 180}}, "/checkout");
    add(900, "http_request",
        {{"method", "GET"},
         {"route", "/api/shipping/quote"},
         {"status", 200},
         {"duration_ms", 4200}},
        "/checkout");
    add(1200, "click", {{"target", "button#pay"}, {"text", "Pay now"}}, "/checkout");
    add(50, "http_request",
        {{"method", "POST"},
         {"route", "/api/checkout/confirm"},
         {"status", 503},
         {"duration_ms", 2100}},
        "/checkout", "", "error");
    add(300, "ui_message", {{"level", "error"}, {"component", "PaymentForm"}}, "/checkout",
        "Your payment could not be completed. Please try again.", "error");
    add(200, "js_error",
        {{"stack",
          "TypeError: Cannot read properties of null (reading 'price')\n"
          "    at updateTotals (checkout.dxbench.js:1:20417)\n"
          "    at onConfirmFailed (checkout.dxbench.js:1:22050)"},
         {"source", "checkout.dxbench.js"},
         {"line", 1},
         {"col", 20417}},
        "/checkout", "TypeError: Cannot read properties of null (reading 'price')", "error");
    for (int i = 0; i < 4; ++i)
      add(350, "click", {{"target", "button#pay"}, {"text", "Pay now"}}, "/checkout");
    add(400, "long_task", {{"duration_ms", 95}}, "/checkout");
  }

  std::size_t size() const { return events_.size(); }
  const json& events() const { return events_; }

 private:
  std::string id_;
  std::int64_t ts_;
  json context_;
  json events_ = json::array();
};

json bench_context(std::size_t i) {
  static const char* const browsers[] = {"Chrome 131", "Safari 18.1", "Firefox 132", "Edge 131"};
  static const char* const oses[] = {"Windows 11", "iOS 18.1", "Ubuntu 24.04", "macOS 14.6"};
  return json{{"browser", browsers[i % 4]},
              {"os", oses[i % 4]},
              {"app_version", i % 3 == 0 ? "4.11.3" : "4.12.0"},
              {"locale", "en-US"}};
}

/// A session of about `n` events with the problems spread through it (once per ~150 events).
session_script make_session(const std::string& id, std::size_t n, std::int64_t start_ms,
                            std::size_t variant, std::mt19937_64& rng) {
  session_script s(id, start_ms, bench_context(variant));
  s.add(0, "page_view", {{"ttfb_ms", 210}, {"fcp_ms", 1100}, {"lcp_ms", 1900}}, "/");
  // The first checkout goes wrong after 40-70 events; a short (crowd) session goes wrong at once.
  std::size_t next_problem = n > 100 ? 40 + variant * 7 % 30 : 1;
  while (s.size() < n) {
    if (s.size() >= next_problem && n - s.size() > 16) {
      s.problems();
      next_problem = s.size() + 150;
    } else {
      s.ordinary(rng);
    }
  }
  return s;
}

/// Parses the events with the server's own parser (issue keys, scrubbing) and appends them.
void store_session(store::event_store& db, const sessiondx::webhook::event_parser& parser,
                   const session_script& s) {
  const json& all = s.events();
  for (std::size_t from = 0; from < all.size(); from += 2'000) {
    json chunk = json::array();
    for (std::size_t i = from; i < std::min(all.size(), from + 2'000); ++i) chunk.push_back(all[i]);
    auto parsed = parser.parse(chunk.dump(), sessiondx::webhook::body_format::json);
    auto* batch = std::get_if<sessiondx::webhook::parsed_batch>(&parsed);
    if (batch == nullptr) throw std::runtime_error("bench events do not parse");
    if (!batch->rejected.empty())
      throw std::runtime_error("bench event rejected: " + batch->rejected.front().error);
    const auto r = db.append_and_wait(std::move(batch->events));
    if (r.error) throw std::runtime_error("append failed: " + r.error.message());
  }
}

struct bench_sessions {
  std::vector<std::string> typical;
  std::string big;
  std::vector<std::string> prefill;
  std::size_t added_events = 0;
};

std::string bench_id(const options& opt, const char* role, std::size_t i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%03zu", i);
  return "dxb_" + opt.tag + "_" + role + buf;
}

/// Adds the typical, crowd and big sessions that the store does not hold yet, and picks the
/// prefill samples (those the store holds).
bench_sessions prepare(store::event_store& db, const options& opt) {
  const sessiondx::webhook::event_parser parser(sessiondx::webhook::ingest_settings{});
  std::mt19937_64 rng(opt.seed);
  bench_sessions out;
  const std::int64_t now = now_ms();
  const auto ensure = [&](const std::string& id, std::size_t n, std::int64_t start,
                          std::size_t variant) {
    if (db.summary(id)) return;
    const auto s = make_session(id, n, start, variant, rng);
    store_session(db, parser, s);
    out.added_events += s.size();
  };
  // The crowd: short sessions of the last hour with the same problems (blast radius).
  for (std::size_t i = 0; i < opt.crowd_sessions; ++i)
    ensure(bench_id(opt, "crowd", i), 20, now - 3'600'000 + static_cast<std::int64_t>(i) * 60'000,
           i);
  for (std::size_t i = 0; i < opt.typical_sessions; ++i) {
    // 100 to 500 events, evenly spread over the group.
    const std::size_t n =
        opt.typical_sessions < 2 ? 250 : 100 + 400 * i / (opt.typical_sessions - 1);
    out.typical.push_back(bench_id(opt, "typical", i));
    ensure(out.typical.back(), n, now - 3'000'000 + static_cast<std::int64_t>(i) * 30'000, i);
  }
  if (opt.big_events > 0) {
    out.big = bench_id(opt, "big", 0);
    ensure(out.big, opt.big_events, now - 20'000'000, 1);
  }
  // Prefilled sessions: sessiondx-ceiling --prefill names session s with generator seed 1.
  const sessiondx::bench::event_generator names(0, opt.prefill_sessions, 1);
  for (std::size_t tries = 0;
       out.prefill.size() < opt.prefill_samples && tries < opt.prefill_samples * 4; ++tries) {
    std::string id = names.session_id(rng() % opt.prefill_sessions);
    if (db.summary(id)) out.prefill.push_back(std::move(id));
  }
  return out;
}

// ---- measurements --------------------------------------------------------------------------

struct group_result {
  std::string name;
  std::size_t sessions = 0;
  std::int64_t min_events = 0, max_events = 0;
  std::int64_t max_other_sessions = 0;  ///< largest blast radius count among the findings
  std::size_t findings = 0, reply_bytes = 0;
  std::vector<std::uint32_t> end_to_end_us;
  /// Process CPU time of each end-to-end diagnosis: the wall time minus waiting for a core or
  /// for the disk (the bench process does nothing else meanwhile).
  std::vector<std::uint32_t> end_to_end_cpu_us;
  std::map<std::string, std::vector<std::uint32_t>> phase_us;
};

void measure_group(group_result& g, const std::vector<std::string>& ids, store::event_store& db,
                   const options& opt) {
  g.sessions = ids.size();
  if (ids.empty()) return;
  const bot::rule_settings settings;
  const bot::diagnoser diagnoser(db, settings, now_ms, 30);
  const bot::command_handler handler(
      [&diagnoser](const std::string& id) { return diagnoser.diagnose(id); });

  const auto diagnose_once = [&](const std::string& id) {
    const auto t0 = steady::now();
    const bot::reply reply = handler.handle({"u", "c", "/session " + id});
    const std::string text = bot::render::render_markdown(reply);
    const auto us = micros_since(t0);
    const auto* d = std::get_if<bot::diagnosis_reply>(&reply);
    if (d == nullptr) throw std::runtime_error("no diagnosis for " + id);
    return std::make_pair(us, std::make_pair(d, text.size()));
  };

  // Facts about the sessions, and the warm-up.
  for (const auto& id : ids) {
    const auto summary = db.summary(id);
    const std::int64_t n = summary ? summary->event_count : 0;
    g.min_events = g.min_events == 0 ? n : std::min(g.min_events, n);
    g.max_events = std::max(g.max_events, n);
    for (std::size_t w = 0; w < opt.warmup; ++w) {
      const bot::reply reply = handler.handle({"u", "c", "/session " + id});
      const std::string text = bot::render::render_markdown(reply);
      if (const auto* d = std::get_if<bot::diagnosis_reply>(&reply); d != nullptr && w == 0) {
        g.findings += d->diagnosis.findings.size();
        g.reply_bytes = std::max(g.reply_bytes, text.size());
        for (const auto& f : d->diagnosis.findings)
          if (f.other_sessions)
            g.max_other_sessions = std::max(g.max_other_sessions, f.other_sessions->other_sessions);
      }
    }
  }

  const auto deadline = steady::now() + std::chrono::duration_cast<steady::duration>(
                                            std::chrono::duration<double>(opt.max_seconds));
  for (std::size_t i = 0; i < opt.iterations && steady::now() < deadline; ++i) {
    const auto cpu0 = process_cpu_us();
    g.end_to_end_us.push_back(diagnose_once(ids[i % ids.size()]).first);
    g.end_to_end_cpu_us.push_back(static_cast<std::uint32_t>(process_cpu_us() - cpu0));
  }

  if (opt.no_phases) return;
  // The same work split into its phases, as diagnoser::diagnose does it.
  const std::size_t phase_iterations = std::max<std::size_t>(opt.iterations / 2, ids.size());
  const auto phase_deadline =
      steady::now() + std::chrono::duration_cast<steady::duration>(
                          std::chrono::duration<double>(opt.max_seconds / 2));
  for (std::size_t i = 0; i < phase_iterations && steady::now() < phase_deadline; ++i) {
    const std::string& id = ids[i % ids.size()];
    bot::session_input input;
    input.session_id = id;
    auto t = steady::now();
    input.summary = db.summary(id);
    g.phase_us["store: summary"].push_back(micros_since(t));
    t = steady::now();
    input.events = db.session_events(id, settings.max_events);
    g.phase_us["store: session_events"].push_back(micros_since(t));
    input.events_truncated =
        input.summary->event_count > static_cast<std::int64_t>(settings.max_events);
    const std::int64_t since = now_ms() - settings.blast_radius_window_ms;
    t = steady::now();
    input.app_versions = db.app_versions(since);
    g.phase_us["store: app_versions"].push_back(micros_since(t));

    // The store's facts about every problem of the session (blast radius, app versions of the
    // problem's sessions), asked as the diagnoser does before the rules.
    input.window_start_ms = since;
    t = steady::now();
    for (std::string& key : bot::session_issue_keys(input.events)) {
      bot::problem_history h;
      h.others = db.other_sessions(key, id, since);
      if (key.starts_with("js:") || key.starts_with("route:")) {
        h.versions = db.issue_versions(key, since, std::numeric_limits<std::int64_t>::max());
      }
      input.problems.emplace(std::move(key), std::move(h));
    }
    g.phase_us["store: other_sessions + issue_versions (all keys)"].push_back(micros_since(t));

    // Rules alone: no I/O.
    t = steady::now();
    bot::diagnosis d = bot::run_rules(input, settings);
    g.phase_us["rules (run_rules, no I/O)"].push_back(micros_since(t));

    const bot::reply reply = bot::diagnosis_reply{std::move(d), bot::view::summary};
    t = steady::now();
    const std::string text = bot::render::render_markdown(reply);
    g.phase_us["render_markdown"].push_back(micros_since(t));
    if (text.empty()) throw std::runtime_error("empty reply");
  }
}

json summary_json(std::vector<std::uint32_t>& samples) {
  const auto s = sessiondx::bench::summarise(samples);
  return json{{"count", s.count},   {"p50_ms", s.p50_ms}, {"p90_ms", s.p90_ms},
              {"p99_ms", s.p99_ms}, {"max_ms", s.max_ms}, {"mean_ms", s.mean_ms}};
}

int run(const options& opt) {
  store::store_settings settings;
  settings.path = opt.db;
  auto db = store::make_sqlite_store(settings);
  const auto setup_start = steady::now();
  const bench_sessions sessions = prepare(*db, opt);
  const double setup_s = std::chrono::duration<double>(steady::now() - setup_start).count();
  if (opt.setup_only) {
    std::fprintf(stderr, "diagnose-bench: %zu events added in %.1f s; %zu prefill samples found\n",
                 sessions.added_events, setup_s, sessions.prefill.size());
    db->close();
    return 0;
  }
  const std::string load_before = load_average();
  std::vector<group_result> results;
  for (const auto& name : opt.groups) {
    group_result g;
    g.name = name;
    if (name == "typical") {
      measure_group(g, sessions.typical, *db, opt);
    } else if (name == "big") {
      measure_group(g,
                    sessions.big.empty() ? std::vector<std::string>{}
                                         : std::vector<std::string>{sessions.big},
                    *db, opt);
    } else if (name == "prefill") {
      measure_group(g, sessions.prefill, *db, opt);
    } else {
      throw std::invalid_argument("--groups: typical, big or prefill");
    }
    results.push_back(std::move(g));
  }
  const std::string load_after = load_average();
  db->close();

  if (opt.json) {
    json out{{"db", opt.db},
             {"tag", opt.tag},
             {"added_events", sessions.added_events},
             {"setup_s", setup_s},
             {"loadavg_before", load_before},
             {"loadavg_after", load_after},
             {"groups", json::object()}};
    for (auto& g : results) {
      json phases = json::object();
      for (auto& [phase, samples] : g.phase_us) phases[phase] = summary_json(samples);
      out["groups"][g.name] = json{{"sessions", g.sessions},
                                   {"min_events", g.min_events},
                                   {"max_events", g.max_events},
                                   {"findings", g.findings},
                                   {"max_other_sessions", g.max_other_sessions},
                                   {"reply_bytes", g.reply_bytes},
                                   {"end_to_end", summary_json(g.end_to_end_us)},
                                   {"end_to_end_cpu", summary_json(g.end_to_end_cpu_us)},
                                   {"phases", phases}};
    }
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::printf("diagnose-bench: %s (tag %s), load average %s -> %s\n", opt.db.c_str(),
              opt.tag.c_str(), load_before.c_str(), load_after.c_str());
  for (auto& g : results) {
    std::printf(
        "\n%s: %zu sessions of %lld-%lld events, %zu findings, blast radius up to %lld other "
        "sessions, reply up to %zu B\n",
        g.name.c_str(), g.sessions, static_cast<long long>(g.min_events),
        static_cast<long long>(g.max_events), g.findings,
        static_cast<long long>(g.max_other_sessions), g.reply_bytes);
    const auto line = [](const std::string& label, std::vector<std::uint32_t>& samples) {
      const auto s = sessiondx::bench::summarise(samples);
      std::printf("  %-34s n=%-5zu p50 %8.3f  p90 %8.3f  p99 %8.3f  max %8.3f ms\n", label.c_str(),
                  s.count, s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms);
    };
    line("end to end (handle + markdown)", g.end_to_end_us);
    line("  its process CPU time", g.end_to_end_cpu_us);
    for (auto& [phase, samples] : g.phase_us) line(phase, samples);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  CLI::App cli{"sessiondx-diagnose-bench: end-to-end /session latency against a store"};
  cli.add_option("--db", opt.db, "SQLite database file (a prefilled store)")->required();
  cli.add_option("--tag", opt.tag, "names the sessions the bench adds (dxb_<tag>_...)")
      ->check([](const std::string& t) {
        return t.size() <= 20 && std::all_of(t.begin(), t.end(),
                                             [](char c) {
                                               return std::isalnum(static_cast<unsigned char>(c));
                                             })
                   ? std::string()
                   : std::string("1-20 letters or digits");
      });
  cli.add_option("--prefill-sessions", opt.prefill_sessions,
                 "sessions the prefill spread over (its session-id scheme)")
      ->check(CLI::PositiveNumber);
  cli.add_option("--prefill-samples", opt.prefill_samples, "random prefilled sessions measured");
  cli.add_option("--typical", opt.typical_sessions, "typical sessions (100-500 events)")
      ->check(CLI::Range(1, 100));
  cli.add_option("--crowd", opt.crowd_sessions, "other sessions sharing the typical problems");
  cli.add_option("--big-events", opt.big_events, "events of the big session (0: none)")
      ->check(CLI::Range(0, 20'000));
  cli.add_option("--warmup", opt.warmup, "diagnoses of each session before measuring");
  cli.add_option("-n,--iterations", opt.iterations, "measured diagnoses per group")
      ->check(CLI::Range(1, 1'000'000));
  cli.add_option("--max-seconds", opt.max_seconds, "bound on the measured time per group")
      ->check(CLI::Range(0.1, 3600.0));
  cli.add_option("--groups", opt.groups, "groups to measure: typical big prefill")->delimiter(',');
  cli.add_flag("--no-phases", opt.no_phases, "skip the per-phase measurements");
  cli.add_flag("--setup-only", opt.setup_only, "add the bench sessions and exit");
  cli.add_option("--seed", opt.seed, "random seed (session contents, prefill samples)");
  cli.add_flag("--json", opt.json, "print the result as one JSON object");
  CLI11_PARSE(cli, argc, argv);

  try {
    return run(opt);
  } catch (const std::exception& e) {
    std::cerr << "sessiondx-diagnose-bench: " << e.what() << "\n";
    return 1;
  }
}

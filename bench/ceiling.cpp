// sessiondx-ceiling: the store's own write ceiling, with no HTTP, JSON or signatures.
//
// Two modes over the same generator as sessiondx-loadgen:
//   (default)  --producers threads append batches of --batch events through event_store::append,
//              each keeping --in-flight batches queued, for --duration seconds -> events/s.
//   --prefill  fills a database with N events over S sessions as fast as the store takes them
//              (large batches, session after session in time order), to set up "a store already
//              holding 10 million events".
// The events are the loadgen's templates parsed once by the real event_parser, then copied with
// a fresh id, session and time, so the rows are the same as those the server would write.

#include "bench/event_gen.hpp"
#include "bench/latency.hpp"
#include "connectors/webhook/event_parser.hpp"
#include "store/sqlite_store.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <variant>
#include <vector>

namespace {

namespace store = sessiondx::store;
using sessiondx::bench::event_generator;
using sessiondx::bench::planned_batch;
using steady = std::chrono::steady_clock;

struct options {
  std::string db;
  std::size_t batch = 100;
  unsigned producers = 2;
  std::size_t in_flight = 4;
  double duration_s = 20;
  double warmup_s = 2;
  std::uint64_t sessions = 100'000;
  std::uint64_t session_seed = 2;
  std::string synchronous = "normal";
  std::uint64_t prefill = 0;
  std::uint64_t prefill_sessions = 100'000;
  std::size_t prefill_batch = 5'000;
  double prefill_days = 7;
  bool json = false;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Store events for every (kind, context) pair, parsed once by the server's own parser.
class event_templates {
 public:
  event_templates() {
    const sessiondx::webhook::event_parser parser(sessiondx::webhook::ingest_settings{});
    const auto kinds = event_generator::kind_count();
    const auto contexts = event_generator::context_count();
    table_.resize(kinds * contexts);
    for (std::uint32_t k = 0; k < kinds; ++k)
      for (std::uint32_t c = 0; c < contexts; ++c) {
        const std::string json =
            event_generator::event_json(k, c, "template-id", "s_template000000", now_ms());
        auto parsed = parser.parse(json, sessiondx::webhook::body_format::json);
        auto* batch = std::get_if<sessiondx::webhook::parsed_batch>(&parsed);
        if (batch == nullptr || batch->events.size() != 1)
          throw std::runtime_error("template " + std::to_string(k) + " does not parse: " + json);
        table_[k * contexts + c] = std::move(batch->events.front());
      }
  }

  /// Appends the planned batch's events to `out`.
  void materialise(const planned_batch& plan, const std::string& session_id,
                   std::vector<store::event>& out) const {
    const auto contexts = event_generator::context_count();
    for (const auto& e : plan.events) {
      store::event ev = table_[e.kind * contexts + plan.context];
      ev.id = e.id;
      ev.session_id = session_id;
      ev.ts_ms = e.ts_ms;
      out.push_back(std::move(ev));
    }
  }

 private:
  std::vector<store::event> table_;
};

store::store_settings settings_for(const options& opt) {
  store::store_settings s;
  s.path = opt.db;
  if (opt.synchronous == "full")
    s.synchronous = store::sync_mode::full;
  else if (opt.synchronous != "normal")
    throw std::invalid_argument("--synchronous: normal or full");
  return s;
}

/// Bounds the batches a producer has queued; completions arrive on the writer thread.
class in_flight_gate {
 public:
  explicit in_flight_gate(std::size_t limit) : limit_(limit) {}
  /// Waits for a free slot until `deadline`; false when the deadline passed first.
  bool acquire(steady::time_point deadline) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_until(lock, deadline, [&] { return count_ < limit_; })) return false;
    ++count_;
    return true;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      --count_;
    }
    cv_.notify_all();
  }
  /// Waits until nothing is queued or `deadline` passes.
  void drain(steady::time_point deadline) {
    std::unique_lock lock(mutex_);
    cv_.wait_until(lock, deadline, [&] { return count_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::size_t count_ = 0;
  std::size_t limit_;
};

/// CPU seconds of the busiest thread of this process (the store's writer, in practice) and of
/// the whole process, from /proc; zeros when /proc is not there.
std::pair<double, double> busiest_thread_and_total_cpu_s() {
  double busiest = 0, total = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    if (line.rfind(')') == std::string::npos) continue;
    // Fields after the ")" closing the thread name: state is field 3, utime 14, stime 15.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    const double secs = (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    busiest = std::max(busiest, secs);
    total += secs;
  }
  return {busiest, total};
}

struct ceiling_counts {
  std::atomic<std::uint64_t> all_stored{0};  ///< warm-up and tail included, for CPU per event
  std::atomic<std::uint64_t> stored{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> overloaded{0};
  std::atomic<std::uint64_t> failed{0};
  std::mutex latency_mutex;
  std::vector<std::uint32_t> commit_latency_us;  ///< append() to its completion
};

int run_ceiling(const options& opt) {
  const event_templates templates;
  auto db = store::make_sqlite_store(settings_for(opt));
  ceiling_counts counts;

  const auto start = steady::now();
  const auto to_duration = [](double s) {
    return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s));
  };
  const auto from = start + to_duration(opt.warmup_s);
  const auto until = from + to_duration(opt.duration_s);

  std::vector<std::thread> producers;
  std::vector<std::unique_ptr<in_flight_gate>> gates;
  for (unsigned p = 0; p < opt.producers; ++p)
    gates.push_back(std::make_unique<in_flight_gate>(opt.in_flight));
  for (unsigned p = 0; p < opt.producers; ++p) {
    producers.emplace_back([&, p] {
      event_generator generator(0x1000 + p, opt.sessions, opt.session_seed);
      planned_batch plan;
      auto& gate = *gates[p];
      while (steady::now() < until) {
        if (!gate.acquire(until)) break;
        generator.plan(opt.batch, now_ms(), plan);
        std::vector<store::event> events;
        events.reserve(opt.batch);
        templates.materialise(plan, generator.session_id(plan.session), events);
        const auto queued = steady::now();
        db->append(
            std::move(events), [&counts, &gate, queued, from, until](store::append_result r) {
              const auto done = steady::now();
              if (r.error == store::errc::overloaded) {
                ++counts.overloaded;
              } else if (r.error) {
                ++counts.failed;
              } else {
                counts.all_stored += r.outcomes.size();
              }
              if (!r.error && queued >= from && done <= until) {
                std::uint64_t stored = 0;
                for (const auto o : r.outcomes) stored += o == store::append_outcome::stored;
                counts.stored += stored;
                counts.duplicates += r.outcomes.size() - stored;
                std::lock_guard lock(counts.latency_mutex);
                counts.commit_latency_us.push_back(static_cast<std::uint32_t>(
                    std::chrono::duration_cast<std::chrono::microseconds>(done - queued).count()));
              }
              gate.release();
            });
      }
    });
  }
  for (auto& t : producers) t.join();
  for (auto& g : gates) g->drain(steady::now() + std::chrono::seconds(60));
  const auto [writer_cpu_s, process_cpu_s] = busiest_thread_and_total_cpu_s();
  db->close();
  const double all = static_cast<double>(std::max<std::uint64_t>(1, counts.all_stored.load()));
  const double writer_us_per_event = writer_cpu_s * 1e6 / all;
  const double process_us_per_event = process_cpu_s * 1e6 / all;

  const auto lat = sessiondx::bench::summarise(counts.commit_latency_us);
  const double eps = static_cast<double>(counts.stored.load()) / opt.duration_s;
  if (opt.json) {
    std::cout << nlohmann::json{{"batch", opt.batch},
                                {"producers", opt.producers},
                                {"in_flight", opt.in_flight},
                                {"duration_s", opt.duration_s},
                                {"synchronous", opt.synchronous},
                                {"events_stored", counts.stored.load()},
                                {"events_per_s", eps},
                                {"duplicates", counts.duplicates.load()},
                                {"overloaded", counts.overloaded.load()},
                                {"failed", counts.failed.load()},
                                {"append_p50_ms", lat.p50_ms},
                                {"append_p99_ms", lat.p99_ms},
                                {"append_max_ms", lat.max_ms},
                                {"writer_cpu_us_per_event", writer_us_per_event},
                                {"process_cpu_us_per_event", process_us_per_event}}
                     .dump()
              << "\n";
  } else {
    std::printf("store ceiling: %s, batch %zu, %u producers x %zu in flight, synchronous=%s\n",
                opt.db.c_str(), opt.batch, opt.producers, opt.in_flight, opt.synchronous.c_str());
    std::printf(
        "stored %llu events in %.1f s: %.0f events/s (duplicates %llu, overloaded %llu, "
        "failed %llu)\n",
        static_cast<unsigned long long>(counts.stored.load()), opt.duration_s, eps,
        static_cast<unsigned long long>(counts.duplicates.load()),
        static_cast<unsigned long long>(counts.overloaded.load()),
        static_cast<unsigned long long>(counts.failed.load()));
    std::printf("append->commit ms p50 %.2f  p99 %.2f  max %.2f\n", lat.p50_ms, lat.p99_ms,
                lat.max_ms);
    std::printf("CPU per event: busiest thread (writer) %.1f us, whole process %.1f us\n",
                writer_us_per_event, process_us_per_event);
  }
  return counts.failed == 0 && counts.stored > 0 ? 0 : 1;
}

// Fills the store session after session, in time order over the last --prefill-days, each
// session's events within half an hour, as a real history of short browsing sessions would be.
int run_prefill(const options& opt) {
  const event_templates templates;
  auto db = store::make_sqlite_store(settings_for(opt));
  const std::uint64_t sessions = std::max<std::uint64_t>(1, opt.prefill_sessions);
  const std::uint64_t per_session = (opt.prefill + sessions - 1) / sessions;
  const std::int64_t span_ms = static_cast<std::int64_t>(opt.prefill_days * 86'400'000.0);
  const std::int64_t t0 = now_ms() - span_ms - 3'600'000;
  const std::int64_t session_step = span_ms / static_cast<std::int64_t>(sessions);
  constexpr std::int64_t session_length_ms = 30 * 60 * 1000;

  event_generator generator(0xfff0, sessions, 1);
  in_flight_gate gate(4);
  std::atomic<std::uint64_t> stored{0}, duplicates{0}, failed{0};
  std::string first_error;
  std::mutex error_mutex;
  const auto start = steady::now();
  const auto deadline = start + std::chrono::hours(2);  // bound: never loop forever
  std::uint64_t queued = 0, next_report = 1'000'000;
  planned_batch plan;
  std::vector<store::event> events;

  for (std::uint64_t s = 0; s < sessions && queued < opt.prefill; ++s) {
    const std::uint64_t n = std::min(per_session, opt.prefill - queued);
    generator.plan_session(s, n, t0 + static_cast<std::int64_t>(s) * session_step,
                           session_length_ms, plan);
    templates.materialise(plan, generator.session_id(s), events);
    queued += n;
    const bool last = s + 1 == sessions || queued >= opt.prefill;
    if (events.size() < opt.prefill_batch && !last) continue;
    if (!gate.acquire(deadline)) break;
    db->append(std::move(events), [&](store::append_result r) {
      if (r.error) {
        ++failed;
        std::lock_guard lock(error_mutex);
        if (first_error.empty()) first_error = r.error.message();
      } else {
        std::uint64_t ok = 0;
        for (const auto o : r.outcomes) ok += o == store::append_outcome::stored;
        stored += ok;
        duplicates += r.outcomes.size() - ok;
      }
      gate.release();
    });
    events = {};
    events.reserve(opt.prefill_batch + per_session);
    if (queued >= next_report) {
      const double secs = std::chrono::duration<double>(steady::now() - start).count();
      std::fprintf(stderr, "prefill: %llu events queued, %.0f events/s\n",
                   static_cast<unsigned long long>(queued), static_cast<double>(queued) / secs);
      next_report += 1'000'000;
    }
  }
  gate.drain(deadline);
  db->close();
  const double secs = std::chrono::duration<double>(steady::now() - start).count();
  const double eps = static_cast<double>(stored.load()) / secs;
  if (opt.json) {
    std::cout << nlohmann::json{{"prefill_events", stored.load()},
                                {"duplicates", duplicates.load()},
                                {"sessions", sessions},
                                {"seconds", secs},
                                {"events_per_s", eps},
                                {"failed_batches", failed.load()}}
                     .dump()
              << "\n";
  } else {
    std::printf(
        "prefilled %s: %llu events over %llu sessions in %.1f s (%.0f events/s), %llu "
        "duplicates, %llu failed batches %s\n",
        opt.db.c_str(), static_cast<unsigned long long>(stored.load()),
        static_cast<unsigned long long>(sessions), secs, eps,
        static_cast<unsigned long long>(duplicates.load()),
        static_cast<unsigned long long>(failed.load()), first_error.c_str());
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  CLI::App cli{"sessiondx-ceiling: raw store ingest rate (no HTTP), or --prefill a database"};
  cli.add_option("--db", opt.db, "SQLite database file (created if missing)")->required();
  cli.add_option("-b,--batch", opt.batch, "events per append")->check(CLI::Range(1, 10'000));
  cli.add_option("-p,--producers", opt.producers, "producer threads")->check(CLI::Range(1, 64));
  cli.add_option("--in-flight", opt.in_flight, "batches each producer keeps queued")
      ->check(CLI::Range(1, 1'000));
  cli.add_option("-d,--duration", opt.duration_s, "measured seconds")
      ->check(CLI::Range(0.1, 3600.0));
  cli.add_option("-w,--warmup", opt.warmup_s, "seconds before measuring")
      ->check(CLI::Range(0.0, 600.0));
  cli.add_option("--sessions", opt.sessions, "distinct session ids")->check(CLI::PositiveNumber);
  cli.add_option("--session-seed", opt.session_seed, "family of session ids (prefill uses 1)");
  cli.add_option("--synchronous", opt.synchronous, "normal or full")
      ->check(CLI::IsMember({"normal", "full"}));
  cli.add_option("--prefill", opt.prefill, "fill the database with this many events and exit");
  cli.add_option("--prefill-sessions", opt.prefill_sessions, "sessions the prefill spreads over")
      ->check(CLI::PositiveNumber);
  cli.add_option("--prefill-batch", opt.prefill_batch, "events per append while prefilling")
      ->check(CLI::Range(1, 10'000));
  cli.add_option("--prefill-days", opt.prefill_days, "days of history the prefill covers")
      ->check(CLI::Range(0.01, 29.0));
  cli.add_flag("--json", opt.json, "print the result as one JSON object");
  CLI11_PARSE(cli, argc, argv);

  try {
    return opt.prefill > 0 ? run_prefill(opt) : run_ceiling(opt);
  } catch (const std::exception& e) {
    std::cerr << "sessiondx-ceiling: " << e.what() << "\n";
    return 1;
  }
}

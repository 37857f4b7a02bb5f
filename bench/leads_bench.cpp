// sessiondx-leads-bench: the team-lead reads against a prefilled store (sessiondx-ceiling
// --prefill), with no HTTP and no chat:
//   1. a digest of the last 7 days (and of 24 h), as /digest and the scheduled digest build it;
//   2. one incident-alert evaluation (the store reads of the minute timer and the detector);
//   3. ingest throughput for --ingest-s seconds with nothing else running, then as long again
//      with a 7-day digest being built over and over on another thread: the same run, so the
//      two figures share the machine's load.
// It writes to the store (phase 3): run it on a copy.

#include "bot/incident.hpp"
#include "bot/leads.hpp"
#include "store/sqlite_store.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <time.h>
#include <vector>

namespace {

namespace store = sessiondx::store;
namespace bot = sessiondx::bot;
using steady = std::chrono::steady_clock;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// CPU time of the calling thread, ms: independent of the machine's load, unlike wall time.
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double ms_since(steady::time_point t) {
  return std::chrono::duration<double, std::milli>(steady::now() - t).count();
}

struct timing {
  std::vector<double> ms;
  double percentile(double p) const {
    if (ms.empty()) return 0;
    auto sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(i, sorted.size() - 1)];
  }
};

/// Error events of 40 problems, 8 per session, at `now`.
std::vector<store::event> ingest_batch(std::size_t n, std::uint64_t& seq, std::int64_t now) {
  std::vector<store::event> batch;
  batch.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    ++seq;
    store::event e;
    e.id = "lb" + std::to_string(seq);
    // Each session hits one problem 8 times in a row, as a customer retrying does.
    e.session_id = "s_leadsbench" + std::to_string(seq / 8);
    e.ts_ms = now;
    e.type = "js_error";
    e.severity = "error";
    e.message = "TypeError: bench";
    e.context = R"({"browser":"Firefox 128","app_version":"3.1"})";
    e.issue_key = "js:leads-bench-" + std::to_string(seq / 8 % 40);
    e.app_version = "3.1";
    batch.push_back(std::move(e));
  }
  return batch;
}

/// Events per second appended for `seconds` by one producer with `in_flight` batches queued.
double ingest_for(store::event_store& db, double seconds, std::size_t batch_size,
                  std::uint64_t& seq) {
  std::atomic<std::int64_t> stored{0};
  std::atomic<int> queued{0};
  const auto start = steady::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (steady::now() < end) {
    if (queued.load() >= 4) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    ++queued;
    db.append(ingest_batch(batch_size, seq, now_ms()), [&](store::append_result r) {
      if (!r.error) stored += static_cast<std::int64_t>(r.outcomes.size());
      --queued;
    });
  }
  while (queued.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return static_cast<double>(stored.load()) /
         std::chrono::duration<double>(steady::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sessiondx-leads-bench: digest, alert evaluation and ingest beside a digest"};
  std::string db_path;
  int iterations = 10;
  double ingest_s = 10;
  std::size_t batch = 500;
  app.add_option("--db", db_path, "a prefilled store (it is written to: use a copy)")->required();
  app.add_option("--iterations", iterations, "digests and evaluations timed");
  app.add_option("--ingest-s", ingest_s, "seconds of each ingest phase");
  app.add_option("--batch", batch, "events per append in the ingest phases");
  int digest_interval_ms = 0;
  app.add_option("--digest-interval-ms", digest_interval_ms,
                 "pause between the digests beside ingest (0: back to back, the worst case)");
  CLI11_PARSE(app, argc, argv);

  store::store_settings settings;
  settings.path = db_path;
  settings.retention_days = 0;  // the prefill may be older than the retention
  auto db = store::make_sqlite_store(settings);
  const bot::lead_reports reports(*db);
  const std::int64_t now = now_ms();

  timing week, day, alerts, week_cpu;
  std::size_t problems = 0;
  for (int i = 0; i < iterations; ++i) {
    auto t = steady::now();
    const double cpu = thread_cpu_ms();
    const auto d = reports.build(now, 7 * 24 * 3'600'000LL);
    week.ms.push_back(ms_since(t));
    week_cpu.ms.push_back(thread_cpu_ms() - cpu);
    problems = d.top.size();
    t = steady::now();
    reports.build(now, 24 * 3'600'000LL);
    day.ms.push_back(ms_since(t));
  }
  bot::incident_detector detector;
  for (int i = 0; i < iterations * 10; ++i) {
    const auto t = steady::now();
    const auto actions = detector.evaluate(now + i * 60'000, reports.rates(now + i * 60'000));
    alerts.ms.push_back(ms_since(t));
    (void)actions;
  }
  std::printf("digest 7 d: p50 %.1f ms, max %.1f ms, CPU p50 %.1f ms (%zu top problems)\n",
              week.percentile(0.5), week.percentile(1.0), week_cpu.percentile(0.5), problems);
  std::printf("digest 24 h: p50 %.1f ms, max %.1f ms\n", day.percentile(0.5), day.percentile(1.0));
  std::printf("alert evaluation, prefill only: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%zu runs)\n",
              alerts.percentile(0.5), alerts.percentile(0.99), alerts.percentile(1.0),
              alerts.ms.size());

  std::uint64_t seq = static_cast<std::uint64_t>(now);
  const double alone = ingest_for(*db, ingest_s, batch, seq);
  std::atomic<bool> stop{false};
  std::atomic<int> digests{0};
  timing during;
  std::thread digester([&] {
    while (!stop.load()) {
      const auto t = steady::now();
      reports.build(now_ms(), 7 * 24 * 3'600'000LL);
      during.ms.push_back(ms_since(t));
      ++digests;
      if (digest_interval_ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(digest_interval_ms));
    }
  });
  const double beside = ingest_for(*db, ingest_s, batch, seq);
  stop = true;
  digester.join();
  std::printf(
      "ingest alone: %.0f events/s; beside 7-day digests: %.0f events/s (%d digests, "
      "p50 %.1f ms each)\n",
      alone, beside, digests.load(), during.percentile(0.5));

  // The ingest phases left 40 problems with hundreds of sessions each in the last minutes, all
  // above the threshold: the first evaluation opens 40 incidents at once (baselines read, the
  // distinct counts stopped at the cap or spared by the largest bucket), the next ones see them
  // stay open (the summary's bounds decide), as the minute timer would.
  timing busy;
  double first_ms = 0, first_cpu_ms = 0;
  std::size_t active = 0, above = 0;
  bot::incident_detector busy_detector;
  const std::int64_t after = now_ms();
  for (int i = 0; i < iterations * 10; ++i) {
    const auto t = steady::now();
    const double cpu = thread_cpu_ms();
    const auto rates = reports.rates(after, busy_detector.records(), false);
    const auto actions = busy_detector.evaluate(after + i, rates);
    busy.ms.push_back(ms_since(t));
    if (i == 0) {
      first_ms = busy.ms.back();
      first_cpu_ms = thread_cpu_ms() - cpu;
    }
    active = rates.size();
    if (i == 0) above = actions.size();
  }
  std::printf(
      "alert evaluation, %zu problems in the window (%zu alerting): p50 %.2f ms, p99 %.2f "
      "ms, max %.2f ms (%zu runs)\n",
      active, above, busy.percentile(0.5), busy.percentile(0.99), busy.percentile(1.0),
      busy.ms.size());
  std::printf("alert evaluation opening %zu incidents at once: %.2f ms (CPU %.2f ms)\n", above,
              first_ms, first_cpu_ms);
  db->close();
  return 0;
}

#include "store/sqlite_store.hpp"
#include "tests/store/store_fixtures.hpp"
#include "tests/support/temp_dir.hpp"

#include <SQLiteCpp/Database.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

namespace store = sessiondx::store;
using sessiondx::test::make_event;
using sessiondx::test::temp_dir;
using sessiondx::test::test_settings;
using store::append_outcome;
using namespace std::chrono_literals;

namespace {

// Waits for `condition` to hold, checking every few milliseconds, for at most `limit`.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::vector<store::event> batch_of(const std::string& session, int first, int count,
                                   std::int64_t ts = 1000) {
  std::vector<store::event> batch;
  for (int i = first; i < first + count; ++i) {
    batch.push_back(make_event(session, "e" + std::to_string(i), ts + i));
  }
  return batch;
}

}  // namespace

TEST_CASE("store: a batch that does not fit the queue is refused at once", "[store]") {
  temp_dir dir;
  auto settings = test_settings(dir);
  settings.max_queued_events = 10;
  auto s = store::make_sqlite_store(settings);

  bool called = false;
  std::thread::id called_on;
  s->append(batch_of("S", 0, 11), [&](store::append_result r) {
    called = true;
    called_on = std::this_thread::get_id();
    CHECK(r.error == store::errc::overloaded);
    CHECK(r.outcomes.empty());
  });
  CHECK(called);  // synchronously, on this thread
  CHECK(called_on == std::this_thread::get_id());
  CHECK(s->session_events("S", 100).empty());
  // A batch that fits is taken.
  CHECK_FALSE(s->append_and_wait(batch_of("S", 0, 10)).error);
}

TEST_CASE("store: the queue counts waiting events and refuses what does not fit", "[store]") {
  temp_dir dir;
  auto settings = test_settings(dir);
  settings.max_queued_events = 10;
  settings.max_commit_events = 4;  // smaller than some batches: those still commit whole
  auto s = store::make_sqlite_store(settings);

  // A handler runs on the writer thread; this one holds the writer until released, so that the
  // next batches wait in the queue.
  std::mutex m;
  std::condition_variable cv;
  bool writer_held = false;
  bool release = false;
  s->append(batch_of("Q", 0, 1), [&](store::append_result) {
    std::unique_lock lock(m);
    writer_held = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  });
  {
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, 10s, [&] { return writer_held; }));
  }
  std::atomic<int> stored{0};
  std::atomic<int> refused{0};
  auto count = [&](store::append_result r) {
    if (!r.error) stored += static_cast<int>(r.outcomes.size());
    if (r.error == store::errc::overloaded) ++refused;
  };
  s->append(batch_of("Q", 1, 6), count);
  CHECK(s->stats().queued_events == 6);
  s->append(batch_of("Q", 7, 5), count);  // 6 + 5 > 10
  CHECK(refused == 1);
  s->append(batch_of("Q", 12, 4), count);  // 6 + 4 == 10 fits
  CHECK(s->stats().queued_events == 10);
  CHECK(refused == 1);
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  CHECK(eventually([&] { return stored == 10; }));
  CHECK(s->stats().queued_events == 0);
  CHECK(s->session_events("Q", 100).size() == 11);
}

TEST_CASE("store: after close appends fail with shutting_down and queued batches are committed",
          "[store]") {
  temp_dir dir;
  const auto settings = test_settings(dir);
  auto s = store::make_sqlite_store(settings);
  std::atomic<int> ok{0};
  for (int b = 0; b < 50; ++b) {
    s->append(batch_of("S", b * 10, 10), [&](store::append_result r) {
      if (!r.error && r.outcomes.size() == 10) ++ok;
    });
  }
  s->close();
  CHECK(ok == 50);  // close() drained the queue
  CHECK(s->stats().committed_events == 500);
  CHECK(s->append_and_wait(batch_of("S", 1000, 1)).error == store::errc::shutting_down);
  CHECK(s->prune_before(std::numeric_limits<std::int64_t>::max(), 100) == 0);
  s->close();  // idempotent
  CHECK(s->session_events("S", 1000).size() == 500);
}

TEST_CASE("store: concurrent appends are all committed with correct outcomes", "[store]") {
  temp_dir dir;
  auto settings = test_settings(dir);
  settings.max_commit_events = 64;  // several groups, each of several batches
  auto s = store::make_sqlite_store(settings);
  constexpr int threads = 4;
  constexpr int batches = 40;
  constexpr int per_batch = 10;
  std::atomic<int> wrong{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back([&, t] {
      const std::string session = "T" + std::to_string(t);
      for (int b = 0; b < batches; ++b) {
        auto r = s->append_and_wait(batch_of(session, b * per_batch, per_batch));
        if (r.error || r.outcomes != std::vector(per_batch, append_outcome::stored)) ++wrong;
        // Every fifth batch is delivered twice: the replay is all duplicates.
        if (b % 5 == 0) {
          r = s->append_and_wait(batch_of(session, b * per_batch, per_batch));
          if (r.error || r.outcomes != std::vector(per_batch, append_outcome::duplicate)) ++wrong;
        }
      }
    });
  }
  for (auto& t : senders) t.join();
  CHECK(wrong == 0);
  const auto stats = s->stats();
  CHECK(stats.committed_events == threads * batches * per_batch);
  CHECK(stats.duplicate_events == threads * (batches / 5) * per_batch);
  CHECK(stats.queued_events == 0);
  for (int t = 0; t < threads; ++t) {
    const auto summary = s->summary("T" + std::to_string(t));
    REQUIRE(summary.has_value());
    CHECK(summary->event_count == batches * per_batch);
    CHECK(s->session_events("T" + std::to_string(t), 10'000).size() ==
          static_cast<std::size_t>(batches * per_batch));
  }
}

TEST_CASE("store: readers run while the writer commits", "[store]") {
  temp_dir dir;
  auto settings = test_settings(dir);
  settings.checkpoint_pages = 50;  // checkpoints run too
  auto s = store::make_sqlite_store(settings);
  std::atomic<bool> writing{true};
  std::atomic<int> reads{0};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    std::size_t seen = 0;
    try {
      while (writing) {
        const auto events = s->session_events("R", 100'000);
        // Never fewer than before, always in time order.
        if (events.size() < seen) ++bad;
        for (std::size_t i = 1; i < events.size(); ++i) {
          if (events[i - 1].ts_ms > events[i].ts_ms) ++bad;
        }
        seen = events.size();
        const auto summary = s->summary("R");
        if (summary && summary->event_count < static_cast<std::int64_t>(seen)) ++bad;
        s->similar_sessions("R0", 5);
        ++reads;
      }
    } catch (...) {
      ++bad;
    }
  });
  for (int b = 0; b < 200; ++b) {
    REQUIRE_FALSE(s->append_and_wait(batch_of("R", b * 50, 50)).error);
    if (b == 100) CHECK(eventually([&] { return reads > 0; }));
  }
  writing = false;
  reader.join();
  CHECK(bad == 0);
  CHECK(reads > 0);
  CHECK(s->session_events("R", 100'000).size() == 10'000);
}

TEST_CASE("store: the WAL stays short while the writer is saturated", "[store]") {
  temp_dir dir;
  auto settings = test_settings(dir);
  settings.checkpoint_pages = 100;
  auto s = store::make_sqlite_store(settings);
  // Keep the queue full so that the writer never idles between transactions: only the
  // checkpointer's hand-over lets the WAL start over then.
  constexpr int batches = 1200;
  std::mutex m;
  std::condition_variable cv;
  int in_flight = 0;
  int failed = 0;
  for (int b = 0; b < batches; ++b) {
    auto batch = batch_of("W" + std::to_string(b % 50), b * 100, 100);
    for (auto& e : batch) e.attrs = std::string(200, 'a');
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return in_flight < 20; });
    ++in_flight;
    lock.unlock();
    s->append(std::move(batch), [&](store::append_result r) {
      std::lock_guard done_lock(m);
      if (r.error) ++failed;
      --in_flight;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  CHECK(failed == 0);
  CHECK(s->stats().committed_events == batches * 100);
  // The WAL file keeps its high-water mark until close: it never held more than a fraction of
  // what was written.
  const auto wal = std::filesystem::file_size(settings.path.string() + "-wal");
  const auto db = std::filesystem::file_size(settings.path);
  INFO("wal " << wal << " bytes, db " << db << " bytes");
  CHECK(wal < db / 2);
  // About four times checkpoint_pages plus one group commit, at most.
  CHECK(wal < 8 * 1024 * 1024);
}

TEST_CASE("store: the retention thread prunes with the injected clock", "[store]") {
  temp_dir dir;
  auto settings = test_settings(dir);
  constexpr std::int64_t day = 86'400'000;
  constexpr std::int64_t now = 100 * day;
  settings.retention_days = 30;
  settings.retention_batch = 3;
  settings.retention_interval = 20ms;
  // Retention goes by receipt time: OLD is received 31 days ago, NEW 29 days ago (its ts says
  // 40 days, a clock behind), and a far-future ts does not keep OLD's last event.
  static std::atomic<std::int64_t> clock{0};
  clock = now - 31 * day;
  settings.now_ms = [] { return clock.load(); };
  auto s = store::make_sqlite_store(settings);
  auto old_batch = batch_of("OLD", 0, 10, now - 31 * day);
  old_batch.back().ts_ms = now + 365 * day;
  REQUIRE_FALSE(s->append_and_wait(old_batch).error);
  clock = now - 29 * day;
  REQUIRE_FALSE(s->append_and_wait(batch_of("NEW", 0, 4, now - 40 * day)).error);
  clock = now;
  CHECK(eventually([&] { return s->stats().pruned_events == 10; }));
  CHECK(s->session_events("OLD", 100).empty());
  CHECK_FALSE(s->summary("OLD").has_value());
  CHECK(s->session_events("NEW", 100).size() == 4);
  s->close();  // wakes the retention thread at once
  CHECK(s->stats().pruned_events == 10);
}

TEST_CASE("store: a failed commit stores nothing of the batch and reports write_failed",
          "[store]") {
  temp_dir dir;
  const auto settings = test_settings(dir);
  auto s = store::make_sqlite_store(settings);
  {
    // Another connection makes inserts of type "boom" fail halfway through a batch.
    SQLite::Database db(settings.path, SQLite::OPEN_READWRITE);
    db.exec(
        "CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.type = 'boom' "
        "BEGIN SELECT RAISE(ABORT, 'boom'); END");
  }
  auto batch = batch_of("F", 0, 5);
  batch[3].type = "boom";
  const auto failed = s->append_and_wait(batch);
  CHECK(failed.error == store::errc::write_failed);
  CHECK(failed.outcomes.empty());
  CHECK(s->stats().commit_errors == 1);
  CHECK(s->session_events("F", 100).empty());
  CHECK_FALSE(s->summary("F").has_value());
  // The writer goes on.
  batch[3].type = "page_view";
  const auto ok = s->append_and_wait(batch);
  CHECK_FALSE(ok.error);
  CHECK(ok.outcomes == std::vector(5, append_outcome::stored));
}

// Store health: a full disk (or database size cap) fails commits with SQLite's error in the log,
// turns the store not ready after max_failed_commits, and it recovers once space is back, with
// every acknowledged event still stored exactly once.
#include "store/sqlite_store.hpp"
#include "tests/store/store_fixtures.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <sys/mount.h>
#include <thread>
#include <vector>

namespace {

using namespace sessiondx;

/// Log lines of the store, collected from its writer thread.
struct log_lines {
  std::mutex mutex;
  std::vector<std::string> lines;
  void add(const std::string& line) {
    std::lock_guard lock(mutex);
    lines.push_back(line);
  }
  std::vector<std::string> copy() {
    std::lock_guard lock(mutex);
    return lines;
  }
};

/// A batch of `count` events of about 8 KiB each, with ids unique across batches.
std::vector<store::event> bulky_batch(int batch_number, int count = 16) {
  std::vector<store::event> batch;
  for (int i = 0; i < count; ++i) {
    auto e =
        test::make_event("full-disk", "b" + std::to_string(batch_number) + "-" + std::to_string(i),
                         1'700'000'000'000 + batch_number);
    e.message = std::string(8192, static_cast<char>('a' + (i % 26)));
    batch.push_back(std::move(e));
  }
  return batch;
}

/// Appends batches until one fails; returns the ids acknowledged before that.
std::set<std::string> fill_until_failure(store::event_store& store, int& batch_number,
                                         store::append_result& failure) {
  std::set<std::string> acked;
  for (; batch_number < 100'000; ++batch_number) {
    auto batch = bulky_batch(batch_number);
    std::vector<std::string> ids;
    for (const auto& e : batch) ids.push_back(e.id);
    auto result = store.append_and_wait(std::move(batch));
    if (result.error) {
      failure = std::move(result);
      ++batch_number;
      return acked;
    }
    acked.insert(ids.begin(), ids.end());
  }
  return acked;
}

std::multiset<std::string> stored_ids(store::event_store& store) {
  std::multiset<std::string> ids;
  for (const auto& e : store.session_events("full-disk", 10'000'000)) ids.insert(e.id);
  return ids;
}

void check_exactly_once(store::event_store& store, const std::set<std::string>& acked) {
  const auto stored = stored_ids(store);
  std::size_t missing = 0, doubled = 0;
  for (const auto& id : acked) {
    missing += stored.count(id) == 0 ? 1 : 0;
    doubled += stored.count(id) > 1 ? 1 : 0;
  }
  INFO(acked.size() << " acknowledged, " << stored.size() << " stored");
  CHECK(missing == 0);
  CHECK(doubled == 0);
}

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("a full database fails commits loudly, turns not ready, and loses nothing acknowledged",
          "[store][health]") {
  test::temp_dir dir;
  log_lines log;
  auto settings = test::test_settings(dir);
  settings.max_size_mib = 1;
  settings.max_failed_commits = 3;
  settings.error_log_interval = std::chrono::hours(1);  // only the first failure is logged
  settings.log_error = [&log](const std::string& line) { log.add(line); };

  std::set<std::string> acked;
  {
    auto store = store::make_sqlite_store(settings);
    CHECK(store->health().ready);
    int batch_number = 0;
    store::append_result failure;
    acked = fill_until_failure(*store, batch_number, failure);
    REQUIRE(failure.error == store::errc::write_failed);
    CHECK(failure.outcomes.empty());
    CHECK(!acked.empty());
    // One failure is not yet "not ready"; three in a row are.
    CHECK(store->health().ready);
    for (int i = 0; i < 4; ++i) {
      auto again = store->append_and_wait(bulky_batch(batch_number++));
      CHECK(again.error == store::errc::write_failed);
    }
    const auto health = store->health();
    CHECK_FALSE(health.ready);
    CHECK(health.consecutive_failures == 5);
    CHECK(health.reason.find("database or disk is full") != std::string::npos);

    const auto lines = log.copy();
    REQUIRE(lines.size() == 1);  // rate-limited
    CHECK(lines[0].find("database or disk is full") != std::string::npos);
    CHECK(lines[0].find("SQLite error 13") != std::string::npos);
    CHECK(store->stats().commit_errors == 5);
    check_exactly_once(*store, acked);
  }

  // Space comes back (here: the cap is lifted): ingest resumes, nothing acknowledged is lost.
  settings.max_size_mib = 0;
  auto store = store::make_sqlite_store(settings);
  CHECK(store->health().ready);
  auto more = bulky_batch(50'000);
  std::vector<std::string> ids;
  for (const auto& e : more) ids.push_back(e.id);
  REQUIRE_FALSE(store->append_and_wait(std::move(more)).error);
  acked.insert(ids.begin(), ids.end());
  check_exactly_once(*store, acked);
}

TEST_CASE("on a full tmpfs the store turns not ready and recovers by itself when space returns",
          "[store][health][tmpfs]") {
  test::temp_dir dir;
  const auto mount_point = dir / "small";
  std::filesystem::create_directory(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=1m") != 0) {
    WARN(
        "SKIPPED: cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN); the size-cap test "
        "above covers the same path through SQLite's max_page_count");
    return;
  }
  struct unmount_at_end {
    std::filesystem::path path;
    ~unmount_at_end() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point};

  log_lines log;
  auto settings = test::test_settings(dir);
  settings.path = mount_point / "events.db";
  settings.cache_kib = 256;
  settings.max_failed_commits = 2;
  settings.health_probe_interval = std::chrono::milliseconds(20);
  settings.log_error = [&log](const std::string& line) { log.add(line); };
  auto store = store::make_sqlite_store(settings);

  int batch_number = 0;
  store::append_result failure;
  auto acked = fill_until_failure(*store, batch_number, failure);
  REQUIRE(failure.error == store::errc::write_failed);
  CHECK(store->append_and_wait(bulky_batch(batch_number++)).error == store::errc::write_failed);
  CHECK_FALSE(store->health().ready);
  CHECK(mentions(log.copy(), "disk is full"));

  // Space returns; with no request at all, the writer's probe notices within a few intervals.
  REQUIRE(::mount("tmpfs", mount_point.c_str(), "tmpfs", MS_REMOUNT, "size=32m") == 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!store->health().ready && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(store->health().ready);
  CHECK(mentions(log.copy(), "succeed again"));

  auto more = bulky_batch(batch_number++);
  std::vector<std::string> ids;
  for (const auto& e : more) ids.push_back(e.id);
  REQUIRE_FALSE(store->append_and_wait(std::move(more)).error);
  acked.insert(ids.begin(), ids.end());
  check_exactly_once(*store, acked);
  store->close();
}

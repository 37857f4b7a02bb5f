#include "store/event_store.hpp"
#include "store/queries.hpp"
#include "store/schema.hpp"
#include "tests/store/store_fixtures.hpp"
#include "tests/support/temp_dir.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>

#include <fstream>

namespace store = sessiondx::store;
namespace sql = sessiondx::store::detail::sql;
using sessiondx::test::make_event;
using sessiondx::test::temp_dir;
using sessiondx::test::test_settings;

namespace {

std::string query_plan(SQLite::Database& db, const std::string& query) {
  SQLite::Statement explain(db, "EXPLAIN QUERY PLAN " + query);
  std::string plan;
  while (explain.executeStep()) plan += explain.getColumn(3).getString() + "\n";
  return plan;
}

}  // namespace

TEST_CASE("store: an empty file is migrated to the latest schema", "[store]") {
  temp_dir dir;
  const auto settings = test_settings(dir);
  std::ofstream(settings.path).close();  // exists, zero bytes
  store::make_sqlite_store(settings)->close();

  SQLite::Database db(settings.path, SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == store::detail::latest_schema_version());
  CHECK(store::detail::latest_schema_version() >= 1);
  CHECK(db.tableExists("events"));
  CHECK(db.tableExists("sessions"));
  CHECK(db.tableExists("app_versions"));
  // WAL is a property of the file, so another connection sees it.
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
}

TEST_CASE("store: a database newer than the code is refused naming both versions", "[store]") {
  temp_dir dir;
  const auto settings = test_settings(dir);
  {
    SQLite::Database db(settings.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version = 99");
  }
  try {
    store::make_sqlite_store(settings);
    FAIL("opened a database with a newer schema");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CHECK(what.find(settings.path.string()) != std::string::npos);
    CHECK(what.find("99") != std::string::npos);
    CHECK(what.find("(" + std::to_string(store::detail::latest_schema_version()) + ")") !=
          std::string::npos);
  }
}

TEST_CASE("store: the writer connection runs with the configured synchronous mode", "[store]") {
  temp_dir dir;
  auto settings = test_settings(dir);
  // synchronous is a per-connection setting and is not stored in the file: another connection
  // reads back its own value, so the writer's own connection is the one to ask.
  settings.synchronous = store::sync_mode::full;
  {
    auto writer = store::detail::open_connection(settings, store::detail::connection_role::writer);
    CHECK(writer.execAndGet("PRAGMA synchronous").getInt() == 2);
    CHECK(writer.execAndGet("PRAGMA wal_autocheckpoint").getInt() == 0);
    CHECK(writer.execAndGet("PRAGMA busy_timeout").getInt() == 5000);
    CHECK(writer.execAndGet("PRAGMA journal_size_limit").getInt64() == 64 * 1024 * 1024);
    CHECK(writer.execAndGet("PRAGMA cache_size").getInt64() == -4096);
  }
  settings.synchronous = store::sync_mode::normal;
  {
    auto writer = store::detail::open_connection(settings, store::detail::connection_role::writer);
    CHECK(writer.execAndGet("PRAGMA synchronous").getInt() == 1);
  }
  // And a store opens with synchronous=full; the file is in WAL mode afterwards.
  settings.synchronous = store::sync_mode::full;
  auto s = store::make_sqlite_store(settings);
  REQUIRE_FALSE(s->append_and_wait({make_event("S", "1", 1)}).error);
  SQLite::Database other(settings.path, SQLite::OPEN_READONLY);
  CHECK(other.execAndGet("PRAGMA journal_mode").getString() == "wal");
}

TEST_CASE("store: queries use the intended indexes", "[store]") {
  temp_dir dir;
  const auto settings = test_settings(dir);
  auto s = store::make_sqlite_store(settings);
  SQLite::Database db(settings.path, SQLite::OPEN_READONLY);

  const std::string timeline = query_plan(db, sql::session_events);
  INFO(timeline);
  CHECK(timeline.find("USING INDEX events_session_ts (session_id=?)") != std::string::npos);
  CHECK(timeline.find("TEMP B-TREE") == std::string::npos);  // no sort: a backward index walk

  const std::string radius = query_plan(db, sql::other_sessions);
  INFO(radius);
  CHECK(radius.find("issue_sessions USING PRIMARY KEY (issue_key=?)") != std::string::npos);
  const std::string since = query_plan(db, sql::other_sessions_since);
  INFO(since);
  CHECK(since.find("USING INDEX events_issue_ts (issue_key=? AND ts>?)") != std::string::npos);
  CHECK(since.find("TEMP B-TREE") == std::string::npos);  // stops at the first other session

  const std::string counts = query_plan(db, sql::session_type_counts);
  INFO(counts);
  CHECK(counts.find("events_session_ts (session_id=?)") != std::string::npos);

  const std::string first_ts = query_plan(db, sql::session_first_ts);
  INFO(first_ts);
  CHECK(first_ts.find("events_session_ts (session_id=?)") != std::string::npos);

  const std::string prune = query_plan(db, sql::prune_events);
  INFO(prune);
  CHECK(prune.find("COVERING INDEX events_ts (ts<?)") != std::string::npos);

  const std::string ids = query_plan(db, sql::session_ids_between);
  INFO(ids);
  CHECK(ids.find("COVERING INDEX sqlite_autoindex_sessions_1 (session_id>? AND session_id<?)") !=
        std::string::npos);

  const std::string rev_ids = query_plan(db, sql::rev_ids_between);
  INFO(rev_ids);
  CHECK(rev_ids.find("COVERING INDEX sessions_rev_id (rev_id>? AND rev_id<?)") !=
        std::string::npos);

  const std::string probes = query_plan(db, sql::session_ids_in);
  INFO(probes);
  CHECK(probes.find("COVERING INDEX sqlite_autoindex_sessions_1 (session_id=?)") !=
        std::string::npos);
  CHECK(probes.find("SCAN") == std::string::npos);

  const std::string versions = query_plan(db, sql::app_versions_since);
  INFO(versions);
  CHECK(versions.find("app_versions") != std::string::npos);
}

TEST_CASE("store: migration 2 fills issue_sessions from the events already stored", "[store]") {
  temp_dir dir;
  const auto settings = test_settings(dir);
  {
    auto s = store::make_sqlite_store(settings);
    auto a = make_event("SESSIONAA", "1", 5000);
    auto b = make_event("SESSIONBB", "2", 6000);
    auto c = make_event("SESSIONCC", "3", 7000);
    a.issue_key = b.issue_key = c.issue_key = "js:abc";
    REQUIRE_FALSE(s->append_and_wait({a, b, c}).error);
    s->close();
  }
  {
    // Back to what a version-1 database looks like.
    SQLite::Database db(settings.path, SQLite::OPEN_READWRITE);
    db.exec("DROP TABLE issue_sessions");
    db.exec("PRAGMA user_version = 1");
  }
  auto s = store::make_sqlite_store(settings);
  const auto radius = s->other_sessions("js:abc", "SESSIONAA", 0);
  CHECK(radius.other_sessions == 2);
  CHECK(radius.first_seen_ms == 6000);
}

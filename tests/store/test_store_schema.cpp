#include "store/queries.hpp"
#include "store/schema.hpp"
#include "store/sqlite_store.hpp"
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

  // Schema 5: every events index is led by the integer session key.
  for (const char* events_of_session : {sql::session_events, sql::diagnosis_events}) {
    const std::string timeline = query_plan(db, events_of_session);
    INFO(timeline);
    CHECK(timeline.find("USING INDEX events_session_ts (sid=?)") != std::string::npos);
    CHECK(timeline.find("TEMP B-TREE") == std::string::npos);  // no sort: a backward index walk
  }
  for (const char* key_of_session : {sql::session_key, sql::find_session}) {
    const std::string key = query_plan(db, key_of_session);
    INFO(key);
    CHECK(key.find("COVERING INDEX sessions_session_id (session_id=?)") != std::string::npos);
  }
  for (const char* by_key : {sql::update_session, sql::shrink_session, sql::forget_session}) {
    const std::string plan = query_plan(db, by_key);
    INFO(plan);
    CHECK(plan.find("sessions USING INTEGER PRIMARY KEY (rowid=?)") != std::string::npos);
  }

  // Blast radius: the problem's buckets in the window, then one bucket's sessions; both are
  // key ranges, with no sort.
  const std::string radius = query_plan(db, sql::blast_buckets);
  INFO(radius);
  CHECK(radius.find("USING INDEX issue_buckets_key (issue_key=? AND bucket_start>?)") !=
        std::string::npos);
  CHECK(radius.find("TEMP B-TREE") == std::string::npos);
  const std::string members = query_plan(db, sql::bucket_sessions);
  INFO(members);
  CHECK(members.find("issue_bucket_sessions USING PRIMARY KEY (bucket_start=? AND issue_key=?)") !=
        std::string::npos);
  const std::string member = query_plan(db, sql::bucket_has_session);
  INFO(member);
  CHECK(member.find("PRIMARY KEY (bucket_start=? AND issue_key=? AND sid=?)") != std::string::npos);

  // Digests, /top and alerts read only the summary, by key ranges.
  const std::string digest = query_plan(db, sql::issue_buckets_between);
  INFO(digest);
  CHECK(digest.find("issue_buckets USING PRIMARY KEY (bucket_start>? AND bucket_start<?)") !=
        std::string::npos);
  CHECK(digest.find("TEMP B-TREE") == std::string::npos);
  const std::string history = query_plan(db, sql::issue_history);
  INFO(history);
  CHECK(history.find("USING INDEX issue_buckets_key (issue_key=? AND bucket_start>? AND "
                     "bucket_start<?)") != std::string::npos);
  const std::string facets = query_plan(db, sql::issue_facets);
  INFO(facets);
  CHECK(facets.find("issue_bucket_facets USING PRIMARY KEY (bucket_start>? AND bucket_start<?)") !=
        std::string::npos);
  // Release regressions: the problem's buckets by its index, then facet rows by key prefix.
  const std::string versions_of = query_plan(db, sql::issue_versions);
  INFO(versions_of);
  CHECK(versions_of.find("USING INDEX issue_buckets_key (issue_key=? AND bucket_start>? AND "
                         "bucket_start<?)") != std::string::npos);
  CHECK(
      versions_of.find("SEARCH f USING PRIMARY KEY (bucket_start=? AND issue_key=? AND kind=?)") !=
      std::string::npos);
  const std::string traffic = query_plan(db, sql::ingest_buckets_between);
  INFO(traffic);
  CHECK(traffic.find("ingest_buckets USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)") !=
        std::string::npos);
  for (const char* prune_summary : {sql::prune_issue_buckets, sql::prune_bucket_sessions,
                                    sql::prune_bucket_facets, sql::prune_ingest_buckets}) {
    const std::string plan = query_plan(db, prune_summary);
    INFO(plan);
    CHECK(plan.find("SEARCH") != std::string::npos);  // a key range, not a scan
    CHECK(plan.find("<?)") != std::string::npos);
  }
  // The lookup log: by time, by session, by user, newest first without a sort.
  const std::string log = query_plan(db, sql::lookups_between);
  INFO(log);
  CHECK(log.find("USING INDEX lookups_at (at_ms>? AND at_ms<?)") != std::string::npos);
  CHECK(log.find("TEMP B-TREE") == std::string::npos);
  const std::string of_session = query_plan(db, sql::lookups_of_session);
  INFO(of_session);
  CHECK(of_session.find("USING INDEX lookups_session (session_id=? AND at_ms>? AND at_ms<?)") !=
        std::string::npos);
  CHECK(of_session.find("TEMP B-TREE") == std::string::npos);
  const std::string of_user = query_plan(db, sql::lookups_of_user);
  INFO(of_user);
  CHECK(of_user.find("USING INDEX lookups_user (user_id=? AND at_ms>? AND at_ms<?)") !=
        std::string::npos);
  const std::string prune_log = query_plan(db, sql::prune_lookups);
  INFO(prune_log);
  CHECK(prune_log.find("lookups_at (at_ms<?)") != std::string::npos);

  const std::string counts = query_plan(db, sql::session_type_counts);
  INFO(counts);
  // Either index of the session key serves it (both need the row for the type).
  CHECK(counts.find("INDEX events_session_") != std::string::npos);
  CHECK(counts.find("(sid=?)") != std::string::npos);

  const std::string first_ts = query_plan(db, sql::session_first_ts);
  INFO(first_ts);
  CHECK(first_ts.find("events_session_ts (sid=?)") != std::string::npos);

  // Retention reads the front of the table in rowid (receipt) order: no index, no sort.
  const std::string prune = query_plan(db, sql::prune_events);
  INFO(prune);
  CHECK(prune.find("SCAN events") != std::string::npos);
  CHECK(prune.find("INTEGER PRIMARY KEY (rowid=?)") != std::string::npos);
  CHECK(prune.find("TEMP B-TREE") == std::string::npos);
  CHECK(prune.find("INDEX") == std::string::npos);

  const std::string ids = query_plan(db, sql::session_ids_between);
  INFO(ids);
  CHECK(ids.find("COVERING INDEX sessions_session_id (session_id>? AND session_id<?)") !=
        std::string::npos);

  const std::string rev_ids = query_plan(db, sql::rev_ids_between);
  INFO(rev_ids);
  CHECK(rev_ids.find("COVERING INDEX sessions_rev_id (rev_id>? AND rev_id<?)") !=
        std::string::npos);

  const std::string probes = query_plan(db, sql::session_ids_in);
  INFO(probes);
  CHECK(probes.find("COVERING INDEX sessions_session_id (session_id=?)") != std::string::npos);
  CHECK(probes.find("SCAN") == std::string::npos);

  const std::string versions = query_plan(db, sql::app_versions_since);
  INFO(versions);
  CHECK(versions.find("app_versions") != std::string::npos);
}

TEST_CASE("store: migrations 2 and 3 rebuild the summaries from the events already stored",
          "[store]") {
  temp_dir dir;
  const auto settings = test_settings(dir);
  constexpr std::int64_t b = store::issue_bucket_ms;
  {
    // A version-1 database: events and sessions only.
    SQLite::Database db(settings.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    store::detail::migrate(db, 1);
    db.exec(R"sql(
      INSERT INTO events(session_id, event_id, ts, type, issue_key, received_ms) VALUES
        ('SESSIONAA', '1', 1500000, 'js_error', 'js:abc', 0),
        ('SESSIONBB', '2', 1800000, 'js_error', 'js:abc', 0),
        ('SESSIONCC', '3', 2100000, 'js_error', 'js:abc', 0);
      INSERT INTO sessions(session_id, first_seen, last_seen, event_count, rev_id)
        SELECT session_id, min(ts), max(ts), count(*), '' FROM events GROUP BY session_id;)sql");
    static_assert(5 * b == 1500000 && 6 * b == 1800000 && 7 * b == 2100000);
  }
  auto s = store::make_sqlite_store(settings);
  const auto radius = s->other_sessions("js:abc", "SESSIONAA", 0);
  CHECK(radius.other_sessions == 2);
  CHECK(radius.first_seen_ms == 6 * b);
}

TEST_CASE("store: migration 3 upgrades a version-2 store, keeping every event", "[store]") {
  temp_dir dir;
  const auto settings = test_settings(dir);
  constexpr std::int64_t b = store::issue_bucket_ms;
  constexpr std::int64_t t0 = 1'780'000'000'000 / b * b;
  {
    // A store as the version-2 writer left it: events, sessions, issue_sessions.
    SQLite::Database db(settings.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    store::detail::migrate(db, 2);
    REQUIRE(db.execAndGet("PRAGMA user_version").getInt() == 2);
    struct row {
      const char* session;
      const char* id;
      std::int64_t ts;
      const char* key;
      const char* version;
      const char* context;
    };
    const row rows[] = {
        {"S1", "1", t0 + 10, "js:x", "2.0", R"({"browser":"Safari 17"})"},
        {"S1", "2", t0 + 20, "js:x", "2.0", R"({"browser":"Safari 17"})"},
        {"S2", "1", t0 + 5, "js:x", "1.9", R"({"browser":"Chrome 125"})"},
        {"S3", "1", t0 + b + 1, "js:x", nullptr, nullptr},
        {"S3", "2", t0 + b + 2, nullptr, nullptr, nullptr},
    };
    SQLite::Statement insert(db, R"sql(
      INSERT INTO events(session_id, event_id, ts, type, issue_key, app_version, context,
                         received_ms) VALUES(?1, ?2, ?3, 'js_error', ?4, ?5, ?6, 0))sql");
    for (const auto& r : rows) {
      insert.bind(1, r.session);
      insert.bind(2, r.id);
      insert.bind(3, r.ts);
      r.key ? insert.bind(4, r.key) : insert.bind(4);
      r.version ? insert.bind(5, r.version) : insert.bind(5);
      r.context ? insert.bind(6, r.context) : insert.bind(6);
      insert.exec();
      insert.reset();
    }
    db.exec(R"sql(
      INSERT INTO sessions(session_id, first_seen, last_seen, event_count)
        SELECT session_id, min(ts), max(ts), count(*) FROM events GROUP BY session_id;
      INSERT INTO issue_sessions(issue_key, session_id, last_seen)
        SELECT issue_key, session_id, max(ts) FROM events WHERE issue_key IS NOT NULL
        GROUP BY issue_key, session_id;)sql");
  }
  auto s = store::make_sqlite_store(settings);
  {
    SQLite::Database db(settings.path, SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("PRAGMA user_version").getInt() >= 3);
    CHECK(db.execAndGet("SELECT count(*) FROM events").getInt() == 5);
    CHECK_FALSE(db.tableExists("issue_sessions"));
  }
  const auto rows = s->issue_buckets(t0, t0 + 2 * b);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].sessions == 2);
  CHECK(rows[0].events == 3);
  CHECK(rows[0].first_seen_ms == t0 + 5);
  CHECK(rows[0].last_seen_ms == t0 + 20);
  CHECK(rows[0].example_session == "S2");
  CHECK(rows[1].sessions == 1);
  // The runner-up was rebuilt: S2 asks, S1's first event is the earliest other one.
  CHECK(s->other_sessions("js:x", "S2", 0).first_seen_ms == t0 + 10);
  CHECK(s->other_sessions("js:x", "S2", 0).other_sessions == 2);
  const auto traffic = s->ingest_buckets(t0, t0 + 2 * b);
  REQUIRE(traffic.size() == 2);
  CHECK(traffic[0].events == 3);
  CHECK(traffic[0].new_sessions == 2);
  CHECK(traffic[1].new_sessions == 1);
  const auto facets = s->issue_facets("js:x", t0, t0 + b);
  CHECK(facets.size() == 4);  // 2.0, 1.9, Safari 17, Chrome 125
  // And the writer carries on from there.
  auto e = make_event("S4", "1", t0 + 30, "js_error");
  e.issue_key = "js:x";
  REQUIRE_FALSE(s->append_and_wait({e}).error);
  CHECK(s->issue_buckets(t0, t0 + b).at(0).sessions == 3);
}

TEST_CASE("store: the leads loop's state reads and writes one row by key", "[store][leads]") {
  temp_dir dir;
  const auto settings = test_settings(dir);
  auto s = store::make_sqlite_store(settings);
  SQLite::Database db(settings.path, SQLite::OPEN_READONLY);
  // The scheduled digest's last run and the open incidents: a primary-key lookup each minute.
  const std::string get = query_plan(db, sql::get_state);
  INFO(get);
  CHECK(get.find("SEARCH service_state USING PRIMARY KEY (key=?)") != std::string::npos);
  const std::string put = query_plan(db, sql::put_state);
  INFO(put);
  CHECK(put.find("SCAN") == std::string::npos);
  // Values survive a reopen, as a restart needs them.
  s->put_state("digest.last_due.slack", "1736755200000");
  s->close();
  s = store::make_sqlite_store(settings);
  CHECK(s->get_state("digest.last_due.slack") == "1736755200000");
  CHECK_FALSE(s->get_state("alerts.incidents"));
}

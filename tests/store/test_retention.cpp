// Retention by receipt time (schema version 4) and the clamping of ts outliers.
#include "store/schema.hpp"
#include "store/sqlite_store.hpp"
#include "tests/store/store_fixtures.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>

namespace {

using namespace sessiondx;
using test::make_event;
constexpr std::int64_t day = 86'400'000;

// The schema as the previous release (user_version 2) created it, verbatim.
constexpr const char* version_2_schema = R"sql(
CREATE TABLE events(rowid INTEGER PRIMARY KEY, session_id TEXT NOT NULL, event_id TEXT NOT NULL,
  ts INTEGER NOT NULL, type TEXT NOT NULL, severity TEXT, page TEXT, message TEXT, attrs TEXT,
  context TEXT, extra TEXT, issue_key TEXT, app_version TEXT, received_ms INTEGER NOT NULL);
CREATE INDEX events_session_ts ON events(session_id, ts);
CREATE UNIQUE INDEX events_session_event ON events(session_id, event_id);
CREATE INDEX events_ts ON events(ts);
CREATE INDEX events_issue_ts ON events(issue_key, ts) WHERE issue_key IS NOT NULL;
CREATE TABLE sessions(session_id TEXT PRIMARY KEY, first_seen INTEGER, last_seen INTEGER,
  event_count INTEGER, context TEXT, app_version TEXT, rev_id TEXT, context_ts INTEGER,
  app_version_ts INTEGER);
CREATE INDEX sessions_rev_id ON sessions(rev_id);
CREATE TABLE app_versions(version TEXT PRIMARY KEY, first_seen INTEGER, last_seen INTEGER);
CREATE TABLE issue_sessions(issue_key TEXT NOT NULL, session_id TEXT NOT NULL,
  last_seen INTEGER NOT NULL, PRIMARY KEY (issue_key, session_id)) WITHOUT ROWID;
PRAGMA user_version = 2;
)sql";

bool has_index(SQLite::Database& db, const std::string& name) {
  SQLite::Statement q(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?");
  q.bind(1, name);
  q.executeStep();
  return q.getColumn(0).getInt() == 1;
}

}  // namespace

TEST_CASE("store: a version-2 database migrates to retention by receipt time", "[store]") {
  test::temp_dir dir;
  auto settings = test::test_settings(dir);
  constexpr std::int64_t now = 1000 * day;
  {
    SQLite::Database db(settings.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(version_2_schema);
    // Stored by the old release: ts 40 days behind, received 10 days ago; and one received 31
    // days ago with a ts in the future.
    db.exec(
        "INSERT INTO events(session_id, event_id, ts, type, received_ms) VALUES "
        "('BEHINDCLOCK', 'e1', " +
        std::to_string(now - 40 * day) + ", 'page_view', " + std::to_string(now - 10 * day) +
        "), "
        "('OLDFUTURE', 'e1', " +
        std::to_string(now + 365 * day) + ", 'page_view', " + std::to_string(now - 31 * day) + ")");
    db.exec(
        "INSERT INTO sessions(session_id, first_seen, last_seen, event_count, rev_id) VALUES "
        "('BEHINDCLOCK', 0, 0, 1, 'KCOLCDNIHEB'), ('OLDFUTURE', 0, 0, 1, 'ERUTUFDLO')");
  }
  settings.now_ms = [] { return now; };
  auto s = store::make_sqlite_store(settings);
  {
    SQLite::Database db(settings.path, SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("PRAGMA user_version").getInt() == store::detail::latest_schema_version());
    // Schema 4 added events_received; schema 5 prunes the front of the table in rowid order
    // (receipt order) instead.
    CHECK_FALSE(has_index(db, "events_received"));
    CHECK_FALSE(has_index(db, "events_ts"));
    CHECK(db.execAndGet("SELECT count(*) FROM events WHERE sent_ts IS NULL").getInt() == 2);
  }
  // 30 days of retention by receipt: the future ts does not save OLDFUTURE, the clock behind
  // does not doom BEHINDCLOCK.
  CHECK(s->prune_before(now - 30 * day, 100) == 1);
  CHECK(s->session_events("OLDFUTURE", 10).empty());
  CHECK(s->session_events("BEHINDCLOCK", 10).size() == 1);
}

TEST_CASE("store: ts outliers are clamped around the receipt time, the sent ts kept", "[store]") {
  test::temp_dir dir;
  auto settings = test::test_settings(dir);
  constexpr std::int64_t now = 2000 * day;
  settings.now_ms = [] { return now; };
  settings.max_ts_ahead = std::chrono::hours(1);
  settings.max_ts_behind = std::chrono::hours(24 * 7);
  auto s = store::make_sqlite_store(settings);
  REQUIRE_FALSE(s->append_and_wait({make_event("CLAMPSESSION", "future", now + 100 * day),
                                    make_event("CLAMPSESSION", "past", now - 40 * day),
                                    make_event("CLAMPSESSION", "fine", now - 2 * day)})
                    .error);
  const auto events = s->session_events("CLAMPSESSION", 10);
  REQUIRE(events.size() == 3);
  // In ts order: the clamped past, the fine one, the clamped future.
  CHECK(events[0].id == "past");
  CHECK(events[0].ts_ms == now - 7 * day);
  CHECK(events[1].id == "fine");
  CHECK(events[1].ts_ms == now - 2 * day);
  CHECK(events[2].id == "future");
  CHECK(events[2].ts_ms == now + 3'600'000);
  CHECK(s->summary("CLAMPSESSION")->last_seen_ms == now + 3'600'000);
  s->close();

  SQLite::Database db(settings.path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT event_id, sent_ts, received_ms FROM events ORDER BY event_id");
  std::vector<std::tuple<std::string, std::optional<std::int64_t>, std::int64_t>> rows;
  while (q.executeStep())
    rows.emplace_back(
        q.getColumn(0).getString(),
        q.getColumn(1).isNull() ? std::nullopt : std::optional(q.getColumn(1).getInt64()),
        q.getColumn(2).getInt64());
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == std::tuple("fine", std::optional<std::int64_t>(), now));
  CHECK(rows[1] == std::tuple("future", std::optional(now + 100 * day), now));
  CHECK(rows[2] == std::tuple("past", std::optional(now - 40 * day), now));
}

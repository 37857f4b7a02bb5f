// Migration 5 (the write-path layout, docs/performance.md "Store layout (schema 5)") from a store
// made by the version-4 schema: every event, summary row, lookup and state value survives, and
// every query answers as on a store written by this build from the same events. A crash in the
// middle of the migration leaves the version-4 store as it was.
#include "store/queries.hpp"
#include "store/schema.hpp"
#include "store/sqlite_store.hpp"
#include "tests/store/store_fixtures.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace sessiondx;
namespace fs = std::filesystem;

// The schema of user_version 4 exactly as that release's migrations left it (sqlite_master),
// kept verbatim: the fixture does not depend on this build's migration steps.
constexpr const char* version_4_schema = R"sql(
CREATE TABLE events(
  rowid INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  type TEXT NOT NULL,
  severity TEXT,
  page TEXT,
  message TEXT,
  attrs TEXT,
  context TEXT,
  extra TEXT,
  issue_key TEXT,
  app_version TEXT,
  received_ms INTEGER NOT NULL
, sent_ts INTEGER);
CREATE INDEX events_session_ts ON events(session_id, ts);
CREATE UNIQUE INDEX events_session_event ON events(session_id, event_id);
CREATE INDEX events_issue_ts ON events(issue_key, ts) WHERE issue_key IS NOT NULL;
CREATE TABLE sessions(
  session_id TEXT PRIMARY KEY,
  first_seen INTEGER,
  last_seen INTEGER,
  event_count INTEGER,
  context TEXT,
  app_version TEXT,
  rev_id TEXT,
  context_ts INTEGER,
  app_version_ts INTEGER
);
CREATE INDEX sessions_rev_id ON sessions(rev_id);
CREATE TABLE app_versions(
  version TEXT PRIMARY KEY,
  first_seen INTEGER,
  last_seen INTEGER
);
CREATE TABLE issue_buckets(
  bucket_start INTEGER NOT NULL,
  issue_key TEXT NOT NULL,
  sessions INTEGER NOT NULL,
  events INTEGER NOT NULL,
  first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  first_session TEXT NOT NULL,
  runner_ms INTEGER,
  PRIMARY KEY (bucket_start, issue_key)
) WITHOUT ROWID;
CREATE INDEX issue_buckets_key ON issue_buckets(issue_key, bucket_start);
CREATE TABLE issue_bucket_sessions(
  bucket_start INTEGER NOT NULL,
  issue_key TEXT NOT NULL,
  session_id TEXT NOT NULL,
  PRIMARY KEY (bucket_start, issue_key, session_id)
) WITHOUT ROWID;
CREATE TABLE issue_bucket_facets(
  bucket_start INTEGER NOT NULL,
  issue_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  sessions INTEGER NOT NULL,
  PRIMARY KEY (bucket_start, issue_key, kind, value)
) WITHOUT ROWID;
CREATE TABLE ingest_buckets(
  bucket_start INTEGER PRIMARY KEY,
  events INTEGER NOT NULL,
  new_sessions INTEGER NOT NULL
);
CREATE TABLE lookups(
  rowid INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  session_id TEXT NOT NULL,
  verdict TEXT NOT NULL,
  issue_key TEXT,
  user_id TEXT NOT NULL,
  platform TEXT NOT NULL,
  channel TEXT NOT NULL
);
CREATE INDEX lookups_at ON lookups(at_ms);
CREATE INDEX lookups_session ON lookups(session_id, at_ms);
CREATE INDEX lookups_user ON lookups(user_id, at_ms);
CREATE TABLE service_state(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX events_received ON events(received_ms);
PRAGMA user_version = 4;
)sql";

constexpr std::int64_t bucket = store::issue_bucket_ms;
constexpr std::int64_t t0 = 1'780'000'000'000 / bucket * bucket;

struct commit_of_events {
  std::int64_t received_ms = 0;
  std::vector<store::event> events;
};

// Realistic rows: 60 sessions over three hours, page views, requests, errors with issue keys
// shared across sessions, context and app version on some events, one clamped ts; committed in
// 12 receipts, each session's events in time order.
std::vector<commit_of_events> workload() {
  std::vector<commit_of_events> commits(12);
  for (std::size_t c = 0; c < commits.size(); ++c)
    commits[c].received_ms = t0 + static_cast<std::int64_t>(c) * 15 * 60'000 + 17;
  const char* keys[] = {"js:aaa", "route:POST /api/pay", "js:bbb"};
  const char* browsers[] = {"Safari 17", "Chrome 125", "Firefox 126"};
  for (int s = 0; s < 60; ++s) {
    const std::string sid = "SESS" + std::to_string(1000 + s * 37) + (s % 3 == 0 ? "X" : "Q");
    const std::string version = s % 4 == 0 ? "2.1.0" : "2.0.3";
    const std::size_t first_commit = static_cast<std::size_t>(s) % 6;
    for (int i = 0; i < 25; ++i) {
      store::event e = test::make_event(sid, "e" + std::to_string(i), 0);
      const std::size_t c =
          std::min(first_commit + static_cast<std::size_t>(i) / 5, commits.size() - 1);
      e.ts_ms = commits[c].received_ms - 60'000 + s * 7 + i * 11;
      e.type = i % 7 == 3 ? "js_error" : i % 5 == 2 ? "http_request" : "page_view";
      e.page = "/checkout/" + std::to_string(i % 4);
      e.severity = e.type == "js_error" ? "error" : "";
      e.message = e.type == "js_error" ? "TypeError: x is undefined" : "";
      e.attrs =
          e.type == "http_request" ? R"({"method":"POST","status":502,"duration_ms":1800})" : "";
      if (e.type == "js_error") e.issue_key = keys[(s + i) % 3];
      if (i % 6 == 0) {
        e.context = std::string(R"({"browser":")") + browsers[s % 3] + R"(","app_version":")" +
                    version + R"("})";
        e.app_version = version;
      }
      if (i == 24 && s % 10 == 0) e.extra = R"({"build":"x"})";
      if (i == 1 && s == 5) e.sent_ts_ms = e.ts_ms + 9 * 86'400'000;
      commits[c].events.push_back(std::move(e));
    }
  }
  return commits;
}

void bind_text(SQLite::Statement& q, int index, const std::string& value) {
  value.empty() ? q.bind(index) : q.bind(index, value);
}

// Writes `commits` into a version-4 store as that release's writer did: the events rows, then
// the sessions, versions and per-problem summary (the last with migration 3's own backfill,
// which computes what the version-4 writer maintained).
void make_version_4_store(const fs::path& path, const std::vector<commit_of_events>& commits) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec(version_4_schema);
  SQLite::Statement insert(db, R"sql(
    INSERT INTO events(session_id, event_id, ts, type, severity, page, message, attrs, context,
                       extra, issue_key, app_version, received_ms, sent_ts)
    VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14))sql");
  for (const auto& c : commits) {
    for (const store::event& e : c.events) {
      insert.bind(1, e.session_id);
      insert.bind(2, e.id);
      insert.bind(3, e.ts_ms);
      insert.bind(4, e.type);
      bind_text(insert, 5, e.severity);
      bind_text(insert, 6, e.page);
      bind_text(insert, 7, e.message);
      bind_text(insert, 8, e.attrs);
      bind_text(insert, 9, e.context);
      bind_text(insert, 10, e.extra);
      bind_text(insert, 11, e.issue_key);
      bind_text(insert, 12, e.app_version);
      insert.bind(13, c.received_ms);
      e.sent_ts_ms ? insert.bind(14, *e.sent_ts_ms) : insert.bind(14);
      insert.exec();
      insert.reset();
    }
  }
  db.exec(R"sql(
    INSERT INTO sessions(session_id, first_seen, last_seen, event_count, context, context_ts,
                         app_version, app_version_ts)
      SELECT session_id, min(ts), max(ts), count(*),
        (SELECT context FROM events c WHERE c.session_id = e.session_id AND c.context IS NOT NULL
         ORDER BY c.ts DESC, c.rowid DESC LIMIT 1),
        (SELECT max(ts) FROM events c WHERE c.session_id = e.session_id AND c.context IS NOT NULL),
        (SELECT app_version FROM events c WHERE c.session_id = e.session_id
           AND c.app_version IS NOT NULL ORDER BY c.ts DESC, c.rowid DESC LIMIT 1),
        (SELECT max(ts) FROM events c WHERE c.session_id = e.session_id
           AND c.app_version IS NOT NULL)
      FROM events e GROUP BY session_id;
    INSERT INTO app_versions(version, first_seen, last_seen)
      SELECT app_version, min(ts), max(ts) FROM events WHERE app_version IS NOT NULL
      GROUP BY app_version;
    INSERT INTO issue_bucket_sessions(bucket_start, issue_key, session_id)
      SELECT DISTINCT ts / 300000 * 300000, issue_key, session_id FROM events
      WHERE issue_key IS NOT NULL;
    INSERT INTO issue_buckets(bucket_start, issue_key, sessions, events, first_ms, last_ms,
                              first_session, runner_ms)
      SELECT ts / 300000 * 300000 AS b, issue_key, count(DISTINCT session_id), count(*), min(ts),
             max(ts), '', NULL
      FROM events WHERE issue_key IS NOT NULL GROUP BY b, issue_key;
    UPDATE issue_buckets SET first_session =
      (SELECT e.session_id FROM events e WHERE e.issue_key = issue_buckets.issue_key
         AND e.ts = issue_buckets.first_ms ORDER BY e.rowid LIMIT 1);
    UPDATE issue_buckets SET runner_ms =
      (SELECT min(e.ts) FROM events e WHERE e.issue_key = issue_buckets.issue_key
         AND e.ts >= issue_buckets.bucket_start AND e.ts < issue_buckets.bucket_start + 300000
         AND e.session_id <> issue_buckets.first_session)
      WHERE sessions > 1;
    INSERT INTO issue_bucket_facets(bucket_start, issue_key, kind, value, sessions)
      SELECT b, issue_key, 'app_version', app_version, count(DISTINCT session_id) FROM
        (SELECT ts / 300000 * 300000 AS b, issue_key, session_id, app_version FROM events
         WHERE issue_key IS NOT NULL AND app_version IS NOT NULL)
      GROUP BY b, issue_key, app_version;
    INSERT INTO issue_bucket_facets(bucket_start, issue_key, kind, value, sessions)
      SELECT b, issue_key, 'browser', browser, count(DISTINCT session_id) FROM
        (SELECT ts / 300000 * 300000 AS b, issue_key, session_id,
                substr(CASE WHEN json_valid(context) THEN json_extract(context, '$.browser') END,
                       1, 64) AS browser
         FROM events WHERE issue_key IS NOT NULL AND context IS NOT NULL)
      WHERE browser IS NOT NULL AND browser <> '' GROUP BY b, issue_key, browser;
    INSERT INTO ingest_buckets(bucket_start, events, new_sessions)
      SELECT ts / 300000 * 300000 AS b, count(*), 0 FROM events GROUP BY b;
    UPDATE ingest_buckets SET new_sessions = n.c
      FROM (SELECT first_seen / 300000 * 300000 AS b, count(*) AS c FROM sessions GROUP BY b) AS n
      WHERE ingest_buckets.bucket_start = n.b;
    INSERT INTO lookups(at_ms, session_id, verdict, issue_key, user_id, platform, channel) VALUES
      (1780000100000, 'SESS1000X', 'broken', 'js:aaa', 'U1', 'slack', 'C1'),
      (1780000200000, 'SESS1037Q', 'healthy', NULL, 'U2', 'discord', 'C2');
    INSERT INTO service_state(key, value) VALUES ('digest.last_due.slack', '1780000000000');
  )sql");
  // rev_id is the id reversed (the version-4 writer computed it in C++).
  SQLite::Statement ids(db, "SELECT session_id FROM sessions");
  std::vector<std::string> all;
  while (ids.executeStep()) all.push_back(ids.getColumn(0).getString());
  SQLite::Statement rev(db, "UPDATE sessions SET rev_id = ?2 WHERE session_id = ?1");
  for (const auto& id : all) {
    rev.bind(1, id);
    rev.bind(2, std::string(id.rbegin(), id.rend()));
    rev.exec();
    rev.reset();
  }
}

// The same commits written by this build's store, each at its receipt time.
std::unique_ptr<store::event_store> make_current_store(
    const fs::path& path, const std::vector<commit_of_events>& commits) {
  store::store_settings settings;
  settings.path = path;
  settings.retention_days = 0;
  settings.read_connections = 1;
  auto received = std::make_shared<std::atomic<std::int64_t>>(0);
  settings.now_ms = [received] { return received->load(); };
  auto s = store::make_sqlite_store(settings);
  for (const auto& c : commits) {
    received->store(c.received_ms);
    auto result = s->append_and_wait(c.events);
    REQUIRE_FALSE(result.error);
  }
  s->record_lookup({1780000100000, "SESS1000X", "broken", "js:aaa", "U1", "slack", "C1"});
  s->record_lookup({1780000200000, "SESS1037Q", "healthy", "", "U2", "discord", "C2"});
  s->put_state("digest.last_due.slack", "1780000000000");
  return s;
}

std::unique_ptr<store::event_store> open_store(const fs::path& path) {
  store::store_settings settings;
  settings.path = path;
  settings.retention_days = 0;
  settings.read_connections = 1;
  settings.now_ms = [] { return t0 + 4 * 3'600'000; };
  return store::make_sqlite_store(settings);
}

std::string row_of(const store::event& e) {
  return e.id + "|" + e.session_id + "|" + std::to_string(e.ts_ms) + "|" + e.type + "|" +
         e.severity + "|" + e.page + "|" + e.message + "|" + e.attrs + "|" + e.context + "|" +
         e.extra + "|" + e.issue_key + "|" + e.app_version;
}

std::vector<std::string> rows_of(const std::vector<store::event>& events) {
  std::vector<std::string> rows;
  for (const auto& e : events) rows.push_back(row_of(e));
  return rows;
}

std::string bucket_rows(const std::vector<store::issue_bucket>& rows) {
  std::string out;
  for (const auto& b : rows) {
    out += b.issue_key + " " + std::to_string(b.bucket_start_ms) + " " +
           std::to_string(b.sessions) + " " + std::to_string(b.events) + " " +
           std::to_string(b.first_seen_ms) + " " + std::to_string(b.last_seen_ms) + " " +
           b.example_session + "\n";
  }
  return out;
}

// Every answer of the event_store interface, for every session and problem of the workload,
// is the same on `migrated` as on `reference`.
void check_same_answers(store::event_store& migrated, store::event_store& reference,
                        const std::vector<commit_of_events>& commits) {
  std::set<std::string> sessions;
  std::set<std::string> keys;
  std::size_t events = 0;
  for (const auto& c : commits) {
    for (const auto& e : c.events) {
      sessions.insert(e.session_id);
      if (!e.issue_key.empty()) keys.insert(e.issue_key);
      ++events;
    }
  }
  std::size_t read_back = 0;
  for (const auto& id : sessions) {
    INFO(id);
    const auto mine = migrated.session_events(id, 1000);
    read_back += mine.size();
    CHECK(rows_of(mine) == rows_of(reference.session_events(id, 1000)));
    CHECK(rows_of(migrated.session_events(id, 7)) == rows_of(reference.session_events(id, 7)));
    CHECK(rows_of(migrated.diagnosis_events(id, 1000)) ==
          rows_of(reference.diagnosis_events(id, 1000)));
    const auto a = migrated.summary(id);
    const auto b = reference.summary(id);
    REQUIRE(a.has_value());
    REQUIRE(b.has_value());
    CHECK(a->first_seen_ms == b->first_seen_ms);
    CHECK(a->last_seen_ms == b->last_seen_ms);
    CHECK(a->event_count == b->event_count);
    CHECK(a->context == b->context);
    CHECK(a->app_version == b->app_version);
    CHECK(migrated.type_counts(id) == reference.type_counts(id));
    CHECK(migrated.similar_sessions(id.substr(0, id.size() - 1) + "Z", 5) ==
          reference.similar_sessions(id.substr(0, id.size() - 1) + "Z", 5));
    for (const auto& key : keys) {
      for (const std::int64_t since : {t0 - bucket, t0 + 3'600'000}) {
        const auto x = migrated.other_sessions(key, id, since);
        const auto y = reference.other_sessions(key, id, since);
        CHECK(x.other_sessions == y.other_sessions);
        CHECK(x.first_seen_ms == y.first_seen_ms);
        CHECK(x.capped == y.capped);
      }
    }
  }
  CHECK(read_back == events);  // every event of the fixture
  const std::int64_t from = t0 - 2 * bucket;
  const std::int64_t to = t0 + 5 * 3'600'000;
  CHECK(bucket_rows(migrated.issue_buckets(from, to)) ==
        bucket_rows(reference.issue_buckets(from, to)));
  CHECK_FALSE(migrated.issue_buckets(from, to).empty());
  for (const auto& key : keys) {
    INFO(key);
    CHECK(bucket_rows(migrated.issue_history(key, from, to)) ==
          bucket_rows(reference.issue_history(key, from, to)));
    CHECK(migrated.issue_sessions(key, from, to, 1000) ==
          reference.issue_sessions(key, from, to, 1000));
    CHECK(migrated.issue_sessions(key, from, to, 1000) > 0);
    CHECK(migrated.issue_facets(key, from, to) == reference.issue_facets(key, from, to));
    CHECK(migrated.issue_versions(key, from, to) == reference.issue_versions(key, from, to));
  }
  const auto traffic_a = migrated.ingest_buckets(from, to);
  const auto traffic_b = reference.ingest_buckets(from, to);
  REQUIRE(traffic_a.size() == traffic_b.size());
  for (std::size_t i = 0; i < traffic_a.size(); ++i) {
    CHECK(traffic_a[i].bucket_start_ms == traffic_b[i].bucket_start_ms);
    CHECK(traffic_a[i].events == traffic_b[i].events);
    CHECK(traffic_a[i].new_sessions == traffic_b[i].new_sessions);
  }
  const auto versions_a = migrated.app_versions(0);
  const auto versions_b = reference.app_versions(0);
  REQUIRE(versions_a.size() == versions_b.size());
  for (std::size_t i = 0; i < versions_a.size(); ++i) {
    CHECK(versions_a[i].version == versions_b[i].version);
    CHECK(versions_a[i].first_seen_ms == versions_b[i].first_seen_ms);
    CHECK(versions_a[i].last_seen_ms == versions_b[i].last_seen_ms);
  }
  const auto log_a = migrated.lookups({});
  const auto log_b = reference.lookups({});
  REQUIRE(log_a.size() == 2);
  REQUIRE(log_b.size() == 2);
  for (std::size_t i = 0; i < log_a.size(); ++i) {
    CHECK(log_a[i].at_ms == log_b[i].at_ms);
    CHECK(log_a[i].session_id == log_b[i].session_id);
    CHECK(log_a[i].verdict == log_b[i].verdict);
    CHECK(log_a[i].issue_key == log_b[i].issue_key);
  }
  CHECK(migrated.get_state("digest.last_due.slack") == "1780000000000");
}

std::int64_t count_of(const fs::path& path, const char* query) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet(query).getInt64();
}

}  // namespace

TEST_CASE("store: a version-4 store migrates to schema 5 keeping every row and every answer",
          "[store][migration]") {
  test::temp_dir dir;
  const auto commits = workload();
  make_version_4_store(dir / "v4.db", commits);
  REQUIRE(count_of(dir / "v4.db", "SELECT count(*) FROM events") == 60 * 25);
  const std::int64_t bucket_sessions =
      count_of(dir / "v4.db", "SELECT count(*) FROM issue_bucket_sessions");
  const std::int64_t summary_rows = count_of(dir / "v4.db", "SELECT count(*) FROM issue_buckets");
  const std::int64_t facet_rows =
      count_of(dir / "v4.db", "SELECT count(*) FROM issue_bucket_facets");
  REQUIRE(bucket_sessions > 0);

  auto migrated = open_store(dir / "v4.db");
  auto reference = make_current_store(dir / "current.db", commits);
  {
    SQLite::Database db(dir / "v4.db", SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("PRAGMA user_version").getInt() == store::detail::latest_schema_version());
    CHECK(db.execAndGet("SELECT count(*) FROM events").getInt64() == 60 * 25);
    CHECK(db.execAndGet("SELECT count(*) FROM sessions").getInt64() == 60);
    CHECK(db.execAndGet("SELECT count(*) FROM issue_bucket_sessions").getInt64() ==
          bucket_sessions);
    CHECK(db.execAndGet("SELECT count(*) FROM issue_buckets").getInt64() == summary_rows);
    CHECK(db.execAndGet("SELECT count(*) FROM issue_bucket_facets").getInt64() == facet_rows);
    CHECK(db.execAndGet("SELECT count(*) FROM events WHERE sent_ts IS NOT NULL").getInt64() == 1);
    // Rowids follow receipt order, which retention relies on.
    CHECK(db.execAndGet("SELECT count(*) FROM events a JOIN events b ON b.rowid = a.rowid + 1 "
                        "WHERE b.received_ms < a.received_ms")
              .getInt64() == 0);
    // The layout of schema 5: only the two session-key indexes on events.
    SQLite::Statement indexes(db,
                              "SELECT name FROM sqlite_master WHERE type = 'index' AND "
                              "tbl_name = 'events' ORDER BY name");
    std::vector<std::string> names;
    while (indexes.executeStep()) names.push_back(indexes.getColumn(0).getString());
    CHECK(names == std::vector<std::string>{"events_session_event", "events_session_ts"});
    CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
  }
  check_same_answers(*migrated, *reference, commits);

  // And both carry on alike: a duplicate is refused by the migrated dedup index, new events
  // land in the right sessions and buckets.
  store::event again = commits[3].events[0];
  store::event next =
      test::make_event(again.session_id, "after-migration", t0 + 3 * 3'600'000, "js_error");
  next.issue_key = "js:aaa";
  for (auto* s : {migrated.get(), reference.get()}) {
    const auto result = s->append_and_wait({again, next});
    REQUIRE_FALSE(result.error);
    CHECK(result.outcomes == std::vector<store::append_outcome>{store::append_outcome::duplicate,
                                                                store::append_outcome::stored});
  }
  CHECK(migrated->summary(again.session_id)->event_count ==
        reference->summary(again.session_id)->event_count);
  CHECK(migrated->other_sessions("js:aaa", "SESS1000X", t0).other_sessions ==
        reference->other_sessions("js:aaa", "SESS1000X", t0).other_sessions);
}

TEST_CASE("store: a version-4 store keeps summary entries of sessions retention forgot",
          "[store][migration]") {
  test::temp_dir dir;
  const auto commits = workload();
  make_version_4_store(dir / "v4.db", commits);
  std::int64_t entries = 0;
  {
    // The version-4 writer forgets a session once its events are pruned, while its summary
    // entries stay until their bucket is pruned.
    SQLite::Database db(dir / "v4.db", SQLite::OPEN_READWRITE);
    db.exec("DELETE FROM events WHERE session_id = 'SESS1000X'");
    db.exec("DELETE FROM sessions WHERE session_id = 'SESS1000X'");
    entries = db.execAndGet("SELECT count(*) FROM issue_bucket_sessions").getInt64();
  }
  {
    auto migrated = open_store(dir / "v4.db");
    CHECK_FALSE(migrated->summary("SESS1000X").has_value());
  }
  SQLite::Database db(dir / "v4.db", SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("SELECT count(*) FROM issue_bucket_sessions").getInt64() == entries);
  // Its entries have a key of their own, below zero, distinct from every stored session.
  CHECK(db.execAndGet("SELECT count(DISTINCT sid) FROM issue_bucket_sessions WHERE sid < 0")
            .getInt64() == 1);
}

TEST_CASE("store: a crash in the middle of migration 5 leaves a usable version-4 store",
          "[store][migration]") {
  test::temp_dir dir;
  const auto commits = workload();
  make_version_4_store(dir / "v4.db", commits);
  // The migration is killed (SIGKILL, as kill -9) after more and more of its work, with a small
  // page cache so that its transaction spills pages into the WAL before it ends; until one run
  // gets through. After each crash the file is still a version-4 store holding everything.
  int crashes = 0;
  for (int steps = 1;; steps *= 3) {
    INFO("killed after " << steps << " progress callbacks");
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      int code = 3;
      try {
        SQLite::Database db(dir / "v4.db", SQLite::OPEN_READWRITE);
        db.exec("PRAGMA cache_size = 8");
        static int left = 0;
        left = steps;
        sqlite3_progress_handler(
            db.getHandle(), 100,
            [](void*) -> int {
              if (--left == 0) raise(SIGKILL);
              return 0;
            },
            nullptr);
        store::detail::migrate(db);
        code = 0;
      } catch (...) {
      }
      _exit(code);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    if (WIFEXITED(status)) {
      CHECK(WEXITSTATUS(status) == 0);
      break;  // this run got through
    }
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    ++crashes;
    SQLite::Database db(dir / "v4.db", SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("PRAGMA user_version").getInt() == 4);
    CHECK(db.execAndGet("SELECT count(*) FROM events").getInt64() == 60 * 25);
    CHECK(db.execAndGet("SELECT count(*) FROM sqlite_master WHERE name LIKE '%_v5'").getInt() == 0);
    CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
    REQUIRE(steps < 100'000'000);
  }
  CHECK(crashes >= 3);
  // Only now any threads (fork above runs in a single-threaded process).
  auto reference = make_current_store(dir / "current.db", commits);
  auto migrated = open_store(dir / "v4.db");
  check_same_answers(*migrated, *reference, commits);
}

#include "store/schema.hpp"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace sessiondx::store::detail {

namespace {

struct migration {
  int version;
  /// Version 4 is idempotent (IF [NOT] EXISTS); version 5 rebuilds tables and relies on the
  /// user_version check inside its transaction (migrate) never to run twice.
  const char* sql;
  /// A column the step adds to `table`, when it has not got it already (SQLite has no
  /// ADD COLUMN IF NOT EXISTS): a step re-run over a newer file must not fail.
  const char* table = nullptr;
  const char* column = nullptr;
};

// Append new steps at the end; never edit a step that has shipped.
constexpr std::array migrations = {
    migration{1, R"sql(
-- A rowid table plus secondary indexes: a clustered WITHOUT ROWID (session_id, ts) table inserted
-- about 3x slower here, because every insert lands on a random leaf.
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
);
-- The session timeline: session_events and summary.
CREATE INDEX events_session_ts ON events(session_id, ts);
-- Deduplication. The idempotency key is the event id within its session, so the index clusters
-- by session: a batch of one session dirties the same few leaves as events_session_ts instead of
-- one random leaf per event, as a UNIQUE index on a random event id alone would.
CREATE UNIQUE INDEX events_session_event ON events(session_id, event_id);
-- Retention deletes the oldest events first; time-ordered keys make appends cheap.
CREATE INDEX events_ts ON events(ts);
-- Blast radius: only problem events carry an issue key, so the index stays small.
CREATE INDEX events_issue_ts ON events(issue_key, ts) WHERE issue_key IS NOT NULL;

-- One row per session, maintained by the writer in the same transaction as its events.
-- context_ts/app_version_ts remember which event the latest context/app_version came from, so
-- that a late-arriving older event does not overwrite them.
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
-- The session id reversed: finds ids sharing a suffix (similar_sessions).
CREATE INDEX sessions_rev_id ON sessions(rev_id);

CREATE TABLE app_versions(
  version TEXT PRIMARY KEY,
  first_seen INTEGER,
  last_seen INTEGER
);
)sql"},
    migration{2, R"sql(
-- Blast radius: one row per (problem, session). Counting the sessions a problem hit reads one
-- entry per session here, instead of one events row per occurrence (a problem shared by 20k
-- sessions took about a second to count from events).
CREATE TABLE issue_sessions(
  issue_key TEXT NOT NULL,
  session_id TEXT NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (issue_key, session_id)
) WITHOUT ROWID;
INSERT INTO issue_sessions(issue_key, session_id, last_seen)
  SELECT issue_key, session_id, max(ts) FROM events WHERE issue_key IS NOT NULL
  GROUP BY issue_key, session_id;
)sql"},
    migration{3, R"sql(
-- The per-problem summary, maintained by the writer in the same transaction as the events: one
-- row per (5-minute bucket, problem). Digests, /top and incident alerts read only these tables;
-- the blast radius reads a problem's buckets in its window, a number bounded by the window, not
-- by the incident's size. The bucket width is fixed here: store::issue_bucket_ms.
--   sessions       distinct sessions with the problem in the bucket (exact)
--   first_session  the session of the bucket's earliest event (also the example to drill into)
--   runner_ms      the earliest event of any other session: with first_ms, the earliest
--                  occurrence "in another session" for any session, in O(1)
-- Keyed by time first: ingest writes the newest buckets, retention deletes a prefix, digests
-- read a time range. issue_buckets_key serves one problem's history.
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

-- Which sessions a bucket's count holds: makes `sessions` exact, and the blast radius exact
-- (a distinct count over a bounded number of entries, see reader.cpp).
CREATE TABLE issue_bucket_sessions(
  bucket_start INTEGER NOT NULL,
  issue_key TEXT NOT NULL,
  session_id TEXT NOT NULL,
  PRIMARY KEY (bucket_start, issue_key, session_id)
) WITHOUT ROWID;

-- App versions and browsers of the sessions a bucket counts (incident alerts). kind is
-- 'app_version' or 'browser'; each session counts once per bucket.
CREATE TABLE issue_bucket_facets(
  bucket_start INTEGER NOT NULL,
  issue_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  sessions INTEGER NOT NULL,
  PRIMARY KEY (bucket_start, issue_key, kind, value)
) WITHOUT ROWID;

-- Traffic per bucket: events stored, and sessions first stored (a new sessions row).
CREATE TABLE ingest_buckets(
  bucket_start INTEGER PRIMARY KEY,
  events INTEGER NOT NULL,
  new_sessions INTEGER NOT NULL
);

-- Every /session answer (the lookup log, also the audit log). verdict is healthy, degraded,
-- broken, unknown or not_found; issue_key is the top finding's.
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

-- Small durable state of the service's schedulers ("digest.last_run" ...).
CREATE TABLE service_state(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- The blast radius now reads issue_buckets; issue_sessions is derived data, dropped.
DROP TABLE issue_sessions;

-- Backfill from the events already stored (bucket = ts / 300000 * 300000).
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
)sql"},
    migration{4, R"sql(
-- Retention by receipt time: a device clock 40 days behind must not have its events pruned at
-- once, nor one in year 9999 keep them forever. The oldest received go first, through this index,
-- which replaces events_ts (used only by retention).
CREATE INDEX IF NOT EXISTS events_received ON events(received_ms);
DROP INDEX IF EXISTS events_ts;
)sql",
              // The ts as sent when it was out of bounds around the receipt time and clamped;
              // NULL otherwise.
              "events", "sent_ts INTEGER"},
    migration{5, R"sql(
-- Schema 5, the layout of the write path (docs/performance.md, "Store layout (schema 5)"): every
-- index on events is led by an integer session key instead of the text session id, the rowid
-- follows receipt order, and only the indexes a query uses remain. One transaction (see
-- migrate()): a crash midway leaves the version-4 store as it was.

-- Sessions get an explicit integer key (an alias of the rowid: VACUUM keeps it). AUTOINCREMENT:
-- a forgotten session's key is never reused, so the summary's entries of it stay distinct.
-- Keys are handed out in order of first sight, so the sessions active now hold the highest keys
-- and their index entries sit together at the right edge of each events index.
CREATE TABLE sessions_v5(
  sid INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT NOT NULL,
  first_seen INTEGER,
  last_seen INTEGER,
  event_count INTEGER,
  context TEXT,
  app_version TEXT,
  rev_id TEXT,
  context_ts INTEGER,
  app_version_ts INTEGER
);
INSERT INTO sessions_v5(session_id, first_seen, last_seen, event_count, context, app_version,
                        rev_id, context_ts, app_version_ts)
  SELECT session_id, first_seen, last_seen, event_count, context, app_version, rev_id,
         context_ts, app_version_ts
  FROM sessions ORDER BY first_seen, session_id;
-- Events without a sessions row (none the writer leaves behind) get one, so none is lost.
INSERT INTO sessions_v5(session_id, first_seen, last_seen, event_count)
  SELECT session_id, min(ts), max(ts), count(*) FROM events
  WHERE session_id NOT IN (SELECT session_id FROM sessions) GROUP BY session_id
  ORDER BY min(ts), session_id;
DROP TABLE sessions;
ALTER TABLE sessions_v5 RENAME TO sessions;
CREATE UNIQUE INDEX sessions_session_id ON sessions(session_id);
CREATE INDEX sessions_rev_id ON sessions(rev_id);

-- Events keyed by receipt: rowids are handed out in commit order, so the oldest received are a
-- prefix of the table and retention reads it from the front (no events_received index). The
-- copy is in receipt order for that reason.
CREATE TABLE events_v5(
  rowid INTEGER PRIMARY KEY,
  sid INTEGER NOT NULL,
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
  received_ms INTEGER NOT NULL,
  sent_ts INTEGER
);
INSERT INTO events_v5(sid, event_id, ts, type, severity, page, message, attrs, context, extra,
                      issue_key, app_version, received_ms, sent_ts)
  SELECT s.sid, e.event_id, e.ts, e.type, e.severity, e.page, e.message, e.attrs, e.context,
         e.extra, e.issue_key, e.app_version, e.received_ms, e.sent_ts
  FROM events e JOIN sessions s ON s.session_id = e.session_id
  ORDER BY e.received_ms, e.rowid;
DROP TABLE events;  -- with events_session_ts, events_session_event, events_issue_ts, events_received
ALTER TABLE events_v5 RENAME TO events;
-- The timeline (session_events, type_counts, a session's first ts after retention).
CREATE INDEX events_session_ts ON events(sid, ts);
-- Deduplication: the event id within its session.
CREATE UNIQUE INDEX events_session_event ON events(sid, event_id);
-- events_issue_ts is gone: since schema 3 the blast radius reads the summary, no query read it.

-- The summary's memberships by the integer key too. Entries of sessions forgotten by retention
-- (their buckets are still in the window) keep a distinct key of their own, below zero.
CREATE TABLE issue_bucket_sessions_v5(
  bucket_start INTEGER NOT NULL,
  issue_key TEXT NOT NULL,
  sid INTEGER NOT NULL,
  PRIMARY KEY (bucket_start, issue_key, sid)
) WITHOUT ROWID;
CREATE TABLE forgotten_v5(session_id TEXT PRIMARY KEY, sid INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO forgotten_v5(session_id, sid)
  SELECT session_id, -row_number() OVER (ORDER BY session_id) FROM
    (SELECT DISTINCT session_id FROM issue_bucket_sessions
     WHERE session_id NOT IN (SELECT session_id FROM sessions));
INSERT INTO issue_bucket_sessions_v5(bucket_start, issue_key, sid)
  SELECT b.bucket_start, b.issue_key, coalesce(s.sid, f.sid) FROM issue_bucket_sessions b
  LEFT JOIN sessions s ON s.session_id = b.session_id
  LEFT JOIN forgotten_v5 f ON f.session_id = b.session_id;
DROP TABLE forgotten_v5;
DROP TABLE issue_bucket_sessions;
ALTER TABLE issue_bucket_sessions_v5 RENAME TO issue_bucket_sessions;
)sql"},
};

int user_version(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

// `column` is "name TYPE".
void add_column_if_missing(SQLite::Database& db, const std::string& table,
                           const std::string& column) {
  const std::string name = column.substr(0, column.find(' '));
  SQLite::Statement has(db, "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2");
  has.bind(1, table);
  has.bind(2, name);
  has.executeStep();
  if (has.getColumn(0).getInt() == 0) db.exec("ALTER TABLE " + table + " ADD COLUMN " + column);
}

}  // namespace

int latest_schema_version() noexcept { return migrations.back().version; }

void migrate(SQLite::Database& db, int up_to) {
  const int found = user_version(db);
  if (found > latest_schema_version()) {
    throw std::runtime_error("database schema version " + std::to_string(found) +
                             " is newer than this build supports (" +
                             std::to_string(latest_schema_version()) + ")");
  }
  for (const auto& step : migrations) {
    if (step.version <= found) continue;
    if (up_to > 0 && step.version > up_to) break;
    SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
    // Another process may have migrated while we waited for the write lock.
    if (user_version(db) >= step.version) continue;
    db.exec(step.sql);
    if (step.table && step.column) add_column_if_missing(db, step.table, step.column);
    db.exec("PRAGMA user_version = " + std::to_string(step.version));
    transaction.commit();
  }
}

namespace {

// "file:" URI of a path, with the characters that URIs reserve escaped.
std::string file_uri(const std::filesystem::path& path) {
  std::string uri = "file:";
  for (const char c : std::filesystem::absolute(path).string()) {
    if (c == '%' || c == '?' || c == '#') {
      static constexpr char hex[] = "0123456789ABCDEF";
      uri += '%';
      uri += hex[(static_cast<unsigned char>(c) >> 4) & 0xF];
      uri += hex[static_cast<unsigned char>(c) & 0xF];
    } else {
      uri += c;
    }
  }
  return uri;
}

void check_read_only_version(SQLite::Database& db) {
  const int found = user_version(db);
  if (found != latest_schema_version()) {
    throw std::runtime_error(
        "database schema version " + std::to_string(found) + " is not this build's (" +
        std::to_string(latest_schema_version()) +
        "): read-only commands do not migrate; run `sessiondx serve` on it once first");
  }
}

// A reader of a store opened read-only. A WAL database needs its -shm file, which SQLite cannot
// create on a read-only file system or beside a read-only file: then the file is opened
// immutable (no locks, no WAL), which is right for a file that nobody can write anyway.
SQLite::Database open_read_only(const store_settings& settings, int busy_timeout_ms) {
  if (!std::filesystem::exists(settings.path))
    throw std::runtime_error("no database file at " + settings.path.string());
  try {
    SQLite::Database db(settings.path, SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX,
                        busy_timeout_ms);
    check_read_only_version(db);
    return db;
  } catch (const SQLite::Exception&) {
  }
  SQLite::Database db(file_uri(settings.path) + "?immutable=1",
                      SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX | SQLite::OPEN_URI,
                      busy_timeout_ms);
  check_read_only_version(db);
  return db;
}

}  // namespace

SQLite::Database open_connection(const store_settings& settings, connection_role role) {
  constexpr int busy_timeout_ms = 5000;
  if (settings.read_only && role != connection_role::reader)
    throw std::logic_error("a read-only store opens only reader connections");
  int flags = SQLite::OPEN_NOMUTEX;  // each connection is used by one thread at a time
  switch (role) {
    case connection_role::writer:
      flags |= SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE;
      break;
    case connection_role::reader:
      flags |= SQLite::OPEN_READONLY;
      break;
    case connection_role::checkpointer:
      flags |= SQLite::OPEN_READWRITE;
      break;
  }
  SQLite::Database db = settings.read_only && role == connection_role::reader
                            ? open_read_only(settings, busy_timeout_ms)
                            : SQLite::Database(settings.path, flags, busy_timeout_ms);

  // Readers share the page cache budget; the writer gets all of it, since it dirties the
  // index leaves of every commit.
  std::int64_t cache_kib = std::max<std::int64_t>(settings.cache_kib, 256);
  if (role == connection_role::reader) {
    cache_kib = std::max<std::int64_t>(
        cache_kib / static_cast<std::int64_t>(std::max<std::size_t>(settings.read_connections, 1)),
        2048);
  } else if (role == connection_role::checkpointer) {
    cache_kib = 256;
  }
  db.exec("PRAGMA cache_size = -" + std::to_string(cache_kib));
  db.exec("PRAGMA temp_store = MEMORY");
  db.exec("PRAGMA foreign_keys = OFF");
  if (role == connection_role::reader) return db;

  // The first statement that reads the file: "file is not a database" surfaces here.
  const std::string mode = db.execAndGet("PRAGMA journal_mode = WAL").getString();
  if (mode != "wal") {
    throw std::runtime_error("cannot switch to WAL journal mode (got \"" + mode + "\")");
  }
  db.exec("PRAGMA journal_size_limit = 67108864");
  // Checkpoints run on the checkpointer's own thread, never inside a commit.
  db.exec("PRAGMA wal_autocheckpoint = 0");

  const bool full = settings.synchronous == sync_mode::full;
  db.exec(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  const int expected = full ? 2 : 1;
  if (const int got = db.execAndGet("PRAGMA synchronous").getInt(); got != expected) {
    throw std::runtime_error("PRAGMA synchronous did not take (wanted " + std::to_string(expected) +
                             ", got " + std::to_string(got) + ")");
  }
  return db;
}

}  // namespace sessiondx::store::detail

#include "store/schema.hpp"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

namespace sessiondx::store::detail {

namespace {

struct migration {
  int version;
  const char* sql;
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
};

int user_version(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

}  // namespace

int latest_schema_version() noexcept { return migrations.back().version; }

void migrate(SQLite::Database& db) {
  const int found = user_version(db);
  if (found > latest_schema_version()) {
    throw std::runtime_error("database schema version " + std::to_string(found) +
                             " is newer than this build supports (" +
                             std::to_string(latest_schema_version()) + ")");
  }
  for (const auto& step : migrations) {
    if (step.version <= found) continue;
    SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
    // Another process may have migrated while we waited for the write lock.
    if (user_version(db) >= step.version) continue;
    db.exec(step.sql);
    db.exec("PRAGMA user_version = " + std::to_string(step.version));
    transaction.commit();
  }
}

SQLite::Database open_connection(const store_settings& settings, connection_role role) {
  constexpr int busy_timeout_ms = 5000;
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
  SQLite::Database db(settings.path, flags, busy_timeout_ms);

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

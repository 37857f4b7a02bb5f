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
  const char* sql;  ///< idempotent from version 4 on (IF [NOT] EXISTS)
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

#pragma once

// The SQLite schema of the event store and the connections that use it: migrations keyed by
// PRAGMA user_version, and the pragmas each kind of connection runs with.

#include "store/sqlite_store.hpp"

#include <SQLiteCpp/Database.h>

namespace sessiondx::store::detail {

/// The user_version this build migrates to.
int latest_schema_version() noexcept;

/// Applies the migration steps newer than the database's user_version, each in its own
/// IMMEDIATE transaction that also bumps user_version. Throws std::runtime_error naming both
/// versions when the database is newer than this build; SQLite::Exception on SQL errors.
/// `up_to` stops at that version (tests build the databases of older releases with it).
void migrate(SQLite::Database& db, int up_to = 0);

enum class connection_role {
  writer,        ///< the single writer: creates the file, WAL, no automatic checkpoints
  reader,        ///< read-only, for queries
  checkpointer,  ///< read-write, but only ever runs wal_checkpoint
};

/// Opens a connection to settings.path and applies the pragmas of its role. The writer verifies
/// journal_mode and synchronous by reading them back and throws std::runtime_error when SQLite
/// did not take them. SQLite::Exception on open errors.
SQLite::Database open_connection(const store_settings& settings, connection_role role);

}  // namespace sessiondx::store::detail

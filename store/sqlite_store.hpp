#pragma once

// The SQLite implementation of store::event_store (target sessiondx_store_sqlite): its settings
// and its factory. Code that only uses a store (bot/, connectors/) includes store/event_store.hpp
// and links sessiondx_store_api; the service and the tests that need a real store include this
// header and link sessiondx_store_sqlite.

#include "store/event_store.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace sessiondx::store {

enum class sync_mode { normal, full };

struct store_settings {
  std::filesystem::path path = "sessiondx.db";
  /// normal: every acknowledged event survives a process crash; full: also a power loss.
  sync_mode synchronous = sync_mode::normal;
  /// Events queued for the writer beyond which append() fails fast with errc::overloaded.
  std::size_t max_queued_events = 200'000;
  /// Upper bound on the events committed in one transaction.
  std::size_t max_commit_events = 10'000;
  /// Events are pruned this many days after they were received (received_ms), whatever their
  /// ts says. 0 keeps them forever.
  int retention_days = 30;
  /// Session entries of the summary read by one other_sessions() call at most (see there).
  std::size_t max_blast_entries = 5'000;
  /// Rows deleted per retention transaction, so pruning never stalls ingest for long.
  std::size_t retention_batch = 2'000;
  std::chrono::milliseconds retention_interval{std::chrono::minutes(10)};
  /// Checkpoints run on a background connection once the WAL holds this many pages.
  int checkpoint_pages = 4'000;
  std::size_t read_connections = 4;
  std::int64_t cache_kib = 65'536;
  /// Wall clock in Unix epoch milliseconds: the receipt time stored with events (received_ms),
  /// the retention cutoff and the ts clamp bounds.
  std::function<std::int64_t()> now_ms;  ///< empty: the system clock
  /// A ts later than receipt + max_ts_ahead, or earlier than receipt - max_ts_behind, is
  /// clamped to that bound and the sent value kept in sent_ts (docs/events.md, Retention).
  /// Zero: no bound on that side (the library default; the service sets 1 h and 7 days).
  std::chrono::milliseconds max_ts_ahead{0};
  std::chrono::milliseconds max_ts_behind{0};

  // --- health (docs/reliability.md) ---
  /// After this many consecutive failed transactions the store reports not ready (health()).
  int max_failed_commits = 3;
  /// While not ready and idle, the writer tries a one-page commit this often to notice that
  /// space (or the disk) is back even when no request arrives.
  std::chrono::milliseconds health_probe_interval{std::chrono::seconds(2)};
  /// Store failures are logged with SQLite's error at most once per this interval (the first at
  /// once), with the count of those not logged in between.
  std::chrono::milliseconds error_log_interval{std::chrono::seconds(10)};
  /// Receives the store's error and recovery lines (on the writer thread); empty: discarded.
  std::function<void(const std::string&)> log_error;
  /// Largest database file in MiB, 0 for no limit (SQLite max_page_count on the writer). Once
  /// reached, writes fail as on a full disk.
  std::int64_t max_size_mib = 0;
  /// Open for reading only (`sessiondx diagnose`): no migration, retention, checkpoint or writer
  /// thread; works on a read-only file or file system. append() fails with errc::read_only. The
  /// database must exist at the schema version of this build.
  bool read_only = false;
};

/// Opens (creating if needed) and migrates an SQLite event store, starts its writer, checkpoint
/// and retention threads. Throws std::runtime_error naming the path on failure. ":memory:" is
/// not supported (readers need to share the file); tests use a temporary file.
std::unique_ptr<event_store> make_sqlite_store(const store_settings& settings);

}  // namespace sessiondx::store

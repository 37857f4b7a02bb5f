#pragma once

// The narrow interface between the service and its event store. Nothing here names SQLite: a
// PostgreSQL store can implement the same interface later without touching bot/ or connectors/.

#include "store/event.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace sessiondx::store {

/// What happened to one event handed to the writer.
enum class append_outcome : std::uint8_t { stored, duplicate };

/// Completion of one append(): either an error (nothing of the batch is stored) or one outcome
/// per event, in the order they were given.
struct append_result {
  std::error_code error;
  std::vector<append_outcome> outcomes;
};

/// Errors of the store itself.
enum class errc {
  overloaded = 1,  ///< The write queue is full; retry later.
  shutting_down,   ///< The store is closing and takes no more writes.
  write_failed,    ///< The commit failed (disk full, I/O error); nothing of the batch is stored.
  read_only,       ///< The store was opened read-only (store_settings::read_only).
};
const std::error_category& store_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

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

/// Whether the store can commit. The reason names SQLite's error, for /readyz and the log.
struct store_health {
  bool ready = true;
  std::string reason;                   ///< "" when ready
  std::int64_t consecutive_failures = 0;
};

/// Facts of one session, read from one row (cheap whatever the session's size).
struct session_summary {
  std::string session_id;
  std::int64_t first_seen_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::int64_t event_count = 0;
  std::string context;      ///< latest non-empty context JSON of the session, "" if none
  std::string app_version;  ///< latest app_version seen in the session, "" if none
};

/// How many other sessions hit the same problem within a window, and since when.
struct blast_radius {
  std::string issue_key;
  std::int64_t other_sessions = 0;
  std::int64_t first_seen_ms = 0;  ///< earliest occurrence in another session; 0 when none
};

struct app_version_seen {
  std::string version;
  std::int64_t first_seen_ms = 0;
  std::int64_t last_seen_ms = 0;
};

struct store_stats {
  std::int64_t queued_events = 0;
  std::int64_t committed_events = 0;
  std::int64_t duplicate_events = 0;
  std::int64_t commits = 0;
  std::int64_t pruned_events = 0;
  std::int64_t commit_errors = 0;
};

/// The event store. Thread-safe: every member may be called from any thread.
class event_store {
 public:
  using append_handler = std::function<void(append_result)>;

  virtual ~event_store() = default;

  /// Queues a batch for the single writer. `done` runs exactly once, on the writer thread, after
  /// the batch is committed (or failed as a whole); it must not block. When the queue is full or
  /// the store is closing, `done` runs at once on the caller's thread with errc::overloaded or
  /// errc::shutting_down. Events are taken as already validated.
  virtual void append(std::vector<event> batch, append_handler done) = 0;

  /// Blocking convenience for tools and tests: append and wait for the commit.
  append_result append_and_wait(std::vector<event> batch);

  /// A session's events in time order (ties in arrival order), at most `limit` of them: when the
  /// session has more, the most recent `limit` are returned. Blocking; call off I/O threads.
  virtual std::vector<event> session_events(const std::string& session_id, std::size_t limit) = 0;

  /// Summary of a session, or nullopt when no event of it is stored.
  virtual std::optional<session_summary> summary(const std::string& session_id) = 0;

  /// How many events of each type the session has, sorted by type. Reads every event of the
  /// session, so it costs in proportion to its size (about 1 ms per 1,000 events).
  virtual std::vector<std::pair<std::string, std::int64_t>> type_counts(
      const std::string& session_id) = 0;

  /// Distinct sessions other than `session_id` with an event of `issue_key` at or after
  /// `since_ms`, and the earliest such event.
  virtual blast_radius other_sessions(const std::string& issue_key, const std::string& session_id,
                                      std::int64_t since_ms) = 0;

  /// Known session ids that extend `typed` (a prefix) or differ from it by one character,
  /// nearest first, at most `limit`.
  virtual std::vector<std::string> similar_sessions(const std::string& typed,
                                                    std::size_t limit) = 0;

  /// App versions seen in events at or after `since_ms`.
  virtual std::vector<app_version_seen> app_versions(std::int64_t since_ms) = 0;

  /// Deletes up to `max_rows` events received before `cutoff_ms`; returns how many. Sessions
  /// left with no event are forgotten too. The background retention task calls this in a loop.
  virtual std::size_t prune_before(std::int64_t cutoff_ms, std::size_t max_rows) = 0;

  virtual store_stats stats() const = 0;

  /// Not ready after store_settings::max_failed_commits consecutive failed transactions, until
  /// one succeeds again. Cheap and thread-safe (for /readyz). The default is always ready.
  virtual store_health health() const { return {}; }

  /// Stops taking writes, commits what is queued, stops background work. Idempotent; the
  /// destructor calls it.
  virtual void close() = 0;
};

/// Opens (creating if needed) and migrates an SQLite event store, starts its writer, checkpoint
/// and retention threads. Throws std::runtime_error naming the path on failure. ":memory:" is
/// not supported (readers need to share the file); tests use a temporary file.
std::unique_ptr<event_store> make_sqlite_store(const store_settings& settings);

}  // namespace sessiondx::store

template <>
struct std::is_error_code_enum<sessiondx::store::errc> : std::true_type {};

#pragma once

// The write side of the SQLite store: the one connection that ever writes, its cached
// statements, and the transactions it runs (group commit, retention). Used only by the store's
// writer thread, and by close() once that thread has ended.

#include "store/sqlite_store.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace sessiondx::store::detail {

/// What one group commit did.
struct commit_counts {
  std::int64_t stored = 0;
  std::int64_t duplicates = 0;
};

class writer_connection {
 public:
  /// Opens (creating) and migrates the database. `wal_pages` receives the size of the WAL in
  /// pages after each commit, for the checkpointer.
  writer_connection(const store_settings& settings, std::atomic<int>& wal_pages);
  ~writer_connection();
  writer_connection(const writer_connection&) = delete;
  writer_connection& operator=(const writer_connection&) = delete;

  /// Inserts the batches in one IMMEDIATE transaction and fills outcomes[i] for batches[i].
  /// Throws (after rolling back) when anything fails; then nothing of any batch is stored.
  commit_counts commit(const std::vector<const std::vector<event>*>& batches,
                       std::vector<std::vector<append_outcome>>& outcomes);

  /// Deletes up to max_rows events older than cutoff_ms, fixes or forgets their sessions, and
  /// forgets app versions not seen since the cutoff, in one transaction. Throws on failure.
  std::size_t prune(std::int64_t cutoff_ms, std::size_t max_rows);

  /// Commits a one-page transaction (user_version rewritten unchanged): whether the store can
  /// commit at all, checked while no request is writing. Throws on failure, after rolling back.
  void probe();
  /// Appends one entry to the lookup log, in its own transaction. Throws on failure.
  void record_lookup(const lookup_record& record);

  /// Sets one service_state value, in its own transaction. Throws on failure.
  void put_state(const std::string& key, const std::string& value);

  /// wal_checkpoint(PASSIVE): copies back what no reader still needs, waiting for nobody. False
  /// when another connection's checkpoint is running, so nothing was done.
  bool checkpoint_passive() noexcept;

  /// wal_checkpoint(TRUNCATE): true when the whole WAL was copied back and emptied.
  bool checkpoint_truncate() noexcept;

 private:
  void rollback() noexcept;
  /// Adds a problem event of the current commit to the summary aggregates.
  void add_to_summary(const event& e, std::int64_t sid, std::int64_t bucket);
  /// Writes the commit's summary aggregates (memberships first: they decide the counts).
  void write_summary();

  /// The integer key of a commit's session: from the cache, the sessions table, or a new row.
  std::int64_t resolve_session(const std::string& session_id, bool& created);

  // `key` is the event string the map's string_view key points into, bound as TEXT.
  struct session_totals {
    const std::string* key = nullptr;
    std::int64_t sid = 0;
    bool created = false;  ///< the commit inserted its sessions row
    std::int64_t first_seen = 0;
    std::int64_t last_seen = 0;
    std::int64_t count = 0;
    const event* latest_context = nullptr;
    const event* latest_app_version = nullptr;
  };
  struct version_totals {
    const std::string* key = nullptr;
    std::int64_t first_seen = 0;
    std::int64_t last_seen = 0;
  };

  std::function<std::int64_t()> now_ms_;  ///< empty: the system clock
  SQLite::Database db_;
  SQLite::Statement begin_;
  SQLite::Statement commit_;
  SQLite::Statement insert_event_;
  SQLite::Statement find_session_;
  SQLite::Statement create_session_;
  SQLite::Statement update_session_;
  SQLite::Statement upsert_app_version_;
  SQLite::Statement insert_bucket_session_;
  SQLite::Statement upsert_issue_bucket_;
  SQLite::Statement upsert_facet_app_version_;
  SQLite::Statement upsert_facet_browser_;
  SQLite::Statement upsert_ingest_bucket_;
  SQLite::Statement insert_lookup_;
  SQLite::Statement put_state_;
  SQLite::Statement prune_events_;
  SQLite::Statement session_first_ts_;
  SQLite::Statement shrink_session_;
  SQLite::Statement forget_session_;
  SQLite::Statement prune_app_versions_;
  SQLite::Statement prune_issue_buckets_;
  SQLite::Statement prune_bucket_sessions_;
  SQLite::Statement prune_bucket_facets_;
  SQLite::Statement prune_ingest_buckets_;
  SQLite::Statement prune_lookups_;
  // Per-commit aggregates, kept to reuse their buckets; keys point into the batches.
  std::unordered_map<std::string_view, session_totals> sessions_;
  /// Per event of the commit, in order: its session's totals (filled before the inserts).
  std::vector<session_totals*> event_sessions_;
  /// Session id -> integer key of sessions committed earlier: most commits find their sessions
  /// here and read nothing of the sessions table. Cleared when it reaches its bound; entries of
  /// sessions created by a commit join only once that commit succeeded, and retention erases
  /// those it forgets.
  std::unordered_map<std::string, std::int64_t> sid_cache_;
  static constexpr std::size_t max_cached_sessions = 1 << 16;
  std::unordered_map<std::string_view, version_totals> versions_;
  // The commit's contribution to the per-problem summary. first/runner follow the same merge
  // rule as upsert_issue_bucket (see queries.hpp).
  struct bucket_totals {
    std::int64_t sessions = 0;  ///< filled once the memberships are inserted
    std::int64_t events = 0;
    std::int64_t first_ms = 0;
    std::int64_t last_ms = 0;
    const std::string* first_session = nullptr;
    std::int64_t first_sid = 0;
    std::optional<std::int64_t> runner_ms;
  };
  /// A (bucket, problem, session) of the commit, with an event carrying its facets.
  struct membership {
    const event* with_app_version = nullptr;
    const event* with_context = nullptr;
  };
  using bucket_key = std::pair<std::int64_t, std::string_view>;
  std::map<bucket_key, bucket_totals> buckets_;
  std::map<std::tuple<std::int64_t, std::string_view, std::int64_t>, membership> memberships_;
  /// Events and new sessions per ingest bucket.
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> traffic_;
  std::unordered_map<std::int64_t, std::int64_t> pruned_per_session_;  ///< by integer key
};

}  // namespace sessiondx::store::detail

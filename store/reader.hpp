#pragma once

// The read side of the SQLite store: read-only connections with their prepared statements, and
// a small pool that lends them to calling threads.

#include "store/sqlite_store.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <vector>

namespace sessiondx::store::detail {

/// One read-only connection and its cached statements. Used by one thread at a time; every
/// statement is reset right after use, so an idle reader holds no snapshot and never keeps the
/// WAL from being checkpointed.
class reader_connection {
 public:
  explicit reader_connection(const store_settings& settings);

  std::vector<event> session_events(const std::string& session_id, std::size_t limit);
  std::vector<event> diagnosis_events(const std::string& session_id, std::size_t limit);
  std::optional<session_summary> summary(const std::string& session_id);
  std::vector<std::pair<std::string, std::int64_t>> type_counts(const std::string& session_id);
  blast_radius other_sessions(const std::string& issue_key, const std::string& session_id,
                              std::int64_t since_ms);
  std::vector<std::string> similar_sessions(const std::string& typed, std::size_t limit);
  std::vector<app_version_seen> app_versions(std::int64_t since_ms);
  std::vector<issue_bucket> issue_buckets(std::int64_t from_ms, std::int64_t to_ms);
  std::vector<issue_bucket> issue_history(const std::string& issue_key, std::int64_t from_ms,
                                          std::int64_t to_ms);
  std::int64_t issue_sessions(const std::string& issue_key, std::int64_t from_ms,
                              std::int64_t to_ms, std::int64_t cap);
  std::vector<facet_count> issue_facets(const std::string& issue_key, std::int64_t from_ms,
                                        std::int64_t to_ms);
  std::vector<issue_version> issue_versions(const std::string& issue_key, std::int64_t from_ms,
                                            std::int64_t to_ms);
  std::vector<ingest_bucket> ingest_buckets(std::int64_t from_ms, std::int64_t to_ms);
  std::vector<lookup_record> lookups(const lookup_query& query);
  std::optional<std::string> get_state(const std::string& key);

 private:
  struct range_scan {
    SQLite::Statement between;  ///< ?1 <= key < ?2, at most ?3 rows
    SQLite::Statement from;     ///< ?1 <= key, at most ?3 rows (no upper bound exists)
  };
  /// Calls fn(key) for up to `max_rows` keys starting with `prefix`, in key order.
  template <typename Fn>
  void scan_prefix(range_scan& scan, const std::string& prefix, std::size_t max_rows, Fn fn);

  /// The session's integer key, nullopt when it is not stored.
  std::optional<std::int64_t> session_key(const std::string& session_id);

  SQLite::Database db_;
  SQLite::Statement session_key_;
  SQLite::Statement session_events_;
  SQLite::Statement diagnosis_events_;
  SQLite::Statement session_row_;
  SQLite::Statement type_counts_;
  /// Collects the distinct sessions of the problem's `buckets` but `skip`, in the given order,
  /// reading at most `budget` entries.
  void collect_sessions(const std::string& issue_key, const std::vector<std::int64_t>& buckets,
                        std::int64_t skip, std::size_t budget,
                        std::unordered_set<std::int64_t>& out);

  std::size_t max_blast_entries_;
  SQLite::Statement blast_buckets_;
  SQLite::Statement bucket_sessions_;
  SQLite::Statement issue_buckets_;
  SQLite::Statement issue_history_;
  SQLite::Statement issue_facets_;
  SQLite::Statement issue_versions_;
  SQLite::Statement ingest_buckets_;
  SQLite::Statement lookups_between_;
  SQLite::Statement lookups_of_session_;
  SQLite::Statement lookups_of_user_;
  SQLite::Statement get_state_;
  SQLite::Statement bucket_has_session_;
  range_scan session_ids_;
  range_scan rev_ids_;
  SQLite::Statement session_ids_in_;  ///< exact ids, sql::session_ids_in_batch at a time
  SQLite::Statement app_versions_;
};

/// Lends reader connections; borrowing blocks while all of them are in use.
class reader_pool {
 public:
  reader_pool(const store_settings& settings);

  class lease {
   public:
    lease(reader_pool& pool, reader_connection& reader) : pool_(&pool), reader_(&reader) {}
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease() { pool_->give_back(*reader_); }
    reader_connection* operator->() const { return reader_; }

   private:
    reader_pool* pool_;
    reader_connection* reader_;
  };

  lease borrow();

 private:
  void give_back(reader_connection& reader);

  std::vector<std::unique_ptr<reader_connection>> readers_;
  std::mutex mutex_;
  std::condition_variable idle_cv_;
  std::vector<reader_connection*> idle_;
};

}  // namespace sessiondx::store::detail

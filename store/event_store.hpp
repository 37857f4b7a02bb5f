#pragma once

// The narrow interface between the service and its event store. Nothing here names SQLite: a
// PostgreSQL store can implement the same interface later without touching bot/ or connectors/.
// It is a build target of its own (sessiondx_store_api, store/CMakeLists.txt), which links no
// SQLite; the SQLite store, its settings and make_sqlite_store are in store/sqlite_store.hpp.

#include "store/event.hpp"

#include <cstdint>
#include <functional>
#include <limits>
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

/// Whether the store can commit. The reason names SQLite's error, for /readyz and the log.
struct store_health {
  bool ready = true;
  std::string reason;  ///< "" when ready
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

/// Width of the per-problem summary's time buckets, fixed by the schema (version 3). Windows
/// read from the summary start at a bucket boundary: `since` is rounded down to one.
inline constexpr std::int64_t issue_bucket_ms = 300'000;

/// Start of the bucket holding `ts_ms`.
constexpr std::int64_t bucket_of(std::int64_t ts_ms) noexcept {
  return ts_ms / issue_bucket_ms * issue_bucket_ms;
}

/// How many other sessions hit the same problem within a window, and since when.
struct blast_radius {
  std::string issue_key;
  /// Exact unless `capped`; then a lower bound: "more than other_sessions".
  std::int64_t other_sessions = 0;
  std::int64_t first_seen_ms = 0;  ///< earliest occurrence in another session; 0 when none
  bool capped = false;
};

/// One problem in one bucket of the summary maintained at ingest.
struct issue_bucket {
  std::string issue_key;
  std::int64_t bucket_start_ms = 0;
  std::int64_t sessions = 0;  ///< distinct sessions with the problem in this bucket
  std::int64_t events = 0;
  std::int64_t first_seen_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::string example_session;  ///< the session of the bucket's earliest event
};

/// Traffic in one bucket: events stored, sessions whose first event was stored then.
struct ingest_bucket {
  std::int64_t bucket_start_ms = 0;
  std::int64_t events = 0;
  std::int64_t new_sessions = 0;
};

/// Sessions of a problem by app version or browser ("app_version", "browser").
struct facet_count {
  std::string kind;
  std::string value;
  std::int64_t sessions = 0;  ///< summed over buckets: a session active in two counts twice
  friend bool operator==(const facet_count&, const facet_count&) = default;
};

/// One app version a problem was seen with (release regressions, bot/rules/release.cpp).
struct issue_version {
  std::string version;
  std::int64_t sessions = 0;  ///< summed over buckets: a session active in two counts twice
  /// The earliest event of the first bucket holding the version (5-minute bucket precision:
  /// the bucket's first event may be of another version of the same bucket).
  std::int64_t first_seen_ms = 0;
  friend bool operator==(const issue_version&, const issue_version&) = default;
};

/// One /session answer, as the lookup (audit) log keeps it.
struct lookup_record {
  std::int64_t at_ms = 0;
  std::string session_id;
  std::string verdict;    ///< healthy|degraded|broken|unknown|not_found
  std::string issue_key;  ///< the top finding's, "" when none
  std::string user;       ///< the platform's user id of who asked
  std::string platform;   ///< "slack", "shell", "cli", ...
  std::string channel;
};

/// Which lookups to list: a time range, optionally one session or one user; newest first.
struct lookup_query {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = std::numeric_limits<std::int64_t>::max();
  std::string session_id;  ///< "" = any
  std::string user;        ///< "" = any
  std::size_t limit = 1000;
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

  /// session_events() with only what the diagnosis rules read: `context` and `extra` stay empty
  /// (the summary carries the session's latest context). The default reads everything.
  virtual std::vector<event> diagnosis_events(const std::string& session_id, std::size_t limit) {
    return session_events(session_id, limit);
  }

  /// Summary of a session, or nullopt when no event of it is stored.
  virtual std::optional<session_summary> summary(const std::string& session_id) = 0;

  /// How many events of each type the session has, sorted by type. Reads every event of the
  /// session, so it costs in proportion to its size (about 1 ms per 1,000 events).
  virtual std::vector<std::pair<std::string, std::int64_t>> type_counts(
      const std::string& session_id) = 0;

  /// Distinct sessions other than `session_id` with an event of `issue_key` at or after
  /// `since_ms` (rounded down to its bucket), and the earliest such event. Reads the problem's
  /// summary buckets in the window and at most max_blast_entries of their session entries, so the
  /// cost does not grow with the incident: exact while the window's entries fit, otherwise
  /// `capped` with the distinct sessions found so far as a lower bound.
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
  // ---- the per-problem summary, the lookup log and service state (schema 3) ----
  // Defaults (empty answers, writes ignored) let test fakes implement only what they use.

  /// Every (problem, bucket) row with from_ms <= bucket start < to_ms, in time order. A bounded
  /// scan of the summary (rows = problems x buckets), never of events. Blocking.
  virtual std::vector<issue_bucket> issue_buckets(std::int64_t /*from_ms*/,
                                                  std::int64_t /*to_ms*/) {
    return {};
  }

  /// One problem's buckets with from_ms <= bucket start < to_ms, in time order.
  virtual std::vector<issue_bucket> issue_history(const std::string& /*issue_key*/,
                                                  std::int64_t /*from_ms*/,
                                                  std::int64_t /*to_ms*/) {
    return {};
  }

  /// Distinct sessions of a problem in the buckets [from_ms, to_ms); at most `cap` are counted
  /// (the answer is then `cap`, meaning "at least").
  virtual std::int64_t issue_sessions(const std::string& /*issue_key*/, std::int64_t /*from_ms*/,
                                      std::int64_t /*to_ms*/, std::int64_t /*cap*/) {
    return 0;
  }

  /// App versions and browsers of a problem's sessions in [from_ms, to_ms), most sessions first.
  virtual std::vector<facet_count> issue_facets(const std::string& /*issue_key*/,
                                                std::int64_t /*from_ms*/, std::int64_t /*to_ms*/) {
    return {};
  }

  /// The app versions of a problem's sessions in the buckets [from_ms, to_ms), first seen
  /// first (ties by version). Reads the problem's buckets and their facet rows only.
  virtual std::vector<issue_version> issue_versions(const std::string& /*issue_key*/,
                                                    std::int64_t /*from_ms*/,
                                                    std::int64_t /*to_ms*/) {
    return {};
  }

  /// Traffic buckets with from_ms <= bucket start < to_ms, in time order.
  virtual std::vector<ingest_bucket> ingest_buckets(std::int64_t /*from_ms*/,
                                                    std::int64_t /*to_ms*/) {
    return {};
  }

  /// Queues one lookup for the log; returns at once. Committed by the writer in its own small
  /// transaction; lost only if the store fails or closes first (counted in commit_errors).
  virtual void record_lookup(lookup_record /*record*/) {}

  /// The lookups matching `query`, newest first. Blocking.
  virtual std::vector<lookup_record> lookups(const lookup_query& /*query*/) { return {}; }

  /// A value of the service's durable state, nullopt when never set. Blocking.
  virtual std::optional<std::string> get_state(const std::string& /*key*/) { return {}; }

  /// Sets a value of the service's durable state; returns once it is committed. Throws
  /// std::runtime_error when the commit fails or the store is closed.
  virtual void put_state(const std::string& /*key*/, const std::string& /*value*/) {}

  /// Stops taking writes, commits what is queued, stops background work. Idempotent; the
  /// destructor calls it.
  virtual void close() = 0;
};

}  // namespace sessiondx::store

template <>
struct std::is_error_code_enum<sessiondx::store::errc> : std::true_type {};

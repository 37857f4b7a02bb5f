#include "store/reader.hpp"

#include "store/queries.hpp"
#include "store/schema.hpp"
#include "store/similar_ids.hpp"

#include <algorithm>
#include <limits>

namespace sessiondx::store::detail {

namespace {

// An unreset SELECT keeps its read transaction open and pins the WAL snapshot: reset on every
// way out.
class reset_on_exit {
 public:
  explicit reset_on_exit(SQLite::Statement& statement) : statement_(statement) {}
  reset_on_exit(const reset_on_exit&) = delete;
  reset_on_exit& operator=(const reset_on_exit&) = delete;
  ~reset_on_exit() { statement_.tryReset(); }

 private:
  SQLite::Statement& statement_;
};

// NULL reads back as "", and embedded NULs survive.
std::string text_at(const SQLite::Statement& statement, int index) {
  const SQLite::Column column = statement.getColumn(index);
  const char* text = column.getText("");
  return std::string(text, static_cast<std::size_t>(column.getBytes()));
}

std::int64_t sql_limit(std::size_t limit) {
  return static_cast<std::int64_t>(
      std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

// Bounds the work of one similar_sessions() call on very short ids, whose halves are shared by
// many sessions.
constexpr std::size_t max_one_char_candidates = 20'000;

// Bounds the primary-key probes for ids two misreads away (misread_spellings): a 16-character
// id has at most 4 * C(16, 2) + 2 * 16 = 512 spellings, a 64-character one up to 8 192.
constexpr std::size_t max_misread_spellings = 2048;

// Close enough to report: one character of any kind, or up to two classic misreads.
bool near_miss(std::string_view typed, std::string_view id) {
  if (one_char_difference(typed, id)) return true;
  const auto misreads = misread_count(typed, id);
  return misreads && *misreads > 0 && *misreads <= 2;
}

}  // namespace

reader_connection::reader_connection(const store_settings& settings)
    : db_(open_connection(settings, connection_role::reader)),
      session_key_(db_, sql::session_key),
      session_events_(db_, sql::session_events),
      diagnosis_events_(db_, sql::diagnosis_events),
      session_row_(db_, sql::session_row),
      type_counts_(db_, sql::session_type_counts),
      max_blast_entries_(std::max<std::size_t>(settings.max_blast_entries, 1)),
      blast_buckets_(db_, sql::blast_buckets),
      bucket_sessions_(db_, sql::bucket_sessions),
      issue_buckets_(db_, sql::issue_buckets_between),
      issue_history_(db_, sql::issue_history),
      issue_facets_(db_, sql::issue_facets),
      issue_versions_(db_, sql::issue_versions),
      ingest_buckets_(db_, sql::ingest_buckets_between),
      lookups_between_(db_, sql::lookups_between),
      lookups_of_session_(db_, sql::lookups_of_session),
      lookups_of_user_(db_, sql::lookups_of_user),
      get_state_(db_, sql::get_state),
      bucket_has_session_(db_, sql::bucket_has_session),
      session_ids_{SQLite::Statement(db_, sql::session_ids_between),
                   SQLite::Statement(db_, sql::session_ids_from)},
      rev_ids_{SQLite::Statement(db_, sql::rev_ids_between),
               SQLite::Statement(db_, sql::rev_ids_from)},
      session_ids_in_(db_, sql::session_ids_in),
      app_versions_(db_, sql::app_versions_since) {}

std::optional<std::int64_t> reader_connection::session_key(const std::string& session_id) {
  reset_on_exit reset(session_key_);
  session_key_.bindNoCopy(1, session_id);
  if (!session_key_.executeStep()) return std::nullopt;
  return session_key_.getColumn(0).getInt64();
}

namespace {

/// Which columns an events query selects after id, ts, type, severity, page, message, attrs:
/// the timeline's context and extra too, or only issue_key and app_version (the diagnosis).
enum class event_columns { all, diagnosis };

/// The rows of a (sid, limit) events query, newest first in SQL, returned oldest first.
std::vector<event> read_events(SQLite::Statement& statement, std::int64_t sid,
                               const std::string& session_id, std::size_t limit,
                               event_columns columns) {
  std::vector<event> events;
  reset_on_exit reset(statement);
  statement.bind(1, sid);
  statement.bind(2, sql_limit(limit));
  while (statement.executeStep()) {
    event& e = events.emplace_back();
    e.id = text_at(statement, 0);
    e.session_id = session_id;
    e.ts_ms = statement.getColumn(1).getInt64();
    e.type = text_at(statement, 2);
    e.severity = text_at(statement, 3);
    e.page = text_at(statement, 4);
    e.message = text_at(statement, 5);
    e.attrs = text_at(statement, 6);
    int next = 7;
    if (columns == event_columns::all) {
      e.context = text_at(statement, next++);
      e.extra = text_at(statement, next++);
    }
    e.issue_key = text_at(statement, next++);
    e.app_version = text_at(statement, next);
  }
  // Read newest first to stop at the limit; the contract is oldest first.
  std::reverse(events.begin(), events.end());
  return events;
}

}  // namespace

std::vector<event> reader_connection::session_events(const std::string& session_id,
                                                     std::size_t limit) {
  if (limit == 0) return {};
  const std::optional<std::int64_t> sid = session_key(session_id);
  if (!sid) return {};
  return read_events(session_events_, *sid, session_id, limit, event_columns::all);
}

std::vector<event> reader_connection::diagnosis_events(const std::string& session_id,
                                                       std::size_t limit) {
  if (limit == 0) return {};
  const std::optional<std::int64_t> sid = session_key(session_id);
  if (!sid) return {};
  return read_events(diagnosis_events_, *sid, session_id, limit, event_columns::diagnosis);
}

std::optional<session_summary> reader_connection::summary(const std::string& session_id) {
  session_summary s;
  reset_on_exit reset(session_row_);
  session_row_.bindNoCopy(1, session_id);
  if (!session_row_.executeStep()) return std::nullopt;
  s.session_id = session_id;
  s.first_seen_ms = session_row_.getColumn(0).getInt64();
  s.last_seen_ms = session_row_.getColumn(1).getInt64();
  s.event_count = session_row_.getColumn(2).getInt64();
  s.context = text_at(session_row_, 3);
  s.app_version = text_at(session_row_, 4);
  return s;
}

std::vector<std::pair<std::string, std::int64_t>> reader_connection::type_counts(
    const std::string& session_id) {
  std::vector<std::pair<std::string, std::int64_t>> counts;
  const std::optional<std::int64_t> sid = session_key(session_id);
  if (!sid) return counts;
  reset_on_exit reset(type_counts_);
  type_counts_.bind(1, *sid);
  while (type_counts_.executeStep())
    counts.emplace_back(text_at(type_counts_, 0), type_counts_.getColumn(1).getInt64());
  return counts;
}

void reader_connection::collect_sessions(const std::string& issue_key,
                                         const std::vector<std::int64_t>& buckets,
                                         std::int64_t skip, std::size_t budget,
                                         std::unordered_set<std::int64_t>& out) {
  for (const std::int64_t bucket : buckets) {
    if (budget == 0) return;
    reset_on_exit reset(bucket_sessions_);
    bucket_sessions_.bind(1, bucket);
    bucket_sessions_.bindNoCopy(2, issue_key);
    bucket_sessions_.bind(3, sql_limit(budget));
    while (bucket_sessions_.executeStep()) {
      --budget;
      const std::int64_t sid = bucket_sessions_.getColumn(0).getInt64();
      if (sid != skip) out.insert(sid);
    }
  }
}

blast_radius reader_connection::other_sessions(const std::string& issue_key,
                                               const std::string& session_id,
                                               std::int64_t since_ms) {
  blast_radius radius{issue_key, 0, 0, false};
  if (issue_key.empty()) return radius;  // never a problem
  // The problem's buckets in the window, newest first, and the earliest occurrence in another
  // session: per bucket, its first event unless that is this session's, then the runner-up.
  std::vector<std::int64_t> buckets;
  std::int64_t entries = 0;
  {
    reset_on_exit reset(blast_buckets_);
    blast_buckets_.bindNoCopy(1, issue_key);
    blast_buckets_.bind(2, bucket_of(since_ms));
    while (blast_buckets_.executeStep()) {
      buckets.push_back(blast_buckets_.getColumn(0).getInt64());
      entries += blast_buckets_.getColumn(1).getInt64();
      const bool first_is_other = text_at(blast_buckets_, 3) != session_id;
      const SQLite::Column runner = blast_buckets_.getColumn(4);
      if (first_is_other) {
        radius.first_seen_ms = blast_buckets_.getColumn(2).getInt64();
      } else if (!runner.isNull()) {
        radius.first_seen_ms = runner.getInt64();
      }
    }
  }
  if (radius.first_seen_ms == 0) return radius;  // no other session in the window
  // No key: the session is not stored, so it is in no bucket (0 is never a key).
  const std::int64_t sid = session_key(session_id).value_or(0);
  // One bucket counts its distinct sessions already: this session is in it or not.
  if (buckets.size() == 1) {
    reset_on_exit reset(bucket_has_session_);
    bucket_has_session_.bind(1, buckets.front());
    bucket_has_session_.bindNoCopy(2, issue_key);
    bucket_has_session_.bind(3, sid);
    radius.other_sessions = entries - (bucket_has_session_.executeStep() ? 1 : 0);
    return radius;
  }
  // Sessions active in several buckets appear in each: count them once, reading at most
  // max_blast_entries_ entries (all of them when the window holds no more, then it is exact).
  std::unordered_set<std::int64_t> others;
  others.reserve(static_cast<std::size_t>(
      std::min<std::int64_t>(entries, static_cast<std::int64_t>(max_blast_entries_))));
  collect_sessions(issue_key, buckets, sid, max_blast_entries_, others);
  radius.capped = entries > static_cast<std::int64_t>(max_blast_entries_);
  radius.other_sessions = static_cast<std::int64_t>(others.size());
  return radius;
}

template <typename Fn>
void reader_connection::scan_prefix(range_scan& scan, const std::string& prefix,
                                    std::size_t max_rows, Fn fn) {
  const std::optional<std::string> upper = prefix_upper_bound(prefix);
  SQLite::Statement& statement = upper ? scan.between : scan.from;
  reset_on_exit reset(statement);
  statement.bindNoCopy(1, prefix);
  if (upper) statement.bindNoCopy(2, *upper);
  statement.bind(3, sql_limit(max_rows));
  while (statement.executeStep()) {
    const SQLite::Column column = statement.getColumn(0);
    fn(std::string_view(column.getText(""), static_cast<std::size_t>(column.getBytes())));
  }
}

std::vector<std::string> reader_connection::similar_sessions(const std::string& typed,
                                                             std::size_t limit) {
  if (typed.empty() || limit == 0) return {};
  std::vector<std::string> candidates;

  // Same length, one character apart: the differing character lies in one half, so the other
  // half is shared, either as a prefix of session_id or (reversed) as a prefix of rev_id.
  const one_char_scans prefixes = one_char_scan_prefixes(typed);
  // Two misreads in the same half are found by the same scans.
  scan_prefix(session_ids_, prefixes.session_id_prefix, max_one_char_candidates,
              [&](std::string_view id) {
                if (near_miss(typed, id)) candidates.emplace_back(id);
              });
  const std::string rev_typed = reversed(typed);
  scan_prefix(rev_ids_, prefixes.rev_id_prefix, max_one_char_candidates,
              [&](std::string_view rev_id) {
                if (near_miss(rev_typed, rev_id)) candidates.push_back(reversed(rev_id));
              });

  // Two misreads, one in each half: no shared half to scan, so the spellings themselves are
  // looked up by primary key, a batch at a time.
  const std::vector<std::string> spellings = misread_spellings(typed, max_misread_spellings);
  for (std::size_t first = 0; first < spellings.size(); first += sql::session_ids_in_batch) {
    reset_on_exit reset(session_ids_in_);
    for (std::size_t k = 0; k < sql::session_ids_in_batch; ++k) {
      const int index = static_cast<int>(k + 1);
      if (first + k < spellings.size()) {
        session_ids_in_.bind(index, spellings[first + k]);
      } else {
        session_ids_in_.bind(index);  // NULL
      }
    }
    while (session_ids_in_.executeStep()) candidates.push_back(text_at(session_ids_in_, 0));
  }

  // Extensions of what was typed; too short a prefix would match everything.
  if (typed.size() >= 3) {
    // One more than needed: the scan starts at `typed` itself when it is a known id.
    const std::size_t wanted = std::min(limit, std::numeric_limits<std::size_t>::max() - 1) + 1;
    scan_prefix(session_ids_, typed, wanted, [&](std::string_view id) {
      if (id.size() > typed.size()) candidates.emplace_back(id);
    });
  }
  return rank_similar(typed, std::move(candidates), limit);
}

std::vector<app_version_seen> reader_connection::app_versions(std::int64_t since_ms) {
  std::vector<app_version_seen> versions;
  reset_on_exit reset(app_versions_);
  app_versions_.bind(1, since_ms);
  while (app_versions_.executeStep()) {
    versions.push_back({text_at(app_versions_, 0), app_versions_.getColumn(1).getInt64(),
                        app_versions_.getColumn(2).getInt64()});
  }
  return versions;
}

namespace {

issue_bucket issue_bucket_at(const SQLite::Statement& statement) {
  return {text_at(statement, 0),
          statement.getColumn(1).getInt64(),
          statement.getColumn(2).getInt64(),
          statement.getColumn(3).getInt64(),
          statement.getColumn(4).getInt64(),
          statement.getColumn(5).getInt64(),
          text_at(statement, 6)};
}

}  // namespace

std::vector<issue_bucket> reader_connection::issue_buckets(std::int64_t from_ms,
                                                           std::int64_t to_ms) {
  std::vector<issue_bucket> rows;
  reset_on_exit reset(issue_buckets_);
  issue_buckets_.bind(1, from_ms);
  issue_buckets_.bind(2, to_ms);
  while (issue_buckets_.executeStep()) rows.push_back(issue_bucket_at(issue_buckets_));
  return rows;
}

std::vector<issue_bucket> reader_connection::issue_history(const std::string& issue_key,
                                                           std::int64_t from_ms,
                                                           std::int64_t to_ms) {
  std::vector<issue_bucket> rows;
  reset_on_exit reset(issue_history_);
  issue_history_.bindNoCopy(1, issue_key);
  issue_history_.bind(2, from_ms);
  issue_history_.bind(3, to_ms);
  while (issue_history_.executeStep()) rows.push_back(issue_bucket_at(issue_history_));
  return rows;
}

std::int64_t reader_connection::issue_sessions(const std::string& issue_key, std::int64_t from_ms,
                                               std::int64_t to_ms, std::int64_t cap) {
  std::vector<std::int64_t> buckets;
  for (const issue_bucket& b : issue_history(issue_key, from_ms, to_ms))
    buckets.push_back(b.bucket_start_ms);
  std::unordered_set<std::int64_t> sessions;
  const auto wanted = static_cast<std::size_t>(std::max<std::int64_t>(cap, 0));
  // Stops once `cap` distinct sessions are seen (an alert deciding "at least 10" reads about 10
  // entries per bucket, not the incident); never reads more than max(cap, max_blast_entries).
  std::size_t budget = std::max(wanted, max_blast_entries_);
  for (const std::int64_t bucket : buckets) {
    if (budget == 0 || sessions.size() >= wanted) break;
    reset_on_exit reset(bucket_sessions_);
    bucket_sessions_.bind(1, bucket);
    bucket_sessions_.bindNoCopy(2, issue_key);
    bucket_sessions_.bind(3, sql_limit(budget));
    while (sessions.size() < wanted && bucket_sessions_.executeStep()) {
      --budget;
      sessions.insert(bucket_sessions_.getColumn(0).getInt64());
    }
  }
  return std::min<std::int64_t>(static_cast<std::int64_t>(sessions.size()), cap);
}

std::vector<facet_count> reader_connection::issue_facets(const std::string& issue_key,
                                                         std::int64_t from_ms, std::int64_t to_ms) {
  std::vector<facet_count> facets;
  reset_on_exit reset(issue_facets_);
  issue_facets_.bindNoCopy(1, issue_key);
  issue_facets_.bind(2, from_ms);
  issue_facets_.bind(3, to_ms);
  while (issue_facets_.executeStep()) {
    facets.push_back({text_at(issue_facets_, 0), text_at(issue_facets_, 1),
                      issue_facets_.getColumn(2).getInt64()});
  }
  return facets;
}

std::vector<issue_version> reader_connection::issue_versions(const std::string& issue_key,
                                                             std::int64_t from_ms,
                                                             std::int64_t to_ms) {
  std::vector<issue_version> versions;
  reset_on_exit reset(issue_versions_);
  issue_versions_.bindNoCopy(1, issue_key);
  issue_versions_.bind(2, from_ms);
  issue_versions_.bind(3, to_ms);
  while (issue_versions_.executeStep()) {
    versions.push_back({text_at(issue_versions_, 0), issue_versions_.getColumn(1).getInt64(),
                        issue_versions_.getColumn(2).getInt64()});
  }
  return versions;
}

std::vector<ingest_bucket> reader_connection::ingest_buckets(std::int64_t from_ms,
                                                             std::int64_t to_ms) {
  std::vector<ingest_bucket> rows;
  reset_on_exit reset(ingest_buckets_);
  ingest_buckets_.bind(1, from_ms);
  ingest_buckets_.bind(2, to_ms);
  while (ingest_buckets_.executeStep()) {
    rows.push_back({ingest_buckets_.getColumn(0).getInt64(),
                    ingest_buckets_.getColumn(1).getInt64(),
                    ingest_buckets_.getColumn(2).getInt64()});
  }
  return rows;
}

std::vector<lookup_record> reader_connection::lookups(const lookup_query& query) {
  SQLite::Statement& statement = !query.session_id.empty() ? lookups_of_session_
                                 : !query.user.empty()     ? lookups_of_user_
                                                           : lookups_between_;
  std::vector<lookup_record> rows;
  reset_on_exit reset(statement);
  statement.bind(1, query.from_ms);
  statement.bind(2, query.to_ms);
  statement.bind(3, sql_limit(query.limit));
  if (!query.session_id.empty()) {
    statement.bindNoCopy(4, query.session_id);
  } else if (!query.user.empty()) {
    statement.bindNoCopy(4, query.user);
  }
  while (statement.executeStep()) {
    rows.push_back({statement.getColumn(0).getInt64(), text_at(statement, 1), text_at(statement, 2),
                    text_at(statement, 3), text_at(statement, 4), text_at(statement, 5),
                    text_at(statement, 6)});
  }
  // A session's lookups asked for by user too: filter the rest here (the log is small).
  if (!query.session_id.empty() && !query.user.empty()) {
    std::erase_if(rows, [&](const lookup_record& r) { return r.user != query.user; });
  }
  return rows;
}

std::optional<std::string> reader_connection::get_state(const std::string& key) {
  reset_on_exit reset(get_state_);
  get_state_.bindNoCopy(1, key);
  if (!get_state_.executeStep()) return std::nullopt;
  return text_at(get_state_, 0);
}

reader_pool::reader_pool(const store_settings& settings) {
  const std::size_t count = std::max<std::size_t>(settings.read_connections, 1);
  readers_.reserve(count);
  idle_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    readers_.push_back(std::make_unique<reader_connection>(settings));
    idle_.push_back(readers_.back().get());
  }
}

reader_pool::lease reader_pool::borrow() {
  std::unique_lock lock(mutex_);
  idle_cv_.wait(lock, [&] { return !idle_.empty(); });
  reader_connection* reader = idle_.back();
  idle_.pop_back();
  return lease(*this, *reader);
}

void reader_pool::give_back(reader_connection& reader) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(&reader);
  }
  idle_cv_.notify_one();
}

}  // namespace sessiondx::store::detail

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
      session_events_(db_, sql::session_events),
      session_row_(db_, sql::session_row),
      type_counts_(db_, sql::session_type_counts),
      other_sessions_(db_, sql::other_sessions),
      other_sessions_since_(db_, sql::other_sessions_since),
      session_ids_{SQLite::Statement(db_, sql::session_ids_between),
                   SQLite::Statement(db_, sql::session_ids_from)},
      rev_ids_{SQLite::Statement(db_, sql::rev_ids_between),
               SQLite::Statement(db_, sql::rev_ids_from)},
      session_ids_in_(db_, sql::session_ids_in),
      app_versions_(db_, sql::app_versions_since) {}

std::vector<event> reader_connection::session_events(const std::string& session_id,
                                                     std::size_t limit) {
  std::vector<event> events;
  if (limit == 0) return events;
  reset_on_exit reset(session_events_);
  session_events_.bindNoCopy(1, session_id);
  session_events_.bind(2, sql_limit(limit));
  while (session_events_.executeStep()) {
    event& e = events.emplace_back();
    e.id = text_at(session_events_, 0);
    e.session_id = text_at(session_events_, 1);
    e.ts_ms = session_events_.getColumn(2).getInt64();
    e.type = text_at(session_events_, 3);
    e.severity = text_at(session_events_, 4);
    e.page = text_at(session_events_, 5);
    e.message = text_at(session_events_, 6);
    e.attrs = text_at(session_events_, 7);
    e.context = text_at(session_events_, 8);
    e.extra = text_at(session_events_, 9);
    e.issue_key = text_at(session_events_, 10);
    e.app_version = text_at(session_events_, 11);
  }
  // Read newest first to stop at the limit; the contract is oldest first.
  std::reverse(events.begin(), events.end());
  return events;
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
  reset_on_exit reset(type_counts_);
  type_counts_.bindNoCopy(1, session_id);
  while (type_counts_.executeStep())
    counts.emplace_back(text_at(type_counts_, 0), type_counts_.getColumn(1).getInt64());
  return counts;
}

blast_radius reader_connection::other_sessions(const std::string& issue_key,
                                               const std::string& session_id,
                                               std::int64_t since_ms) {
  blast_radius radius{issue_key, 0, 0};
  if (issue_key.empty()) return radius;  // stored as NULL: never matches
  reset_on_exit reset(other_sessions_);
  other_sessions_.bindNoCopy(1, issue_key);
  other_sessions_.bind(2, since_ms);
  other_sessions_.bindNoCopy(3, session_id);
  if (other_sessions_.executeStep())
    radius.other_sessions = other_sessions_.getColumn(0).getInt64();
  if (radius.other_sessions == 0) return radius;

  reset_on_exit reset_since(other_sessions_since_);
  other_sessions_since_.bindNoCopy(1, issue_key);
  other_sessions_since_.bind(2, since_ms);
  other_sessions_since_.bindNoCopy(3, session_id);
  if (other_sessions_since_.executeStep())
    radius.first_seen_ms = other_sessions_since_.getColumn(0).getInt64();
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

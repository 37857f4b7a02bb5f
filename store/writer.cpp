#include "store/writer.hpp"

#include "store/queries.hpp"
#include "store/schema.hpp"
#include "store/similar_ids.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <sqlite3.h>

namespace sessiondx::store::detail {

namespace {

// Replaces SQLite's automatic checkpoint (the two are exclusive): only remembers the WAL size.
int on_wal_commit(void* wal_pages, sqlite3*, const char*, int pages) {
  static_cast<std::atomic<int>*>(wal_pages)->store(pages, std::memory_order_relaxed);
  return SQLITE_OK;
}

// Optional columns store "" as NULL. The event outlives the statement's use of the text.
void bind_optional(SQLite::Statement& statement, int index, const std::string& value) {
  if (value.empty()) {
    statement.bind(index);
  } else {
    statement.bindNoCopy(index, value);
  }
}

void run(SQLite::Statement& statement) {
  statement.exec();
  statement.reset();
}

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

writer_connection::writer_connection(const store_settings& settings, std::atomic<int>& wal_pages)
    : now_ms_(settings.now_ms),
      db_([&] {
        SQLite::Database db = open_connection(settings, connection_role::writer);
        migrate(db);
        return db;
      }()),
      begin_(db_, "BEGIN IMMEDIATE"),
      commit_(db_, "COMMIT"),
      insert_event_(db_, sql::insert_event),
      upsert_session_(db_, sql::upsert_session),
      upsert_app_version_(db_, sql::upsert_app_version),
      upsert_issue_session_(db_, sql::upsert_issue_session),
      prune_events_(db_, sql::prune_events),
      session_first_ts_(db_, sql::session_first_ts),
      shrink_session_(db_, sql::shrink_session),
      forget_session_(db_, sql::forget_session),
      prune_app_versions_(db_, sql::prune_app_versions),
      prune_issue_sessions_(db_, sql::prune_issue_sessions) {
  sqlite3_wal_hook(db_.getHandle(), &on_wal_commit, &wal_pages);
  if (settings.max_size_mib > 0) {
    const std::int64_t page_size = db_.execAndGet("PRAGMA page_size").getInt64();
    const std::int64_t pages = settings.max_size_mib * 1024 * 1024 / std::max<std::int64_t>(page_size, 512);
    db_.exec("PRAGMA max_page_count = " + std::to_string(std::max<std::int64_t>(pages, 1)));
  }
}

writer_connection::~writer_connection() { sqlite3_wal_hook(db_.getHandle(), nullptr, nullptr); }

commit_counts writer_connection::commit(const std::vector<const std::vector<event>*>& batches,
                                        std::vector<std::vector<append_outcome>>& outcomes) {
  commit_counts counts;
  sessions_.clear();
  versions_.clear();
  issue_sessions_.clear();
  try {
    run(begin_);
    const std::int64_t received_ms = now_ms_ ? now_ms_() : system_now_ms();
    insert_event_.bind(13, received_ms);
    for (std::size_t b = 0; b < batches.size(); ++b) {
      auto& batch_outcomes = outcomes[b];
      batch_outcomes.clear();
      batch_outcomes.reserve(batches[b]->size());
      for (const event& e : *batches[b]) {
        insert_event_.bindNoCopy(1, e.session_id);
        insert_event_.bindNoCopy(2, e.id);
        insert_event_.bind(3, e.ts_ms);
        insert_event_.bindNoCopy(4, e.type);
        bind_optional(insert_event_, 5, e.severity);
        bind_optional(insert_event_, 6, e.page);
        bind_optional(insert_event_, 7, e.message);
        bind_optional(insert_event_, 8, e.attrs);
        bind_optional(insert_event_, 9, e.context);
        bind_optional(insert_event_, 10, e.extra);
        bind_optional(insert_event_, 11, e.issue_key);
        bind_optional(insert_event_, 12, e.app_version);
        if (e.sent_ts_ms) {
          insert_event_.bind(14, *e.sent_ts_ms);
        } else {
          insert_event_.bind(14);
        }
        const int changes = insert_event_.exec();
        insert_event_.reset();
        // OR IGNORE: no change means (session_id, event_id) is already stored, possibly by an
        // earlier event of this very commit.
        if (changes == 0) {
          batch_outcomes.push_back(append_outcome::duplicate);
          ++counts.duplicates;
          continue;
        }
        batch_outcomes.push_back(append_outcome::stored);
        ++counts.stored;

        auto [it, fresh] = sessions_.try_emplace(e.session_id);
        session_totals& s = it->second;
        if (fresh) {
          s.key = &e.session_id;
          s.first_seen = s.last_seen = e.ts_ms;
        } else {
          s.first_seen = std::min(s.first_seen, e.ts_ms);
          s.last_seen = std::max(s.last_seen, e.ts_ms);
        }
        ++s.count;
        if (!e.issue_key.empty()) {
          auto [issue, inserted] =
              issue_sessions_.try_emplace({e.issue_key, e.session_id}, e.ts_ms);
          if (!inserted) issue->second = std::max(issue->second, e.ts_ms);
        }
        // ">=": of events with the same ts, the later arrival wins.
        if (!e.context.empty() && (!s.latest_context || e.ts_ms >= s.latest_context->ts_ms)) {
          s.latest_context = &e;
        }
        if (!e.app_version.empty()) {
          if (!s.latest_app_version || e.ts_ms >= s.latest_app_version->ts_ms) {
            s.latest_app_version = &e;
          }
          auto [v, new_version] = versions_.try_emplace(e.app_version);
          if (new_version) {
            v->second = {&e.app_version, e.ts_ms, e.ts_ms};
          } else {
            v->second.first_seen = std::min(v->second.first_seen, e.ts_ms);
            v->second.last_seen = std::max(v->second.last_seen, e.ts_ms);
          }
        }
      }
    }

    std::string rev_id;
    for (const auto& [session_id, s] : sessions_) {
      rev_id.assign(session_id.rbegin(), session_id.rend());
      upsert_session_.bindNoCopy(1, *s.key);
      upsert_session_.bind(2, s.first_seen);
      upsert_session_.bind(3, s.last_seen);
      upsert_session_.bind(4, s.count);
      if (s.latest_context) {
        upsert_session_.bindNoCopy(5, s.latest_context->context);
        upsert_session_.bind(8, s.latest_context->ts_ms);
      } else {
        upsert_session_.bind(5);
        upsert_session_.bind(8);
      }
      if (s.latest_app_version) {
        upsert_session_.bindNoCopy(6, s.latest_app_version->app_version);
        upsert_session_.bind(9, s.latest_app_version->ts_ms);
      } else {
        upsert_session_.bind(6);
        upsert_session_.bind(9);
      }
      upsert_session_.bindNoCopy(7, rev_id);
      run(upsert_session_);
    }
    for (const auto& entry : versions_) {
      const version_totals& v = entry.second;
      upsert_app_version_.bindNoCopy(1, *v.key);
      upsert_app_version_.bind(2, v.first_seen);
      upsert_app_version_.bind(3, v.last_seen);
      run(upsert_app_version_);
    }
    for (const auto& [key, last_seen] : issue_sessions_) {
      // The views are whole std::strings of the batch, so data() is NUL-terminated text.
      upsert_issue_session_.bindNoCopy(1, key.first.data());
      upsert_issue_session_.bindNoCopy(2, key.second.data());
      upsert_issue_session_.bind(3, last_seen);
      run(upsert_issue_session_);
    }
    run(commit_);
  } catch (...) {
    rollback();
    throw;
  }
  return counts;
}

std::size_t writer_connection::prune(std::int64_t cutoff_ms, std::size_t max_rows) {
  if (max_rows == 0) return 0;
  pruned_per_session_.clear();
  std::size_t deleted = 0;
  try {
    run(begin_);
    prune_events_.bind(1, cutoff_ms);
    prune_events_.bind(2, static_cast<std::int64_t>(
                              std::min<std::size_t>(max_rows, std::numeric_limits<int>::max())));
    while (prune_events_.executeStep()) {
      ++pruned_per_session_[prune_events_.getColumn(0).getString()];
      ++deleted;
    }
    prune_events_.reset();

    // Sessions that lost events: forget those left empty, otherwise fix their count and start.
    for (const auto& [session_id, count] : pruned_per_session_) {
      session_first_ts_.bindNoCopy(1, session_id);
      session_first_ts_.executeStep();
      const bool empty = session_first_ts_.getColumn(0).isNull();
      const std::int64_t first_ts = session_first_ts_.getColumn(0).getInt64();
      session_first_ts_.reset();
      if (empty) {
        forget_session_.bindNoCopy(1, session_id);
        run(forget_session_);
      } else {
        shrink_session_.bindNoCopy(1, session_id);
        shrink_session_.bind(2, count);
        shrink_session_.bind(3, first_ts);
        run(shrink_session_);
      }
    }
    prune_app_versions_.bind(1, cutoff_ms);
    run(prune_app_versions_);
    prune_issue_sessions_.bind(1, cutoff_ms);
    run(prune_issue_sessions_);
    run(commit_);
  } catch (...) {
    rollback();
    throw;
  }
  return deleted;
}

void writer_connection::probe() {
  try {
    run(begin_);
    const int version = db_.execAndGet("PRAGMA user_version").getInt();
    db_.exec("PRAGMA user_version = " + std::to_string(version));
    run(commit_);
  } catch (...) {
    rollback();
    throw;
  }
}

void writer_connection::rollback() noexcept {
  for (SQLite::Statement* statement :
       {&begin_, &commit_, &insert_event_, &upsert_session_, &upsert_app_version_,
        &upsert_issue_session_, &prune_events_, &session_first_ts_, &shrink_session_,
        &forget_session_, &prune_app_versions_, &prune_issue_sessions_}) {
    statement->tryReset();
  }
  // SQLite may already have rolled back on its own (SQLITE_FULL, SQLITE_IOERR).
  if (sqlite3_get_autocommit(db_.getHandle()) == 0) db_.tryExec("ROLLBACK");
}

bool writer_connection::checkpoint_passive() noexcept {
  return sqlite3_wal_checkpoint_v2(db_.getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                   nullptr) != SQLITE_BUSY;
}

bool writer_connection::checkpoint_truncate() noexcept {
  int log_frames = -1;
  int checkpointed = -1;
  const int rc = sqlite3_wal_checkpoint_v2(db_.getHandle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                           &log_frames, &checkpointed);
  return rc == SQLITE_OK && log_frames == 0;
}

}  // namespace sessiondx::store::detail

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
      find_session_(db_, sql::find_session),
      create_session_(db_, sql::create_session),
      update_session_(db_, sql::update_session),
      upsert_app_version_(db_, sql::upsert_app_version),
      insert_bucket_session_(db_, sql::insert_bucket_session),
      upsert_issue_bucket_(db_, sql::upsert_issue_bucket),
      upsert_facet_app_version_(db_, sql::upsert_facet_app_version),
      upsert_facet_browser_(db_, sql::upsert_facet_browser),
      upsert_ingest_bucket_(db_, sql::upsert_ingest_bucket),
      insert_lookup_(db_, sql::insert_lookup),
      put_state_(db_, sql::put_state),
      prune_events_(db_, sql::prune_events),
      session_first_ts_(db_, sql::session_first_ts),
      shrink_session_(db_, sql::shrink_session),
      forget_session_(db_, sql::forget_session),
      prune_app_versions_(db_, sql::prune_app_versions),
      prune_issue_buckets_(db_, sql::prune_issue_buckets),
      prune_bucket_sessions_(db_, sql::prune_bucket_sessions),
      prune_bucket_facets_(db_, sql::prune_bucket_facets),
      prune_ingest_buckets_(db_, sql::prune_ingest_buckets),
      prune_lookups_(db_, sql::prune_lookups) {
  sqlite3_wal_hook(db_.getHandle(), &on_wal_commit, &wal_pages);
  if (settings.max_size_mib > 0) {
    const std::int64_t page_size = db_.execAndGet("PRAGMA page_size").getInt64();
    const std::int64_t pages =
        settings.max_size_mib * 1024 * 1024 / std::max<std::int64_t>(page_size, 512);
    db_.exec("PRAGMA max_page_count = " + std::to_string(std::max<std::int64_t>(pages, 1)));
  }
}

writer_connection::~writer_connection() { sqlite3_wal_hook(db_.getHandle(), nullptr, nullptr); }

std::int64_t writer_connection::resolve_session(const std::string& session_id, bool& created) {
  created = false;
  if (const auto it = sid_cache_.find(session_id); it != sid_cache_.end()) return it->second;
  find_session_.bindNoCopy(1, session_id);
  const bool found = find_session_.executeStep();
  const std::int64_t sid = found ? find_session_.getColumn(0).getInt64() : 0;
  find_session_.reset();
  if (found) return sid;
  // The id reversed: similar_sessions finds ids sharing a suffix through sessions_rev_id.
  const std::string rev_id(session_id.rbegin(), session_id.rend());
  create_session_.bindNoCopy(1, session_id);
  create_session_.bindNoCopy(2, rev_id);
  create_session_.executeStep();
  const std::int64_t new_sid = create_session_.getColumn(0).getInt64();
  create_session_.reset();
  created = true;
  return new_sid;
}

commit_counts writer_connection::commit(const std::vector<const std::vector<event>*>& batches,
                                        std::vector<std::vector<append_outcome>>& outcomes) {
  commit_counts counts;
  sessions_.clear();
  event_sessions_.clear();
  versions_.clear();
  buckets_.clear();
  memberships_.clear();
  traffic_.clear();
  try {
    run(begin_);
    // Every session of the commit gets its integer key first, in order of first sight: the
    // events rows and their indexes carry the key, not the text id.
    for (const auto* batch : batches) {
      for (const event& e : *batch) {
        auto [it, fresh] = sessions_.try_emplace(e.session_id);
        session_totals& s = it->second;
        if (fresh) {
          s.key = &e.session_id;
          s.sid = resolve_session(e.session_id, s.created);
        }
        event_sessions_.push_back(&s);
      }
    }
    const std::int64_t received_ms = now_ms_ ? now_ms_() : system_now_ms();
    insert_event_.bind(13, received_ms);
    std::size_t index = 0;
    for (std::size_t b = 0; b < batches.size(); ++b) {
      auto& batch_outcomes = outcomes[b];
      batch_outcomes.clear();
      batch_outcomes.reserve(batches[b]->size());
      for (const event& e : *batches[b]) {
        session_totals& s = *event_sessions_[index++];
        insert_event_.bind(1, s.sid);
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
        // OR IGNORE: no change means (sid, event_id) is already stored, possibly by an earlier
        // event of this very commit.
        if (changes == 0) {
          batch_outcomes.push_back(append_outcome::duplicate);
          ++counts.duplicates;
          continue;
        }
        batch_outcomes.push_back(append_outcome::stored);
        ++counts.stored;

        if (s.count == 0) {
          s.first_seen = s.last_seen = e.ts_ms;
        } else {
          s.first_seen = std::min(s.first_seen, e.ts_ms);
          s.last_seen = std::max(s.last_seen, e.ts_ms);
        }
        ++s.count;
        const std::int64_t bucket = bucket_of(e.ts_ms);
        ++traffic_[bucket].first;
        if (!e.issue_key.empty()) add_to_summary(e, s.sid, bucket);
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

    for (const auto& entry : sessions_) {
      const session_totals& s = entry.second;
      if (s.count == 0) continue;  // only duplicates: nothing changes
      update_session_.bind(1, s.sid);
      update_session_.bind(2, s.first_seen);
      update_session_.bind(3, s.last_seen);
      update_session_.bind(4, s.count);
      if (s.latest_context) {
        update_session_.bindNoCopy(5, s.latest_context->context);
        update_session_.bind(6, s.latest_context->ts_ms);
      } else {
        update_session_.bind(5);
        update_session_.bind(6);
      }
      if (s.latest_app_version) {
        update_session_.bindNoCopy(7, s.latest_app_version->app_version);
        update_session_.bind(8, s.latest_app_version->ts_ms);
      } else {
        update_session_.bind(7);
        update_session_.bind(8);
      }
      run(update_session_);
      if (s.created) ++traffic_[bucket_of(s.first_seen)].second;
    }
    for (const auto& entry : versions_) {
      const version_totals& v = entry.second;
      upsert_app_version_.bindNoCopy(1, *v.key);
      upsert_app_version_.bind(2, v.first_seen);
      upsert_app_version_.bind(3, v.last_seen);
      run(upsert_app_version_);
    }
    write_summary();
    run(commit_);
  } catch (...) {
    rollback();
    throw;
  }
  // Committed: the new sessions' keys are valid from now on.
  if (sid_cache_.size() + sessions_.size() > max_cached_sessions) sid_cache_.clear();
  for (const auto& [session_id, s] : sessions_) {
    if (s.created || sid_cache_.size() < max_cached_sessions) sid_cache_.try_emplace(*s.key, s.sid);
  }
  return counts;
}

void writer_connection::add_to_summary(const event& e, std::int64_t sid, std::int64_t bucket) {
  auto [it, fresh] = buckets_.try_emplace(bucket_key{bucket, e.issue_key});
  bucket_totals& b = it->second;
  ++b.events;
  if (fresh) {
    b.first_ms = b.last_ms = e.ts_ms;
    b.first_session = &e.session_id;
    b.first_sid = sid;
  } else {
    b.last_ms = std::max(b.last_ms, e.ts_ms);
    if (sid == b.first_sid) {
      b.first_ms = std::min(b.first_ms, e.ts_ms);
    } else if (e.ts_ms < b.first_ms) {
      // The old first session becomes the earliest other one (its first event is the earliest).
      b.runner_ms = b.first_ms;
      b.first_ms = e.ts_ms;
      b.first_session = &e.session_id;
      b.first_sid = sid;
    } else {
      b.runner_ms = std::min(b.runner_ms.value_or(e.ts_ms), e.ts_ms);
    }
  }
  membership& m = memberships_[{bucket, e.issue_key, sid}];
  if (!e.app_version.empty()) m.with_app_version = &e;
  if (!e.context.empty()) m.with_context = &e;
}

void writer_connection::write_summary() {
  // The views are whole std::strings of the batch, so data() is NUL-terminated text.
  for (const auto& [key, m] : memberships_) {
    const auto& [bucket, issue_key, sid] = key;
    insert_bucket_session_.bind(1, bucket);
    insert_bucket_session_.bindNoCopy(2, issue_key.data());
    insert_bucket_session_.bind(3, sid);
    const int changes = insert_bucket_session_.exec();
    insert_bucket_session_.reset();
    if (changes == 0) continue;  // the bucket already counts this session
    ++buckets_[bucket_key{bucket, issue_key}].sessions;
    if (m.with_app_version) {
      upsert_facet_app_version_.bind(1, bucket);
      upsert_facet_app_version_.bindNoCopy(2, issue_key.data());
      upsert_facet_app_version_.bindNoCopy(3, m.with_app_version->app_version);
      run(upsert_facet_app_version_);
    }
    if (m.with_context) {
      upsert_facet_browser_.bind(1, bucket);
      upsert_facet_browser_.bindNoCopy(2, issue_key.data());
      upsert_facet_browser_.bindNoCopy(3, m.with_context->context);
      run(upsert_facet_browser_);
    }
  }
  for (const auto& [key, b] : buckets_) {
    upsert_issue_bucket_.bind(1, key.first);
    upsert_issue_bucket_.bindNoCopy(2, key.second.data());
    upsert_issue_bucket_.bind(3, b.sessions);
    upsert_issue_bucket_.bind(4, b.events);
    upsert_issue_bucket_.bind(5, b.first_ms);
    upsert_issue_bucket_.bind(6, b.last_ms);
    upsert_issue_bucket_.bindNoCopy(7, *b.first_session);
    if (b.runner_ms) {
      upsert_issue_bucket_.bind(8, *b.runner_ms);
    } else {
      upsert_issue_bucket_.bind(8);
    }
    run(upsert_issue_bucket_);
  }
  for (const auto& [bucket, counts] : traffic_) {
    upsert_ingest_bucket_.bind(1, bucket);
    upsert_ingest_bucket_.bind(2, counts.first);
    upsert_ingest_bucket_.bind(3, counts.second);
    run(upsert_ingest_bucket_);
  }
}

void writer_connection::record_lookup(const lookup_record& r) {
  try {
    run(begin_);
    insert_lookup_.bind(1, r.at_ms);
    insert_lookup_.bindNoCopy(2, r.session_id);
    insert_lookup_.bindNoCopy(3, r.verdict);
    bind_optional(insert_lookup_, 4, r.issue_key);
    insert_lookup_.bindNoCopy(5, r.user);
    insert_lookup_.bindNoCopy(6, r.platform);
    insert_lookup_.bindNoCopy(7, r.channel);
    run(insert_lookup_);
    run(commit_);
  } catch (...) {
    rollback();
    throw;
  }
}

void writer_connection::put_state(const std::string& key, const std::string& value) {
  try {
    run(begin_);
    put_state_.bindNoCopy(1, key);
    put_state_.bindNoCopy(2, value);
    run(put_state_);
    run(commit_);
  } catch (...) {
    rollback();
    throw;
  }
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
      ++pruned_per_session_[prune_events_.getColumn(0).getInt64()];
      ++deleted;
    }
    prune_events_.reset();

    // Sessions that lost events: forget those left empty, otherwise fix their count and start.
    for (const auto& [sid, count] : pruned_per_session_) {
      session_first_ts_.bind(1, sid);
      session_first_ts_.executeStep();
      const bool empty = session_first_ts_.getColumn(0).isNull();
      const std::int64_t first_ts = session_first_ts_.getColumn(0).getInt64();
      session_first_ts_.reset();
      if (empty) {
        forget_session_.bind(1, sid);
        // Erased even if this transaction rolls back: a cache miss only costs a lookup.
        if (forget_session_.executeStep())
          sid_cache_.erase(forget_session_.getColumn(0).getString());
        forget_session_.reset();
      } else {
        shrink_session_.bind(1, sid);
        shrink_session_.bind(2, count);
        shrink_session_.bind(3, first_ts);
        run(shrink_session_);
      }
    }
    prune_app_versions_.bind(1, cutoff_ms);
    run(prune_app_versions_);
    for (SQLite::Statement* statement : {&prune_issue_buckets_, &prune_bucket_sessions_,
                                         &prune_bucket_facets_, &prune_ingest_buckets_}) {
      statement->bind(1, bucket_of(cutoff_ms));
      run(*statement);
    }
    prune_lookups_.bind(1, cutoff_ms);
    run(prune_lookups_);
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
  for (SQLite::Statement* statement : {&begin_,
                                       &commit_,
                                       &insert_event_,
                                       &find_session_,
                                       &create_session_,
                                       &update_session_,
                                       &upsert_app_version_,
                                       &insert_bucket_session_,
                                       &upsert_issue_bucket_,
                                       &upsert_facet_app_version_,
                                       &upsert_facet_browser_,
                                       &upsert_ingest_bucket_,
                                       &insert_lookup_,
                                       &put_state_,
                                       &prune_events_,
                                       &session_first_ts_,
                                       &shrink_session_,
                                       &forget_session_,
                                       &prune_app_versions_,
                                       &prune_issue_buckets_,
                                       &prune_bucket_sessions_,
                                       &prune_bucket_facets_,
                                       &prune_ingest_buckets_,
                                       &prune_lookups_}) {
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

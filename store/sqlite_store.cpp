// make_sqlite_store: the SQLite event store's threads and queue. One writer thread owns the only
// writing connection and commits queued batches in groups; a checkpointer thread copies the WAL
// back outside of any commit (the writer only finishes a cycle, see checkpoint_loop); a retention
// thread prunes old events through the writer; readers borrow read-only connections from a pool
// on the caller's thread.

#include "store/sqlite_store.hpp"

#include "store/reader.hpp"
#include "store/schema.hpp"
#include "store/writer.hpp"

#include <SQLiteCpp/Exception.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <future>
#include <limits>
#include <mutex>
#include <sqlite3.h>
#include <stdexcept>
#include <thread>
#include <variant>

namespace sessiondx::store {

namespace {

using namespace std::chrono_literals;

constexpr std::int64_t ms_per_day = 86'400'000;
// The checkpointer looks at the WAL size at least this often, besides being woken by the writer.
constexpr auto checkpoint_poll = 150ms;
// Least time between two bursts of checkpoint rounds.
constexpr auto checkpoint_pause = 20ms;
// Rounds in one burst; each copies what the writer committed during the previous one.
constexpr int max_checkpoint_rounds = 8;
// The writer copies back at most about this many frames itself (see checkpoint_loop).
constexpr int max_finish_frames = 1024;
// Beyond this many times checkpoint_pages the writer waits for the WAL to be copied back.
constexpr int wal_cap_factor = 4;
// The first retention pass runs this soon after start (or after one interval, if shorter).
constexpr std::chrono::milliseconds first_retention_delay = 1s;

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct append_job {
  std::vector<event> batch;
  event_store::append_handler done;
};

struct prune_job {
  std::int64_t cutoff_ms = 0;
  std::size_t max_rows = 0;
  std::promise<std::size_t> deleted;
};

/// A small write of its own (a lookup, a state value), between group commits.
struct record_job {
  std::variant<lookup_record, std::pair<std::string, std::string>> what;
  std::shared_ptr<std::promise<void>> done;  ///< null: nobody waits (record_lookup)
};

using job = std::variant<append_job, prune_job, record_job>;

// What went wrong, for the operator: SQLite's message and its (extended) result code.
std::string describe_failure(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const SQLite::Exception& e) {
    return std::string(e.what()) + " (SQLite error " + std::to_string(e.getExtendedErrorCode()) +
           ")";
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

// A handler that throws must not take the writer thread down, nor keep the other handlers of
// its group from running.
void complete(event_store::append_handler& done, append_result result) noexcept {
  try {
    done(std::move(result));
  } catch (...) {
  }
}

class sqlite_store final : public event_store {
 public:
  explicit sqlite_store(const store_settings& settings)
      : settings_(settings),
        writer_(settings.read_only
                    ? nullptr
                    : std::make_unique<detail::writer_connection>(settings_, wal_pages_)),
        checkpointer_db_(settings.read_only
                             ? nullptr
                             : std::make_unique<SQLite::Database>(detail::open_connection(
                                   settings_, detail::connection_role::checkpointer))),
        readers_(std::make_unique<detail::reader_pool>(settings_)) {
    if (settings_.read_only) return;  // no threads: nothing is written
    writer_thread_ = std::thread([this] { write_loop(); });
    checkpoint_thread_ = std::thread([this] { checkpoint_loop(); });
    if (settings_.retention_days > 0) retention_thread_ = std::thread([this] { retention_loop(); });
  }

  ~sqlite_store() override {
    close();
    // The writer closes last, so that SQLite removes the (already empty) WAL file.
    readers_.reset();
    checkpointer_db_.reset();
    writer_.reset();
  }

  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  void append(std::vector<event> batch, append_handler done) override {
    if (settings_.read_only) {
      done(append_result{make_error_code(errc::read_only), {}});
      return;
    }
    clamp_timestamps(batch);
    errc refused{};
    {
      std::lock_guard lock(queue_mutex_);
      if (closing_) {
        refused = errc::shutting_down;
      } else if (queued_events_ + batch.size() > settings_.max_queued_events) {
        refused = errc::overloaded;
      } else {
        queued_events_ += batch.size();
        queued_gauge_.store(static_cast<std::int64_t>(queued_events_), std::memory_order_relaxed);
        queue_.emplace_back(append_job{std::move(batch), std::move(done)});
      }
    }
    if (refused != errc{}) {
      done(append_result{make_error_code(refused), {}});
      return;
    }
    queue_cv_.notify_one();
  }

  std::vector<event> session_events(const std::string& session_id, std::size_t limit) override {
    return readers_->borrow()->session_events(session_id, limit);
  }

  std::vector<event> diagnosis_events(const std::string& session_id, std::size_t limit) override {
    return readers_->borrow()->diagnosis_events(session_id, limit);
  }

  std::optional<session_summary> summary(const std::string& session_id) override {
    return readers_->borrow()->summary(session_id);
  }

  std::vector<std::pair<std::string, std::int64_t>> type_counts(
      const std::string& session_id) override {
    return readers_->borrow()->type_counts(session_id);
  }

  blast_radius other_sessions(const std::string& issue_key, const std::string& session_id,
                              std::int64_t since_ms) override {
    return readers_->borrow()->other_sessions(issue_key, session_id, since_ms);
  }

  std::vector<std::string> similar_sessions(const std::string& typed, std::size_t limit) override {
    return readers_->borrow()->similar_sessions(typed, limit);
  }

  std::vector<app_version_seen> app_versions(std::int64_t since_ms) override {
    return readers_->borrow()->app_versions(since_ms);
  }

  std::vector<issue_bucket> issue_buckets(std::int64_t from_ms, std::int64_t to_ms) override {
    return readers_->borrow()->issue_buckets(from_ms, to_ms);
  }

  std::vector<issue_bucket> issue_history(const std::string& issue_key, std::int64_t from_ms,
                                          std::int64_t to_ms) override {
    return readers_->borrow()->issue_history(issue_key, from_ms, to_ms);
  }

  std::int64_t issue_sessions(const std::string& issue_key, std::int64_t from_ms,
                              std::int64_t to_ms, std::int64_t cap) override {
    return readers_->borrow()->issue_sessions(issue_key, from_ms, to_ms, cap);
  }

  std::vector<facet_count> issue_facets(const std::string& issue_key, std::int64_t from_ms,
                                        std::int64_t to_ms) override {
    return readers_->borrow()->issue_facets(issue_key, from_ms, to_ms);
  }

  std::vector<issue_version> issue_versions(const std::string& issue_key, std::int64_t from_ms,
                                            std::int64_t to_ms) override {
    return readers_->borrow()->issue_versions(issue_key, from_ms, to_ms);
  }

  std::vector<ingest_bucket> ingest_buckets(std::int64_t from_ms, std::int64_t to_ms) override {
    return readers_->borrow()->ingest_buckets(from_ms, to_ms);
  }

  std::vector<lookup_record> lookups(const lookup_query& query) override {
    return readers_->borrow()->lookups(query);
  }

  std::optional<std::string> get_state(const std::string& key) override {
    return readers_->borrow()->get_state(key);
  }

  void record_lookup(lookup_record record) override {
    std::lock_guard lock(queue_mutex_);
    if (closing_) return;
    queue_.emplace_back(record_job{std::move(record), nullptr});
    queue_cv_.notify_one();
  }

  void put_state(const std::string& key, const std::string& value) override {
    auto done = std::make_shared<std::promise<void>>();
    auto committed = done->get_future();
    {
      std::lock_guard lock(queue_mutex_);
      if (closing_) throw std::runtime_error("sessiondx store: closed; state not saved");
      queue_.emplace_back(record_job{std::pair(key, value), done});
    }
    queue_cv_.notify_one();
    committed.get();
  }

  // Runs on the writer thread, between group commits, so there is still exactly one writer and
  // ingest waits for at most one retention batch.
  std::size_t prune_before(std::int64_t cutoff_ms, std::size_t max_rows) override {
    std::future<std::size_t> deleted;
    {
      std::lock_guard lock(queue_mutex_);
      if (closing_ || settings_.read_only) return 0;
      prune_job job{cutoff_ms, max_rows, {}};
      deleted = job.deleted.get_future();
      queue_.emplace_back(std::move(job));
    }
    queue_cv_.notify_one();
    return deleted.get();
  }

  store_health health() const override {
    std::lock_guard lock(health_mutex_);
    return health_;
  }

  store_stats stats() const override {
    return {queued_gauge_.load(std::memory_order_relaxed),
            committed_.load(std::memory_order_relaxed),
            duplicates_.load(std::memory_order_relaxed),
            commits_.load(std::memory_order_relaxed),
            pruned_.load(std::memory_order_relaxed),
            commit_errors_.load(std::memory_order_relaxed)};
  }

  void close() override {
    std::lock_guard close_lock(close_mutex_);
    if (closed_) return;
    closed_ = true;
    {
      std::lock_guard lock(queue_mutex_);
      closing_ = true;
    }
    queue_cv_.notify_all();
    {
      std::lock_guard lock(background_mutex_);
      stopping_ = true;
    }
    background_cv_.notify_all();
    // Retention first: its last prune is still served by the writer, which drains the queue.
    if (retention_thread_.joinable()) retention_thread_.join();
    if (writer_thread_.joinable()) writer_thread_.join();
    if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
    // Readers are idle or between statements, so nothing pins the WAL: empty it.
    if (writer_) writer_->checkpoint_truncate();
  }

 private:
  void write_loop() {
    std::vector<append_job> group;
    std::vector<const std::vector<event>*> batches;
    std::vector<std::vector<append_outcome>> outcomes;
    for (;;) {
      std::optional<prune_job> prune;
      std::optional<record_job> record;
      {
        std::unique_lock lock(queue_mutex_);
        const auto has_work = [&] { return !queue_.empty() || closing_; };
        if (ready_.load(std::memory_order_relaxed)) {
          queue_cv_.wait(lock, has_work);
        } else if (!queue_cv_.wait_for(lock, settings_.health_probe_interval, has_work)) {
          // Not ready and idle: find out whether a commit works again (space came back).
          lock.unlock();
          run_probe();
          continue;
        }
        if (queue_.empty()) return;  // closing, and everything queued is committed
        if (auto* p = std::get_if<prune_job>(&queue_.front())) {
          prune.emplace(std::move(*p));
          queue_.pop_front();
        } else if (auto* r = std::get_if<record_job>(&queue_.front())) {
          record.emplace(std::move(*r));
          queue_.pop_front();
        } else {
          // Everything queued up to max_commit_events, in whole batches (at least one).
          std::size_t events = 0;
          while (!queue_.empty()) {
            auto* a = std::get_if<append_job>(&queue_.front());
            if (a == nullptr) break;
            if (!group.empty() && events + a->batch.size() > settings_.max_commit_events) break;
            events += a->batch.size();
            group.push_back(std::move(*a));
            queue_.pop_front();
          }
          queued_events_ -= events;
          queued_gauge_.store(static_cast<std::int64_t>(queued_events_), std::memory_order_relaxed);
        }
      }
      if (prune) {
        run_prune(*prune);
      } else if (record) {
        run_record(*record);
      } else {
        commit_group(group, batches, outcomes);
        group.clear();
      }
    }
  }

  void commit_group(std::vector<append_job>& group, std::vector<const std::vector<event>*>& batches,
                    std::vector<std::vector<append_outcome>>& outcomes) {
    batches.clear();
    for (const auto& job : group) batches.push_back(&job.batch);
    outcomes.resize(group.size());
    try {
      const detail::commit_counts counts = writer_->commit(batches, outcomes);
      committed_.fetch_add(counts.stored, std::memory_order_relaxed);
      duplicates_.fetch_add(counts.duplicates, std::memory_order_relaxed);
      commits_.fetch_add(1, std::memory_order_relaxed);
    } catch (...) {
      commit_errors_.fetch_add(1, std::memory_order_relaxed);
      std::size_t events = 0;
      for (const auto* batch : batches) events += batch->size();
      failed("commit of " + std::to_string(events) + " events", std::current_exception());
      for (auto& job : group) {
        complete(job.done, append_result{make_error_code(errc::write_failed), {}});
      }
      return;
    }
    for (std::size_t i = 0; i < group.size(); ++i) {
      complete(group[i].done, append_result{{}, std::move(outcomes[i])});
    }
    succeeded();
    // After the handlers, so that a checkpoint the writer finishes does not delay their replies.
    after_transaction();
  }

  void run_record(record_job& job) {
    try {
      if (const auto* lookup = std::get_if<lookup_record>(&job.what)) {
        writer_->record_lookup(*lookup);
      } else {
        const auto& [key, value] = std::get<std::pair<std::string, std::string>>(job.what);
        writer_->put_state(key, value);
      }
      if (job.done) job.done->set_value();
    } catch (...) {
      commit_errors_.fetch_add(1, std::memory_order_relaxed);
      if (job.done) job.done->set_exception(std::current_exception());
    }
    after_transaction();
  }

  void run_prune(prune_job& job) {
    try {
      const std::size_t deleted = writer_->prune(job.cutoff_ms, job.max_rows);
      pruned_.fetch_add(static_cast<std::int64_t>(deleted), std::memory_order_relaxed);
      job.deleted.set_value(deleted);
      succeeded();
    } catch (...) {
      commit_errors_.fetch_add(1, std::memory_order_relaxed);
      failed("retention", std::current_exception());
      job.deleted.set_exception(std::current_exception());
    }
    after_transaction();
  }

  // A ts far from the receipt time (a wrong device clock) is brought within the bounds, so that
  // it cannot sort a session's events into the far future nor hold a problem "recent" forever.
  void clamp_timestamps(std::vector<event>& batch) const {
    const auto ahead = settings_.max_ts_ahead.count();
    const auto behind = settings_.max_ts_behind.count();
    if (ahead <= 0 && behind <= 0) return;
    const std::int64_t now = settings_.now_ms ? settings_.now_ms() : system_now_ms();
    for (event& e : batch) {
      std::int64_t ts = e.ts_ms;
      if (ahead > 0 && ts > now + ahead) ts = now + ahead;
      if (behind > 0 && ts < now - behind) ts = now - behind;
      if (ts == e.ts_ms) continue;
      e.sent_ts_ms = e.ts_ms;
      e.ts_ms = ts;
    }
  }

  void run_probe() {
    try {
      writer_->probe();
      succeeded();
    } catch (...) {
      failed("health probe", std::current_exception());
    }
  }

  // Writer thread. Counts the failure, turns not ready after max_failed_commits in a row, and
  // logs SQLite's error, at most once per error_log_interval.
  void failed(const std::string& what, std::exception_ptr failure) {
    const std::string error = describe_failure(std::move(failure));
    std::string line;
    {
      std::lock_guard lock(health_mutex_);
      ++health_.consecutive_failures;
      if (health_.consecutive_failures >= std::max(settings_.max_failed_commits, 1)) {
        health_.ready = false;
        health_.reason = std::to_string(health_.consecutive_failures) +
                         " consecutive transactions failed, the last: " + error;
      }
      const auto now = std::chrono::steady_clock::now();
      if (!error_logged_ || now - last_error_log_ >= settings_.error_log_interval) {
        line = "store: " + what + " failed: " + error + " (" +
               std::to_string(health_.consecutive_failures) + " in a row" +
               (unlogged_failures_ > 0
                    ? ", " + std::to_string(unlogged_failures_) + " more not logged since the last"
                    : std::string()) +
               (health_.ready ? ")" : "; not ready)");
        error_logged_ = true;
        last_error_log_ = now;
        unlogged_failures_ = 0;
      } else {
        ++unlogged_failures_;
      }
      ready_.store(health_.ready, std::memory_order_relaxed);
    }
    log(line);
  }

  void succeeded() {
    std::string line;
    {
      std::lock_guard lock(health_mutex_);
      if (health_.consecutive_failures == 0) return;
      line = "store: transactions succeed again after " +
             std::to_string(health_.consecutive_failures) + " failed; ready";
      health_ = {};
      unlogged_failures_ = 0;
      error_logged_ = false;
      ready_.store(true, std::memory_order_relaxed);
    }
    log(line);
  }

  void log(const std::string& line) noexcept {
    if (line.empty() || !settings_.log_error) return;
    try {
      settings_.log_error(line);
    } catch (...) {
    }
  }

  // After each transaction, on the writer thread: finishes a checkpoint the checkpointer handed
  // over (see checkpoint_loop), or, when the WAL has grown to wal_hard_cap_ because the disk does
  // not keep up with ingest, waits for the checkpointer's round and copies the rest itself. That
  // is back-pressure on ingest, which is better than a WAL without bound.
  void after_transaction() {
    const int pages = wal_pages_.load(std::memory_order_relaxed);
    const bool handed_over = finish_checkpoint_.exchange(false, std::memory_order_relaxed);
    if (pages >= wal_hard_cap_) {
      std::lock_guard lock(checkpoint_mutex_);
      writer_->checkpoint_passive();
    } else if (handed_over && pages >= settings_.checkpoint_pages) {
      // Unless a round of the checkpointer is under way: then after the next transaction.
      std::unique_lock lock(checkpoint_mutex_, std::try_to_lock);
      if (!lock.owns_lock() || !writer_->checkpoint_passive()) {
        finish_checkpoint_.store(true, std::memory_order_relaxed);
      }
    }
    wake_checkpointer_if_needed();
  }

  void wake_checkpointer_if_needed() {
    if (wal_pages_.load(std::memory_order_relaxed) < settings_.checkpoint_pages) return;
    if (checkpoint_wanted_.exchange(true, std::memory_order_relaxed)) return;
    { std::lock_guard lock(background_mutex_); }
    background_cv_.notify_all();
  }

  // The WAL only starts over when the writer begins a transaction while every frame in it is
  // already copied back. Once the WAL holds checkpoint_pages, this thread copies it back in
  // PASSIVE rounds, which never wait for the writer or a reader (frames a reader still needs are
  // left for a later round), until a round has little left behind it. If the writer was idle for
  // a moment after that, its next transaction restarts the WAL. A saturated writer is never idle,
  // so rounds alone would always lag by what it commits meanwhile and the WAL would grow without
  // bound: so the last few frames are handed over to the writer, which copies them between two
  // transactions (a short stall: a few hundred pages and two fsyncs, once per WAL cycle, and
  // nothing when the WAL has started over already). See also after_transaction() for a disk that
  // cannot keep up at all.
  void checkpoint_loop() {
    const int threshold = std::max(settings_.checkpoint_pages, 1);
    const int few_frames = std::clamp(threshold / 4, 1, max_finish_frames);
    std::unique_lock lock(background_mutex_);
    while (!stopping_) {
      background_cv_.wait_for(lock, checkpoint_poll, [&] {
        return stopping_ || checkpoint_wanted_.load(std::memory_order_relaxed);
      });
      if (stopping_) return;
      checkpoint_wanted_.store(false, std::memory_order_relaxed);
      if (wal_pages_.load(std::memory_order_relaxed) < threshold) continue;
      // The writer has yet to finish the last burst; more rounds would only copy pages again.
      if (finish_checkpoint_.load(std::memory_order_relaxed)) continue;
      lock.unlock();
      int previous_log = 0;
      int previous_growth = std::numeric_limits<int>::max();
      for (int round = 0; round < max_checkpoint_rounds; ++round) {
        int log_frames = 0;
        int checkpointed = 0;
        int rc = SQLITE_OK;
        {
          std::lock_guard round_lock(checkpoint_mutex_);
          rc = sqlite3_wal_checkpoint_v2(checkpointer_db_->getHandle(), nullptr,
                                         SQLITE_CHECKPOINT_PASSIVE, &log_frames, &checkpointed);
        }
        if (rc != SQLITE_OK || checkpointed < log_frames) break;
        // What the writer committed during this round is about what is left for it to copy.
        // Hand over once that is little, or no longer shrinking from round to round.
        const int growth = log_frames - previous_log;
        if (growth <= few_frames || growth >= previous_growth) {
          finish_checkpoint_.store(true, std::memory_order_relaxed);
          break;
        }
        previous_log = log_frames;
        previous_growth = growth;
      }
      lock.lock();
      // Do not spin when a reader keeps the WAL from being copied back.
      background_cv_.wait_for(lock, checkpoint_pause, [&] { return stopping_; });
    }
  }

  void retention_loop() {
    const std::int64_t keep_ms = static_cast<std::int64_t>(settings_.retention_days) * ms_per_day;
    const std::size_t batch = std::max<std::size_t>(settings_.retention_batch, 1);
    auto next =
        std::chrono::steady_clock::now() +
        std::min<std::chrono::milliseconds>(settings_.retention_interval, first_retention_delay);
    std::unique_lock lock(background_mutex_);
    for (;;) {
      if (background_cv_.wait_until(lock, next, [&] { return stopping_; })) return;
      lock.unlock();
      const std::int64_t now = settings_.now_ms ? settings_.now_ms() : system_now_ms();
      try {
        while (prune_before(now - keep_ms, batch) >= batch) {
          std::lock_guard stop_check(background_mutex_);
          if (stopping_) break;
        }
      } catch (...) {
        // Counted in commit_errors by the writer; the next round tries again.
      }
      lock.lock();
      next = std::chrono::steady_clock::now() + settings_.retention_interval;
    }
  }

  const store_settings settings_;
  std::atomic<int> wal_pages_{0};
  std::unique_ptr<detail::writer_connection> writer_;
  std::unique_ptr<SQLite::Database> checkpointer_db_;
  std::unique_ptr<detail::reader_pool> readers_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<job> queue_;
  std::size_t queued_events_ = 0;
  bool closing_ = false;

  std::mutex background_mutex_;
  std::condition_variable background_cv_;
  bool stopping_ = false;
  std::atomic<bool> checkpoint_wanted_{false};
  std::atomic<bool> finish_checkpoint_{false};
  // Held for each checkpoint round, so that the writer can wait for one to end.
  std::mutex checkpoint_mutex_;
  const int wal_hard_cap_ =
      std::clamp(settings_.checkpoint_pages, 1, std::numeric_limits<int>::max() / wal_cap_factor) *
      wal_cap_factor;

  std::mutex close_mutex_;
  bool closed_ = false;

  mutable std::mutex health_mutex_;
  store_health health_;
  bool error_logged_ = false;
  std::chrono::steady_clock::time_point last_error_log_{};
  std::int64_t unlogged_failures_ = 0;
  std::atomic<bool> ready_{true};  ///< health_.ready, for the writer's wait without the mutex

  std::atomic<std::int64_t> queued_gauge_{0};
  std::atomic<std::int64_t> committed_{0};
  std::atomic<std::int64_t> duplicates_{0};
  std::atomic<std::int64_t> commits_{0};
  std::atomic<std::int64_t> pruned_{0};
  std::atomic<std::int64_t> commit_errors_{0};

  std::thread writer_thread_;
  std::thread checkpoint_thread_;
  std::thread retention_thread_;
};

}  // namespace

std::unique_ptr<event_store> make_sqlite_store(const store_settings& settings) {
  if (settings.path.empty() || settings.path == ":memory:") {
    throw std::runtime_error("sessiondx store: \"" + settings.path.string() +
                             "\": a database file path is required (readers share the file)");
  }
  try {
    return std::make_unique<sqlite_store>(settings);
  } catch (const std::exception& e) {
    throw std::runtime_error("sessiondx store: cannot open \"" + settings.path.string() +
                             "\": " + e.what());
  }
}

}  // namespace sessiondx::store

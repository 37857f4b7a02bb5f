#pragma once

// The team-lead loop: once a minute it asks the pure decisions (bot/schedule.hpp,
// bot/incident.hpp) what is due and posts it through each platform's channel_poster. Store reads
// run on the loop's own thread (the store's read path), posts on its strand: neither ingest nor
// lookups wait for it. What was posted is recorded in the store's service_state, so a restart
// neither repeats nor forgets a digest or an incident.

#include "app/leads_settings.hpp"
#include "app/settings.hpp"
#include "bot/incident.hpp"
#include "bot/leads.hpp"
#include "bot/schedule.hpp"
#include "connectors/chat/channel_poster.hpp"
#include "store/event_store.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sessiondx::app {

/// service_state keys.
inline constexpr const char* incident_state_key = "alerts.incidents";
/// "digest.last_due.<platform>": the due time (UTC ms, decimal) last posted there.
std::string digest_state_key(std::string_view platform);

/// A poster for each enabled platform that has a digest or alert channel configured.
std::vector<std::shared_ptr<chat::channel_poster>> make_posters(const app_settings& settings);

class leads_loop {
 public:
  /// `store` and the posters must outlive this. Throws std::invalid_argument for a bad
  /// schedule or zone (load_settings has checked them already).
  leads_loop(boost::asio::io_context& ioc, store::event_store& store, leads_settings settings,
             std::vector<std::shared_ptr<chat::channel_poster>> posters,
             std::function<std::int64_t()> now_ms);
  ~leads_loop();
  leads_loop(const leads_loop&) = delete;
  leads_loop& operator=(const leads_loop&) = delete;

  /// Whether there is anything to do (a schedule with a channel, or an alert channel).
  bool active() const;

  /// Starts the minute timer (the first look at once). Returns at once.
  void start();
  /// Stops the timer; a look in progress finishes its posts. Idempotent; any thread.
  void stop();

  /// One look at `now_ms()`: scheduled digests, then incident alerts. Runs on the strand; never
  /// throws (failures are logged; a digest that failed to post is retried at the next look, an
  /// alert with a backoff, see post_pending; both across a restart).
  boost::asio::awaitable<void> look();

  boost::asio::strand<boost::asio::io_context::executor_type>& strand() { return strand_; }

  struct counters {
    std::int64_t digests_posted = 0, alerts_posted = 0, post_failures = 0;
  };
  counters stats() const { return stats_; }

 private:
  friend boost::asio::awaitable<void> run_loop(leads_loop* self);
  boost::asio::awaitable<void> look_digests(std::int64_t now);
  boost::asio::awaitable<void> look_alerts(std::int64_t now);
  /// Makes the queued alert posts that are due (incidents_.pending), oldest first; a failed one
  /// stays queued with its retry time (bot::alert_retry_delay_ms).
  boost::asio::awaitable<void> post_pending(std::int64_t now);
  /// An incident's thread on one platform, once its "back to normal" is posted (or given up).
  void forget_thread(const std::string& issue_key, const std::string& platform);

  store::event_store& store_;
  leads_settings settings_;
  std::vector<std::shared_ptr<chat::channel_poster>> posters_;
  std::function<std::int64_t()> now_ms_;
  std::optional<bot::zoned_schedule> schedule_;
  bot::lead_reports reports_;
  bot::incident_detector detector_;
  bot::incident_state incidents_;
  bool incidents_loaded_ = false;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
  boost::asio::thread_pool reads_{1};
  bool stopped_ = false;
  counters stats_;
};

}  // namespace sessiondx::app

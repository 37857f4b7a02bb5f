#include "app/leads_loop.hpp"

#include "bot/digest_text.hpp"
#include "bot/utc_time.hpp"
#include "connectors/discord/poster.hpp"
#include "connectors/mattermost/poster.hpp"
#include "connectors/slack/poster.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <utility>

namespace sessiondx::app {

namespace net = boost::asio;

std::string digest_state_key(std::string_view platform) {
  return "digest.last_due." + std::string(platform);
}

namespace {

// The store's blocking reads and writes, run on the loop's own thread (named coroutines taking
// their parameters by value: GCC 12 and capturing lambda coroutines do not mix).
net::awaitable<std::optional<std::string>> read_state(store::event_store* store, std::string key) {
  co_return store->get_state(key);
}
net::awaitable<void> write_state(store::event_store* store, std::string key, std::string value) {
  store->put_state(key, value);
  co_return;
}
net::awaitable<bot::digest> read_digest(const bot::lead_reports* reports, std::int64_t now,
                                        std::int64_t window) {
  co_return reports->build(now, window);
}
net::awaitable<std::vector<bot::problem_rate>> read_rates(const bot::lead_reports* reports,
                                                          std::int64_t now,
                                                          std::vector<bot::incident_record> open) {
  co_return reports->rates(now, open, false);
}
net::awaitable<std::vector<std::int64_t>> read_trend(const bot::lead_reports* reports,
                                                     std::string issue_key, std::int64_t now) {
  co_return reports->trend(issue_key, now);
}
net::awaitable<std::vector<store::facet_count>> read_facets(const bot::lead_reports* reports,
                                                            std::string issue_key,
                                                            std::int64_t now) {
  co_return reports->facets(issue_key, now);
}

std::optional<std::int64_t> parse_ms(const std::string& text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<bot::zoned_schedule> schedule_of(const leads_settings& s) {
  if (s.digest_schedule.empty()) return std::nullopt;
  return bot::zoned_schedule(s.digest_schedule, s.digest_timezone);
}

bool has_channel(const std::map<std::string, std::string>& channels, const std::string& platform) {
  const auto it = channels.find(platform);
  return it != channels.end() && !it->second.empty();
}

}  // namespace

std::vector<std::shared_ptr<chat::channel_poster>> make_posters(const app_settings& settings) {
  const auto wanted = [&settings](const std::string& platform) {
    return (!settings.leads.digest_schedule.empty() &&
            has_channel(settings.leads.digest_channels, platform)) ||
           has_channel(settings.leads.alert_channels, platform);
  };
  std::vector<std::shared_ptr<chat::channel_poster>> posters;
  if (settings.slack_enabled && wanted("slack")) {
    slack::poster_settings s;
    s.api_url = settings.slack.api_url;
    s.bot_token = settings.slack.bot_token;
    s.http.allow_plaintext = settings.slack.allow_plaintext;
    s.http.timeout = settings.slack.request_timeout;
    posters.push_back(std::make_shared<slack::poster>(std::move(s)));
  }
  if (settings.discord_enabled && wanted("discord")) {
    discord::poster_settings s;
    s.api_url = settings.discord.api_url;
    s.bot_token = settings.discord.bot_token;
    s.user_agent = discord::user_agent(settings.discord);
    s.http.allow_plaintext = settings.discord.allow_plaintext;
    s.http.timeout = settings.discord.request_timeout;
    posters.push_back(std::make_shared<discord::poster>(std::move(s)));
  }
  if (settings.mattermost_enabled && wanted("mattermost")) {
    mattermost::poster_settings s;
    s.url = settings.mattermost.url;
    s.token = settings.mattermost.token;
    s.http.allow_plaintext = settings.mattermost.allow_plaintext;
    s.http.timeout = settings.mattermost.request_timeout;
    s.message_limit = settings.mattermost.message_limit;
    s.max_posts = settings.mattermost.max_posts;
    posters.push_back(std::make_shared<mattermost::poster>(std::move(s)));
  }
  return posters;
}

net::awaitable<void> run_loop(leads_loop* self) {
  for (;;) {
    co_await self->look();
    if (self->stopped_) co_return;
    // Look just after each minute starts: schedules have minute resolution.
    const std::int64_t tick = std::max<std::int64_t>(self->settings_.tick_ms, 1000);
    const std::int64_t into = self->now_ms_() % tick;
    self->timer_.expires_after(std::chrono::milliseconds(tick - into + 1000));
    auto [ec] = co_await self->timer_.async_wait(net::as_tuple(net::use_awaitable));
    if (ec || self->stopped_) co_return;
  }
}

leads_loop::leads_loop(net::io_context& ioc, store::event_store& store, leads_settings settings,
                       std::vector<std::shared_ptr<chat::channel_poster>> posters,
                       std::function<std::int64_t()> now_ms)
    : store_(store),
      settings_(std::move(settings)),
      posters_(std::move(posters)),
      now_ms_(std::move(now_ms)),
      schedule_(schedule_of(settings_)),
      reports_(store, {}, settings_.incidents),
      detector_(settings_.incidents),
      strand_(net::make_strand(ioc)),
      timer_(strand_) {}

leads_loop::~leads_loop() { reads_.join(); }

bool leads_loop::active() const {
  for (const auto& p : posters_) {
    const std::string platform(p->platform());
    if (schedule_ && settings_.digest_channels.count(platform) &&
        !settings_.digest_channels.at(platform).empty())
      return true;
    if (settings_.alert_channels.count(platform) && !settings_.alert_channels.at(platform).empty())
      return true;
  }
  return false;
}

void leads_loop::start() {
  net::co_spawn(strand_, run_loop(this), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("leads: the digest and alert loop stopped: {}", ex.what());
    }
  });
}

void leads_loop::stop() {
  net::post(strand_, [this] {
    stopped_ = true;
    timer_.cancel();
  });
}

net::awaitable<void> leads_loop::look() {
  const std::int64_t now = now_ms_();
  co_await look_digests(now);
  co_await look_alerts(now);
}

net::awaitable<void> leads_loop::look_digests(std::int64_t now) {
  if (!schedule_) co_return;
  std::optional<bot::digest> built;  // one digest per look, shared by the platforms
  for (const auto& poster : posters_) {
    const std::string platform(poster->platform());
    const auto channel = settings_.digest_channels.find(platform);
    if (channel == settings_.digest_channels.end() || channel->second.empty()) continue;
    const std::string key = digest_state_key(platform);
    try {
      const auto stored =
          co_await net::co_spawn(reads_, read_state(&store_, key), net::use_awaitable);
      std::optional<std::int64_t> last;
      if (stored) {
        last = parse_ms(*stored);
        if (!last) spdlog::warn("leads: {} holds '{}', not a time; starting afresh", key, *stored);
      }
      const auto decision =
          bot::decide_schedule(*schedule_, last, now, settings_.digest_late_after_min * 60'000);
      // Named values, no temporaries in a co_await expression: GCC 12 destroys those twice.
      const std::string record = std::to_string(decision.record_ms);
      if (!decision.run) {
        if (!stored || !last)
          co_await net::co_spawn(reads_, write_state(&store_, key, record), net::use_awaitable);
        continue;
      }
      const std::int64_t window = settings_.digest_window_hours * 3'600'000;
      if (!built)
        built =
            co_await net::co_spawn(reads_, read_digest(&reports_, now, window), net::use_awaitable);
      std::string note;
      if (decision.run->late) {
        const std::int64_t local = schedule_->local_ms(decision.run->due_ms);
        note = "Late: due " + bot::utc_date(local) + " " + bot::utc_minutes(local) + " " +
               schedule_->zone();
      }
      const std::string target = channel->second;
      const bot::report_reply report = bot::digest_report(*built, note);
      const std::string no_thread;
      co_await poster->post(target, report, no_thread);
      // Recorded once posted: a crash between the two repeats this one digest on restart.
      co_await net::co_spawn(reads_, write_state(&store_, key, record), net::use_awaitable);
      ++stats_.digests_posted;
      spdlog::info("leads: digest due {} posted to {} {}{}", bot::rfc3339(decision.run->due_ms),
                   platform, channel->second, decision.run->late ? " (late)" : "");
    } catch (const std::exception& e) {
      ++stats_.post_failures;
      spdlog::warn("leads: digest for {} not posted (retried at the next look): {}", platform,
                   e.what());
    }
  }
}

net::awaitable<void> leads_loop::look_alerts(std::int64_t now) {
  bool any = false;
  for (const auto& [platform, channel] : settings_.alert_channels) any = any || !channel.empty();
  if (!any) co_return;
  try {
    if (!incidents_loaded_) {
      const std::string state_key = incident_state_key;
      const auto stored =
          co_await net::co_spawn(reads_, read_state(&store_, state_key), net::use_awaitable);
      if (stored) {
        try {
          incidents_ = bot::incident_state_from_json(*stored);
          detector_.restore(incidents_.open);
        } catch (const std::invalid_argument& e) {
          spdlog::warn("leads: {} unreadable ({}); starting with no open incident",
                       incident_state_key, e.what());
          incidents_ = {};
        }
      }
      incidents_loaded_ = true;
    }
    const std::vector<bot::incident_record> open = detector_.records();
    const auto rates =
        co_await net::co_spawn(reads_, read_rates(&reports_, now, open), net::use_awaitable);
    auto actions = detector_.evaluate(now, rates);
    // Persisted while an incident is open (its last minute above the threshold moves), when one
    // ends, and while a post waits for its retry; nothing to write on a quiet minute.
    if (actions.empty() && open.empty() && incidents_.pending.empty()) co_return;
    for (auto& a : actions) {
      // Facets are read for the posts only, not every minute for every open incident.
      if (a.kind != bot::alert_kind::resolved) {
        a.facets = co_await net::co_spawn(reads_, read_facets(&reports_, a.issue_key, now),
                                          net::use_awaitable);
        a.trend = co_await net::co_spawn(reads_, read_trend(&reports_, a.issue_key, now),
                                         net::use_awaitable);
      }
      // Each post is queued, then made by post_pending: a failed one stays queued (and in the
      // stored state) until it is posted, as a digest stays due until it is.
      const bot::report_reply report = bot::alert_report(a);
      for (const auto& poster : posters_) {
        const std::string platform(poster->platform());
        if (has_channel(settings_.alert_channels, platform))
          incidents_.pending.push_back({a.issue_key, a.kind, platform, report.title, report.text,
                                        report.markdown, report.mrkdwn, 0, now});
      }
    }
    co_await post_pending(now);
    incidents_.open = detector_.records();
    const std::string state_key = incident_state_key, state = bot::to_json(incidents_);
    co_await net::co_spawn(reads_, write_state(&store_, state_key, state), net::use_awaitable);
  } catch (const std::exception& e) {
    spdlog::warn("leads: alert evaluation failed: {}", e.what());
  }
}

void leads_loop::forget_thread(const std::string& issue_key, const std::string& platform) {
  const auto it = incidents_.threads.find(issue_key);
  if (it == incidents_.threads.end()) return;
  it->second.erase(platform);
  if (it->second.empty()) incidents_.threads.erase(it);
}

net::awaitable<void> leads_loop::post_pending(std::int64_t now) {
  std::vector<bot::pending_alert> still;
  // A post waits behind an earlier one of the same problem on the same platform: an update
  // needs the thread its opening post starts, and the thread reads in order.
  std::set<std::pair<std::string, std::string>> held;
  for (auto& p : incidents_.pending) {
    const auto key = std::make_pair(p.issue_key, p.platform);
    const auto poster = std::find_if(posters_.begin(), posters_.end(),
                                     [&p](const auto& x) { return x->platform() == p.platform; });
    const auto channel = settings_.alert_channels.find(p.platform);
    if (poster == posters_.end() || channel == settings_.alert_channels.end() ||
        channel->second.empty()) {
      spdlog::warn("leads: alert {} {} dropped: {} has no alert channel any more",
                   bot::to_string(p.kind), p.issue_key, p.platform);
      continue;
    }
    if (held.count(key) != 0 || p.next_ms > now) {
      held.insert(key);
      still.push_back(std::move(p));
      continue;
    }
    std::string thread;
    if (p.kind != bot::alert_kind::opened) {
      if (const auto t = incidents_.threads.find(p.issue_key); t != incidents_.threads.end())
        if (const auto it = t->second.find(p.platform); it != t->second.end()) thread = it->second;
    }
    try {
      const std::string target = channel->second;
      const bot::report_reply report{p.title, p.text, p.markdown, p.mrkdwn};
      const std::string id = co_await (*poster)->post(target, report, thread);
      if (p.kind == bot::alert_kind::opened) incidents_.threads[p.issue_key][p.platform] = id;
      if (p.kind == bot::alert_kind::resolved) forget_thread(p.issue_key, p.platform);
      ++stats_.alerts_posted;
      spdlog::info("leads: alert {} {} posted to {} {}{}", bot::to_string(p.kind), p.issue_key,
                   p.platform, channel->second,
                   p.attempts > 0 ? " (retry " + std::to_string(p.attempts) + ")" : "");
    } catch (const std::exception& e) {
      ++stats_.post_failures;
      ++p.attempts;
      if (p.attempts >= bot::max_alert_attempts) {
        spdlog::error("leads: alert {} {} to {} dropped after {} failed posts: {}",
                      bot::to_string(p.kind), p.issue_key, p.platform, p.attempts, e.what());
        if (p.kind == bot::alert_kind::resolved) forget_thread(p.issue_key, p.platform);
        continue;
      }
      p.next_ms = now + bot::alert_retry_delay_ms(p.attempts);
      spdlog::warn("leads: alert {} {} not posted to {} (retried from {}): {}",
                   bot::to_string(p.kind), p.issue_key, p.platform, bot::rfc3339(p.next_ms),
                   e.what());
      held.insert(key);
      still.push_back(std::move(p));
    }
  }
  incidents_.pending = std::move(still);
}

}  // namespace sessiondx::app

#include "connectors/chat/ordered_delivery.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <deque>
#include <unordered_map>

namespace sessiondx::chat {

namespace net = boost::asio;
using clock = std::chrono::steady_clock;

namespace {
constexpr auto nothrow = net::as_tuple(net::use_awaitable);
}

struct ordered_delivery::slot::data {
  explicit data(net::any_io_executor ex) : wake(ex) {}
  std::deque<send_attempt> attempts;
  std::function<void(bool)> done;
  bool finished = false;
  bool failed = false;
  net::steady_timer wake;  // cancelled to wake the drain loop waiting for this slot
};

struct ordered_delivery::state {
  state(net::any_io_executor ex, delivery_settings s) : executor(std::move(ex)), settings(s) {}
  net::any_io_executor executor;
  delivery_settings settings;
  std::unordered_map<std::string, std::deque<std::shared_ptr<slot::data>>> queues;
  clock::time_point paused_until{};
  bool stopped = false;
  std::unordered_map<std::string, std::shared_ptr<net::steady_timer>> pauses;  // per drain loop
};

ordered_delivery::slot& ordered_delivery::slot::operator=(slot&& other) noexcept {
  if (this != &other) {
    finish();
    data_ = std::move(other.data_);
  }
  return *this;
}

ordered_delivery::slot::~slot() { finish(); }

void ordered_delivery::slot::push(send_attempt attempt) {
  if (!data_ || data_->finished) return;
  data_->attempts.push_back(std::move(attempt));
  data_->wake.cancel();
}

void ordered_delivery::slot::on_done(std::function<void(bool)> done) {
  if (data_) data_->done = std::move(done);
}

void ordered_delivery::slot::finish() {
  if (!data_ || data_->finished) return;
  data_->finished = true;
  data_->wake.cancel();
}

namespace {

net::awaitable<void> wait_for(std::shared_ptr<ordered_delivery::state> st, std::string key,
                              clock::duration d) {
  if (d <= clock::duration::zero() || st->stopped) co_return;
  auto timer = std::make_shared<net::steady_timer>(st->executor, d);
  st->pauses[key] = timer;  // stop() cancels it
  auto [ec] = co_await timer->async_wait(nothrow);
  (void)ec;
  if (st->pauses[key] == timer) st->pauses.erase(key);
}

/// True when the message was delivered.
net::awaitable<bool> deliver(std::shared_ptr<ordered_delivery::state> st, std::string key,
                             send_attempt attempt) {
  for (int n = 1;; ++n) {
    co_await wait_for(st, key, st->paused_until - clock::now());
    delivery_attempt result;
    try {
      result = co_await attempt();
    } catch (const std::exception& e) {
      spdlog::warn("chat: sending to {} failed: {}", key, e.what());
      result.status = 0;
    }
    result.attempt = n;
    const auto decision = decide_delivery(result, st->settings);
    using step = delivery_decision::step;
    if (decision.next == step::done) co_return true;
    if (decision.next == step::give_up || st->stopped) {
      spdlog::error("chat: a message to {} was dropped after {} attempt{} (last status {})", key, n,
                    n == 1 ? "" : "s", result.status);
      co_return false;
    }
    if (decision.rate_limited) {
      spdlog::warn("chat: rate limited; waiting {} ms before sending to {} again",
                   decision.delay.count(), key);
      st->paused_until = std::max(st->paused_until, clock::now() + decision.delay);
    } else {
      co_await wait_for(st, key, decision.delay);
    }
  }
}

/// The one loop sending conversation `key`'s messages; ends when its queue is empty.
net::awaitable<void> drain(std::shared_ptr<ordered_delivery::state> st, std::string key) {
  for (;;) {
    auto it = st->queues.find(key);
    if (it == st->queues.end()) co_return;
    if (it->second.empty()) {
      st->queues.erase(it);
      co_return;
    }
    auto current = it->second.front();
    for (;;) {
      if (!current->attempts.empty()) {
        auto attempt = std::move(current->attempts.front());
        current->attempts.pop_front();
        const bool sent = co_await deliver(st, key, std::move(attempt));
        if (!sent) current->failed = true;
        continue;
      }
      if (current->finished) break;
      current->wake.expires_at(clock::time_point::max());
      auto [ec] = co_await current->wake.async_wait(nothrow);
      (void)ec;
    }
    if (current->done) {
      auto done = std::move(current->done);
      done(!current->failed);
    }
    st->queues[key].pop_front();
  }
}

}  // namespace

ordered_delivery::ordered_delivery(net::any_io_executor executor, delivery_settings settings)
    : state_(std::make_shared<state>(std::move(executor), settings)) {}

ordered_delivery::~ordered_delivery() = default;

ordered_delivery::slot ordered_delivery::reserve(const std::string& key) {
  auto d = std::make_shared<slot::data>(state_->executor);
  auto& queue = state_->queues[key];
  queue.push_back(d);
  if (queue.size() == 1) {
    net::co_spawn(state_->executor, drain(state_, key), [key](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("chat: delivery to {} stopped: {}", key, ex.what());
      }
    });
  }
  return slot(std::move(d));
}

void ordered_delivery::stop() {
  state_->stopped = true;
  for (auto& [key, timer] : state_->pauses) timer->cancel();
}

}  // namespace sessiondx::chat

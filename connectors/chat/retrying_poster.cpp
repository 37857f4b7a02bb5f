#include "connectors/chat/retrying_poster.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace sessiondx::chat {

namespace net = boost::asio;

net::awaitable<std::string> retrying_poster::deliver(std::string channel, nlohmann::json message) {
  for (int attempt_no = 1;; ++attempt_no) {
    const post_attempt a = co_await attempt(channel, message);
    if (a.delivered) co_return a.id;
    if (!a.rate_limited || attempt_no >= retry_.max_attempts) throw post_error(a.failure);
    const auto wait =
        std::min(a.retry_after.value_or(retry_.default_retry_after), retry_.max_retry_after);
    net::steady_timer timer(co_await net::this_coro::executor, wait);
    co_await timer.async_wait(net::use_awaitable);
  }
}

}  // namespace sessiondx::chat

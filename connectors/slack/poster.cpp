#include "connectors/slack/poster.hpp"

#include "connectors/slack/report_blocks.hpp"
#include "connectors/slack/web_api.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace sessiondx::slack {

namespace net = boost::asio;

poster::poster(poster_settings settings)
    : settings_(std::move(settings)),
      api_(std::make_unique<web_api>(settings_.api_url, "", settings_.bot_token, settings_.http)) {}

poster::~poster() = default;

net::awaitable<std::string> poster::post(std::string channel, bot::report_reply report,
                                         std::string thread_id) {
  const slack_message m = report_message(report);
  nlohmann::json body{{"channel", channel},
                      {"text", m.text},
                      {"blocks", m.blocks},
                      {"unfurl_links", false},
                      {"unfurl_media", false}};
  if (!thread_id.empty()) body["thread_ts"] = thread_id;
  // Named arguments, not temporaries in the co_await expression: GCC 12 destroys those twice.
  const std::string method = "chat.postMessage";
  for (int attempt = 1;; ++attempt) {
    const api_answer a = co_await api_->call(method, body);
    if (a.ok && a.body.contains("ts") && a.body["ts"].is_string())
      co_return a.body["ts"].get<std::string>();
    const bool limited = a.status == 429 || a.error == "ratelimited";
    if (!limited || attempt >= settings_.max_attempts)
      throw chat::post_error("slack: chat.postMessage to " + channel + ": " +
                             (a.error.empty() ? "HTTP " + std::to_string(a.status) : a.error));
    const auto wait =
        std::min(a.retry_after.value_or(std::chrono::seconds(1)), settings_.max_retry_after);
    net::steady_timer timer(co_await net::this_coro::executor, wait);
    co_await timer.async_wait(net::use_awaitable);
  }
}

}  // namespace sessiondx::slack

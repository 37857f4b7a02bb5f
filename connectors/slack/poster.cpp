#include "connectors/slack/poster.hpp"

#include "connectors/slack/report_blocks.hpp"
#include "connectors/slack/web_api.hpp"

#include <boost/asio/use_awaitable.hpp>

namespace sessiondx::slack {

namespace net = boost::asio;

poster::poster(poster_settings settings)
    : chat::retrying_poster({settings.max_attempts, settings.max_retry_after}),
      settings_(std::move(settings)),
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
  co_return co_await deliver(channel, body);
}

net::awaitable<chat::post_attempt> poster::attempt(std::string channel, nlohmann::json message) {
  // Named arguments, not temporaries in the co_await expression: GCC 12 destroys those twice.
  const std::string method = "chat.postMessage";
  const api_answer a = co_await api_->call(method, message);
  chat::post_attempt out;
  out.delivered = a.ok && a.body.contains("ts") && a.body["ts"].is_string();
  if (out.delivered) out.id = a.body["ts"].get<std::string>();
  out.rate_limited = a.status == 429 || a.error == "ratelimited";
  out.retry_after = a.retry_after;
  out.failure = "slack: chat.postMessage to " + channel + ": " +
                (a.error.empty() ? "HTTP " + std::to_string(a.status) : a.error);
  co_return out;
}

}  // namespace sessiondx::slack

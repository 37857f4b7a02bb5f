#include "connectors/discord/poster.hpp"

#include "connectors/discord/messages.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace sessiondx::discord {

namespace net = boost::asio;
using json = nlohmann::json;

std::vector<json> channel_messages(const bot::report_reply& report, const std::string& reply_to) {
  auto messages = render_embeds(bot::reply{report});
  if (!reply_to.empty() && !messages.empty())
    messages.front()["message_reference"] = {{"message_id", reply_to},
                                             {"fail_if_not_exists", false}};
  return messages;
}

poster::poster(poster_settings settings)
    : settings_(std::move(settings)), http_(std::make_unique<chat::https_client>(settings_.http)) {}

poster::~poster() = default;

net::awaitable<std::string> poster::post(std::string channel, bot::report_reply report,
                                         std::string thread_id) {
  std::string url = settings_.api_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  const std::string path = "/channels/" + channel + "/messages";
  url += path;
  const std::string route = "POST " + path;
  const chat::header_list headers{{"Content-Type", "application/json"},
                                  {"Authorization", "Bot " + settings_.bot_token},
                                  {"User-Agent", settings_.user_agent}};
  std::string first_id;
  for (json& message : channel_messages(report, thread_id)) {
    // Later messages of a long report reply to its first one.
    if (!first_id.empty())
      message["message_reference"] = {{"message_id", first_id}, {"fail_if_not_exists", false}};
    std::string body = message.dump();
    for (int attempt = 1;; ++attempt) {
      const auto wait = limits_.wait_before(route, rate_limiter::clock::now());
      if (wait.count() > 0) {
        net::steady_timer timer(co_await net::this_coro::executor, wait);
        co_await timer.async_wait(net::use_awaitable);
      }
      const auto answer = co_await http_->post(url, headers, body);
      const auto info = parse_rate_limit(answer.status, answer.headers, answer.body);
      limits_.update(route, info, rate_limiter::clock::now());
      if (answer.status == 200 || answer.status == 201) {
        const auto j = json::parse(answer.body, nullptr, false);
        if (first_id.empty() && j.is_object() && j.contains("id") && j["id"].is_string())
          first_id = j["id"].get<std::string>();
        break;
      }
      if (answer.status != 429 || attempt >= settings_.max_attempts ||
          info.retry_after_s.value_or(1.0) > settings_.max_retry_after_s)
        throw chat::post_error("discord: POST " + path + " answered HTTP " +
                               std::to_string(answer.status) + ": " + answer.body.substr(0, 300));
      // A 429: the limiter now holds the exact wait.
    }
  }
  co_return first_id;
}

}  // namespace sessiondx::discord

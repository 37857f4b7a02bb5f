#include "connectors/mattermost/poster.hpp"

#include "connectors/chat/delivery_policy.hpp"
#include "connectors/mattermost/events.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace sessiondx::mattermost {

namespace net = boost::asio;
using json = nlohmann::json;

poster::poster(poster_settings settings)
    : settings_(std::move(settings)), http_(std::make_unique<chat::https_client>(settings_.http)) {}

poster::~poster() = default;

net::awaitable<std::string> poster::post(std::string channel, bot::report_reply report,
                                         std::string thread_id) {
  std::string url = settings_.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/api/v4/posts";
  const chat::header_list headers{{"Authorization", "Bearer " + settings_.token},
                                  {"Content-Type", "application/json"}};
  std::string root = thread_id, first_id;
  for (const auto& part : split_reply(neutralize_mass_mentions(report.markdown),
                                      settings_.message_limit, settings_.max_posts)) {
    json message{{"channel_id", channel}, {"message", part}};
    if (!root.empty()) message["root_id"] = root;
    std::string body = message.dump();
    for (int attempt = 1;; ++attempt) {
      const auto answer = co_await http_->post(url, headers, body);
      if (answer.status == 201 || answer.status == 200) {
        const auto j = json::parse(answer.body, nullptr, false);
        if (first_id.empty() && j.is_object() && j.contains("id") && j["id"].is_string())
          first_id = j["id"].get<std::string>();
        break;
      }
      const auto retry_after = chat::parse_retry_after(answer.retry_after);
      if (answer.status != 429 || attempt >= settings_.max_attempts)
        throw chat::post_error("mattermost: POST /api/v4/posts answered HTTP " +
                               std::to_string(answer.status) + ": " + answer.body.substr(0, 300));
      net::steady_timer timer(
          co_await net::this_coro::executor,
          std::min(retry_after.value_or(std::chrono::seconds(1)), settings_.max_retry_after));
      co_await timer.async_wait(net::use_awaitable);
    }
    // The rest of a long report goes into the thread it starts (or the one it belongs to).
    if (root.empty()) root = first_id;
  }
  co_return first_id;
}

}  // namespace sessiondx::mattermost

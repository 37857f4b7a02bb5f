#include "connectors/mattermost/poster.hpp"

#include "connectors/chat/delivery_policy.hpp"
#include "connectors/mattermost/events.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <nlohmann/json.hpp>

namespace sessiondx::mattermost {

namespace net = boost::asio;
using json = nlohmann::json;

poster::poster(poster_settings settings)
    : chat::retrying_poster({settings.max_attempts, settings.max_retry_after}),
      settings_(std::move(settings)),
      http_(std::make_unique<chat::https_client>(settings_.http)) {}

poster::~poster() = default;

net::awaitable<std::string> poster::post(std::string channel, bot::report_reply report,
                                         std::string thread_id) {
  std::string root = thread_id, first_id;
  for (const auto& part : split_reply(neutralize_mass_mentions(report.markdown),
                                      settings_.message_limit, settings_.max_posts)) {
    json message{{"channel_id", channel}, {"message", part}};
    if (!root.empty()) message["root_id"] = root;
    const std::string id = co_await deliver(channel, message);
    if (first_id.empty()) first_id = id;
    // The rest of a long report goes into the thread it starts (or the one it belongs to).
    if (root.empty()) root = first_id;
  }
  co_return first_id;
}

net::awaitable<chat::post_attempt> poster::attempt(std::string channel, json message) {
  (void)channel;  // in the body
  std::string url = settings_.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/api/v4/posts";
  const chat::header_list headers{{"Authorization", "Bearer " + settings_.token},
                                  {"Content-Type", "application/json"}};
  const std::string body = message.dump();
  const auto answer = co_await http_->post(url, headers, body);
  chat::post_attempt out;
  out.delivered = answer.status == 201 || answer.status == 200;
  if (out.delivered) {
    const auto j = json::parse(answer.body, nullptr, false);
    if (j.is_object() && j.contains("id") && j["id"].is_string())
      out.id = j["id"].get<std::string>();
  }
  out.rate_limited = answer.status == 429;
  out.retry_after = chat::parse_retry_after(answer.retry_after);
  out.failure = "mattermost: POST /api/v4/posts answered HTTP " + std::to_string(answer.status) +
                ": " + answer.body.substr(0, 300);
  co_return out;
}

}  // namespace sessiondx::mattermost

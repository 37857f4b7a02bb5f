#include "connectors/slack/web_api.hpp"

#include "connectors/chat/delivery_policy.hpp"
#include "connectors/chat/url.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <array>

namespace sessiondx::slack {

namespace net = boost::asio;
using json = nlohmann::json;

bool is_fatal_auth_error(std::string_view error) {
  static constexpr std::array<std::string_view, 12> fatal{"invalid_auth",
                                                          "not_authed",
                                                          "account_inactive",
                                                          "token_revoked",
                                                          "token_expired",
                                                          "no_permission",
                                                          "missing_scope",
                                                          "forbidden_team",
                                                          "not_allowed_token_type",
                                                          "invalid_token",
                                                          "team_access_not_granted",
                                                          "app_missing_action_url"};
  for (auto f : fatal)
    if (f == error) return true;
  return false;
}

api_error::api_error(std::string method, std::string error,
                     std::optional<std::chrono::seconds> retry_after)
    : std::runtime_error(method + ": " + error),
      method_(std::move(method)),
      error_(std::move(error)),
      retry_after_(retry_after) {}

struct web_api::state {
  std::string api_url, app_token, bot_token;
  chat::https_client http;
  state(std::string url, std::string app, std::string bot, chat::http_settings s)
      : api_url(std::move(url)),
        app_token(std::move(app)),
        bot_token(std::move(bot)),
        http(std::move(s)) {}
};

namespace {

api_answer to_answer(chat::http_response res) {
  api_answer a;
  a.status = res.status;
  a.retry_after = chat::parse_retry_after(res.retry_after);
  a.body = json::parse(res.body, nullptr, false);
  if (a.body.is_object()) {
    a.ok = a.body.value("ok", false);
    if (auto it = a.body.find("error"); it != a.body.end() && it->is_string()) a.error = *it;
  } else {
    // response_url answers "ok" as plain text on success.
    a.ok = res.status == 200 && res.body == "ok";
    a.body = json();
  }
  if (a.status == 429 && a.error.empty()) a.error = "ratelimited";
  return a;
}

net::awaitable<std::string> open_connection_with(std::shared_ptr<web_api::state> st) {
  // Built before the co_await: GCC 12 miscompiles braced temporaries inside one.
  chat::header_list headers;
  headers.emplace_back("Authorization", "Bearer " + st->app_token);
  headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  std::string url_text = chat::join_url(st->api_url, "apps.connections.open");
  std::string no_body;
  auto res = co_await st->http.post(std::move(url_text), std::move(headers), std::move(no_body));
  auto a = to_answer(std::move(res));
  if (!a.ok || a.status != 200) {
    std::string error = a.error.empty() ? "HTTP " + std::to_string(a.status) : a.error;
    throw api_error("apps.connections.open", error, a.retry_after);
  }
  auto url = a.body.find("url");
  if (url == a.body.end() || !url->is_string())
    throw api_error("apps.connections.open", "answer without url", std::nullopt);
  co_return url->get<std::string>();
}

net::awaitable<api_answer> post_json(std::shared_ptr<web_api::state> st, std::string url,
                                     std::string token, json body) {
  chat::header_list headers;
  headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  std::string text = body.dump();
  auto res = co_await st->http.post(std::move(url), std::move(headers), std::move(text));
  co_return to_answer(std::move(res));
}

}  // namespace

web_api::web_api(std::string api_url, std::string app_token, std::string bot_token,
                 chat::http_settings http)
    : state_(std::make_shared<state>(std::move(api_url), std::move(app_token), std::move(bot_token),
                                     std::move(http))) {}

net::awaitable<std::string> web_api::open_connection() { return open_connection_with(state_); }

net::awaitable<api_answer> web_api::call(std::string method, json body) {
  return post_json(state_, chat::join_url(state_->api_url, method), state_->bot_token,
                   std::move(body));
}

net::awaitable<api_answer> web_api::respond(std::string response_url, json body) {
  return post_json(state_, std::move(response_url), "", std::move(body));
}

void web_api::close_idle() { state_->http.close_idle(); }

}  // namespace sessiondx::slack

#pragma once

// The few Slack Web API methods the connector calls: apps.connections.open (app token) and
// chat.postMessage / chat.postEphemeral (bot token), over chat::https_client. Slack answers
// errors with HTTP 200 and {"ok":false,"error":"…"}; only rate limits are HTTP 429.

#include "connectors/chat/https_client.hpp"

#include <boost/asio/awaitable.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sessiondx::slack {

/// Errors after which retrying with the same token cannot help: stop, do not reconnect.
bool is_fatal_auth_error(std::string_view error);

/// An {"ok":false} answer (or a 429), by Slack's error name.
class api_error : public std::runtime_error {
 public:
  api_error(std::string method, std::string error, std::optional<std::chrono::seconds> retry_after);
  const std::string& method() const { return method_; }
  const std::string& error() const { return error_; }  ///< "invalid_auth", "ratelimited", …
  bool fatal() const { return is_fatal_auth_error(error_); }
  std::optional<std::chrono::seconds> retry_after() const { return retry_after_; }

 private:
  std::string method_, error_;
  std::optional<std::chrono::seconds> retry_after_;
};

struct api_answer {
  unsigned status = 0;  ///< HTTP status
  std::optional<std::chrono::seconds> retry_after;
  bool ok = false;
  std::string error;  ///< Slack's error name when !ok ("" when the body was not Slack's JSON)
  nlohmann::json body;
};

/// @par Thread safety
/// Call from coroutines on one executor (the connector's strand).
class web_api {
 public:
  web_api(std::string api_url, std::string app_token, std::string bot_token,
          chat::http_settings http);

  /// apps.connections.open: a fresh, single-use wss URL. Throws api_error (see fatal()) or
  /// boost::system::system_error (network).
  boost::asio::awaitable<std::string> open_connection();

  /// POSTs `body` as JSON to `method` with the bot token. Throws only for network errors.
  boost::asio::awaitable<api_answer> call(std::string method, nlohmann::json body);

  /// POSTs `body` as JSON to a response_url (no token: the URL is the credential).
  boost::asio::awaitable<api_answer> respond(std::string response_url, nlohmann::json body);

  void close_idle();

  struct state;

 private:
  std::shared_ptr<state> state_;
};

}  // namespace sessiondx::slack

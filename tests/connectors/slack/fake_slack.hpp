#pragma once

// A fake Slack for tests, faithful to the documented protocol (shared/reference chat-protocols,
// Slack section): Web API methods over plain HTTP and Socket Mode over plain ws, both on
// 127.0.0.1 at an ephemeral port. apps.connections.open hands out single-use tickets; each
// socket starts with `hello`; acks and API calls are recorded for the test to wait on.

#include "tests/support/fake_records.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace sessiondx::test {

/// A Web API call (api_method "chat.postMessage", …, or "response_url").
using api_call = recorded_request;
using socket_frame = received_frame;

class fake_slack {
 public:
  using ms = std::chrono::milliseconds;

  fake_slack();  ///< listening and serving on its own thread once constructed
  ~fake_slack();
  fake_slack(const fake_slack&) = delete;
  fake_slack& operator=(const fake_slack&) = delete;

  std::string api_url() const;       ///< "http://127.0.0.1:PORT/api/"
  std::string response_url() const;  ///< a response_url for slash command payloads

  // ---- behaviour ----
  /// apps.connections.open answers {"ok":false,"error":error}; "" restores success.
  void fail_connections_open(std::string error);
  /// The next `count` chat.* calls answer HTTP 429 with Retry-After: `retry_after_s`.
  void rate_limit_posts(int count, int retry_after_s);
  /// chat.postMessage answers {"ok":false,"error":error}; "" restores success.
  void fail_post_message(std::string error);
  /// Whether a new socket gets `hello` (default true).
  void send_hello(bool yes);

  // ---- the websocket side ----
  void send(int socket, const nlohmann::json& frame);
  void send_text(int socket, std::string text);
  /// Closes the TCP connection at once: no close frame.
  void drop(int socket);

  // ---- waiting (false on timeout) ----
  bool wait_for_sockets(int n, ms timeout = ms(5000));  ///< n sockets have been sent hello
  bool wait_for_ack(const std::string& envelope_id, ms timeout = ms(5000));
  /// n chat.postMessage/chat.postEphemeral calls answered with ok:true.
  bool wait_for_posts(std::size_t n, ms timeout = ms(5000));
  bool wait_for_calls(const std::string& method, std::size_t n, ms timeout = ms(5000));
  bool wait_closed(int socket, ms timeout = ms(5000));

  // ---- records ----
  std::vector<api_call> calls(const std::string& method = "") const;
  std::vector<api_call> posts() const;  ///< successful chat.postMessage / chat.postEphemeral
  std::vector<socket_frame> frames(int socket = -1) const;
  /// When the ack of `envelope_id` arrived, and when its envelope was sent.
  ms ack_delay(const std::string& envelope_id) const;
  int sockets() const;
  int bad_tickets() const;                  ///< websocket upgrades with an unknown or reused ticket
  bool closed_by_client(int socket) const;  ///< the client sent a close frame

  struct state;

 private:
  std::shared_ptr<state> state_;
};

// ---- payloads shaped as Slack documents them ----
namespace slack_frames {
nlohmann::json slash_command(const std::string& envelope_id, const std::string& command,
                             const std::string& text, const std::string& channel,
                             const std::string& user, const std::string& response_url);
nlohmann::json app_mention(const std::string& envelope_id, const std::string& event_id,
                           const std::string& text, const std::string& channel,
                           const std::string& user, const std::string& thread_ts = "",
                           int retry_attempt = 0);
nlohmann::json direct_message(const std::string& envelope_id, const std::string& event_id,
                              const std::string& text, const std::string& user,
                              bool from_bot = false);
nlohmann::json share_click(const std::string& envelope_id, const std::string& value,
                           const std::string& channel, const std::string& user);
nlohmann::json disconnect(const std::string& reason);
inline constexpr const char* bot_user = "UBOT0001";
}  // namespace slack_frames

}  // namespace sessiondx::test

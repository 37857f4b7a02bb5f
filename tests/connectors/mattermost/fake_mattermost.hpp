#pragma once

// A fake Mattermost for tests, faithful to the documented protocol (shared/reference
// chat-protocols, Mattermost section): REST (users/me, posts, channel posts since) over plain
// HTTP and the websocket over plain ws on 127.0.0.1. The websocket wants the Authorization
// header on the upgrade, says hello with a connection_id (seq 0), numbers events per
// connection, and on a reconnect with connection_id and sequence_number replays from that
// sequence without hello — or, when the connection is forgotten, says a new hello. Posts the
// bot creates come back to it as `posted` events, as on a real server.

#include "tests/support/fake_records.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace sessiondx::test {

/// A REST call: method "POST", target "/api/v4/posts" (with the query).
using mm_call = recorded_request;

class fake_mattermost {
 public:
  using ms = std::chrono::milliseconds;
  static constexpr const char* token = "mm-bot-token-0123456789";
  static constexpr const char* bot_id = "botuserid0000000000000000a";
  static constexpr const char* bot_name = "sessiondx";

  fake_mattermost();
  ~fake_mattermost();
  fake_mattermost(const fake_mattermost&) = delete;
  fake_mattermost& operator=(const fake_mattermost&) = delete;

  std::string url() const;  ///< "http://127.0.0.1:PORT"

  /// A user writes `message` in `channel` (type O, P, D or G); returns the post id.
  std::string user_posts(const std::string& message, const std::string& channel = "chan1",
                         const std::string& channel_type = "O", const std::string& root_id = "");
  /// While true, events are numbered and queued for replay but not sent (a dead link).
  void hold_events(bool yes);
  void drop_socket();  ///< closes the newest socket's TCP connection at once
  /// Forgets every connection: the next reconnect gets a new hello (events lost).
  void forget_connections();
  /// The next `count` POST /posts answer 429 "limit exceeded" with Retry-After: `seconds`.
  void rate_limit_posts(int count, int seconds);
  void send_raw(std::string text);

  bool wait_for_hellos(int n, ms timeout = ms(5000));
  bool wait_for_sockets(int n, ms timeout = ms(5000));
  bool wait_for_replies(std::size_t n, ms timeout = ms(5000));  ///< n posts created by the bot

  std::vector<mm_call> calls(const std::string& target_part = "") const;
  std::vector<mm_call> replies() const;  ///< successful POST /api/v4/posts
  std::vector<std::string> upgrade_targets() const;
  std::vector<std::string> upgrade_authorizations() const;
  int hellos() const;

  struct state;

 private:
  std::shared_ptr<state> state_;
};

}  // namespace sessiondx::test

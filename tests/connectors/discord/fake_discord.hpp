#pragma once

// A fake Discord for tests, faithful to the documented protocol (shared/reference
// chat-protocols, Discord section): the REST routes the connector uses over plain HTTP and the
// Gateway over plain ws, both on 127.0.0.1 at an ephemeral port. The gateway says Hello, ACKs
// heartbeats, answers Identify with READY and Resume with a replay and RESUMED (or op 9), and
// numbers dispatches per session. REST checks the User-Agent, the bot token where Discord
// wants it, the interaction token state (one callback, then edits) and the embed limits, and
// serves Create Message (POST /channels/{id}/messages, with replies by message_reference) with
// its per-route X-RateLimit-* headers.

#include "tests/support/fake_records.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sessiondx::test {

/// A REST call: method "PATCH", path "/api/v10/webhooks/333/tok/messages/@original" (no query).
using discord_call = recorded_request;

struct gateway_frame {
  int socket = 0;  ///< in accept order from 0
  nlohmann::json payload;
};

class fake_discord {
 public:
  using ms = std::chrono::milliseconds;
  static constexpr const char* token = "MTE.fake.bot-token";
  static constexpr const char* application_id = "333";

  fake_discord();
  ~fake_discord();
  fake_discord(const fake_discord&) = delete;
  fake_discord& operator=(const fake_discord&) = delete;

  std::string api_url() const;  ///< "http://127.0.0.1:PORT/api/v10"

  // ---- behaviour ----
  void set_heartbeat_interval(int ms);
  /// Whether heartbeats get op 11 (default true). false makes a zombie link.
  void ack_heartbeats(bool yes);
  /// While true, dispatches are numbered and kept for replay but not sent (a dead link).
  void hold_dispatches(bool yes);
  /// The next `count` webhook calls (edit original, follow-up) answer 429 with `retry_after_s`.
  void rate_limit_webhooks(int count, double retry_after_s);
  /// The next `count` Create Message calls answer 429 with `retry_after_s`.
  void rate_limit_channel_messages(int count, double retry_after_s);

  // ---- the gateway ----
  /// Sends an INTERACTION_CREATE (a /session command) on the current session; returns its id.
  std::string send_command(const std::string& session_id, const std::string& view = "",
                           const std::string& channel = "645027906669510667");
  /// An INTERACTION_CREATE with `d` as given (numbered like any dispatch).
  void send_dispatch(const std::string& t, const nlohmann::json& d);
  void send_raw(std::string text);  ///< on the newest socket
  /// Closes the newest socket with `code` (a close frame).
  void close_socket(std::uint16_t code);
  /// Forgets every session and sends op 9 d=false on the newest socket.
  void invalidate_session();
  void send_reconnect();  ///< op 7
  /// Forgets every session without telling the client: its next Resume gets op 9 d=false.
  void forget_sessions();

  // ---- waiting (false on timeout) ----
  bool wait_for_ready(int n, ms timeout = ms(5000));          ///< n READY sent
  bool wait_for_resumed(int n, ms timeout = ms(5000));        ///< n RESUMED sent
  bool wait_for_edits(std::size_t n, ms timeout = ms(5000));  ///< n successful PATCH @original
  bool wait_for_calls(const std::string& method, const std::string& path_part, std::size_t n,
                      ms timeout = ms(5000));
  bool wait_for_frames(int op, std::size_t n, ms timeout = ms(5000));
  bool wait_closed(int socket, ms timeout = ms(5000));

  // ---- records ----
  std::vector<discord_call> calls(const std::string& path_part = "") const;
  std::vector<discord_call> edits() const;  ///< successful PATCH @original and follow-ups
  std::vector<discord_call> channel_messages() const;    ///< POST /channels/{id}/messages, all
  std::vector<gateway_frame> frames(int op = -1) const;  ///< received from the client
  int sockets() const;
  int identifies() const;
  int resumes() const;
  std::uint16_t client_close_code(int socket) const;  ///< 0 when the client sent none

  struct state;

 private:
  std::shared_ptr<state> state_;
};

}  // namespace sessiondx::test

#pragma once

// The Discord Gateway session as a pure state machine: payloads, heartbeat ticks and socket
// closes go in, actions come out (send a payload, arm the heartbeat, close the socket, hand a
// dispatch to the connector). No I/O, no clock reads: `now` is an input, randomness injected.
//
// Hello -> heartbeat (first after interval x jitter, then every interval; no ACK by the next
// beat = zombie: close with a non-1000 code and resume) -> Identify or Resume -> READY/RESUMED.
// Resume after op 7, a resumable close, a lost link, or op 9 d=true; a fresh Identify only when
// resuming is impossible (no session, op 9 d=false, 4007, 4009); 4004 and 4010-4014 are fatal.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sessiondx::discord {

/// GUILDS: INTERACTION_CREATE belongs to no intent and is always delivered; no privileged intent.
inline constexpr int default_intents = 1;
/// Our own closes that keep the session resumable (anything but 1000/1001).
inline constexpr std::uint16_t resumable_close = 4000;

struct gateway_action {
  enum class kind {
    send,             ///< send `payload` (a JSON text frame)
    heartbeat_timer,  ///< (re)arm the heartbeat timer to fire after `delay`
    close,            ///< close the socket with `close_code`
    dispatch,         ///< an op 0 event for the connector: `event`, `payload` = d
    connected,        ///< READY or RESUMED: the session is usable
  };
  kind what = kind::send;
  std::string payload;
  std::chrono::milliseconds delay{0};
  std::uint16_t close_code = 0;
  std::string event;
  nlohmann::json data;
};

/// What to do once the socket has ended.
struct gateway_next {
  enum class kind { resume, identify, stop };
  kind what = kind::identify;
  /// At least this long before the next connection (identify rate, op 9's wait).
  std::chrono::milliseconds min_delay{0};
  std::string url;      ///< where to connect (resume_gateway_url or the /gateway/bot URL)
  std::string message;  ///< for stop: the cause, for the operator
};

/// Whether a close code is fatal, and why (empty when not fatal).
std::string fatal_close_reason(std::uint16_t code);

struct gateway_settings {
  std::string token;
  int intents = default_intents;
  std::string os = "linux", browser = "sessiondx", device = "sessiondx";
  std::chrono::milliseconds invalid_session_min{1'000}, invalid_session_max{5'000};
  std::chrono::milliseconds identify_window{5'000};
  int max_concurrency = 1;  ///< from /gateway/bot session_start_limit
};

/// @par Thread safety
/// Not thread-safe; use from the connector's strand.
class gateway_session {
 public:
  using clock = std::chrono::steady_clock;

  /// `random01` returns a number in [0, 1] (heartbeat and op 9 jitter).
  gateway_session(gateway_settings settings, std::function<double()> random01);

  /// The /gateway/bot URL, used for fresh identifies ("wss://gateway.discord.gg").
  void set_gateway_url(std::string url) { gateway_url_ = std::move(url); }
  void set_max_concurrency(int n) { settings_.max_concurrency = n < 1 ? 1 : n; }

  /// Where the next connection goes and how it starts; the first call gives identify.
  gateway_next next_connection() const;

  /// A new socket is open (nothing sent yet).
  void opened();

  /// One text frame from the gateway. Malformed or unknown payloads give no action.
  std::vector<gateway_action> on_frame(const std::string& text, clock::time_point now);

  /// The heartbeat timer fired.
  std::vector<gateway_action> on_heartbeat_due();

  /// The socket ended: `peer_code` is the code of Discord's close frame (0 for none, a lost
  /// link). Returns what to do next; stop after a fatal code.
  gateway_next on_closed(std::uint16_t peer_code, clock::time_point now);

  const std::string& session_id() const { return session_id_; }
  const std::string& application_id() const { return application_id_; }
  const std::string& bot_user_id() const { return bot_user_id_; }
  std::optional<std::int64_t> sequence() const { return seq_; }
  bool ready() const { return ready_; }
  int identifies() const { return identifies_; }

  /// Builds a full URL with ?v=10&encoding=json from a base gateway URL.
  static std::string connect_url(const std::string& base);

 private:
  std::string heartbeat_payload() const;
  std::string identify_payload() const;
  std::string resume_payload() const;
  void forget_session();

  gateway_settings settings_;
  std::function<double()> random01_;
  std::string gateway_url_;
  std::string session_id_, resume_url_, application_id_, bot_user_id_;
  std::optional<std::int64_t> seq_;
  std::chrono::milliseconds interval_{0};
  bool awaiting_ack_ = false;
  bool hello_seen_ = false;
  bool ready_ = false;
  bool resuming_ = false;  ///< this socket sent Resume, not Identify
  int identifies_ = 0;
  std::optional<clock::time_point> last_identify_;
  /// Decided while the socket was still open (op 7, op 9, zombie); applied at on_closed.
  std::optional<gateway_next> decided_;
};

}  // namespace sessiondx::discord

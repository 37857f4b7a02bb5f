#pragma once

// Slack Socket Mode frames (hello, disconnect, envelopes) and the commands inside envelopes
// (slash commands, app mentions, direct messages, the "Share in channel" button). Pure: JSON in,
// values out; unknown fields and types are ignored, malformed input is reported, never thrown.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace sessiondx::slack {

struct hello_frame {
  int num_connections = 0;
  std::int64_t approximate_connection_time_s = 0;  ///< 0 when absent
};

/// reason: "warning", "refresh_requested", "link_disabled", "too_many_websockets", …
struct disconnect_frame {
  std::string reason;
};

/// {envelope_id, type, payload, accepts_response_payload, retry_attempt, retry_reason}
struct envelope_frame {
  std::string envelope_id;
  std::string type;  ///< "slash_commands", "events_api", "interactive", or something new
  nlohmann::json payload;
  bool accepts_response_payload = false;
  int retry_attempt = 0;
  std::string retry_reason;
};

/// A frame with a type this connector does not know and no envelope_id (nothing to ack).
struct unknown_frame {
  std::string type;
};

struct malformed_frame {
  std::string error;  ///< what is wrong, for the log
};

using frame =
    std::variant<hello_frame, disconnect_frame, envelope_frame, unknown_frame, malformed_frame>;

frame parse_frame(std::string_view text);

/// The acknowledgement Slack expects within 3 s: {"envelope_id":"…"}.
std::string ack_frame(const std::string& envelope_id);

// ---- commands carried by envelopes ----

enum class command_origin { slash_command, mention, direct_message, share_button };

struct incoming_command {
  command_origin origin = command_origin::slash_command;
  std::string user;          ///< U… of the person who asked
  std::string channel;       ///< where the reply goes (C…, G…, D…)
  std::string text;          ///< for bot::command_input: "/session abc full", "<@U1> session abc"
  std::string thread_ts;     ///< reply in this thread, "" for the channel itself
  std::string event_id;      ///< events_api event_id, for de-duplication; "" otherwise
  std::string response_url;  ///< slash commands: where to answer when the bot cannot post
};

/// Why an envelope carries nothing to answer (a bot's message, an edit, another button…).
struct ignored_envelope {
  std::string reason;
};

/// The action_id of the button an ephemeral reply carries.
inline constexpr std::string_view share_action_id = "share_in_channel";

/// Reads the command in a slash_commands, events_api or interactive envelope. Events from bots
/// (bot_id, subtype bot_message) and from this app's own bot user (authorizations) are ignored,
/// as are message subtypes (edits, joins) and messages outside direct conversations.
std::variant<incoming_command, ignored_envelope> command_from_envelope(const envelope_frame& e);

/// The value stored in the share button: enough to post the reply again for the channel.
std::string share_button_value(const incoming_command& c);

}  // namespace sessiondx::slack

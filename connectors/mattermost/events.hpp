#pragma once

// Mattermost websocket events and the reply text, pure: frames parsed (with the nested JSON
// string of `posted`), the sequence kept for a reliable reconnect, which posts are commands,
// and replies neutralised and split within the message limit. No I/O.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sessiondx::mattermost {

struct post {
  std::string id, user_id, channel_id, root_id, message;
  std::int64_t create_at = 0;
  bool from_bot = false;  ///< props.from_bot
};

struct hello_event {
  std::string connection_id;
};
struct posted_event {
  std::int64_t seq = 0;
  mattermost::post post;
  std::string channel_type;           ///< O, P, D, G
  std::vector<std::string> mentions;  ///< user ids (data.mentions, itself a JSON string)
};
struct other_event {
  std::int64_t seq = 0;
  std::string event;
};
struct action_reply {  ///< {"status":"OK","seq_reply":n}
  std::int64_t seq_reply = 0;
  std::string status;
};
struct malformed_event {
  std::string error;
};
using event = std::variant<hello_event, posted_event, other_event, action_reply, malformed_event>;

event parse_event(const std::string& text);
/// A post object (REST answers, or the inner JSON of `posted`).
std::optional<post> parse_post(const nlohmann::json& j);

/// The event sequence of one connection, for reconnecting with connection_id and
/// sequence_number = last received + 1 (sending the last one would replay it: a doubled answer).
class sequence_tracker {
 public:
  enum class verdict { fresh, duplicate, gap };

  /// A hello: a new connection (seq restarts at 0). Returns true when events may have been lost
  /// (we had a connection before and the server did not resume it): catch up over REST.
  bool on_hello(const std::string& connection_id);
  /// An event with `seq`. fresh: handle it; duplicate: already handled; gap: events missing,
  /// reconnect (the server replays from next()).
  verdict on_event(std::int64_t seq);

  const std::string& connection_id() const { return connection_id_; }
  std::int64_t next() const { return next_; }
  /// The websocket target to reconnect to: "/api/v4/websocket?connection_id=…&sequence_number=…"
  /// once a connection is known, else "/api/v4/websocket".
  std::string target() const;

 private:
  std::string connection_id_;
  std::int64_t next_ = 0;
};

/// The command text for bot::parse_command when `p` is addressed to the bot: it starts with
/// `prefix` ("!session abc"), mentions the bot ("@sessiondx session abc"), or is in a direct
/// message. nullopt otherwise, and always for the bot's own posts.
std::optional<std::string> command_text(const posted_event& e, const std::string& bot_user_id,
                                        const std::string& bot_username, const std::string& prefix);

/// Breaks @here, @channel and @all (no post property suppresses them in Mattermost) with a
/// zero-width space, in text we send.
std::string neutralize_mass_mentions(std::string text);

/// `markdown` as at most `max_posts` messages of at most `limit` characters each; when more
/// would be needed the last one is cut on a line boundary with a note saying so.
std::vector<std::string> split_reply(const std::string& markdown, std::size_t limit,
                                     std::size_t max_posts);

/// The thread root to reply under: the post's root when it is itself a reply, else the post.
std::string reply_root(const post& p);

}  // namespace sessiondx::mattermost

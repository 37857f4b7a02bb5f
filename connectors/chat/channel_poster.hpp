#pragma once

// Posting to a channel on our own initiative (scheduled digests, incident alerts), as opposed to
// answering a command: one small implementation per platform (connectors/slack/poster.hpp,
// connectors/discord/poster.hpp, connectors/mattermost/poster.hpp), each speaking that
// platform's REST API and rendering the report in its native form.

#include "bot/commands.hpp"

#include <boost/asio/awaitable.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace sessiondx::chat {

/// A post the platform refused or that could not be made after its retries.
class post_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// @par Thread safety
/// Call from coroutines on one executor (a strand); one post at a time per poster.
class channel_poster {
 public:
  virtual ~channel_poster() = default;

  /// "slack", "discord", "mattermost": the key under which threads are remembered.
  virtual std::string_view platform() const = 0;

  /// Posts `report` to `channel` (the platform's channel id), as a reply in the thread of
  /// `thread_id` when it is not empty (the id a previous post() returned). Returns the id of the
  /// (first) message posted, to thread later posts under. Waits out rate limits within its
  /// bound; throws post_error (what the platform said) or boost::system::system_error (network).
  virtual boost::asio::awaitable<std::string> post(std::string channel, bot::report_reply report,
                                                   std::string thread_id) = 0;
};

}  // namespace sessiondx::chat

#pragma once

// Digests, /top answers and incident alerts as Slack messages: mrkdwn sections within Block Kit's
// limits (3,000 characters per section, 50 blocks per message).

#include "bot/commands.hpp"
#include "connectors/slack/blocks.hpp"

#include <string>

namespace sessiondx::slack {

/// `mrkdwn` (already escaped by bot/digest_text) cut into sections at line breaks; `fallback`
/// is the notification text.
slack_message mrkdwn_message(const std::string& fallback, const std::string& mrkdwn);

slack_message report_message(const bot::report_reply& r);

}  // namespace sessiondx::slack

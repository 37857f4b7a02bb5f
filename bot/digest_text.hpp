#pragma once

// Digests, /top and incident alerts as text, Markdown and Slack mrkdwn. Kept apart from
// bot/render/ (the reply document) so that they can move onto it later. Pure.

#include "bot/commands.hpp"
#include "bot/digest.hpp"
#include "bot/incident.hpp"

#include <string>

namespace sessiondx::bot {

enum class text_flavor { plain, markdown, mrkdwn };

/// "Digest — last 24 h (Tue 1 Dec 09:00 UTC)".
std::string digest_title(const digest& d);
std::string render_digest(const digest& d, text_flavor flavor);
std::string render_digest_json(const digest& d);
std::string render_top(const std::vector<problem_line>& top, std::int64_t window_ms,
                       text_flavor flavor);
std::string render_alert(const alert_action& a, text_flavor flavor);

/// A digest as a report for a channel (every flavor filled); `note` ("Late: …") comes first.
report_reply digest_report(const digest& d, std::string_view note = "");
/// An alert as a report for a channel: the title names the kind, the problem and the count.
report_reply alert_report(const alert_action& a);

/// "24 h", "7 d", "15 min".
std::string window_name(std::int64_t window_ms);

}  // namespace sessiondx::bot

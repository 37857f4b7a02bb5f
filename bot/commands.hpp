#pragma once

// The chat command layer, independent of any platform: text in, a structured reply out.
// Connectors strip their own framing (slash-command envelope, bot mention) and render the reply.

#include "bot/diagnoser.hpp"
#include "bot/diagnosis.hpp"
#include "bot/session_id.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sessiondx::bot {

/// One message addressed to the bot. `text` is what follows the bot mention, or the whole
/// slash-command line ("/session abc" or, as Slack delivers it, "abc" with command "/session"
/// prepended by the connector).
struct command_input {
  std::string user, channel, text;
  /// Who asked comes from the connector: `user` and `channel` in the platform's ids, and the
  /// platform's name ("slack", "shell", "cli"...), for the lookup log.
  std::string platform = {};  ///< defaulted: {user, channel, text} still initialises the rest
  /// The user's roles or groups in the platform's ids where the platform sends them with the
  /// command (Discord: member.roles), for the access allow lists.
  std::vector<std::string> roles = {};
};

/// How much of a diagnosis to show.
enum class view { summary, timeline, full };
std::string_view to_string(view v);

// ---- parsed commands ----

struct session_command {
  std::string session_id;  ///< cleaned and validated
  bot::view view = view::summary;
};
struct help_command {};
/// "/digest [24h|7d]": a summary of the window for team leads.
struct digest_command {
  std::int64_t window_ms = 24 * 3'600'000LL;
};
/// "/top [1h|24h]": the top problems right now.
struct top_command {
  std::int64_t window_ms = 3'600'000LL;
};
/// Input that is not a valid command; `message` says why (the usage is shown with it).
struct invalid_command {
  std::string message;
};
using command =
    std::variant<session_command, help_command, invalid_command, digest_command, top_command>;

/// "1h", "24h", "7d", "30m" as milliseconds; nullopt for anything else (or beyond 31 days).
std::optional<std::int64_t> parse_window(std::string_view text);

/// Pure parser. Accepts "/session <id> [timeline|full|summary]", "session <id> …", "!session …",
/// "/help", "help", "/session help"; command words and views are case-insensitive, the id keeps
/// its case. A leftover leading mention ("@bot", "<@U123>") is skipped. Empty text is help.
command parse_command(std::string_view text, const session_id_format& format = session_id_format());

// ---- replies ----

struct diagnosis_reply {
  bot::diagnosis diagnosis;
  bot::view view = view::summary;
};
struct unknown_session_reply {
  std::string session_id;
  std::vector<std::string> similar;
  int retention_days = 0;
};
struct help_reply {};
struct error_reply {
  std::string message;      ///< one or two sentences; may quote user text (renderers neutralise)
  bool with_usage = false;  ///< renderers append the command usage
};
/// A digest or a /top answer, already rendered by bot/digest_text because the reply document
/// (bot/render) has no such kind yet: connectors print `text`, or post `markdown` (CommonMark:
/// Discord, Mattermost) or `mrkdwn` (Slack). Connectors handle it before bot::render, which does
/// not know it.
struct report_reply {
  std::string title;
  std::string text;
  std::string markdown;
  std::string mrkdwn;
};
using reply =
    std::variant<diagnosis_reply, unknown_session_reply, help_reply, error_reply, report_reply>;

using diagnose_function = std::function<diagnose_result(const std::string& session_id)>;

/// One answered /session, handed to the lookup log (the caller adds the time).
struct answered_lookup {
  const command_input* input = nullptr;
  std::string session_id;
  std::string verdict;    ///< healthy|degraded|broken|unknown, or not_found
  std::string issue_key;  ///< the top finding's, "" when none
};
using lookup_observer = std::function<void(const answered_lookup&)>;

/// Produces the /digest and /top answers (reads the summary; production: bot/leads.hpp).
using report_function = std::function<report_reply(const command& cmd, const command_input&)>;

/// Access control (app/access_gate.hpp over bot/access_policy.hpp): asked before a /session,
/// /digest or /top runs; a reply refuses the command and nothing is read. Must not throw.
using access_check =
    std::function<std::optional<reply>(const command& cmd, const command_input& input)>;

/// Turns a command_input into a reply. Production passes
/// `[&d](const std::string& id) { return d.diagnose(id); }`; tests pass hand-built results.
class command_handler {
 public:
  explicit command_handler(diagnose_function diagnose,
                           session_id_format format = session_id_format());

  /// Blocks for as long as `diagnose` does (store reads): call it off I/O threads. Exceptions
  /// thrown by `diagnose` propagate; the caller maps them to a reply and logs them.
  reply handle(const command_input& input) const;

  const session_id_format& format() const { return format_; }

  /// Called after every /session answer (diagnosis or unknown session), on the thread of
  /// handle(); must not throw or block for long (the store queues the write).
  void on_lookup(lookup_observer observer) { on_lookup_ = std::move(observer); }

  /// Answers /digest and /top; without it they get an error reply.
  void on_report(report_function reports) { reports_ = std::move(reports); }

  /// Access control; without it every command is allowed.
  void on_access(access_check check) { access_ = std::move(check); }

 private:
  diagnose_function diagnose_;
  session_id_format format_;
  lookup_observer on_lookup_;
  report_function reports_;
  access_check access_;
};

}  // namespace sessiondx::bot

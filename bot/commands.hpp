#pragma once

// The chat command layer, independent of any platform: text in, a structured reply out.
// Connectors strip their own framing (slash-command envelope, bot mention) and render the reply.

#include "bot/diagnoser.hpp"
#include "bot/diagnosis.hpp"
#include "bot/session_id.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sessiondx::bot {

/// One message addressed to the bot. `text` is what follows the bot mention, or the whole
/// slash-command line ("/session abc" or, as Slack delivers it, "abc" with command "/session"
/// prepended by the connector).
struct command_input {
  std::string user, channel, text;
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
/// Input that is not a valid command; `message` says why (the usage is shown with it).
struct invalid_command {
  std::string message;
};
using command = std::variant<session_command, help_command, invalid_command>;

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
using reply = std::variant<diagnosis_reply, unknown_session_reply, help_reply, error_reply>;

using diagnose_function = std::function<diagnose_result(const std::string& session_id)>;

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

 private:
  diagnose_function diagnose_;
  session_id_format format_;
};

}  // namespace sessiondx::bot

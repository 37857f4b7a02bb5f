#pragma once

// The shell connector: a prompt on the terminal that takes the bot's commands (/session <id>,
// /help) and prints the plain-text reply. No chat account needed; the webhook runs beside it.

#include "bot/commands.hpp"

#include <functional>
#include <iosfwd>
#include <string>

namespace sessiondx::shell {

struct shell_settings {
  bool interactive = true;  ///< print the banner and a prompt (stdin is a terminal)
  std::string user = "shell";
  /// Extra commands of this connector, e.g. "/demo": name → action returning the text to print.
  std::vector<std::pair<std::string, std::function<std::string()>>> local_commands;
};

/// Reads commands line by line from `in` until end of input or /quit, answering each on `out`.
/// Blocking: run it on its own thread. Errors while diagnosing are reported on `out` and the
/// loop goes on. Returns normally at end of input.
void run_shell(std::istream& in, std::ostream& out, const bot::command_handler& handler,
               const shell_settings& settings);

/// Answers one line as the shell would (without the prompt). Exposed for tests.
std::string answer_line(const std::string& line, const bot::command_handler& handler,
                        const shell_settings& settings);

}  // namespace sessiondx::shell

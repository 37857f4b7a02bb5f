#include "connectors/shell/shell_connector.hpp"

#include "bot/render/render.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <istream>
#include <ostream>

namespace sessiondx::shell {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string answer_line(const std::string& line, const bot::command_handler& handler,
                        const shell_settings& settings) {
  const std::string_view text = trim(line);
  for (const auto& [name, action] : settings.local_commands)
    if (text == name) return action();
  try {
    auto reply = handler.handle({settings.user, "shell", std::string(text), "shell"});
    // Digests and /top come rendered (bot/digest_text); the reply document has no such kind.
    if (const auto* report = std::get_if<bot::report_reply>(&reply)) return report->text;
    bot::render::render_options render;
    render.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    return bot::render::render_text(reply, render);
  } catch (const std::exception& e) {
    spdlog::error("shell: diagnosing \"{}\" failed: {}", text, e.what());
    return "Sorry, the diagnosis failed: " + std::string(e.what()) + "\n";
  }
}

void run_shell(std::istream& in, std::ostream& out, const bot::command_handler& handler,
               const shell_settings& settings) {
  if (settings.interactive) {
    out << "sessiondx shell. Type /session <id> for a diagnosis, /help for the commands";
    for (const auto& [name, action] : settings.local_commands) out << ", " << name;
    out << ", /quit to stop.\n";
  }
  std::string line;
  for (;;) {
    if (settings.interactive) out << "sessiondx> " << std::flush;
    if (!std::getline(in, line)) break;
    const std::string_view text = trim(line);
    if (text.empty()) continue;
    if (text == "/quit" || text == "/exit" || text == "quit" || text == "exit") break;
    out << answer_line(line, handler, settings) << std::flush;
    if (settings.interactive) out << "\n";
  }
}

}  // namespace sessiondx::shell

// The Slack Socket Mode frame decoder: any text as a websocket frame (parse_frame), the command
// in an envelope (command_from_envelope) and the command text (parse_command). Checks: no crash,
// no exception; an envelope's ack is JSON naming the same envelope_id.
#include "bot/commands.hpp"
#include "connectors/slack/socket_mode_frames.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace sessiondx;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto frame = slack::parse_frame(text);
  const auto* envelope = std::get_if<slack::envelope_frame>(&frame);
  if (envelope == nullptr) return 0;
  const auto ack = nlohmann::json::parse(slack::ack_frame(envelope->envelope_id), nullptr, false);
  if (!ack.is_object() || ack.value("envelope_id", std::string("\x01")) != envelope->envelope_id)
    std::abort();
  const auto command = slack::command_from_envelope(*envelope);
  if (const auto* c = std::get_if<slack::incoming_command>(&command))
    (void)bot::parse_command(c->text);
  return 0;
}

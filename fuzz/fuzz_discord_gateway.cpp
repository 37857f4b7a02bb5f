// The Discord Gateway frame decoder: the input is a sequence of text frames separated by NUL
// bytes, fed to one gateway_session (on_frame, with heartbeats and a close in between); every
// INTERACTION_CREATE dispatch goes through parse_interaction and parse_command. Checks: no crash,
// no exception, and the state machine's invariants (a send carries JSON; a close a code).
#include "bot/commands.hpp"
#include "connectors/discord/gateway.hpp"
#include "connectors/discord/messages.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace sessiondx;

namespace {

void check(const std::vector<discord::gateway_action>& actions) {
  for (const auto& a : actions) {
    switch (a.what) {
      case discord::gateway_action::kind::send:
        if (nlohmann::json::parse(a.payload, nullptr, false).is_discarded()) std::abort();
        break;
      case discord::gateway_action::kind::close:
        if (a.close_code == 0) std::abort();
        break;
      case discord::gateway_action::kind::dispatch:
        if (a.event == "INTERACTION_CREATE") {
          const auto parsed = discord::parse_interaction(a.data);
          if (const auto* it = std::get_if<discord::interaction>(&parsed))
            (void)bot::parse_command(it->text);
        }
        break;
      default:
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  discord::gateway_settings settings;
  settings.token = "fuzz-token";
  discord::gateway_session session(settings, [] { return 0.5; });
  session.set_gateway_url("wss://gateway.discord.gg");
  (void)session.next_connection();
  session.opened();
  auto now = discord::gateway_session::clock::time_point{} + std::chrono::hours(1);
  int frames = 0;
  while (!in.empty() && frames++ < 64) {
    const auto nul = in.find('\0');
    const std::string frame(in.substr(0, nul));
    in = nul == std::string_view::npos ? std::string_view{} : in.substr(nul + 1);
    now += std::chrono::milliseconds(500);
    check(session.on_frame(frame, now));
    if (frames % 3 == 0) check(session.on_heartbeat_due());
    if (frame.size() == 2) {  // a two-byte frame stands for a close with that code
      const auto code = static_cast<std::uint16_t>((static_cast<unsigned char>(frame[0]) << 8) |
                                                   static_cast<unsigned char>(frame[1]));
      if (session.on_closed(code, now).what == discord::gateway_next::kind::stop) return 0;
      session.opened();
    }
  }
  return 0;
}

// The Mattermost websocket event decoder: the input is a sequence of text frames separated by
// newlines, each through parse_event (with the nested JSON of `posted`), the sequence tracker and
// command_text / parse_command. Checks: no crash, no exception; the tracker's next sequence never
// goes backwards within a connection.
#include "bot/commands.hpp"
#include "connectors/mattermost/events.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace sessiondx;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mattermost::sequence_tracker tracker;
  int frames = 0;
  while (!in.empty() && frames++ < 64) {
    const auto nl = in.find('\n');
    const std::string frame(in.substr(0, nl));
    in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
    const auto event = mattermost::parse_event(frame);
    if (const auto* hello = std::get_if<mattermost::hello_event>(&event)) {
      (void)tracker.on_hello(hello->connection_id);
      (void)tracker.target();
    } else if (const auto* posted = std::get_if<mattermost::posted_event>(&event)) {
      const auto before = tracker.next();
      if (tracker.on_event(posted->seq) == mattermost::sequence_tracker::verdict::fresh &&
          tracker.next() < before)
        std::abort();
      if (const auto text = mattermost::command_text(*posted, "botuser1", "sessiondx", "!"))
        (void)bot::parse_command(*text);
    } else if (const auto* other = std::get_if<mattermost::other_event>(&event)) {
      (void)tracker.on_event(other->seq);
    }
  }
  return 0;
}

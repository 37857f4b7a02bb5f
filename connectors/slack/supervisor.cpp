#include "connectors/slack/supervisor.hpp"

#include <ostream>

namespace sessiondx::slack {

namespace {
const char* name_of(supervisor_action::kind k) {
  using kind = supervisor_action::kind;
  switch (k) {
    case kind::cancel_hello_timer:
      return "cancel_hello_timer";
    case kind::connected:
      return "connected";
    case kind::close_socket:
      return "close_socket";
    case kind::close_all:
      return "close_all";
    case kind::forget_socket:
      return "forget_socket";
    case kind::open_socket:
      return "open_socket";
    case kind::back_off_then_open:
      return "back_off_then_open";
    case kind::stop_fatal:
      return "stop_fatal";
    case kind::warn:
      return "warn";
  }
  return "?";
}
}  // namespace

std::ostream& operator<<(std::ostream& out, const supervisor_action& a) {
  out << "{" << name_of(a.what);
  if (a.socket != 0) out << " socket " << a.socket;
  if (!a.message.empty()) out << " \"" << a.message << "\"";
  return out << "}";
}

std::vector<supervisor_action> supervisor::on_event(const supervisor_event& e, bool stopping) {
  using kind = supervisor_action::kind;
  std::vector<supervisor_action> out;
  switch (e.what) {
    case supervisor_event::kind::hello:
      if (e.socket != pending_) return out;  // a stale hello (the socket was dropped already)
      out.push_back({kind::cancel_hello_timer, e.socket, {}});
      out.push_back({kind::connected, e.socket, {}});
      pending_ = 0;
      // The new socket is ready: retire the old one; its queued acks still go out first.
      if (active_ != 0) out.push_back({kind::close_socket, active_, "replaced"});
      active_ = e.socket;
      if (stopping) out.push_back({kind::close_all, 0, {}});
      return out;

    case supervisor_event::kind::disconnect:
      if (e.reason == "link_disabled") {
        out.push_back({kind::stop_fatal, 0,
                       "Socket Mode was disabled for this app (disconnect: link_disabled); not "
                       "reconnecting"});
        out.push_back({kind::close_all, 0, {}});
        return out;
      }
      // refresh_requested, warning, too_many_websockets…: open the next socket now; this one
      // keeps working until the new one says hello. One replacement at a time.
      if (e.socket == active_ && pending_ == 0 && !stopping)
        out.push_back({kind::open_socket, 0, {}});
      return out;

    case supervisor_event::kind::ended: {
      out.push_back({kind::forget_socket, e.socket, {}});
      out.push_back({kind::cancel_hello_timer, e.socket, {}});
      const bool was_active = e.socket == active_;
      const bool was_pending = e.socket == pending_;
      if (was_active) active_ = 0;
      if (was_pending) pending_ = 0;
      if (stopping || !(was_active || was_pending)) return out;
      out.push_back({kind::warn, e.socket,
                     std::string(was_active ? "lost" : "failed before hello") + ": " +
                         (e.reason.empty() ? "closed by Slack" : e.reason)});
      // One path back: only when neither a working nor an upcoming socket is left.
      if (active_ == 0 && pending_ == 0) out.push_back({kind::back_off_then_open, 0, {}});
      return out;
    }

    case supervisor_event::kind::stop:
      out.push_back({kind::close_all, 0, {}});
      return out;
  }
  return out;
}

}  // namespace sessiondx::slack

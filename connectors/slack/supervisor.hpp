#pragma once

// The Socket Mode supervisor's decisions as a pure state machine: which socket answers
// commands (`active`), which new one waits for hello (`pending`), and what to do after each
// event — hello, a disconnect frame (refresh_requested, warning, link_disabled, …), a socket
// that ended, a stop request. It returns actions; the connector performs them (the I/O).
// No clock, no Asio: tested with plain calls.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace sessiondx::slack {

struct supervisor_event {
  enum class kind { hello, disconnect, ended, stop };
  kind what = kind::stop;
  std::uint64_t socket = 0;
  std::string reason;  ///< disconnect: Slack's reason; ended: the error ("" = closed by Slack)
};

struct supervisor_action {
  enum class kind {
    cancel_hello_timer,  ///< `socket` said hello or ended
    connected,           ///< a socket is ready: reset the reconnect backoff
    close_socket,        ///< retire `socket` (cleanly: its queued acks still go out)
    close_all,           ///< close every socket
    forget_socket,       ///< `socket` has ended: drop it from the bookkeeping
    open_socket,         ///< open the next socket now (the active one keeps working meanwhile)
    back_off_then_open,  ///< no socket is left: wait out the backoff, then open one
    stop_fatal,          ///< stop for good; `message` says why
    warn,                ///< log `message` at warning level
  };
  kind what = kind::warn;
  std::uint64_t socket = 0;
  std::string message;

  bool operator==(const supervisor_action&) const = default;
};
std::ostream& operator<<(std::ostream& out, const supervisor_action& a);

/// @par Thread safety
/// None: one supervisor loop owns it.
class supervisor {
 public:
  /// A new socket is open and waits for hello.
  void opened(std::uint64_t socket) { pending_ = socket; }

  /// What to do after `e`. `stopping`: the connector is shutting down (stop() or fatal), so no
  /// socket is opened any more.
  std::vector<supervisor_action> on_event(const supervisor_event& e, bool stopping);

  std::uint64_t active() const { return active_; }
  std::uint64_t pending() const { return pending_; }
  bool connected() const { return active_ != 0; }

 private:
  std::uint64_t active_ = 0;
  std::uint64_t pending_ = 0;
};

}  // namespace sessiondx::slack

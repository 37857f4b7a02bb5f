#include "connectors/slack/supervisor.hpp"

#include <catch2/catch.hpp>

#include <sstream>

// The Socket Mode supervisor's decisions, step by step with plain calls (no sockets, no clock).
// supervisor_action has == and <<, so a failed check prints both action lists.

using namespace sessiondx::slack;
using kind = supervisor_action::kind;
using ev = supervisor_event::kind;
using actions = std::vector<supervisor_action>;

namespace Catch {
template <>
struct StringMaker<supervisor_action> {
  static std::string convert(const supervisor_action& a) {
    std::ostringstream out;
    out << a;
    return out.str();
  }
};
}  // namespace Catch

TEST_CASE("slack supervisor: hello of the pending socket makes it active") {
  supervisor s;
  s.opened(1);
  CHECK_FALSE(s.connected());
  // A hello from a socket that is not the pending one changes nothing.
  CHECK(s.on_event({ev::hello, 7, {}}, false).empty());
  CHECK(s.on_event({ev::hello, 1, {}}, false) ==
        actions{{kind::cancel_hello_timer, 1, {}}, {kind::connected, 1, {}}});
  CHECK(s.connected());
  CHECK(s.active() == 1);
  CHECK(s.pending() == 0);
}

TEST_CASE("slack supervisor: refresh and warning open the next socket; its hello retires the old") {
  for (const char* reason : {"refresh_requested", "warning", "too_many_websockets"}) {
    supervisor s;
    s.opened(1);
    s.on_event({ev::hello, 1, {}}, false);
    // The active socket says it will go: open a replacement now, keep answering on this one.
    CHECK(s.on_event({ev::disconnect, 1, reason}, false) == actions{{kind::open_socket, 0, {}}});
    s.opened(2);
    // A second disconnect while the replacement is pending opens nothing more.
    CHECK(s.on_event({ev::disconnect, 1, reason}, false).empty());
    CHECK(s.on_event({ev::hello, 2, {}}, false) == actions{{kind::cancel_hello_timer, 2, {}},
                                                           {kind::connected, 2, {}},
                                                           {kind::close_socket, 1, "replaced"}});
    CHECK(s.active() == 2);
    // The old socket ending now is expected: forgotten, nothing else.
    CHECK(s.on_event({ev::ended, 1, {}}, false) ==
          actions{{kind::forget_socket, 1, {}}, {kind::cancel_hello_timer, 1, {}}});
    CHECK(s.connected());
  }
}

TEST_CASE("slack supervisor: link_disabled stops for good") {
  supervisor s;
  s.opened(1);
  s.on_event({ev::hello, 1, {}}, false);
  const auto a = s.on_event({ev::disconnect, 1, "link_disabled"}, false);
  REQUIRE(a.size() == 2);
  CHECK(a[0].what == kind::stop_fatal);
  CHECK(a[0].message.find("link_disabled") != std::string::npos);
  CHECK(a[1] == supervisor_action{kind::close_all, 0, {}});
  // Once stopping, the socket's end opens nothing.
  CHECK(s.on_event({ev::ended, 1, {}}, true) ==
        actions{{kind::forget_socket, 1, {}}, {kind::cancel_hello_timer, 1, {}}});
}

TEST_CASE("slack supervisor: a lost socket with none coming backs off, then reconnects") {
  supervisor s;
  s.opened(1);
  s.on_event({ev::hello, 1, {}}, false);
  CHECK(s.on_event({ev::ended, 1, "connection reset by peer"}, false) ==
        actions{{kind::forget_socket, 1, {}},
                {kind::cancel_hello_timer, 1, {}},
                {kind::warn, 1, "lost: connection reset by peer"},
                {kind::back_off_then_open, 0, {}}});
  CHECK_FALSE(s.connected());
  // The next socket fails before hello (the hello watchdog dropped it): back off again.
  s.opened(2);
  CHECK(s.on_event({ev::ended, 2, {}}, false) ==
        actions{{kind::forget_socket, 2, {}},
                {kind::cancel_hello_timer, 2, {}},
                {kind::warn, 2, "failed before hello: closed by Slack"},
                {kind::back_off_then_open, 0, {}}});
}

TEST_CASE("slack supervisor: the active socket lost while a replacement is pending waits for it") {
  supervisor s;
  s.opened(1);
  s.on_event({ev::hello, 1, {}}, false);
  s.on_event({ev::disconnect, 1, "refresh_requested"}, false);
  s.opened(2);
  // One path back: the pending socket is on its way, so no backoff and no second socket.
  CHECK(s.on_event({ev::ended, 1, {}}, false) == actions{{kind::forget_socket, 1, {}},
                                                         {kind::cancel_hello_timer, 1, {}},
                                                         {kind::warn, 1, "lost: closed by Slack"}});
  CHECK(s.on_event({ev::hello, 2, {}}, false) ==
        actions{{kind::cancel_hello_timer, 2, {}}, {kind::connected, 2, {}}});
}

TEST_CASE("slack supervisor: stop closes everything; a hello while stopping closes it too") {
  supervisor s;
  s.opened(1);
  CHECK(s.on_event({ev::stop, 0, {}}, true) == actions{{kind::close_all, 0, {}}});
  CHECK(s.on_event({ev::hello, 1, {}}, true) == actions{{kind::cancel_hello_timer, 1, {}},
                                                        {kind::connected, 1, {}},
                                                        {kind::close_all, 0, {}}});
  CHECK(s.on_event({ev::disconnect, 1, "refresh_requested"}, true).empty());
}

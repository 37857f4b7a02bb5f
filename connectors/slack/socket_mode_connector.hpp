#pragma once

// The Slack connector: Socket Mode for commands (slash commands, mentions, direct messages, the
// "Share in channel" button), the Web API for replies. Beast stays in the .cpp files.

#include "bot/commands.hpp"
#include "connectors/chat/connector_metrics.hpp"
#include "connectors/slack/settings.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

namespace sessiondx::slack {

/// Why the connector stopped on its own or after stop().
struct stop_reason {
  bool fatal = false;   ///< true: configuration or Slack refused us; restarting will not help
  std::string message;  ///< for the operator: "apps.connections.open: invalid_auth (…)"
};

/// @par Thread safety
/// start() and stop() may be called from any thread. Everything else runs on a strand of the
/// io_context; lookups run on the connector's own thread pool.
class socket_mode_connector {
 public:
  /// `handler` must outlive the connector. `on_stopped` (optional) is called once, on an
  /// io_context thread, when the connector has stopped (fatal error, link_disabled, or stop()).
  socket_mode_connector(boost::asio::io_context& ioc, slack_settings settings,
                        const bot::command_handler& handler,
                        std::function<void(const stop_reason&)> on_stopped = {});
  /// Stops and waits for running lookups; call after the io_context has stopped running.
  ~socket_mode_connector();
  socket_mode_connector(const socket_mode_connector&) = delete;
  socket_mode_connector& operator=(const socket_mode_connector&) = delete;

  /// Starts connecting (apps.connections.open, then the websocket). Returns at once.
  void start();

  /// Closes the sockets cleanly; replies in flight are still posted. The io_context's run()
  /// returns once all of it is done. Idempotent.
  void stop();

  /// True while a socket has said hello and answers commands (for /readyz). Thread-safe.
  bool connected() const;
  /// State, reconnects and replies for /metrics. Any thread; lives as long as the connector.
  const chat::connector_metrics& metrics() const;

  struct impl;  ///< defined in socket_mode_connector.cpp

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace sessiondx::slack

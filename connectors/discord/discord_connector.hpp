#pragma once

// The Discord connector: the Gateway (websocket) for INTERACTION_CREATE, REST for everything
// else: /gateway/bot, the command registration (bulk overwrite), the deferred response (type 5)
// and the reply as embeds by editing the original response. Beast stays in the .cpp files.

#include "bot/commands.hpp"
#include "connectors/chat/connector_metrics.hpp"
#include "connectors/discord/settings.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

namespace sessiondx::discord {

/// Why the connector stopped on its own or after stop().
struct stop_reason {
  bool fatal = false;   ///< configuration or Discord refused us; restarting will not help
  std::string message;  ///< for the operator
};

/// @par Thread safety
/// start() and stop() may be called from any thread. Everything else runs on a strand of the
/// io_context; lookups run on the connector's own thread pool.
class discord_connector {
 public:
  /// `handler` must outlive the connector. `on_stopped` (optional) is called once, on an
  /// io_context thread, when the connector has stopped (fatal close code, bad token, stop()).
  discord_connector(boost::asio::io_context& ioc, discord_settings settings,
                    const bot::command_handler& handler,
                    std::function<void(const stop_reason&)> on_stopped = {});
  /// Stops and waits for running lookups; call after the io_context has stopped running.
  ~discord_connector();
  discord_connector(const discord_connector&) = delete;
  discord_connector& operator=(const discord_connector&) = delete;

  /// Starts connecting. Returns at once.
  void start();
  /// Closes the gateway; replies in flight are still sent. Idempotent.
  void stop();

  /// Whether the gateway session is up (READY or RESUMED, socket open). Any thread.
  bool connected() const;
  /// State, reconnects and replies for /metrics. Any thread; lives as long as the connector.
  const chat::connector_metrics& metrics() const;

  struct impl;  ///< defined in discord_connector.cpp

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace sessiondx::discord

#pragma once

// The Mattermost connector: the websocket (/api/v4/websocket, authenticated by the header on
// the upgrade so it can resume) for `posted` events, REST for the bot's identity, the catch-up
// of missed posts, and replies (POST /api/v4/posts with root_id). Beast stays in the .cpp files.

#include "bot/commands.hpp"
#include "connectors/chat/connector_metrics.hpp"
#include "connectors/mattermost/settings.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

namespace sessiondx::mattermost {

struct stop_reason {
  bool fatal = false;
  std::string message;
};

/// @par Thread safety
/// start() and stop() may be called from any thread; the rest runs on a strand.
class mattermost_connector {
 public:
  /// `handler` must outlive the connector; `on_stopped` is called once when it has stopped.
  mattermost_connector(boost::asio::io_context& ioc, mattermost_settings settings,
                       const bot::command_handler& handler,
                       std::function<void(const stop_reason&)> on_stopped = {});
  ~mattermost_connector();
  mattermost_connector(const mattermost_connector&) = delete;
  mattermost_connector& operator=(const mattermost_connector&) = delete;

  void start();
  void stop();

  /// Whether the websocket is up (hello received, socket open). Any thread.
  bool connected() const;
  /// State, reconnects and replies for /metrics. Any thread; lives as long as the connector.
  const chat::connector_metrics& metrics() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace sessiondx::mattermost

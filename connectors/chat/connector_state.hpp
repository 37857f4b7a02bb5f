#pragma once

// Small things every chat connector needs the same way: its link state set and logged in one
// wording, failures of spawned coroutines logged, and the default reconnect jitter.

#include "connectors/chat/connector_metrics.hpp"

#include <exception>
#include <functional>
#include <string_view>

namespace sessiondx::chat {

/// Sets `m`'s state and logs a change, naming the platform: info for connected, warn for
/// reconnecting, critical for fatal (with `detail`: the cause), info for stopped. No line when
/// the state stays the same. Reconnecting -> connected counts one reconnect.
void set_link_state(connector_metrics& m, link_state s, std::string_view detail = {});

/// Logs the exception of a spawned coroutine ("discord: answering an interaction failed: …").
/// Nothing for a null pointer.
void log_failure(std::string_view platform, std::string_view what, std::exception_ptr e);

/// Uniform in [0, 1), seeded from std::random_device (reconnect and heartbeat jitter).
std::function<double()> default_jitter();

}  // namespace sessiondx::chat

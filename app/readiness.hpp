#pragma once

// Readiness (GET /readyz): the parts of the service that can be up but not able to do their
// work — the store when it cannot commit, a configured chat connector that is not connected.
// /healthz only says that the process serves.

#include "store/event_store.hpp"

#include <functional>
#include <string>
#include <vector>

namespace sessiondx::app {

/// One part of the service that can be not ready.
struct readiness_check {
  std::string name;  ///< "store", "slack", ...
  /// "" when ready, else why not, worded for the operator. Called on an I/O thread: cheap and
  /// thread-safe.
  std::function<std::string()> problem;
};

/// "" when every check passes, else "name: problem; name: problem" in the checks' order.
std::string not_ready_reason(const std::vector<readiness_check>& checks);

/// The store's check: its health() reason when not ready.
readiness_check store_readiness(const store::event_store& store);

/// A chat connector's check from whether it is connected right now.
readiness_check connector_readiness(std::string name, std::function<bool()> connected);

}  // namespace sessiondx::app

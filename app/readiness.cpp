#include "app/readiness.hpp"

namespace sessiondx::app {

std::string not_ready_reason(const std::vector<readiness_check>& checks) {
  std::string reason;
  for (const auto& check : checks) {
    const std::string problem = check.problem ? check.problem() : std::string();
    if (problem.empty()) continue;
    if (!reason.empty()) reason += "; ";
    reason += check.name + ": " + problem;
  }
  return reason;
}

readiness_check store_readiness(const store::event_store& store) {
  return {"store", [&store] {
            const auto health = store.health();
            return health.ready ? std::string() : health.reason;
          }};
}

readiness_check connector_readiness(std::string name, std::function<bool()> connected) {
  return {std::move(name), [connected = std::move(connected)] {
            return connected() ? std::string() : std::string("not connected");
          }};
}

}  // namespace sessiondx::app

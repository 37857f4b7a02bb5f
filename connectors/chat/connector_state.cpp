#include "connectors/chat/connector_state.hpp"

#include <boost/system/system_error.hpp>

#include <spdlog/spdlog.h>

#include <memory>
#include <random>

namespace sessiondx::chat {

void set_link_state(connector_metrics& m, link_state s, std::string_view detail) {
  const link_state before = m.set_state(s);
  if (before == s) return;
  if (before == link_state::reconnecting && s == link_state::connected) m.reconnected();
  const std::string suffix = detail.empty() ? std::string() : " (" + std::string(detail) + ")";
  switch (s) {
    case link_state::connected:
      spdlog::info("{}: state connected{}", m.platform(), suffix);
      break;
    case link_state::reconnecting:
      spdlog::warn("{}: state reconnecting{}", m.platform(), suffix);
      break;
    case link_state::fatal:
      spdlog::critical("{}: state fatal{}", m.platform(), suffix);
      break;
    case link_state::starting:
    case link_state::stopped:
      spdlog::info("{}: state {}{}", m.platform(), to_string(s), suffix);
      break;
  }
}

void log_failure(std::string_view platform, std::string_view what, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const boost::system::system_error& ex) {
    spdlog::error("{}: {} failed: {}", platform, what, ex.code().message());
  } catch (const std::exception& ex) {
    spdlog::error("{}: {} failed: {}", platform, what, ex.what());
  }
}

std::function<double()> default_jitter() {
  auto engine = std::make_shared<std::mt19937>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

}  // namespace sessiondx::chat

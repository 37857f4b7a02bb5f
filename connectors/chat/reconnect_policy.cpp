#include "connectors/chat/reconnect_policy.hpp"

#include <algorithm>

namespace sessiondx::chat {

reconnect_policy::reconnect_policy(backoff_settings settings, std::function<double()> random01)
    : settings_(settings), random01_(std::move(random01)) {}

void reconnect_policy::connected(clock::time_point now) {
  connected_ = true;
  connected_at_ = now;
}

std::chrono::milliseconds reconnect_policy::next_delay(clock::time_point now) {
  if (connected_ && now - connected_at_ >= settings_.stable_after) failures_ = 0;
  connected_ = false;
  // 2^n grows past any cap after ~40 doublings; stop doubling long before it can overflow.
  const int doublings = std::min(failures_, 30);
  ++failures_;
  const auto ceiling = std::min<std::chrono::milliseconds::rep>(
      settings_.cap.count(), settings_.base.count() << doublings);
  const double r = std::clamp(random01_ ? random01_() : 1.0, 0.0, 1.0);
  return std::chrono::milliseconds(
      static_cast<std::chrono::milliseconds::rep>(r * static_cast<double>(ceiling)));
}

}  // namespace sessiondx::chat

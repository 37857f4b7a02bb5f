#include "connectors/slack/recent_ids.hpp"

namespace sessiondx::slack {

void recent_ids::expire(clock::time_point now) {
  while (!order_.empty() && (now - order_.front().first >= ttl_ || order_.size() > max_size_)) {
    ids_.erase(order_.front().second);
    order_.pop_front();
  }
}

bool recent_ids::seen(const std::string& id, clock::time_point now) {
  expire(now);
  if (id.empty()) return false;
  if (ids_.count(id) != 0) return true;
  ids_.insert(id);
  order_.emplace_back(now, id);
  expire(now);
  return false;
}

}  // namespace sessiondx::slack

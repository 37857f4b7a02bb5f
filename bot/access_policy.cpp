#include "bot/access_policy.hpp"

#include <algorithm>
#include <cmath>

namespace sessiondx::bot {

namespace {

constexpr double ms_per_minute = 60'000.0;
// Beyond this many tracked users, buckets that are full again are dropped: they hold no state.
constexpr std::size_t max_tracked_users = 10'000;

}  // namespace

std::string refusal_text(const access_decision& decision) {
  switch (decision.verdict) {
    case access_verdict::allowed:
      return {};
    case access_verdict::channel_not_allowed:
      return "Sorry, session lookups are not enabled in this channel. Please ask in one of the "
             "support channels, or ask an administrator to allow this one.";
    case access_verdict::user_not_allowed:
      return "Sorry, you are not allowed to look up customer sessions. Please ask an "
             "administrator for access.";
    case access_verdict::rate_limited: {
      const auto seconds = std::max<std::int64_t>(1, (decision.retry_after_ms + 999) / 1000);
      return "You have made many lookups in the last minute. Please try again in " +
             std::to_string(seconds) + (seconds == 1 ? " second." : " seconds.");
    }
  }
  return {};
}

access_policy::access_policy(access_rules rules)
    : channels_(rules.allowed_channels.begin(), rules.allowed_channels.end()),
      users_(rules.allowed_users.begin(), rules.allowed_users.end()),
      roles_(rules.allowed_roles.begin(), rules.allowed_roles.end()),
      per_minute_(std::max(rules.lookups_per_minute, 0)) {}

access_decision access_policy::admits(const std::string& user, const std::string& channel,
                                      const std::vector<std::string>& roles) const {
  if (!channels_.empty() && channels_.count(channel) == 0)
    return {access_verdict::channel_not_allowed, 0};
  if (users_.empty() && roles_.empty()) return {};
  if (users_.count(user) != 0) return {};
  for (const auto& role : roles)
    if (roles_.count(role) != 0) return {};
  return {access_verdict::user_not_allowed, 0};
}

access_decision access_policy::decide(const std::string& user, const std::string& channel,
                                      std::int64_t now_ms, const std::vector<std::string>& roles) {
  if (const auto listed = admits(user, channel, roles); listed.verdict != access_verdict::allowed)
    return listed;
  if (per_minute_ == 0) return {};

  const double capacity = per_minute_;
  const double per_ms = capacity / ms_per_minute;
  if (buckets_.size() >= max_tracked_users && buckets_.count(user) == 0)
    forget_full_buckets(now_ms);
  auto [it, fresh] = buckets_.try_emplace(user, bucket{capacity, now_ms});
  bucket& b = it->second;
  if (!fresh && now_ms > b.updated_ms) {
    b.tokens = std::min(capacity, b.tokens + static_cast<double>(now_ms - b.updated_ms) * per_ms);
    b.updated_ms = now_ms;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return {};
  }
  return {access_verdict::rate_limited,
          static_cast<std::int64_t>(std::ceil((1.0 - b.tokens) / per_ms))};
}

void access_policy::forget_full_buckets(std::int64_t now_ms) {
  const double capacity = per_minute_;
  const double per_ms = capacity / ms_per_minute;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double tokens =
        it->second.tokens + static_cast<double>(now_ms - it->second.updated_ms) * per_ms;
    it = tokens >= capacity ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace sessiondx::bot

#include "connectors/chat/delivery_policy.hpp"

#include <algorithm>
#include <charconv>

namespace sessiondx::chat {

std::optional<std::chrono::seconds> parse_retry_after(std::string_view header) {
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t'))
    header.remove_prefix(1);
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t'))
    header.remove_suffix(1);
  if (header.empty()) return std::nullopt;
  long long value = 0;
  const auto [end, ec] = std::from_chars(header.data(), header.data() + header.size(), value);
  if (ec != std::errc{} || end != header.data() + header.size() || value < 0) return std::nullopt;
  // A day is far beyond anything an API asks for; clamp rather than trust a huge value.
  return std::chrono::seconds(std::min<long long>(value, 86'400));
}

delivery_decision decide_delivery(const delivery_attempt& a, const delivery_settings& s) {
  using step = delivery_decision::step;
  if (a.status == 429) {
    const auto wait = a.retry_after.value_or(s.default_retry_after);
    return {step::retry, std::chrono::duration_cast<std::chrono::milliseconds>(wait), true};
  }
  const bool transient = a.status == 0 || a.status >= 500;
  if (!transient) return {step::done, {}, false};
  if (a.attempt >= s.max_attempts) return {step::give_up, {}, false};
  auto delay = s.retry_delay;
  for (int i = 1; i < a.attempt && delay < s.max_retry_delay; ++i) delay *= 2;
  if (a.retry_after) {
    delay = std::max(delay, std::chrono::duration_cast<std::chrono::milliseconds>(*a.retry_after));
  }
  return {step::retry, std::min(delay, s.max_retry_delay), false};
}

}  // namespace sessiondx::chat

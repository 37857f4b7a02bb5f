#include "connectors/discord/rate_limits.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sessiondx::discord {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view header(const std::vector<std::pair<std::string, std::string>>& headers,
                        std::string_view name) {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return v;
  return {};
}

std::optional<double> number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !(value >= 0)) return std::nullopt;
  return std::min(value, 86'400.0);
}

std::chrono::milliseconds from_seconds(double s) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000.0 + 0.999));
}

}  // namespace

rate_limit_info parse_rate_limit(unsigned status,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 std::string_view body) {
  rate_limit_info info;
  info.bucket = std::string(header(headers, "X-RateLimit-Bucket"));
  if (auto r = number(header(headers, "X-RateLimit-Remaining")))
    info.remaining = static_cast<int>(*r);
  info.reset_after_s = number(header(headers, "X-RateLimit-Reset-After"));
  info.global = iequals(header(headers, "X-RateLimit-Global"), "true");
  if (status == 429) {
    info.limited = true;
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object()) {
      if (j.contains("retry_after") && j["retry_after"].is_number() &&
          j["retry_after"].get<double>() >= 0)
        info.retry_after_s = std::min(j["retry_after"].get<double>(), 86'400.0);
      if (j.contains("global") && j["global"].is_boolean() && j["global"].get<bool>())
        info.global = true;
    }
    if (!info.retry_after_s) info.retry_after_s = number(header(headers, "Retry-After"));
    if (!info.retry_after_s) info.retry_after_s = 1.0;
  }
  return info;
}

std::chrono::milliseconds rate_limiter::wait_before(const std::string& route,
                                                    clock::time_point now) const {
  clock::time_point until = global_until_;
  const auto b = bucket_of_route_.find(route);
  const std::string& key = b == bucket_of_route_.end() ? route : b->second;
  if (auto it = buckets_.find(key); it != buckets_.end() && it->second.remaining <= 0)
    until = std::max(until, it->second.reset_at);
  if (until <= now) return std::chrono::milliseconds(0);
  return std::chrono::ceil<std::chrono::milliseconds>(until - now);
}

void rate_limiter::update(const std::string& route, const rate_limit_info& info,
                          clock::time_point now) {
  std::string key = route;
  if (!info.bucket.empty()) {
    bucket_of_route_[route] = info.bucket;
    key = info.bucket;
  } else if (auto b = bucket_of_route_.find(route); b != bucket_of_route_.end()) {
    key = b->second;
  }
  if (info.limited) {
    const auto wait = from_seconds(info.retry_after_s.value_or(1.0));
    if (info.global) {
      global_until_ = std::max(global_until_, now + wait);
    } else {
      auto& s = buckets_[key];
      s.remaining = 0;
      s.reset_at = now + wait;
    }
    return;
  }
  if (info.remaining && info.reset_after_s) {
    auto& s = buckets_[key];
    s.remaining = *info.remaining;
    s.reset_at = now + from_seconds(*info.reset_after_s);
  }
}

}  // namespace sessiondx::discord

#include "app/access_gate.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <string_view>

namespace sessiondx::app {

namespace {

constexpr std::array<std::string_view, 9> lookup_verdicts{
    "healthy",         "degraded",     "broken",       "unknown", "not_found",
    "refused_channel", "refused_user", "rate_limited", "other"};
std::array<std::atomic<std::uint64_t>, lookup_verdicts.size()> lookup_counts{};

}  // namespace

void count_lookup(const std::string& verdict) {
  std::size_t i = 0;
  while (i + 1 < lookup_verdicts.size() && lookup_verdicts[i] != verdict) ++i;
  lookup_counts[i].fetch_add(1, std::memory_order_relaxed);
}

std::string lookup_metrics() {
  std::string out =
      "# HELP sessiondx_lookups_total Session lookups from chat, by verdict (refusals "
      "included).\n# TYPE sessiondx_lookups_total counter\n";
  for (std::size_t i = 0; i < lookup_verdicts.size(); ++i) {
    out.append("sessiondx_lookups_total{verdict=\"").append(lookup_verdicts[i]).append("\"} ");
    out.append(std::to_string(lookup_counts[i].load(std::memory_order_relaxed))).append("\n");
  }
  return out;
}

std::string audit_verdict(bot::access_verdict verdict) {
  switch (verdict) {
    case bot::access_verdict::allowed:
      return "allowed";
    case bot::access_verdict::channel_not_allowed:
      return "refused_channel";
    case bot::access_verdict::user_not_allowed:
      return "refused_user";
    case bot::access_verdict::rate_limited:
      return "rate_limited";
  }
  return "refused";
}

access_gate::access_gate(store::event_store& store, const access_rules_by_platform& rules,
                         std::function<std::int64_t()> now_ms)
    : store_(store), now_ms_(std::move(now_ms)) {
  for (const auto& [platform, r] : rules) policies_.emplace(platform, bot::access_policy(r));
}

std::optional<bot::reply> access_gate::check(const bot::command& cmd,
                                             const bot::command_input& input) {
  const auto it = policies_.find(input.platform);
  if (it == policies_.end()) return std::nullopt;
  const auto* session = std::get_if<bot::session_command>(&cmd);
  const std::int64_t now = now_ms_();
  bot::access_decision decision;
  {
    std::lock_guard lock(mutex_);
    decision = session ? it->second.decide(input.user, input.channel, now, input.roles)
                       : it->second.admits(input.user, input.channel, input.roles);
  }
  if (decision.verdict == bot::access_verdict::allowed) return std::nullopt;

  const std::string verdict = audit_verdict(decision.verdict);
  count_lookup(verdict);
  spdlog::info("access: {} refused for {} user {} in channel {}: {}",
               session ? "/session" : "a report", input.platform, input.user, input.channel,
               verdict);
  if (session) {
    store_.record_lookup(
        {now, session->session_id, verdict, "", input.user, input.platform, input.channel});
  }
  return bot::error_reply{bot::refusal_text(decision), false};
}

}  // namespace sessiondx::app

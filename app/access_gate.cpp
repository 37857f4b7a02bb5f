#include "app/access_gate.hpp"

#include <spdlog/spdlog.h>

namespace sessiondx::app {

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

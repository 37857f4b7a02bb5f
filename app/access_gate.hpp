#pragma once

// Access control in the command path shared by every connector: one bot::access_policy per
// platform ("slack", "discord", "mattermost"), serialised, with the wall clock; every refused
// /session is written to the store's lookup (audit) log with its verdict.

#include "bot/access_policy.hpp"
#include "bot/commands.hpp"
#include "store/event_store.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace sessiondx::app {

/// Platform name (command_input::platform) → its rules. Platforms without an entry ("shell",
/// "cli": someone at the machine) are not restricted.
using access_rules_by_platform = std::map<std::string, bot::access_rules>;

/// The audit-log verdict of a refusal: refused_channel, refused_user or rate_limited.
std::string audit_verdict(bot::access_verdict verdict);

/// Process-wide count of /session lookups by verdict (answered: healthy, degraded, broken,
/// unknown, not_found; refused: refused_channel, refused_user, rate_limited). Thread-safe.
void count_lookup(const std::string& verdict);
/// The counts as the metric family sessiondx_lookups_total{verdict="…"}, for GET /metrics.
std::string lookup_metrics();

class access_gate {
 public:
  access_gate(store::event_store& store, const access_rules_by_platform& rules,
              std::function<std::int64_t()> now_ms);

  /// For bot::command_handler::on_access: nullopt allows `cmd`; a reply refuses it. /session
  /// goes through the allow lists and the per-user rate limit, /digest and /top through the allow
  /// lists only; help and invalid commands never get here. Thread-safe.
  std::optional<bot::reply> check(const bot::command& cmd, const bot::command_input& input);

 private:
  store::event_store& store_;
  std::function<std::int64_t()> now_ms_;
  std::mutex mutex_;
  std::map<std::string, bot::access_policy> policies_;
};

}  // namespace sessiondx::app

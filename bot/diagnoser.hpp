#pragma once

// Diagnoses a session from the event store: loads its events, runs the rules, asks the store how
// many other sessions share each problem. Knows the store interface, nothing about SQLite or chat.

#include "bot/diagnosis.hpp"
#include "bot/rules.hpp"
#include "store/event_store.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

namespace sessiondx::bot {

/// No event of the session in the retention window.
struct unknown_session {
  std::string session_id;
  std::vector<std::string> similar;  ///< known ids extending a typed prefix or one character off
  int retention_days = 0;
};

using diagnose_result = std::variant<diagnosis, unknown_session>;

class diagnoser {
 public:
  /// `store` must outlive the diagnoser. `now_ms` is the wall clock in Unix epoch ms (injected so
  /// tests are deterministic). Thread-safe if the store is.
  diagnoser(store::event_store& store, rule_settings settings, std::function<std::int64_t()> now_ms,
            int retention_days = 30);

  /// Blocking (store reads): call off I/O threads. `session_id` must already be well-formed.
  diagnose_result diagnose(const std::string& session_id) const;

  const rule_settings& settings() const { return settings_; }

 private:
  store::event_store& store_;
  rule_settings settings_;
  std::function<std::int64_t()> now_ms_;
  int retention_days_;
};

}  // namespace sessiondx::bot

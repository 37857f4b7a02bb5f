#pragma once

// Who may look up sessions, and how often: allow lists of channels and users per connector and
// a per-user token bucket. Pure: `now_ms` is an input; no clock, no I/O, no locking (the caller
// serialises calls to one policy).

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sessiondx::bot {

struct access_rules {
  /// Channels (platform ids) where lookups are allowed; empty: every channel.
  std::vector<std::string> allowed_channels;
  /// Users (platform ids) allowed to look up; empty: every user.
  std::vector<std::string> allowed_users;
  /// Lookups per user per minute, with bursts up to the same number; 0: no limit.
  int lookups_per_minute = 30;
  /// Roles or groups (platform ids, e.g. Discord role ids) whose members may look up. A user is
  /// admitted when listed in `allowed_users` or holding one of these; both empty: every user.
  std::vector<std::string> allowed_roles = {};
};

enum class access_verdict { allowed, channel_not_allowed, user_not_allowed, rate_limited };

struct access_decision {
  access_verdict verdict = access_verdict::allowed;
  /// rate_limited: milliseconds until the next lookup would be allowed.
  std::int64_t retry_after_ms = 0;

  friend bool operator==(const access_decision&, const access_decision&) = default;
};

/// The polite refusal shown to the user: says what to do, nothing about the session.
std::string refusal_text(const access_decision& decision);

class access_policy {
 public:
  explicit access_policy(access_rules rules);

  /// Decides one lookup by `user` (holding `roles`) in `channel` at `now_ms` and, when allowed,
  /// spends one token of that user's bucket. Refusals by the allow lists spend nothing.
  access_decision decide(const std::string& user, const std::string& channel, std::int64_t now_ms,
                         const std::vector<std::string>& roles = {});

  /// The allow lists only (no rate limit, nothing spent): for commands that are not lookups of
  /// one session but still show customer data (/digest, /top).
  access_decision admits(const std::string& user, const std::string& channel,
                         const std::vector<std::string>& roles = {}) const;

 private:
  struct bucket {
    double tokens = 0;
    std::int64_t updated_ms = 0;
  };
  void forget_full_buckets(std::int64_t now_ms);

  std::unordered_set<std::string> channels_;
  std::unordered_set<std::string> users_;
  std::unordered_set<std::string> roles_;
  int per_minute_;
  std::unordered_map<std::string, bucket> buckets_;
};

}  // namespace sessiondx::bot

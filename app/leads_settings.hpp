#pragma once

// Settings of the team-lead posts (scheduled digests, incident alerts): [digest] and [alerts]
// in the configuration. A channel per platform, so a team on Slack and Discord gets both.

#include "bot/incident.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace sessiondx::app {

struct leads_settings {
  /// digest.schedule: five cron fields ("0 9 * * 1-5"); empty: no scheduled digest.
  std::string digest_schedule;
  /// digest.timezone: the IANA zone the schedule is read in.
  std::string digest_timezone = "UTC";
  /// digest.window_hours: the period a scheduled digest covers (24 or 168 usually).
  std::int64_t digest_window_hours = 24;
  /// digest.late_after_min: a digest posted later than this after its due time says so.
  std::int64_t digest_late_after_min = 5;
  /// digest.<platform>_channel: where each platform's digest goes ("" = not there).
  std::map<std::string, std::string> digest_channels;
  /// alerts.<platform>_channel: where incident alerts go ("" = no alerts there).
  std::map<std::string, std::string> alert_channels;
  /// alerts.*: the incident rule (bot/incident.hpp); is_noise stays the built-in rule.
  bot::incident_settings incidents;
  /// How often the loop looks (the schedule's resolution is a minute).
  std::int64_t tick_ms = 60'000;
};

}  // namespace sessiondx::app

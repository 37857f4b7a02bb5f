#pragma once

// UTC timestamps for replies. Times are always UTC and say so; people read them next to
// tickets from every time zone.

#include <cstdint>
#include <string>

namespace sessiondx::bot {

/// "2024-05-03T10:02:33.120Z" (RFC 3339, UTC, milliseconds).
std::string rfc3339(std::int64_t ms);
/// "2024-05-03"
std::string utc_date(std::int64_t ms);
/// "10:02:33"
std::string utc_clock(std::int64_t ms);
/// "10:02"
std::string utc_minutes(std::int64_t ms);
/// Whether two instants fall on different UTC days.
bool different_days(std::int64_t a_ms, std::int64_t b_ms);

}  // namespace sessiondx::bot

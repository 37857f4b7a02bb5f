#include "bot/utc_time.hpp"

#include <cstdio>

namespace sessiondx::bot {
namespace {

struct civil {
  std::int64_t year;
  int month, day, hour, minute, second, millis;
};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// Howard Hinnant's civil_from_days (public domain), exact for every proleptic Gregorian date.
civil to_civil(std::int64_t ms) {
  std::int64_t days = floor_div(ms, 86'400'000);
  std::int64_t rest = ms - days * 86'400'000;
  std::int64_t z = days + 719468;
  std::int64_t era = floor_div(z, 146097);
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  auto d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  auto m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {y + (m <= 2),
          m,
          d,
          static_cast<int>(rest / 3'600'000),
          static_cast<int>(rest / 60'000 % 60),
          static_cast<int>(rest / 1000 % 60),
          static_cast<int>(rest % 1000)};
}

}  // namespace

std::string rfc3339(std::int64_t ms) {
  auto c = to_civil(ms);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
                static_cast<long long>(c.year), c.month, c.day, c.hour, c.minute, c.second,
                c.millis);
  return buf;
}

std::string utc_date(std::int64_t ms) {
  auto c = to_civil(ms);
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d", static_cast<long long>(c.year), c.month,
                c.day);
  return buf;
}

std::string utc_clock(std::int64_t ms) {
  auto c = to_civil(ms);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", c.hour, c.minute, c.second);
  return buf;
}

std::string utc_minutes(std::int64_t ms) {
  auto c = to_civil(ms);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", c.hour, c.minute);
  return buf;
}

bool different_days(std::int64_t a_ms, std::int64_t b_ms) {
  return floor_div(a_ms, 86'400'000) != floor_div(b_ms, 86'400'000);
}

}  // namespace sessiondx::bot

// Scheduled digests: cron parsing, due times in an IANA zone across both daylight-saving changes,
// and the post-once decision across restarts, all with an injected clock (a plain number).

#include "bot/schedule.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <vector>

namespace bot = sessiondx::bot;

namespace {

constexpr std::int64_t minute = 60'000;
constexpr std::int64_t hour = 60 * minute;

/// UTC epoch ms of a UTC civil time.
std::int64_t utc(int y, unsigned m, unsigned d, int h, int mi = 0) {
  namespace chr = std::chrono;
  const chr::sys_days day{chr::year{y} / chr::month{m} / chr::day{d}};
  return day.time_since_epoch().count() * 24 * hour + h * hour + mi * minute;
}

std::string error_of(const std::string& cron, const std::string& zone = "UTC") {
  try {
    bot::zoned_schedule s(cron, zone);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

/// Every post of a minute-by-minute run over [from, to), with the last run kept as the store
/// keeps it (a number that survives restarts: `last` is passed in and out).
std::vector<bot::scheduled_run> run_clock(const bot::zoned_schedule& s, std::int64_t from,
                                          std::int64_t to, std::optional<std::int64_t>& last,
                                          std::int64_t step = minute) {
  std::vector<bot::scheduled_run> posts;
  for (std::int64_t now = from; now < to; now += step) {
    const auto d = bot::decide_schedule(s, last, now);
    if (d.run) posts.push_back(*d.run);
    last = d.record_ms;
  }
  return posts;
}

}  // namespace

TEST_CASE("schedule: bad schedules and zones are refused naming the field", "[schedule]") {
  CHECK(error_of("0 9 * *").find("expected 5 fields") != std::string::npos);
  CHECK(error_of("61 9 * * *") == "minute: 61 is out of range 0-59");
  CHECK(error_of("0 24 * * *") == "hour: 24 is out of range 0-23");
  CHECK(error_of("0 9 * * 8") == "day-of-week: 8 is out of range 0-7");
  CHECK(error_of("0 9 * * 5-1") == "day-of-week: range 5-1 runs backwards");
  CHECK(error_of("*/0 9 * * *").find("minute: step") == 0);
  CHECK(error_of("0 9 30 2 *").find("day-of-month: no month") == 0);
  CHECK(error_of("0 9,x * * *") == "hour: 'x' is not a number");
  CHECK(error_of("0 9 * * 1-5", "Europe/Pari").find("timezone: 'Europe/Pari'") == 0);
  CHECK(error_of("0 9 * * 1-5", "").find("timezone") == 0);
  CHECK(error_of("0 9 * * mon-fri", "Europe/Paris").empty());
  CHECK(error_of("0 9 1 jan,JUL *", "America/New_York").empty());
}

TEST_CASE("schedule: fields, lists, ranges and steps", "[schedule]") {
  const auto c = bot::parse_cron("5/20 8-10/2 1,15 * mon-fri");
  CHECK(c.minutes.count() == 3);  // 5, 25, 45
  CHECK(c.minutes.test(5));
  CHECK(c.minutes.test(45));
  CHECK(c.hours.count() == 2);  // 8, 10
  CHECK(c.hours.test(10));
  CHECK_FALSE(c.any_day);
  CHECK_FALSE(c.any_weekday);
  CHECK(c.weekdays.count() == 5);
  CHECK(bot::parse_cron("0 0 * * 7").weekdays.test(0));  // 7 is Sunday
}

TEST_CASE("schedule: weekdays at 09:00 in Europe/Paris, winter and summer", "[schedule]") {
  const bot::zoned_schedule s("0 9 * * 1-5", "Europe/Paris");
  // Friday 10 January 2025, 10:00 UTC: the next is Monday 13th, 09:00 CET = 08:00 UTC.
  CHECK(s.next_after(utc(2025, 1, 10, 10)) == utc(2025, 1, 13, 8));
  // In summer (CEST) 09:00 is 07:00 UTC.
  CHECK(s.next_after(utc(2025, 7, 1, 12)) == utc(2025, 7, 2, 7));
  // A due time is strictly after: at 08:00 UTC on Monday the next is Tuesday.
  CHECK(s.next_after(utc(2025, 1, 13, 8)) == utc(2025, 1, 14, 8));
}

TEST_CASE("schedule: day-of-month or day-of-week, as in cron", "[schedule]") {
  // The 1st of the month OR a Sunday.
  const bot::zoned_schedule s("0 12 1 * sun", "UTC");
  CHECK(s.next_after(utc(2025, 2, 25, 0)) == utc(2025, 3, 1, 12));  // Saturday the 1st
  CHECK(s.next_after(utc(2025, 3, 1, 12)) == utc(2025, 3, 2, 12));  // Sunday the 2nd
}

TEST_CASE("schedule: spring forward in Europe/Paris (30 March 2025)", "[schedule][dst]") {
  // 02:00 CET becomes 03:00 CEST at 01:00 UTC: 02:30 does not exist that day.
  const bot::zoned_schedule at_0230("30 2 * * *", "Europe/Paris");
  CHECK(at_0230.next_after(utc(2025, 3, 29, 12)) == utc(2025, 3, 30, 1));  // at the change
  CHECK(at_0230.next_after(utc(2025, 3, 30, 1)) == utc(2025, 3, 31, 0, 30));
  CHECK(at_0230.next_after(utc(2025, 3, 28, 12)) == utc(2025, 3, 29, 1, 30));

  // Four schedule times fall in the gap: one post, at the change.
  const bot::zoned_schedule quarterly("*/15 2 * * *", "Europe/Paris");
  std::optional<std::int64_t> last = utc(2025, 3, 29, 12);
  const auto posts = run_clock(quarterly, utc(2025, 3, 29, 12), utc(2025, 3, 30, 12), last);
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].due_ms == utc(2025, 3, 30, 1));
  CHECK_FALSE(posts[0].late);

  // 09:00 local moves from 08:00 to 07:00 UTC.
  const bot::zoned_schedule at_0900("0 9 * * *", "Europe/Paris");
  last = utc(2025, 3, 29, 0);
  const auto daily = run_clock(at_0900, utc(2025, 3, 29, 0), utc(2025, 3, 31, 0), last);
  REQUIRE(daily.size() == 2);
  CHECK(daily[0].due_ms == utc(2025, 3, 29, 8));
  CHECK(daily[1].due_ms == utc(2025, 3, 30, 7));
}

TEST_CASE("schedule: fall back in Europe/Paris (26 October 2025)", "[schedule][dst]") {
  // 03:00 CEST becomes 02:00 CET at 01:00 UTC: 02:30 happens twice; it fires the first time.
  const bot::zoned_schedule at_0230("30 2 * * *", "Europe/Paris");
  std::optional<std::int64_t> last = utc(2025, 10, 25, 12);
  const auto posts = run_clock(at_0230, utc(2025, 10, 25, 12), utc(2025, 10, 27, 12), last);
  REQUIRE(posts.size() == 2);
  CHECK(posts[0].due_ms == utc(2025, 10, 26, 0, 30));  // 02:30 CEST
  CHECK(posts[1].due_ms == utc(2025, 10, 27, 1, 30));  // 02:30 CET, the next day

  const bot::zoned_schedule at_0900("0 9 * * *", "Europe/Paris");
  CHECK(at_0900.next_after(utc(2025, 10, 25, 12)) == utc(2025, 10, 26, 8));
  CHECK(at_0900.local_ms(utc(2025, 10, 26, 8)) == utc(2025, 10, 26, 9));
}

TEST_CASE("schedule: America/New_York changes on other dates", "[schedule][dst]") {
  const bot::zoned_schedule s("0 9 * * *", "America/New_York");
  CHECK(s.next_after(utc(2025, 3, 8, 15)) == utc(2025, 3, 9, 13));    // EDT from 9 March
  CHECK(s.next_after(utc(2025, 11, 1, 16)) == utc(2025, 11, 2, 14));  // EST from 2 November
}

TEST_CASE("schedule: a fresh start posts nothing for the past and records now", "[schedule]") {
  const bot::zoned_schedule s("0 9 * * *", "UTC");
  const auto d = bot::decide_schedule(s, std::nullopt, utc(2025, 5, 5, 9, 30));
  CHECK_FALSE(d.run);
  CHECK(d.record_ms == utc(2025, 5, 5, 9, 30));
}

TEST_CASE("schedule: a restart around the due time neither loses nor doubles it",
          "[schedule][restart]") {
  const bot::zoned_schedule s("0 9 * * 1-5", "Europe/Paris");
  const std::int64_t due = utc(2025, 1, 13, 8);  // Monday 09:00 CET

  SECTION("stopped just before, back just after: posted once, on time") {
    std::optional<std::int64_t> last = utc(2025, 1, 13, 7);
    auto posts = run_clock(s, utc(2025, 1, 13, 7), due - 30'000, last, 10'000);
    CHECK(posts.empty());
    // Down from 08:59:30 to 09:02 UTC+1; the store kept `last`.
    posts = run_clock(s, due + 2 * minute, due + hour, last);
    REQUIRE(posts.size() == 1);
    CHECK(posts[0] == bot::scheduled_run{due, false, false});
  }
  SECTION("posted, then restarted within the minute: not posted again") {
    std::optional<std::int64_t> last = due - minute;
    auto posts = run_clock(s, due - minute, due + 20'000, last, 10'000);
    REQUIRE(posts.size() == 1);
    posts = run_clock(s, due + 30'000, due + 2 * hour, last);  // restarted
    CHECK(posts.empty());
  }
  SECTION("down over several due times: one post on start, marked late") {
    std::optional<std::int64_t> last = due - hour;
    // Down from Monday 08:00 to Wednesday 11:00 UTC: three due times missed.
    auto posts = run_clock(s, utc(2025, 1, 15, 11), utc(2025, 1, 15, 12), last);
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].due_ms == utc(2025, 1, 15, 8));
    CHECK(posts[0].late);
    CHECK(posts[0].folded);
    CHECK(last == utc(2025, 1, 15, 8));
    // Thursday's is on time again.
    posts = run_clock(s, utc(2025, 1, 16, 7), utc(2025, 1, 16, 9), last);
    REQUIRE(posts.size() == 1);
    CHECK(posts[0] == bot::scheduled_run{utc(2025, 1, 16, 8), false, false});
  }
  SECTION("a dense schedule after a week down is decided quickly, once") {
    const bot::zoned_schedule every_minute("* * * * *", "Europe/Paris");
    std::optional<std::int64_t> last = due;
    const auto d = bot::decide_schedule(every_minute, last, due + 7 * 24 * hour);
    REQUIRE(d.run);
    CHECK(d.run->due_ms == due + 7 * 24 * hour);
    CHECK_FALSE(d.run->late);
    CHECK(d.run->folded);
  }
}

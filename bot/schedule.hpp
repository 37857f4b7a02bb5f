#pragma once

// When a scheduled digest is due: a cron-like schedule (five fields: minute hour day-of-month
// month day-of-week, each `*`, a number, a range `a-b`, a list `a,b`, a step `*/n` or `a-b/n`,
// month and day names) read in an IANA time zone (ICU's time-zone data). Pure: the time is
// always an argument; nothing here reads a clock or the store.
//
// Daylight-saving changes follow Vixie cron's rules, so a team gets each digest once:
// - a local time skipped by a spring-forward change (02:30 in Europe/Paris on the last Sunday of
//   March) fires at the change itself (03:00 local), once however many schedule times fell in
//   the gap;
// - a local time repeated by a fall-back change (02:30 on the last Sunday of October) fires at
//   its first occurrence only.

#include <bitset>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sessiondx::bot {

/// A parsed five-field schedule. Day-of-month and day-of-week combine as in cron: when both are
/// restricted (neither is `*`), a day matching either is due.
struct cron_schedule {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;     ///< 1..31
  std::bitset<13> months;   ///< 1..12
  std::bitset<7> weekdays;  ///< 0 = Sunday .. 6 (7 is read as Sunday)
  bool any_day = true;      ///< day-of-month was `*`
  bool any_weekday = true;  ///< day-of-week was `*`
  std::string text;         ///< as written
};

/// Parses `text`. Throws std::invalid_argument naming the field and the reason ("day-of-week:
/// 8 is out of range 0-7"), also for a schedule no date can match ("30 2 30 2 *": February 30).
cron_schedule parse_cron(std::string_view text);

/// A schedule in a time zone.
/// @par Thread safety
/// Const members may be called from any thread.
class zoned_schedule {
 public:
  /// Throws std::invalid_argument for an unknown zone ("Europe/Pari") or a bad schedule.
  zoned_schedule(std::string_view cron_text, std::string_view zone);
  ~zoned_schedule();
  zoned_schedule(zoned_schedule&&) noexcept;
  zoned_schedule& operator=(zoned_schedule&&) noexcept;

  /// The first due instant strictly after `after_ms` (UTC epoch ms), nullopt when none comes in
  /// the next eight years.
  std::optional<std::int64_t> next_after(std::int64_t after_ms) const;

  /// Local wall time of `utc_ms` in the zone as epoch ms (for display and tests).
  std::int64_t local_ms(std::int64_t utc_ms) const;

  const cron_schedule& schedule() const { return schedule_; }
  const std::string& zone() const { return zone_; }

 private:
  std::int64_t to_utc(std::int64_t local_ms) const;
  cron_schedule schedule_;
  std::string zone_;
  struct icu_zone;
  std::unique_ptr<icu_zone> tz_;
};

/// One scheduled digest to post now.
struct scheduled_run {
  std::int64_t due_ms = 0;  ///< the latest due time not yet posted
  bool late = false;        ///< posted more than `late_after_ms` after it was due
  bool folded = false;      ///< earlier due times (missed while down) were folded into this one
  friend bool operator==(const scheduled_run&, const scheduled_run&) = default;
};

struct schedule_decision {
  std::optional<scheduled_run> run;  ///< nothing to post when empty
  /// What to record as the last run (the store's service_state) once `run` is posted, or at
  /// once when there is no run.
  std::int64_t record_ms = 0;
};

/// Decides, at `now_ms`, whether a digest is due. `last_ms` is the due time last posted (or the
/// time scheduling began); nullopt the very first time: nothing is posted then and `now_ms` is
/// recorded, so a fresh install does not post a digest for a past due time. Due times after
/// `last_ms` and at or before `now_ms` are posted once, as the latest of them; it is late
/// when more than `late_after_ms` old (the service was down or busy at the due time).
schedule_decision decide_schedule(const zoned_schedule& schedule,
                                  std::optional<std::int64_t> last_ms, std::int64_t now_ms,
                                  std::int64_t late_after_ms = 5 * 60'000);

}  // namespace sessiondx::bot

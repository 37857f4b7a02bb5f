#include "bot/schedule.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <stdexcept>
#include <unicode/basictz.h>
#include <unicode/tztrans.h>
#include <unicode/ucal.h>
#include <unicode/unistr.h>
#include <vector>

namespace sessiondx::bot {

namespace {

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t hour_ms = 60 * minute_ms;
constexpr std::int64_t day_ms = 24 * hour_ms;

struct field_spec {
  const char* name;
  int min, max;
  std::vector<std::string_view> names;  ///< names[i] stands for min + i
};

std::invalid_argument field_error(const field_spec& f, const std::string& reason) {
  return std::invalid_argument(std::string(f.name) + ": " + reason);
}

int read_value(std::string_view text, const field_spec& f) {
  for (std::size_t i = 0; i < f.names.size(); ++i) {
    if (text.size() == 3 && std::equal(text.begin(), text.end(), f.names[i].begin(),
                                       [](char a, char b) { return (a | 0x20) == b; }))
      return f.min + static_cast<int>(i);
  }
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    throw field_error(f, "'" + std::string(text) + "' is not a number");
  const int max = f.name == std::string_view("day-of-week") ? 7 : f.max;
  if (value < f.min || value > max)
    throw field_error(f, std::to_string(value) + " is out of range " + std::to_string(f.min) + "-" +
                             std::to_string(max));
  return value;
}

/// Sets the values of one field; returns whether it began with '*' (cron's "any").
template <std::size_t N>
bool parse_field(std::string_view text, const field_spec& f, std::bitset<N>& out) {
  const bool star = !text.empty() && text.front() == '*';
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    const std::string_view item = text.substr(pos, comma - pos);
    if (item.empty()) throw field_error(f, "empty list item in '" + std::string(text) + "'");
    std::string_view range = item;
    int step = 1;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      const std::string_view step_text = item.substr(slash + 1);
      const auto [end, ec] =
          std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || ec != std::errc{} || end != step_text.data() + step_text.size() ||
          step < 1)
        throw field_error(f, "step '" + std::string(step_text) + "' is not a positive number");
    }
    int lo = f.min, hi = f.max;
    if (range != "*") {
      if (const auto dash = range.find('-'); dash != std::string_view::npos) {
        lo = read_value(range.substr(0, dash), f);
        hi = read_value(range.substr(dash + 1), f);
        if (lo > hi) throw field_error(f, "range " + std::string(range) + " runs backwards");
      } else {
        lo = read_value(range, f);
        // "5/15" means from 5 to the end in steps of 15, as in most crons.
        hi = range.size() == item.size() ? lo : f.max;
      }
    }
    for (int v = lo; v <= hi; v += step) {
      const int bit = (N == 7 && v == 7) ? 0 : v;  // day-of-week 7 is Sunday
      out.set(static_cast<std::size_t>(bit));
    }
    pos = comma + 1;
  }
  return star;
}

int days_in_month(int month) {
  static constexpr int days[] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return days[month];
}

}  // namespace

cron_schedule parse_cron(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    if (pos >= text.size()) break;
    std::size_t end = pos;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t') ++end;
    fields.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  if (fields.size() != 5)
    throw std::invalid_argument(
        "schedule: expected 5 fields (minute hour day-of-month month day-of-week), got " +
        std::to_string(fields.size()));
  static const field_spec minute{"minute", 0, 59, {}};
  static const field_spec hour{"hour", 0, 23, {}};
  static const field_spec day{"day-of-month", 1, 31, {}};
  static const field_spec month{
      "month",
      1,
      12,
      {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}};
  static const field_spec weekday{
      "day-of-week", 0, 6, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}};
  cron_schedule s;
  s.text = std::string(text);
  parse_field(fields[0], minute, s.minutes);
  parse_field(fields[1], hour, s.hours);
  s.any_day = parse_field(fields[2], day, s.days);
  parse_field(fields[3], month, s.months);
  s.any_weekday = parse_field(fields[4], weekday, s.weekdays);
  if (!s.any_day && s.any_weekday) {
    bool possible = false;
    for (int m = 1; m <= 12 && !possible; ++m) {
      if (!s.months.test(static_cast<std::size_t>(m))) continue;
      for (int d = 1; d <= days_in_month(m) && !possible; ++d)
        possible = s.days.test(static_cast<std::size_t>(d));
    }
    if (!possible)
      throw std::invalid_argument("day-of-month: no month of the schedule has such a day");
  }
  return s;
}

struct zoned_schedule::icu_zone {
  std::unique_ptr<icu::BasicTimeZone> tz;

  std::int64_t offset_at(std::int64_t utc_ms) const {
    std::int32_t raw = 0, dst = 0;
    UErrorCode status = U_ZERO_ERROR;
    tz->getOffset(static_cast<UDate>(utc_ms), false, raw, dst, status);
    return U_SUCCESS(status) ? raw + dst : 0;
  }
};

zoned_schedule::zoned_schedule(std::string_view cron_text, std::string_view zone)
    : schedule_(parse_cron(cron_text)), zone_(zone) {
  const icu::UnicodeString id = icu::UnicodeString::fromUTF8(
      icu::StringPiece(zone.data(), static_cast<std::int32_t>(zone.size())));
  std::unique_ptr<icu::TimeZone> tz(icu::TimeZone::createTimeZone(id));
  icu::UnicodeString got;
  tz->getID(got);
  auto* basic = dynamic_cast<icu::BasicTimeZone*>(tz.get());
  if (zone.empty() || got == UNICODE_STRING_SIMPLE("Etc/Unknown") || basic == nullptr)
    throw std::invalid_argument("timezone: '" + std::string(zone) +
                                "' is not an IANA time zone (e.g. Europe/Paris, UTC)");
  tz_ = std::make_unique<icu_zone>();
  tz_->tz.reset(basic);
  tz.release();
}

zoned_schedule::~zoned_schedule() = default;
zoned_schedule::zoned_schedule(zoned_schedule&&) noexcept = default;
zoned_schedule& zoned_schedule::operator=(zoned_schedule&&) noexcept = default;

std::int64_t zoned_schedule::local_ms(std::int64_t utc_ms) const {
  return utc_ms + tz_->offset_at(utc_ms);
}

std::int64_t zoned_schedule::to_utc(std::int64_t local) const {
  std::int32_t raw = 0, dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  // A repeated wall time (fall back) is read as its first occurrence.
  tz_->tz->getOffsetFromLocal(static_cast<UDate>(local), UCAL_TZ_LOCAL_FORMER, UCAL_TZ_LOCAL_FORMER,
                              raw, dst, status);
  const std::int64_t utc = local - (U_SUCCESS(status) ? raw + dst : 0);
  if (local_ms(utc) == local) return utc;
  // A skipped wall time (spring forward) fires at the change. The change lies within hours of
  // either reading of the wall time; changes are months apart.
  icu::TimeZoneTransition change;
  if (tz_->tz->getNextTransition(static_cast<UDate>(utc - 12 * hour_ms), false, change))
    return static_cast<std::int64_t>(change.getTime());
  return utc;
}

std::optional<std::int64_t> zoned_schedule::next_after(std::int64_t after_ms) const {
  namespace chr = std::chrono;
  const std::int64_t local_now = local_ms(after_ms);
  // Wall times well before `local_now` map before `after_ms` whatever the offset change.
  const std::int64_t skip_before = local_now - 3 * hour_ms;
  std::int64_t day = local_now / day_ms - (local_now % day_ms < 0 ? 1 : 0);
  const std::int64_t last_day = day + 8 * 366;
  for (; day <= last_day; ++day) {
    const chr::sys_days date{chr::days{day}};
    const chr::year_month_day ymd{date};
    const auto month = static_cast<unsigned>(ymd.month());
    if (!schedule_.months.test(month)) continue;
    const bool day_ok = schedule_.days.test(static_cast<unsigned>(ymd.day()));
    const bool weekday_ok = schedule_.weekdays.test(chr::weekday{date}.c_encoding());
    const bool due_day = (schedule_.any_day || schedule_.any_weekday) ? (day_ok && weekday_ok)
                                                                      : (day_ok || weekday_ok);
    if (!due_day) continue;
    for (std::size_t h = 0; h < 24; ++h) {
      if (!schedule_.hours.test(h)) continue;
      for (std::size_t m = 0; m < 60; ++m) {
        if (!schedule_.minutes.test(m)) continue;
        const std::int64_t wall = day * day_ms + static_cast<std::int64_t>(h) * hour_ms +
                                  static_cast<std::int64_t>(m) * minute_ms;
        if (wall < skip_before) continue;
        const std::int64_t utc = to_utc(wall);
        if (utc > after_ms) return utc;
      }
    }
  }
  return std::nullopt;
}

schedule_decision decide_schedule(const zoned_schedule& schedule,
                                  std::optional<std::int64_t> last_ms, std::int64_t now_ms,
                                  std::int64_t late_after_ms) {
  if (!last_ms) return {std::nullopt, now_ms};
  const auto first = schedule.next_after(*last_ms);
  if (!first || *first > now_ms) return {std::nullopt, *last_ms};
  // The latest due time at or before now. After a long stop, start near now: a dense schedule
  // ("* * * * *") has a due time in the last day; a sparse one has few to walk through.
  std::int64_t latest = *first;
  if (const auto near = schedule.next_after(std::max(*last_ms, now_ms - 25 * hour_ms));
      near && *near <= now_ms)
    latest = std::max(latest, *near);
  while (const auto next = schedule.next_after(latest)) {
    if (*next > now_ms) break;
    latest = *next;
  }
  scheduled_run run;
  run.due_ms = latest;
  run.late = now_ms - latest > late_after_ms;
  run.folded = latest != *first;
  return {run, latest};
}

}  // namespace sessiondx::bot

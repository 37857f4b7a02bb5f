#include "bot/i18n/customer_line.hpp"

#include "bot/i18n/catalog.hpp"

#include <memory>
#include <unicode/datefmt.h>
#include <unicode/locid.h>
#include <unicode/reldatefmt.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>
#include <vector>

namespace sessiondx::bot::i18n {
namespace {

using what = customer_notice::what;
using step = customer_notice::step;

std::string utf8(const icu::UnicodeString& s) {
  std::string out;
  s.toUTF8String(out);
  return out;
}

icu::Locale locale_of(std::string_view language, std::string_view tag) {
  UErrorCode status = U_ZERO_ERROR;
  if (!tag.empty()) {
    icu::Locale loc = icu::Locale::forLanguageTag(
        icu::StringPiece(tag.data(), static_cast<int32_t>(tag.size())), status);
    if (U_SUCCESS(status) && !loc.isBogus() && language == loc.getLanguage()) return loc;
  }
  return icu::Locale(std::string(language).c_str());
}

/// The zone, or nullptr when the id is not a zone ICU knows.
std::unique_ptr<icu::TimeZone> zone_of(std::string_view id) {
  if (id.empty()) return nullptr;
  std::unique_ptr<icu::TimeZone> z(icu::TimeZone::createTimeZone(
      icu::UnicodeString::fromUTF8(icu::StringPiece(id.data(), static_cast<int32_t>(id.size())))));
  if (!z || *z == icu::TimeZone::getUnknown()) return nullptr;
  return z;
}

std::int64_t local_day(const icu::TimeZone& z, std::int64_t ms) {
  UErrorCode status = U_ZERO_ERROR;
  int32_t raw = 0, dst = 0;
  z.getOffset(static_cast<UDate>(ms), false, raw, dst, status);
  const std::int64_t local = ms + raw + dst;
  return (local >= 0 ? local : local - 86'399'999) / 86'400'000;
}

std::string formatted(icu::DateFormat* f, const icu::TimeZone& z, std::int64_t ms) {
  if (f == nullptr) return {};
  std::unique_ptr<icu::DateFormat> owned(f);
  owned->setTimeZone(z);
  icu::UnicodeString out;
  owned->format(static_cast<UDate>(ms), out);
  return utf8(out);
}

std::string relative(const icu::Locale& loc, double n, UDateRelativeUnit unit) {
  UErrorCode status = U_ZERO_ERROR;
  icu::RelativeDateTimeFormatter f(loc, status);
  if (U_FAILURE(status)) return {};
  icu::UnicodeString out;
  f.format(n, UDAT_DIRECTION_LAST, unit, out, status);
  return U_FAILURE(status) ? std::string() : utf8(out);
}

std::string_view what_key(what w) {
  switch (w) {
    case what::unknown:
      return "customer.unknown";
    case what::nothing_wrong:
      return "customer.nothing_wrong";
    case what::page_slow:
      return "customer.page_slow";
    case what::page_unresponsive:
      return "customer.page_unresponsive";
    case what::page_error:
      return "customer.page_error";
    case what::action_failed:
      return "customer.action_failed";
    case what::action_recovered:
      return "customer.action_recovered";
    case what::payment_declined:
      return "customer.payment_declined";
    case what::refused_by_rules:
      return "customer.refused_by_rules";
    case what::rate_limited:
      return "customer.rate_limited";
    case what::signed_out:
      return "customer.signed_out";
  }
  return "customer.unknown";
}

std::string_view step_key(step s) {
  switch (s) {
    case step::none:
      return {};
    case step::try_again_later:
      return "step.try_again_later";
    case step::reload_page:
      return "step.reload_page";
    case step::use_other_card:
      return "step.use_other_card";
    case step::sign_in_again:
      return "step.sign_in_again";
    case step::wait_for_fix:
      return "step.wait_for_fix";
    case step::update_app:
      return "step.update_app";
    case step::wait_then_retry:
      return "step.wait_then_retry";
  }
  return {};
}

/// Our failures, for which we apologise.
bool our_fault(what w) {
  return w == what::page_slow || w == what::page_unresponsive || w == what::page_error ||
         w == what::action_failed;
}

}  // namespace

bool has_notice(const diagnosis& d) {
  return d.notice.happened != what::unknown || d.event_count == 0;
}

std::string when_phrase(std::string_view language, std::string_view locale, std::int64_t at_ms,
                        std::string_view time_zone, std::int64_t now_ms) {
  const icu::Locale loc = locale_of(language, locale);
  UErrorCode status = U_ZERO_ERROR;
  const std::string tag = loc.toLanguageTag<std::string>(status);
  if (at_ms != 0) {
    if (auto z = zone_of(time_zone)) {
      const std::string time =
          formatted(icu::DateFormat::createTimeInstance(icu::DateFormat::kShort, loc), *z, at_ms);
      if (now_ms != 0 && local_day(*z, now_ms) == local_day(*z, at_ms)) {
        return format(language, "when.at_time", {{"time", time}}, tag);
      }
      const std::string date =
          formatted(icu::DateFormat::createDateInstance(icu::DateFormat::kLong, loc), *z, at_ms);
      return format(language, "when.on_date", {{"date", date}, {"time", time}}, tag);
    }
    if (now_ms != 0) {
      const std::int64_t ago = now_ms - at_ms;
      constexpr std::int64_t minute = 60'000, hour = 60 * minute, day = 24 * hour;
      if (ago < 2 * minute) return format(language, "when.just_now", {}, tag);
      if (ago < 10 * minute) return format(language, "when.few_minutes", {}, tag);
      std::string r;
      if (ago < hour) {
        r = relative(loc, static_cast<double>(ago / minute), UDAT_RELATIVE_MINUTES);
      } else if (ago < day) {
        r = relative(loc, static_cast<double>(ago / hour), UDAT_RELATIVE_HOURS);
      } else {
        r = relative(loc, static_cast<double>(ago / day), UDAT_RELATIVE_DAYS);
      }
      if (!r.empty()) return r;
    }
  }
  return format(language, "when.earlier", {}, tag);
}

customer_line word_customer_line(const diagnosis& d, std::string_view team_language,
                                 std::int64_t now_ms) {
  customer_line out;
  const auto& n = d.notice;
  const auto& c = d.context;
  out.language = pick_language(c.locale, team_language);
  out.language_name = language_name(out.language);
  const std::string team = pick_language(team_language, "en");
  out.label = format(team, "label.for_customer", {{"language", out.language_name}});

  const icu::Locale loc = locale_of(out.language, c.locale);
  UErrorCode status = U_ZERO_ERROR;
  const std::string tag = loc.toLanguageTag<std::string>(status);
  const std::int64_t at = n.at_ms != 0 ? n.at_ms : d.last_seen_ms;
  const std::string when = when_phrase(out.language, c.locale, at, c.time_zone, now_ms);

  std::vector<std::string> sentences;
  sentences.push_back(format(out.language, what_key(n.happened), {{"when", when}}, tag));
  if (n.attempts >= 2 &&
      (n.happened == what::action_failed || n.happened == what::payment_declined)) {
    sentences.push_back(format(out.language, "customer.attempts", {{"attempts", n.attempts}}, tag));
  }
  if (our_fault(n.happened)) sentences.push_back(format(out.language, "customer.sorry", {}, tag));
  if (n.others_affected) {
    sentences.push_back(format(out.language, "customer.others_affected", {}, tag));
  }
  if (auto k = step_key(n.next);
      !k.empty() && !(n.others_affected && n.next == step::wait_for_fix)) {
    sentences.push_back(format(out.language, k, {}, tag));
  }
  for (const auto& s : sentences) {
    if (s.empty()) continue;
    if (!out.text.empty()) out.text += ' ';
    out.text += s;
  }
  return out;
}

}  // namespace sessiondx::bot::i18n

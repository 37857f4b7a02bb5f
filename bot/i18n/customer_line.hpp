#pragma once

// The customer line: what the customer went through and what they can do, in their language,
// worded from diagnosis.notice (filled by the rules) and the session context (locale, time
// zone). Second person, plain words, no routes, selectors or UTC. Pure: `now_ms` is an input.

#include "bot/diagnosis.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace sessiondx::bot::i18n {

struct customer_line {
  std::string language;       ///< catalog language used ("fr")
  std::string language_name;  ///< its name in itself ("français")
  std::string label;          ///< "For the customer (français):", in the team language
  std::string text;           ///< the line itself, in `language`
};

/// Whether the rules filled the notice (a session with events whose notice is still `unknown`
/// comes from rules that do not fill it yet).
bool has_notice(const diagnosis& d);

/// Words d.notice in the language of d.context.locale (BCP 47 -> its language -> the team
/// language -> English). Times: in d.context.time_zone when it is a known IANA zone ("à 14:32"),
/// else relative to `now_ms` ("il y a quelques minutes"), else "earlier".
customer_line word_customer_line(const diagnosis& d, std::string_view team_language,
                                 std::int64_t now_ms);

/// The phrase for when something happened, as used inside the customer line. Exposed for tests.
std::string when_phrase(std::string_view language, std::string_view locale, std::int64_t at_ms,
                        std::string_view time_zone, std::int64_t now_ms);

}  // namespace sessiondx::bot::i18n

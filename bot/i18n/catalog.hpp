#pragma once

// Message catalogs: one gettext .po file per language under i18n/, compiled into the binary,
// with ICU MessageFormat patterns as msgstrs (msgctxt is the key, msgid the English source).
// Formatting uses ICU: CLDR plural rules, the locale's numbers and dates. Pure (no files, no
// clock).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sessiondx::bot::i18n {

struct embedded_catalog {
  const char* language;  ///< "fr": the file name without .po
  const char* text;      ///< the .po file
};
/// Every catalog compiled in (generated from i18n/*.po at build time).
const std::vector<embedded_catalog>& embedded_catalogs();

/// key -> ICU MessageFormat pattern.
using catalog = std::map<std::string, std::string, std::less<>>;

/// The entries of a .po file that have a msgctxt and a non-empty msgstr.
catalog parse_po(std::string_view po);

/// The parsed catalog of `language` ("fr"), or nullptr when none is shipped.
const catalog* find_catalog(std::string_view language);
/// Languages shipped, English first.
std::vector<std::string> languages();

/// The catalog language to use for a BCP 47 tag: the tag's language if shipped ("fr-CA" ->
/// "fr"), else `fallback`'s language if shipped, else "en".
std::string pick_language(std::string_view bcp47, std::string_view fallback = "en");

/// The language's name in itself, from ICU: "français", "polski", "English".
std::string language_name(std::string_view language);

using argument = std::variant<std::string, std::int64_t>;
using arguments = std::vector<std::pair<std::string, argument>>;

/// The message `key` in `language` (English when the catalog lacks it), formatted with ICU
/// MessageFormat in `locale` (a BCP 47 tag for numbers and plural rules; "" = `language`).
/// An unknown key or a broken pattern gives the key itself, so a mistake shows, never throws.
std::string format(std::string_view language, std::string_view key, const arguments& args = {},
                   std::string_view locale = {});

/// `v` with `decimals` decimals, without grouping, with `language`'s decimal separator:
/// "7.4" in English, "7,4" in French, Polish, Dutch and German.
std::string format_decimal(std::string_view language, double v, int decimals);

/// The argument names a pattern uses ({when}, {attempts, plural, …}), sorted; "" on a syntax
/// error. For the catalog tests.
std::vector<std::string> placeholders(std::string_view pattern);

/// The plural keywords a pattern selects on ("one", "few", "other"; explicit "=0" selectors
/// left out), sorted, distinct; {""} on a syntax error. For the catalog tests.
std::vector<std::string> plural_keywords(std::string_view pattern);

/// The keywords of each plural argument of a pattern, in order of the argument's end (explicit
/// "=0" selectors left out), each sorted; {{""}} on a syntax error. For the catalog tests.
std::vector<std::vector<std::string>> plural_arguments(std::string_view pattern);

/// The CLDR plural categories of `language` from ICU: {"few", "many", "one", "other"} for "pl".
std::vector<std::string> cldr_plural_keywords(std::string_view language);

}  // namespace sessiondx::bot::i18n

#include "bot/i18n/catalog.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <mutex>
#include <unicode/dcfmtsym.h>
#include <unicode/locid.h>
#include <unicode/messagepattern.h>
#include <unicode/msgfmt.h>
#include <unicode/plurrule.h>
#include <unicode/strenum.h>
#include <unicode/unistr.h>

namespace sessiondx::bot::i18n {
namespace {

icu::UnicodeString u(std::string_view s) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
}

std::string utf8(const icu::UnicodeString& s) {
  std::string out;
  s.toUTF8String(out);
  return out;
}

// The text of one quoted .po string, unescaped; `line` starts at the opening quote.
std::string unquote(std::string_view line) {
  std::string out;
  const auto first = line.find('"');
  const auto last = line.rfind('"');
  if (first == std::string_view::npos || last <= first) return out;
  for (std::size_t i = first + 1; i < last; ++i) {
    char c = line[i];
    if (c == '\\' && i + 1 < last) {
      char n = line[++i];
      out += n == 'n' ? '\n' : n == 't' ? '\t' : n;
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

struct parsed {
  std::map<std::string, catalog, std::less<>> by_language;
};

const parsed& all() {
  static const parsed p = [] {
    parsed out;
    for (const auto& c : embedded_catalogs()) out.by_language[c.language] = parse_po(c.text);
    return out;
  }();
  return p;
}

}  // namespace

catalog parse_po(std::string_view po) {
  catalog out;
  std::string ctxt, id, str;
  std::string* current = nullptr;
  bool has_ctxt = false;
  auto flush = [&] {
    if (has_ctxt && !str.empty()) out[ctxt] = str;
    ctxt.clear();
    id.clear();
    str.clear();
    has_ctxt = false;
    current = nullptr;
  };
  while (!po.empty()) {
    const auto end = po.find('\n');
    std::string_view line = trim(po.substr(0, end));
    po.remove_prefix(end == std::string_view::npos ? po.size() : end + 1);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("msgctxt")) {
      flush();
      has_ctxt = true;
      ctxt = unquote(line);
      current = &ctxt;
    } else if (line.starts_with("msgid")) {
      if (!str.empty() || (current == &str)) flush();
      id = unquote(line);
      current = &id;
    } else if (line.starts_with("msgstr")) {
      str = unquote(line);
      current = &str;
    } else if (line.front() == '"' && current != nullptr) {
      *current += unquote(line);
    }
  }
  flush();
  return out;
}

const catalog* find_catalog(std::string_view language) {
  const auto& p = all().by_language;
  auto it = p.find(language);
  return it == p.end() ? nullptr : &it->second;
}

std::vector<std::string> languages() {
  std::vector<std::string> out{"en"};
  for (const auto& [lang, c] : all().by_language)
    if (lang != "en") out.push_back(lang);
  return out;
}

std::string pick_language(std::string_view bcp47, std::string_view fallback) {
  auto language_of = [](std::string_view tag) -> std::string {
    if (tag.empty()) return {};
    UErrorCode status = U_ZERO_ERROR;
    icu::Locale loc = icu::Locale::forLanguageTag(
        icu::StringPiece(tag.data(), static_cast<int32_t>(tag.size())), status);
    if (U_FAILURE(status) || loc.isBogus()) {
      // Not BCP 47 (a POSIX "fr_FR.UTF-8"?): the letters before the first separator.
      std::string out;
      for (char c : tag) {
        if (c == '-' || c == '_' || c == '.') break;
        out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      }
      return out;
    }
    return loc.getLanguage();
  };
  for (const auto& l : {language_of(bcp47), language_of(fallback)}) {
    if (!l.empty() && find_catalog(l) != nullptr) return l;
  }
  return "en";
}

std::string language_name(std::string_view language) {
  icu::Locale loc(std::string(language).c_str());
  icu::UnicodeString name;
  loc.getDisplayLanguage(loc, name);
  std::string out = utf8(name);
  return out.empty() ? std::string(language) : out;
}

std::string format(std::string_view language, std::string_view key, const arguments& args,
                   std::string_view locale) {
  const catalog* c = find_catalog(language);
  auto it = c != nullptr ? c->find(key) : catalog::const_iterator();
  if (c == nullptr || it == c->end()) {
    c = find_catalog("en");
    if (c == nullptr) return std::string(key);
    it = c->find(key);
    if (it == c->end()) return std::string(key);
    language = "en";
  }
  const std::string tag(locale.empty() ? language : locale);
  // A compiled pattern per (language, locale, key), per thread: ICU formatters are not shared
  // between threads, and compiling a pattern costs far more than formatting with it.
  thread_local std::map<std::string, std::unique_ptr<icu::MessageFormat>, std::less<>> cache;
  std::string cache_key(language);
  cache_key.append(1, '\0').append(tag).append(1, '\0').append(key);
  auto cached = cache.find(cache_key);
  UErrorCode status = U_ZERO_ERROR;
  if (cached == cache.end()) {
    icu::Locale loc = icu::Locale::forLanguageTag(tag, status);
    if (U_FAILURE(status) || loc.isBogus()) {
      status = U_ZERO_ERROR;
      loc = icu::Locale(std::string(language).c_str());
    }
    auto made = std::make_unique<icu::MessageFormat>(u(it->second), loc, status);
    if (U_FAILURE(status)) made.reset();
    status = U_ZERO_ERROR;
    cached = cache.emplace(std::move(cache_key), std::move(made)).first;
  }
  if (!cached->second) return std::string(key);
  const icu::MessageFormat& mf = *cached->second;
  std::vector<icu::UnicodeString> names;
  std::vector<icu::Formattable> values;
  for (const auto& [name, value] : args) {
    names.push_back(u(name));
    if (const auto* s = std::get_if<std::string>(&value)) {
      values.emplace_back(u(*s));
    } else {
      values.emplace_back(static_cast<int64_t>(std::get<std::int64_t>(value)));
    }
  }
  icu::UnicodeString out;
  mf.format(names.data(), values.data(), static_cast<int32_t>(names.size()), out, status);
  if (U_FAILURE(status)) return std::string(key);
  return utf8(out);
}

std::string format_decimal(std::string_view language, double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string out = buf;
  if (decimals <= 0) return out;
  thread_local std::map<std::string, std::string, std::less<>> separators;
  auto it = separators.find(language);
  if (it == separators.end()) {
    UErrorCode status = U_ZERO_ERROR;
    icu::DecimalFormatSymbols symbols(icu::Locale(std::string(language).c_str()), status);
    std::string sep = ".";
    if (U_SUCCESS(status)) {
      sep = utf8(symbols.getConstSymbol(icu::DecimalFormatSymbols::kDecimalSeparatorSymbol));
    }
    it = separators.emplace(std::string(language), sep.empty() ? "." : sep).first;
  }
  if (const auto dot = out.find('.'); dot != std::string::npos) out.replace(dot, 1, it->second);
  return out;
}

std::vector<std::string> placeholders(std::string_view pattern) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError error;
  icu::MessagePattern mp(u(pattern), &error, status);
  if (U_FAILURE(status)) return {""};
  std::vector<std::string> out;
  for (int32_t i = 0; i < mp.countParts(); ++i) {
    const auto& part = mp.getPart(i);
    if (part.getType() == UMSGPAT_PART_TYPE_ARG_NAME) out.push_back(utf8(mp.getSubstring(part)));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> plural_keywords(std::string_view pattern) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError error;
  icu::MessagePattern mp(u(pattern), &error, status);
  if (U_FAILURE(status)) return {""};
  std::vector<std::string> out;
  for (int32_t i = 0; i < mp.countParts(); ++i) {
    const auto& part = mp.getPart(i);
    if (part.getType() != UMSGPAT_PART_TYPE_ARG_SELECTOR) continue;
    const std::string keyword = utf8(mp.getSubstring(part));
    if (!keyword.empty() && keyword.front() != '=') out.push_back(keyword);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::vector<std::string>> plural_arguments(std::string_view pattern) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError error;
  icu::MessagePattern mp(u(pattern), &error, status);
  if (U_FAILURE(status)) return {{""}};
  std::vector<std::vector<std::string>> out;
  // One entry per open argument, innermost last: whether it is a plural, and its keywords.
  std::vector<std::pair<bool, std::vector<std::string>>> open;
  for (int32_t i = 0; i < mp.countParts(); ++i) {
    const auto& part = mp.getPart(i);
    switch (part.getType()) {
      case UMSGPAT_PART_TYPE_ARG_START:
        open.push_back({part.getArgType() == UMSGPAT_ARG_TYPE_PLURAL, {}});
        break;
      case UMSGPAT_PART_TYPE_ARG_SELECTOR:
        if (!open.empty()) {
          const std::string keyword = utf8(mp.getSubstring(part));
          if (!keyword.empty() && keyword.front() != '=') open.back().second.push_back(keyword);
        }
        break;
      case UMSGPAT_PART_TYPE_ARG_LIMIT:
        if (!open.empty()) {
          auto [plural, keywords] = std::move(open.back());
          open.pop_back();
          if (!plural) break;
          std::sort(keywords.begin(), keywords.end());
          keywords.erase(std::unique(keywords.begin(), keywords.end()), keywords.end());
          out.push_back(std::move(keywords));
        }
        break;
      default:
        break;
    }
  }
  return out;
}

std::vector<std::string> cldr_plural_keywords(std::string_view language) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::PluralRules> rules(
      icu::PluralRules::forLocale(icu::Locale(std::string(language).c_str()), status));
  if (U_FAILURE(status) || !rules) return {};
  std::unique_ptr<icu::StringEnumeration> keywords(rules->getKeywords(status));
  std::vector<std::string> out;
  if (U_FAILURE(status) || !keywords) return out;
  while (const icu::UnicodeString* k = keywords->snext(status)) {
    if (U_FAILURE(status)) break;
    out.push_back(utf8(*k));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace sessiondx::bot::i18n

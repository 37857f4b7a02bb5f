#include "bot/session_id.hpp"

#include <boost/regex.hpp>

#include <array>
#include <stdexcept>

namespace sessiondx::bot {

struct session_id_format::compiled {
  boost::regex regex;
};

namespace {

constexpr std::string_view default_pattern = "^[A-Za-z0-9_-]{8,64}$";

// Wrappers and separators stripped from both ends of a pasted id, longest (UTF-8) first.
constexpr std::array<std::string_view, 22> strippable = {
    "\u2018", "\u2019", "\u201C", "\u201D", "\u00AB", "\u00BB", "\u200B", "\uFEFF",
    "\u00A0", " ",      "\t",     "\r",     "\n",     "`",      "'",      "\"",
    "<",      ">",      "(",      ")",      "[",      "]",
};
// Only at the end: sentence punctuation after an id ("the id is abcd1234.").
constexpr std::array<std::string_view, 6> trailing_punctuation = {".", ",", ";", ":", "!", "?"};

bool strip_prefix(std::string_view& s) {
  for (auto w : strippable) {
    if (s.starts_with(w)) {
      s.remove_prefix(w.size());
      return true;
    }
  }
  return false;
}

bool strip_suffix(std::string_view& s) {
  for (auto w : strippable) {
    if (s.ends_with(w)) {
      s.remove_suffix(w.size());
      return true;
    }
  }
  for (auto p : trailing_punctuation) {
    if (s.ends_with(p)) {
      s.remove_suffix(p.size());
      return true;
    }
  }
  return false;
}

// At most `max_bytes` of `s`, cut on a UTF-8 character boundary, with "…" when shortened.
std::string shorten(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end)) + "\u2026";
}

// Letters that look like ASCII ones in another script, as a customer's keyboard or a font
// substitutes them when the id is copied by hand ("К7QX2М0А" with Cyrillic К, М, А).
struct look_alike {
  std::string_view utf8;
  char ascii;
};
constexpr std::array<look_alike, 37> look_alikes = {{
    // Cyrillic capitals and small letters
    {"\u0410", 'A'},
    {"\u0412", 'B'},
    {"\u0415", 'E'},
    {"\u041A", 'K'},
    {"\u041C", 'M'},
    {"\u041D", 'H'},
    {"\u041E", 'O'},
    {"\u0420", 'P'},
    {"\u0421", 'C'},
    {"\u0422", 'T'},
    {"\u0425", 'X'},
    {"\u0430", 'a'},
    {"\u0435", 'e'},
    {"\u043E", 'o'},
    {"\u0440", 'p'},
    {"\u0441", 'c'},
    {"\u0443", 'y'},
    {"\u0445", 'x'},
    {"\u0456", 'i'},
    {"\u0406", 'I'},
    // Greek capitals and omicron
    {"\u0391", 'A'},
    {"\u0392", 'B'},
    {"\u0395", 'E'},
    {"\u0396", 'Z'},
    {"\u0397", 'H'},
    {"\u0399", 'I'},
    {"\u039A", 'K'},
    {"\u039C", 'M'},
    {"\u039D", 'N'},
    {"\u039F", 'O'},
    {"\u03A1", 'P'},
    {"\u03A4", 'T'},
    {"\u03A5", 'Y'},
    {"\u03A7", 'X'},
    {"\u03BF", 'o'},
    // Hyphen and minus look-alikes
    {"\u2010", '-'},
    {"\u2212", '-'},
}};

// `s` with full-width ASCII (U+FF01-FF5E) and the look-alike letters above mapped to ASCII.
std::string fold_look_alikes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    // Full width: EF BC 81..BF = U+FF01..FF3F, EF BD 80..9E = U+FF40..FF5E.
    if (b0 == 0xEF && i + 2 < s.size()) {
      const auto b1 = static_cast<unsigned char>(s[i + 1]);
      const auto b2 = static_cast<unsigned char>(s[i + 2]);
      if ((b1 == 0xBC && b2 >= 0x81 && b2 <= 0xBF) || (b1 == 0xBD && b2 >= 0x80 && b2 <= 0x9E)) {
        out += static_cast<char>(0x21 + (b1 - 0xBC) * 64 + (b2 - 0x81));
        i += 3;
        continue;
      }
    }
    bool mapped = false;
    if (b0 >= 0x80) {
      for (const auto& [utf8, ascii] : look_alikes) {
        if (s.substr(i).starts_with(utf8)) {
          out += ascii;
          i += utf8.size();
          mapped = true;
          break;
        }
      }
    }
    if (!mapped) out += s[i++];
  }
  return out;
}

}  // namespace

std::shared_ptr<const session_id_format::compiled> session_id_format::compile(
    const std::string& pattern) {
  try {
    return std::make_shared<const session_id_format::compiled>(
        session_id_format::compiled{boost::regex(pattern, boost::regex::ECMAScript)});
  } catch (const boost::regex_error& e) {
    throw std::invalid_argument("session id pattern \"" + pattern +
                                "\" is not a valid regex: " + e.what());
  }
}

session_id_format::session_id_format()
    : session_id_format(std::string(default_pattern), "8\u201364 letters, digits, '-' or '_'",
                        "abcd1234efgh5678") {}

session_id_format::session_id_format(std::string pattern, std::string description,
                                     std::string example)
    : pattern_(std::move(pattern)),
      description_(std::move(description)),
      example_(std::move(example)),
      regex_(compile(pattern_)) {
  if (description_.empty()) description_ = "text matching " + pattern_;
}

bool session_id_format::matches(std::string_view id) const {
  if (id.empty() || id.size() > max_length) return false;
  return boost::regex_match(id.begin(), id.end(), regex_->regex);
}

std::string session_id_hint(const session_id_format& format) {
  std::string hint = "A session id is " + format.description();
  if (!format.example().empty()) hint += " (e.g. " + format.example() + ")";
  hint += "; the customer finds it in the website footer.";
  return hint;
}

clean_id_result clean_session_id(std::string_view text, const session_id_format& format) {
  std::string_view s = text;
  while (strip_prefix(s)) {
  }
  while (strip_suffix(s)) {
  }
  if (s.empty()) return {std::nullopt, "No session id given. " + session_id_hint(format)};
  if (format.matches(s)) return {std::string(s), {}};
  // Only when the id as typed is not one: a pattern may accept such letters on purpose.
  if (const std::string folded = fold_look_alikes(s); folded != s && format.matches(folded)) {
    return {folded, {}};
  }
  return {std::nullopt,
          "\u201C" + shorten(s, 40) + "\u201D is not a session id. " + session_id_hint(format)};
}

}  // namespace sessiondx::bot

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
  return {std::nullopt,
          "\u201C" + shorten(s, 40) + "\u201D is not a session id. " + session_id_hint(format)};
}

}  // namespace sessiondx::bot

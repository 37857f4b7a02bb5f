#include "bot/render/neutralize.hpp"

#include "bot/text/normalize.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace sessiondx::bot::render {
namespace {

constexpr std::string_view zwsp = "\u200B";

using text::append_utf8;
using text::decode_utf8;

bool is_word(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

char32_t lower(char32_t c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

bool starts_with_ci(const std::vector<char32_t>& cps, std::size_t at, std::string_view word) {
  if (at + word.size() > cps.size()) return false;
  for (std::size_t k = 0; k < word.size(); ++k) {
    if (lower(cps[at + k]) != static_cast<char32_t>(word[k])) return false;
  }
  return true;
}

// Step 1: the display normalisation ingest scrubbed (bot/text/normalize.hpp), with its line
// breaks shown as spaces; cut at max_chars.
std::vector<char32_t> clean_code_points(std::string_view s, std::size_t max_chars) {
  const std::string normal = text::normalize_for_display(s);
  std::vector<char32_t> cps;
  cps.reserve(normal.size());
  for (std::size_t i = 0; i < normal.size();) {
    char32_t c = decode_utf8(normal, i);
    if (c == '\n') c = ' ';
    cps.push_back(c);
  }
  if (max_chars > 0 && cps.size() > max_chars) {
    cps.resize(max_chars - 1);
    while (!cps.empty() && cps.back() == ' ') cps.pop_back();
    cps.push_back(0x2026);
  }
  return cps;
}

bool is_mass_mention(const std::vector<char32_t>& cps, std::size_t at) {
  for (std::string_view w : {"everyone", "here", "channel", "all"}) {
    if (starts_with_ci(cps, at, w)) return true;
  }
  return false;
}

bool markdown_special(char32_t c) {
  switch (c) {
    case '\\':
    case '`':
    case '*':
    case '_':
    case '~':
    case '|':
    case '[':
    case ']':
    case '(':
    case ')':
    case '#':
    case '<':
    case '>':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) append_utf8(decode_utf8(s, i), out);
  return out;
}

bool is_plain_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string neutralize(std::string_view field, target t, std::size_t max_chars) {
  auto cps = clean_code_points(field, max_chars);
  const bool md = t == target::markdown;
  std::string out;
  out.reserve(cps.size() + 8);

  // A leading list marker ("- ", "+ ", "1. ", "1) ") would turn the line into a list item.
  std::size_t start = 0;
  auto ends_marker = [&](std::size_t k) { return k + 1 == cps.size() || cps[k + 1] == ' '; };
  if (md && !cps.empty()) {
    if ((cps[0] == '-' || cps[0] == '+') && ends_marker(0)) {
      out += '\\';
      append_utf8(cps[0], out);
      start = 1;
    } else if (cps[0] >= '0' && cps[0] <= '9') {
      std::size_t k = 0;
      while (k < cps.size() && cps[k] >= '0' && cps[k] <= '9') ++k;
      if (k < cps.size() && (cps[k] == '.' || cps[k] == ')') && ends_marker(k)) {
        for (std::size_t d = 0; d < k; ++d) append_utf8(cps[d], out);
        out += '\\';
        append_utf8(cps[k], out);
        start = k + 1;
      }
    }
  }

  for (std::size_t i = start; i < cps.size(); ++i) {
    char32_t c = cps[i];
    if (c == '@') {
      bool word_start = i == 0 || !(is_word(cps[i - 1]) || cps[i - 1] == '.' || cps[i - 1] == '-' ||
                                    cps[i - 1] == '+');
      bool next_word = i + 1 < cps.size() && is_word(cps[i + 1]);
      bool is_mention =
          md ? word_start && next_word : i + 1 < cps.size() && is_mass_mention(cps, i + 1);
      out += '@';
      if (is_mention) out += zwsp;
      continue;
    }
    if (c == '<' && i + 1 < cps.size() &&
        (cps[i + 1] == '!' || cps[i + 1] == '@' || cps[i + 1] == '#')) {
      if (md) out += '\\';
      out += '<';
      out += zwsp;
      continue;
    }
    if (md && markdown_special(c)) out += '\\';
    append_utf8(c, out);
  }
  return out;
}

}  // namespace sessiondx::bot::render

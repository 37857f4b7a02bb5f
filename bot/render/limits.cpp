#include "bot/render/limits.hpp"

namespace sessiondx::bot::render {
namespace {

// Bytes of the UTF-8 sequence starting at `i` (1 for a stray byte) and its UTF-16 length.
std::pair<std::size_t, std::size_t> char_at(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t len = b < 0x80             ? 1
                    : (b & 0xE0) == 0xC0 ? 2
                    : (b & 0xF0) == 0xE0 ? 3
                    : (b & 0xF8) == 0xF0 ? 4
                                         : 1;
  if (i + len > s.size()) return {1, 1};
  for (std::size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return {1, 1};
  }
  return {len, len == 4 ? 2 : 1};
}

}  // namespace

std::size_t text_length(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto [bytes, units] = char_at(s, i);
    i += bytes;
    n += units;
  }
  return n;
}

std::string with_thousands(std::size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

namespace detail {

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      out.push_back(text.substr(start));
      break;
    }
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

std::size_t prefix_within(std::string_view s, std::size_t max_chars) {
  std::size_t i = 0, used = 0;
  while (i < s.size()) {
    auto [bytes, units] = char_at(s, i);
    if (used + units > max_chars) break;
    i += bytes;
    used += units;
  }
  return i;
}

}  // namespace detail

std::vector<std::string> split_for_limit(std::string_view text, std::size_t max_chars) {
  std::vector<std::string> parts;
  if (text.empty()) return parts;
  if (max_chars == 0) return {std::string(text)};

  std::string current;
  std::size_t current_len = 0;
  auto flush = [&] {
    if (!current.empty()) parts.push_back(std::move(current));
    current.clear();
    current_len = 0;
  };
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view line = text.substr(start, end - start);
    start = end;
    std::size_t len = text_length(line);
    if (current_len + len <= max_chars) {
      current.append(line);
      current_len += len;
      continue;
    }
    flush();
    // A line longer than a whole message: split it between characters.
    while (text_length(line) > max_chars) {
      std::size_t bytes = detail::prefix_within(line, max_chars);
      if (bytes == 0) bytes = 1;  // max_chars 1 and a surrogate pair: never loop forever
      parts.emplace_back(line.substr(0, bytes));
      line.remove_prefix(bytes);
    }
    current.assign(line);
    current_len = text_length(line);
  }
  flush();
  return parts;
}

}  // namespace sessiondx::bot::render

#include "connectors/webhook/body_scan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace sessiondx::webhook::body_scan {

using json = nlohmann::json;

namespace {

bool is_number_char(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// True when a JSON number literal would not fit a double (nlohmann's strtod gives inf). Short
// literals without an exponent always fit; only the rest pay for a conversion.
bool overflows_double(std::string_view token) {
  if (token.size() < 300 && token.find_first_of("eE") == std::string_view::npos) return false;
  const std::string copy(token);
  const double value = std::strtod(copy.c_str(), nullptr);
  return !std::isfinite(value);
}

}  // namespace

// One cheap pass over the bytes, skipping strings: nesting depth, where the top-level array's
// elements begin and end, and number literals out of range. Meaningless for invalid JSON, which
// the real parser rejects anyway.
shape scan_shape(std::string_view text, std::size_t max_depth, std::size_t max_elements) {
  shape out;
  std::size_t depth = 0;
  bool in_string = false;
  std::size_t element_begin = std::string_view::npos;
  std::size_t last_non_space = 0;
  std::size_t string_begin = 0;
  // The last key seen at each depth (raw, escapes not decoded), to name an out-of-range field.
  std::vector<std::string_view> keys(1);
  // False once there are more elements than allowed.
  auto close_element = [&](std::size_t) {
    if (element_begin != std::string_view::npos) {
      out.element_sizes.push_back(last_non_space + 1 - element_begin);
    }
    element_begin = std::string_view::npos;
    return out.element_sizes.size() <= max_elements;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (in_string) {
      // Jump to the closing quote with memchr. Linear: each byte is searched for a quote once
      // and for a backslash once, however many escapes the string has.
      const char* p = text.data() + i;
      const char* end = text.data() + text.size();
      const char* quote = nullptr;
      while (p < end) {
        if (quote == nullptr || quote < p) {
          quote = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
          if (quote == nullptr) break;
        }
        const auto* escape =
            static_cast<const char*>(std::memchr(p, '\\', static_cast<std::size_t>(quote - p)));
        if (escape == nullptr) break;
        p = escape + std::min<std::ptrdiff_t>(2, end - escape);  // and the byte it escapes
      }
      if (quote == nullptr || p >= end) return out;  // unterminated: invalid JSON anyway
      i = static_cast<std::size_t>(quote - text.data());
      in_string = false;
      last_non_space = i;
      // A string followed by ':' is a key of the object at this depth.
      std::size_t next = i + 1;
      while (next < text.size() && is_json_space(text[next])) ++next;
      if (next < text.size() && text[next] == ':' && depth < keys.size())
        keys[depth] = text.substr(string_begin, i - string_begin);
      continue;
    }
    const char c = text[i];
    if (is_json_space(c)) continue;
    if (out.top_array && depth == 1 && element_begin == std::string_view::npos && c != ',' &&
        c != ']') {
      element_begin = i;
    }
    switch (c) {
      case '"':
        in_string = true;
        string_begin = i + 1;
        break;
      case '{':
      case '[':
        if (depth == 0 && c == '[') out.top_array = true;
        ++depth;
        if (depth > out.max_depth) out.max_depth = depth;
        if (depth > max_depth) return out;  // refused anyway; keep the key stack bounded
        if (keys.size() <= depth) keys.resize(depth + 1);
        keys[depth] = {};
        break;
      case '}':
      case ']':
      case ',':
        if (out.top_array && depth == 1 && !close_element(i)) {
          out.too_many_elements = true;
          return out;
        }
        if (c != ',' && depth > 0) --depth;
        break;
      default:
        if ((c >= '0' && c <= '9') || c == '-') {
          std::size_t end = i + 1;
          while (end < text.size() && is_number_char(text[end])) ++end;
          const std::string_view token = text.substr(i, end - i);
          if (overflows_double(token)) {
            out_of_range_number bad{
                i, token.size(), out.top_array ? out.element_sizes.size() : 0, {}};
            for (std::size_t d = out.top_array ? 2 : 1; d <= depth && d < keys.size(); ++d) {
              if (keys[d].empty()) continue;
              if (!bad.field.empty()) bad.field += '.';
              bad.field += keys[d];
            }
            out.out_of_range.push_back(std::move(bad));
          }
          i = end - 1;
          last_non_space = i;
          continue;
        }
        break;
    }
    last_non_space = i;
  }
  return out;
}

/// The text with every out-of-range number replaced by a 0 of the same width, so that the DOM
/// parser accepts it (the events holding them are rejected).
std::string neutralise_numbers(std::string_view text, const std::vector<out_of_range_number>& bad) {
  std::string copy(text);
  for (const auto& b : bad) {
    copy[b.offset] = '0';
    std::fill_n(copy.begin() + static_cast<std::ptrdiff_t>(b.offset) + 1, b.length - 1, ' ');
  }
  return copy;
}

// --- messages --------------------------------------------------------------------------------

// Parser messages quote the offending bytes; keep the reply printable ASCII so that it can be
// serialised as JSON whatever the sender sent.
std::string printable(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string parse_error_text(const json::parse_error& e) {
  std::string what = e.what();
  // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." -> drop the tag.
  if (auto p = what.find("] "); p != std::string::npos && what.starts_with("[json.")) {
    what.erase(0, p + 2);
  }
  if (what.size() > 200) {
    what.resize(200);
    what += "...";
  }
  return printable(what);
}

std::string depth_error() {
  return "body: nested deeper than " + std::to_string(k_max_depth) + " levels";
}

}  // namespace sessiondx::webhook::body_scan

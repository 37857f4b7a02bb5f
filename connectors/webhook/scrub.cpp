#include "connectors/webhook/scrub.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

// A single left-to-right pass over the bytes. Only a few "trigger" bytes start a match attempt
// ('@', '=', a digit or hex letter or ':' at the start of a token, 'b'/'B' at the start of a
// word); every other byte costs one table lookup. The output string is only allocated once the
// first match is found, so clean text never allocates. The exact rules are in docs/events.md.

namespace sessiondx::webhook {
namespace {

enum char_class : std::uint8_t {
  k_digit = 1,
  k_alpha = 2,
  k_hex = 4,         // 0-9 a-f A-F
  k_word = 8,        // A-Z a-z 0-9 _
  k_email = 16,      // e-mail local part: A-Z a-z 0-9 . _ % + -
  k_token = 32,      // bearer token (RFC 6750 b64token): A-Z a-z 0-9 - . _ ~ + / =
  k_prefilter = 64,  // bytes that can take part in a match: '@', '=', digits
};

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c)
    t[c] |= k_digit | k_hex | k_word | k_email | k_token | k_prefilter;
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= k_alpha | k_word | k_email | k_token;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= k_alpha | k_word | k_email | k_token;
  for (int c = 'a'; c <= 'f'; ++c) t[c] |= k_hex;
  for (int c = 'A'; c <= 'F'; ++c) t[c] |= k_hex;
  t['_'] |= k_word | k_email | k_token;
  t['.'] |= k_email | k_token;
  t['%'] |= k_email;
  t['+'] |= k_email | k_token;
  t['-'] |= k_email | k_token;
  t['~'] |= k_token;
  t['/'] |= k_token;
  t['='] |= k_token | k_prefilter;
  t['@'] |= k_prefilter;
  return t;
}

constexpr std::array<std::uint8_t, 256> k_classes = make_classes();

inline bool is(char c, std::uint8_t cls) {
  return (k_classes[static_cast<unsigned char>(c)] & cls) != 0;
}
inline bool is_digit(char c) { return is(c, k_digit); }
inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

constexpr std::size_t npos = static_cast<std::size_t>(-1);

// Collects the output lazily: nothing is allocated until the first replacement.
class rewriter {
 public:
  explicit rewriter(std::string_view in) : in_(in) {}

  void replace(std::size_t begin, std::size_t end, std::string_view with) {
    if (!started_) {
      out_.reserve(in_.size() + 16);
      started_ = true;
    }
    out_.append(in_.data() + copied_, begin - copied_);
    out_.append(with);
    copied_ = end;
  }
  bool changed() const { return started_; }
  std::size_t copied() const { return copied_; }
  std::string finish() {
    out_.append(in_.data() + copied_, in_.size() - copied_);
    return std::move(out_);
  }

 private:
  std::string_view in_;
  std::string out_;
  std::size_t copied_ = 0;
  bool started_ = false;
};

// --- e-mail --------------------------------------------------------------------------------

// `at` is the position of '@'. Returns [begin, end) of the address or begin == npos.
std::pair<std::size_t, std::size_t> match_email(std::string_view s, std::size_t at,
                                                std::size_t floor) {
  std::size_t begin = at;
  while (begin > floor && is(s[begin - 1], k_email)) --begin;
  // A local part does not start or end with a dot.
  while (begin < at && s[begin] == '.') ++begin;
  if (begin == at || s[at - 1] == '.') return {npos, 0};

  // Domain: labels of [A-Za-z0-9-] separated by single dots, at least two labels, and a last
  // label of at least two letters.
  std::size_t pos = at + 1;
  std::size_t end = npos;
  std::size_t labels = 0;
  while (pos < s.size()) {
    std::size_t label_begin = pos;
    bool all_alpha = true;
    while (pos < s.size() && (is(s[pos], k_alpha) || is_digit(s[pos]) || s[pos] == '-')) {
      if (!is(s[pos], k_alpha)) all_alpha = false;
      ++pos;
    }
    std::size_t len = pos - label_begin;
    if (len == 0 || s[label_begin] == '-' || s[pos - 1] == '-') break;
    ++labels;
    if (labels >= 2 && all_alpha && len >= 2) end = pos;
    if (pos + 1 < s.size() && s[pos] == '.' && is(s[pos + 1], k_word)) {
      ++pos;
      continue;
    }
    break;
  }
  if (end == npos) return {npos, 0};
  return {begin, end};
}

// --- key=value -----------------------------------------------------------------------------

bool is_secret_key(std::string_view key) {
  static constexpr std::string_view keys[] = {
      "password", "passwd", "pwd", "token",  "access_token", "refresh_token",
      "api_key",  "apikey", "key", "secret", "client_secret"};
  if (key.size() < 3 || key.size() > 13) return false;
  for (std::string_view k : keys) {
    if (k.size() != key.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size() && same; ++i) same = lower(key[i]) == k[i];
    if (same) return true;
  }
  return false;
}

// `eq` is the position of '='. Returns [begin, end) of the value or begin == npos.
std::pair<std::size_t, std::size_t> match_secret_param(std::string_view s, std::size_t eq,
                                                       std::size_t floor) {
  std::size_t key_begin = eq;
  while (key_begin > floor && (is(s[key_begin - 1], k_alpha) || s[key_begin - 1] == '_'))
    --key_begin;
  if (key_begin == eq) return {npos, 0};
  if (key_begin > 0) {
    char before = s[key_begin - 1];
    if (before != '?' && before != '&' && before != ';' && !is_space(before)) return {npos, 0};
  }
  if (!is_secret_key(s.substr(key_begin, eq - key_begin))) return {npos, 0};
  std::size_t end = eq + 1;
  while (end < s.size()) {
    char c = s[end];
    if (c == '&' || c == '#' || c == '"' || c == '\'' || is_space(c)) break;
    ++end;
  }
  if (end == eq + 1) return {npos, 0};
  return {eq + 1, end};
}

// --- Bearer --------------------------------------------------------------------------------

// `b` is the position of a 'b'/'B' that starts a word. Returns [begin, end) of the token.
std::pair<std::size_t, std::size_t> match_bearer(std::string_view s, std::size_t b) {
  static constexpr std::string_view word = "bearer";
  if (s.size() - b < word.size() + 2) return {npos, 0};
  for (std::size_t i = 1; i < word.size(); ++i) {
    if (lower(s[b + i]) != word[i]) return {npos, 0};
  }
  std::size_t pos = b + word.size();
  if (s[pos] != ' ' && s[pos] != '\t') return {npos, 0};
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  std::size_t begin = pos;
  bool has_digit = false;
  while (pos < s.size() && is(s[pos], k_token)) {
    has_digit = has_digit || is_digit(s[pos]);
    ++pos;
  }
  // Plain words ("the bearer of bad news") are not tokens: a token has 8+ characters and a digit.
  if (pos - begin < 8 || !has_digit) return {npos, 0};
  return {begin, pos};
}

// --- IPv4 ----------------------------------------------------------------------------------

// Four dotted decimal octets (0-255, 1-3 digits) starting at `pos`. Returns the end or npos.
// Does not check what follows.
std::size_t parse_ipv4(std::string_view s, std::size_t pos) {
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= s.size() || s[pos] != '.') return npos;
      ++pos;
    }
    std::size_t begin = pos;
    unsigned value = 0;
    while (pos < s.size() && is_digit(s[pos]) && pos - begin < 4) {
      value = value * 10 + static_cast<unsigned>(s[pos] - '0');
      ++pos;
    }
    if (pos == begin || pos - begin > 3 || value > 255) return npos;
  }
  return pos;
}

// An address ends at a non-word byte, and not at ".<digit>" (a fifth dotted part).
bool ends_token(std::string_view s, std::size_t end) {
  if (end >= s.size()) return true;
  if (is(s[end], k_word)) return false;
  if (s[end] == '.' && end + 1 < s.size() && is_digit(s[end + 1])) return false;
  return true;
}

// --- IPv6 ----------------------------------------------------------------------------------

// Full, compressed ("::") and IPv4-mapped forms. Requires at least one decimal digit so that
// identifiers like "a::b" or "dead::beef" are left alone. Returns the end or npos.
std::size_t parse_ipv6(std::string_view s, std::size_t pos) {
  std::size_t groups = 0;
  bool compressed = false;
  bool has_digit = false;
  bool want_group = true;  // after a single ':' a group must follow
  if (pos + 1 < s.size() && s[pos] == ':' && s[pos + 1] == ':') {
    compressed = true;
    pos += 2;
    want_group = false;
  } else if (s[pos] == ':') {
    return npos;
  }
  while (pos < s.size()) {
    std::size_t begin = pos;
    bool digits_only = true;
    while (pos < s.size() && is(s[pos], k_hex) && pos - begin < 5) {
      digits_only = digits_only && is_digit(s[pos]);
      ++pos;
    }
    std::size_t len = pos - begin;
    if (len == 0) break;
    if (digits_only && len <= 3 && pos < s.size() && s[pos] == '.') {
      // Embedded IPv4 in the last two groups.
      std::size_t v4_end = parse_ipv4(s, begin);
      if (v4_end == npos || groups > 6) return npos;
      groups += 2;
      pos = v4_end;
      has_digit = true;
      want_group = false;
      break;
    }
    if (len > 4) return npos;
    for (std::size_t i = begin; i < pos; ++i) has_digit = has_digit || is_digit(s[i]);
    ++groups;
    want_group = false;
    if (pos + 1 < s.size() && s[pos] == ':' && s[pos + 1] == ':') {
      if (compressed) return npos;
      compressed = true;
      pos += 2;
      continue;
    }
    if (pos + 1 < s.size() && s[pos] == ':' && is(s[pos + 1], k_hex)) {
      ++pos;
      want_group = true;
      continue;
    }
    break;
  }
  if (want_group || !has_digit) return npos;
  if (compressed ? groups > 7 : groups != 8) return npos;
  if (pos < s.size() && is(s[pos], k_word)) return npos;
  return pos;
}

// --- card numbers --------------------------------------------------------------------------

bool luhn(const char* digits, std::size_t n) {
  unsigned sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned d = static_cast<unsigned>(digits[n - 1 - i] - '0');
    if (i % 2 == 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 == 0;
}

// Groups of digits separated by single spaces or dashes, starting at `pos`. Tries the longest
// run of whole groups with 13-19 digits that passes Luhn. Returns the end or npos.
std::size_t match_card(std::string_view s, std::size_t pos) {
  // Major networks' numbers start with 2-6; this keeps epoch timestamps (1...) out.
  if (s[pos] < '2' || s[pos] > '6') return npos;
  char digits[20];
  std::size_t n = 0;
  std::size_t groups = 0;
  std::size_t best_end = npos;
  std::size_t ends[20];
  std::size_t counts[20];
  while (pos < s.size()) {
    std::size_t begin = pos;
    while (pos < s.size() && is_digit(s[pos]) && n < 20) digits[n++] = s[pos++];
    std::size_t len = pos - begin;
    if (len == 0) break;
    if (n >= 20 || (pos < s.size() && is(s[pos], k_word))) {
      // Too long, or glued to a letter (hex ids, UUIDs): a group that cannot end a card.
      break;
    }
    // In a separated number each group is short; this keeps UUIDs made of digits out.
    if (groups > 0 && len > 6) break;
    if (groups == 1 && counts[0] > 6) break;
    ends[groups] = pos;
    counts[groups] = n;
    ++groups;
    if (pos + 1 < s.size() && (s[pos] == ' ' || s[pos] == '-') && is_digit(s[pos + 1])) {
      ++pos;
      continue;
    }
    break;
  }
  for (std::size_t g = groups; g-- > 0;) {
    std::size_t count = counts[g];
    if (count < 13 || count > 19) continue;
    if (!ends_token(s, ends[g])) continue;
    if (luhn(digits, count)) {
      best_end = ends[g];
      break;
    }
  }
  return best_end;
}

// --- the scanner ---------------------------------------------------------------------------

// Every rule needs an '@', an '=' or a digit (IPv6 addresses and bearer tokens are only
// matched when they contain a digit), so text without them is returned untouched.
bool may_contain_personal_data(std::string_view s) {
  for (char c : s) {
    if (is(c, k_prefilter)) return true;
  }
  return false;
}

// Bytes before a token start that make it the middle of something else.
inline bool glued(char before) { return is(before, k_word) || before == '.'; }

void scan(std::string_view s, rewriter& out) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const char c = s[i];
    if (c == '@') {
      auto [begin, end] = match_email(s, i, out.copied());
      if (begin != npos) {
        out.replace(begin, end, "[email]");
        i = end;
        continue;
      }
      ++i;
      continue;
    }
    if (c == '=') {
      auto [begin, end] = match_secret_param(s, i, out.copied());
      if (begin != npos) {
        out.replace(begin, end, "[secret]");
        i = end;
        continue;
      }
      ++i;
      continue;
    }
    const bool token_start = i == 0 || !glued(s[i - 1]);
    if (token_start && (is(c, k_hex) || c == ':')) {
      // IPv6 needs a ':' within the first five bytes.
      bool colon = false;
      for (std::size_t k = i; k < n && k < i + 6; ++k) {
        if (s[k] == ':') {
          colon = true;
          break;
        }
      }
      if (colon) {
        std::size_t end = parse_ipv6(s, i);
        if (end != npos) {
          out.replace(i, end, "[ip]");
          i = end;
          continue;
        }
      }
      if (is_digit(c)) {
        std::size_t end = parse_ipv4(s, i);
        if (end != npos && ends_token(s, end)) {
          out.replace(i, end, "[ip]");
          i = end;
          continue;
        }
        end = match_card(s, i);
        if (end != npos) {
          out.replace(i, end, "[card]");
          i = end;
          continue;
        }
      }
      if (colon) {
        // A colon-separated run that is no address ("10:02:33", "1::2::3") is skipped whole,
        // so that no address is found inside it.
        while (i < n && (is(s[i], k_hex) || s[i] == ':' || s[i] == '.')) ++i;
        continue;
      }
    }
    if (token_start && (c == 'b' || c == 'B')) {
      auto [begin, end] = match_bearer(s, i);
      if (begin != npos) {
        out.replace(begin, end, "[secret]");
        i = end;
        continue;
      }
    }
    if (is(c, k_word)) {
      // Nothing starts inside a word: skip to its end.
      ++i;
      while (i < n && is(s[i], k_word)) ++i;
      continue;
    }
    ++i;
  }
}

}  // namespace

std::string scrub(std::string_view text) {
  if (!may_contain_personal_data(text)) return std::string(text);
  rewriter out(text);
  scan(text, out);
  if (!out.changed()) return std::string(text);
  return out.finish();
}

bool scrub_in_place(std::string& text) {
  if (!may_contain_personal_data(text)) return false;
  rewriter out(text);
  scan(text, out);
  if (!out.changed()) return false;
  text = out.finish();
  return true;
}

}  // namespace sessiondx::webhook

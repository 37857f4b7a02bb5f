#include "connectors/webhook/scrub.hpp"

#include "bot/text/normalize.hpp"

#include <boost/regex.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <tuple>

// A single left-to-right pass over the bytes. Only a few "trigger" bytes start a match attempt
// ('@', '%', '=', '+', a digit or hex letter or ':' at the start of a token, a letter starting
// one of the keywords, a JWT or an IBAN at the start of a word); every other byte costs one
// table lookup. Line breaks count as spaces wherever a rule accepts a space, because every
// display shows them as spaces. The output string is only allocated once the
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
  t['%'] |= k_prefilter;
  t['+'] |= k_prefilter;
  t[':'] |= k_prefilter;
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
// One space where a rule accepts a space: displays show tabs and line breaks as spaces.
inline bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }
inline bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool is_b64url(char c) { return is(c, k_word) || c == '-'; }

// Case-insensitive `word` at `pos`.
bool at_word(std::string_view s, std::size_t pos, std::string_view word) {
  if (s.size() - pos < word.size()) return false;
  for (std::size_t k = 0; k < word.size(); ++k) {
    if (lower(s[pos + k]) != word[k]) return false;
  }
  return true;
}

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

// `at` is the position of '@' (at_len 1) or of a percent-encoded "%40" (at_len 3). Returns
// [begin, end) of the address or begin == npos.
std::pair<std::size_t, std::size_t> match_email(std::string_view s, std::size_t at,
                                                std::size_t at_len, std::size_t floor) {
  std::size_t begin = at;
  while (begin > floor && is(s[begin - 1], k_email)) --begin;
  // A local part does not start or end with a dot.
  while (begin < at && s[begin] == '.') ++begin;
  if (begin == at || s[at - 1] == '.') return {npos, 0};

  // Domain: labels of [A-Za-z0-9-] separated by single dots, at least two labels, and a last
  // label of at least two letters.
  std::size_t pos = at + at_len;
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

// A key is compared lowercased without '_' and '-', so accessToken, access_token and
// ACCESS-TOKEN are one key. Exact names, then suffixes (csrf_token, x-api-key, db_password).
bool is_secret_key(std::string_view key) {
  static constexpr std::string_view exact[] = {
      "pwd", "pass", "key", "jwt", "otp", "auth", "authorization", "cookie", "setcookie", "sig"};
  static constexpr std::string_view suffixes[] = {"password",  "passwd",     "token",
                                                  "secret",    "apikey",     "accesskey",
                                                  "secretkey", "privatekey", "signature"};
  if (key.empty() || key.size() > 40) return false;
  char folded[40];
  std::size_t n = 0;
  for (char c : key) {
    if (c != '_' && c != '-') folded[n++] = lower(c);
  }
  const std::string_view k(folded, n);
  for (std::string_view e : exact) {
    if (k == e) return true;
  }
  for (std::string_view suffix : suffixes) {
    if (k.ends_with(suffix)) return true;
  }
  return false;
}

inline bool is_key_char(char c) { return is(c, k_word) || c == '-'; }

// `eq` is the position of '='. Returns [begin, end) of the value or begin == npos.
std::pair<std::size_t, std::size_t> match_secret_param(std::string_view s, std::size_t eq,
                                                       std::size_t floor) {
  std::size_t key_begin = eq;
  while (key_begin > floor && is_key_char(s[key_begin - 1])) --key_begin;
  if (key_begin == eq) return {npos, 0};
  if (key_begin > 0) {
    char before = s[key_begin - 1];
    if (before != '?' && before != '&' && before != ';' && before != ',' && before != '"' &&
        before != '\'' && before != '{' && before != '(' && !is_space(before)) {
      return {npos, 0};
    }
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

// --- Bearer and Basic ----------------------------------------------------------------------

// `b` is the position of a word start. `scheme` is "bearer" or "basic". Returns [begin, end) of
// the credentials.
std::pair<std::size_t, std::size_t> match_scheme_token(std::string_view s, std::size_t b,
                                                       std::string_view scheme) {
  if (s.size() - b < scheme.size() + 2 || !at_word(s, b, scheme)) return {npos, 0};
  std::size_t pos = b + scheme.size();
  if (!is_blank(s[pos])) return {npos, 0};
  while (pos < s.size() && is_blank(s[pos])) ++pos;
  std::size_t begin = pos;
  bool has_digit = false;
  bool has_b64_symbol = false;
  while (pos < s.size() && is(s[pos], k_token)) {
    has_digit = has_digit || is_digit(s[pos]);
    has_b64_symbol = has_b64_symbol || s[pos] == '+' || s[pos] == '=';
    ++pos;
  }
  // Plain words ("the bearer of bad news", "Basic authentication") are not credentials: a token
  // has 8+ characters and a digit (Basic: or a base64 '+' or '=').
  if (pos - begin < 8) return {npos, 0};
  if (!has_digit && !(scheme == "basic" && has_b64_symbol)) return {npos, 0};
  return {begin, pos};
}

// --- header values -------------------------------------------------------------------------

// After a header name at `pos`: an optional closing quote, blanks, ':' (or '=' for
// Authorization), blanks and an optional opening quote. Returns the value start or npos.
std::size_t header_value_start(std::string_view s, std::size_t pos, bool allow_equals) {
  if (pos < s.size() && (s[pos] == '"' || s[pos] == '\'')) ++pos;
  while (pos < s.size() && is_blank(s[pos])) ++pos;
  if (pos >= s.size() || !(s[pos] == ':' || (allow_equals && s[pos] == '='))) return npos;
  ++pos;
  while (pos < s.size() && is_blank(s[pos])) ++pos;
  if (pos < s.size() && (s[pos] == '"' || s[pos] == '\'')) ++pos;
  return pos;
}

// "Authorization: <scheme> <credentials>" keeps the scheme; "Authorization: <value>" replaces
// the value. Credentials end at a space, a quote, ',', ';' or '&'. `a` starts a word.
std::pair<std::size_t, std::size_t> match_authorization(std::string_view s, std::size_t a) {
  static constexpr std::string_view name = "authorization";
  if (!at_word(s, a, name)) return {npos, 0};
  if (a + name.size() < s.size() && is_key_char(s[a + name.size()])) return {npos, 0};
  std::size_t pos = header_value_start(s, a + name.size(), true);
  if (pos == npos) return {npos, 0};
  const auto value_end = [&](std::size_t p) {
    while (p < s.size() && !is_space(s[p]) && s[p] != '"' && s[p] != '\'' && s[p] != ',' &&
           s[p] != ';' && s[p] != '&') {
      ++p;
    }
    return p;
  };
  std::size_t scheme_end = pos;
  while (scheme_end < s.size() && is(s[scheme_end], k_alpha)) ++scheme_end;
  if (scheme_end > pos && scheme_end < s.size() &&
      (s[scheme_end] == ' ' || s[scheme_end] == '\t')) {
    std::size_t begin = scheme_end;
    while (begin < s.size() && (s[begin] == ' ' || s[begin] == '\t')) ++begin;
    const std::size_t end = value_end(begin);
    if (end > begin) return {begin, end};
  }
  const std::size_t end = value_end(pos);
  if (end == pos) return {npos, 0};
  return {pos, end};
}

// "Cookie: a=1; b=2" and "Set-Cookie: sid=x; Path=/; HttpOnly": runs without blanks or quotes
// joined by ';' (and blanks after it). `c` starts a word.
std::pair<std::size_t, std::size_t> match_cookie(std::string_view s, std::size_t c) {
  static constexpr std::string_view name = "cookie";
  if (!at_word(s, c, name)) return {npos, 0};
  const std::size_t pos = header_value_start(s, c + name.size(), false);
  if (pos == npos) return {npos, 0};
  const auto in_value = [&](std::size_t p) {
    return p < s.size() && !is_space(s[p]) && s[p] != ';' && s[p] != '"' && s[p] != '\'';
  };
  std::size_t end = pos;
  while (true) {
    std::size_t p = end;
    while (in_value(p)) ++p;
    if (p == end) break;
    end = p;
    if (p < s.size() && s[p] == ';') {
      std::size_t next = p + 1;
      while (next < s.size() && is_blank(s[next])) ++next;
      if (in_value(next)) {
        end = next;
        continue;
      }
    }
    break;
  }
  if (end == pos) return {npos, 0};
  return {pos, end};
}

// --- JWT -----------------------------------------------------------------------------------

// Three or more base64url segments joined by '.' (JWS has three, JWE five), the first (the JSON
// header) starting with "eyJ"; the last may be empty (alg "none"), '=' padding is taken along.
// `e` starts a token. Returns the end or npos.
std::size_t match_jwt(std::string_view s, std::size_t e) {
  if (s.size() - e < 16 || s.compare(e, 3, "eyJ") != 0) return npos;
  std::size_t pos = e;
  std::size_t lens[2] = {0, 0};
  std::size_t segments = 0;
  while (true) {
    const std::size_t begin = pos;
    while (pos < s.size() && is_b64url(s[pos])) ++pos;
    if (segments < 2) lens[segments] = pos - begin;
    ++segments;
    if (pos < s.size() && s[pos] == '.' &&
        (segments < 3 || (pos + 1 < s.size() && is_b64url(s[pos + 1])))) {
      ++pos;
      continue;
    }
    break;
  }
  if (segments < 3 || lens[0] < 10 || lens[1] < 2) return npos;
  while (pos < s.size() && s[pos] == '=') ++pos;
  return pos;
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
    if (pos + 1 < s.size() && (is_blank(s[pos]) || s[pos] == '-') && is_digit(s[pos + 1])) {
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

// --- phone numbers -------------------------------------------------------------------------

// A phone number ends at a non-word byte that does not continue a number (".5", "-5", ":5",
// "/5", ",5") and is not a '%' escape or '@'.
bool ends_phone(std::string_view s, std::size_t end) {
  if (end >= s.size()) return true;
  const char c = s[end];
  if (is(c, k_word) || c == '@') return false;
  if ((c == '.' || c == '-' || c == ':' || c == '/' || c == ',') && end + 1 < s.size() &&
      is_digit(s[end + 1])) {
    return false;
  }
  return true;
}

// Groups of digits from `pos`, separated by one space, '.' or '-', a group possibly in
// parentheses ("(0)20", "(020) 123 4567"). International (after '+' or "%2B"): 8–15 digits
// (16 with a "(0)"), the country code group 1–3 digits. National: a trunk '0' then a non-zero
// digit, a first group of 2–5 digits, later groups of 2+ digits, 9–12 digits in all; or one
// unbroken run of 10–11 digits. Dates (dd.mm.yyyy) are not numbers. Tries the longest run of
// whole groups that qualifies. Returns the end or npos.
std::size_t match_phone(std::string_view s, std::size_t pos, bool international) {
  constexpr std::size_t max_groups = 16;
  std::size_t ends[max_groups];
  std::size_t counts[max_groups];
  std::size_t lens[max_groups];
  std::size_t groups = 0;
  std::size_t total = 0;
  while (pos < s.size() && groups < max_groups) {
    const bool paren = s[pos] == '(';
    if (paren) ++pos;
    const std::size_t begin = pos;
    while (pos < s.size() && is_digit(s[pos]) && total < 17) {
      ++pos;
      ++total;
    }
    const std::size_t len = pos - begin;
    if (len == 0 || total > 16) break;
    if (paren) {
      if (pos >= s.size() || s[pos] != ')') break;
      ++pos;
    }
    if (!international && groups == 0 && (s[begin] != '0' || len < 2 || s[begin + 1] == '0')) {
      return npos;
    }
    ends[groups] = pos;
    counts[groups] = total;
    lens[groups] = len;
    ++groups;
    if (pos + 1 < s.size() && (is_blank(s[pos]) || s[pos] == '.' || s[pos] == '-') &&
        (is_digit(s[pos + 1]) || s[pos + 1] == '(')) {
      ++pos;
      continue;
    }
    if (pos < s.size() && ((paren && is_digit(s[pos])) || (s[pos] == '(' && groups > 0))) {
      continue;  // "(0)20", "+44(0)20"
    }
    break;
  }
  if (groups >= 3 && lens[0] == 2 && lens[1] == 2 && lens[2] == 4) return npos;  // a date
  for (std::size_t g = groups; g-- > 0;) {
    const std::size_t n = counts[g];
    if (!ends_phone(s, ends[g])) continue;
    if (international) {
      if (n < 8 || n > 16 || (g > 0 && lens[0] > 3)) continue;
    } else if (g == 0) {
      if (n < 10 || n > 11) continue;
    } else {
      if (n < 9 || n > 12 || lens[0] > 5) continue;
      bool short_group = false;
      for (std::size_t k = 1; k <= g; ++k) short_group = short_group || lens[k] < 2;
      if (short_group) continue;
    }
    return ends[g];
  }
  return npos;
}

// --- IBAN ----------------------------------------------------------------------------------

// ISO 13616: the letters and digits moved (country and check digits last), letters as 10..35,
// the number mod 97 is 1.
bool iban_checks(const char* chars, std::size_t n) {
  unsigned remainder = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const char c = chars[(k + 4) % n];
    if (is_digit(c)) {
      remainder = (remainder * 10 + static_cast<unsigned>(c - '0')) % 97;
    } else {
      remainder = (remainder * 100 + static_cast<unsigned>(c - 'A' + 10)) % 97;
    }
  }
  return remainder == 1;
}

// Two capital letters, two digits, then capitals and digits: 15–34 in all, unbroken or in groups
// of four separated by single spaces (the last group shorter). `pos` starts a word.
std::size_t match_iban(std::string_view s, std::size_t pos) {
  if (s.size() - pos < 15 || !is_upper(s[pos]) || !is_upper(s[pos + 1]) || !is_digit(s[pos + 2]) ||
      !is_digit(s[pos + 3])) {
    return npos;
  }
  char chars[35];
  std::size_t n = 0;
  std::size_t ends[10];
  std::size_t counts[10];
  std::size_t groups = 0;
  const auto is_iban_char = [](char c) { return is_upper(c) || is_digit(c); };
  while (pos < s.size() && groups < 10) {
    const std::size_t begin = pos;
    while (pos < s.size() && is_iban_char(s[pos]) && n < 35) chars[n++] = s[pos++];
    const std::size_t len = pos - begin;
    if (len == 0 || n > 34 || (pos < s.size() && is(s[pos], k_word))) break;
    ends[groups] = pos;
    counts[groups] = n;
    ++groups;
    // Grouped: every group but the last has exactly four characters.
    if (len == 4 && pos + 1 < s.size() && is_blank(s[pos]) && is_iban_char(s[pos + 1])) {
      ++pos;
      continue;
    }
    break;
  }
  for (std::size_t g = groups; g-- > 0;) {
    if (counts[g] < 15 || counts[g] > 34 || !ends_token(s, ends[g])) continue;
    if (iban_checks(chars, counts[g])) return ends[g];
  }
  return npos;
}

// --- the scanner ---------------------------------------------------------------------------

// Every rule needs an '@', '%', '=', '+', ':' or a digit (IPv6 addresses, phone numbers, IBANs,
// bearer and basic tokens and JWT headers contain a digit; headers have a ':'), so text without
// them is returned untouched.
bool may_contain_personal_data(std::string_view s) {
  for (char c : s) {
    if (is(c, k_prefilter)) return true;
  }
  return false;
}

// Bytes before a token start that make it the middle of something else.
inline bool glued(char before) { return is(before, k_word) || before == '.'; }

// The byte before `i` as the stored text will have it: right after a replacement it is the ']'
// of a placeholder, so that scrubbing the scrubbed text again finds nothing new.
inline char before(std::string_view s, std::size_t i, const rewriter& out) {
  if (i == 0) return ' ';
  if (out.changed() && out.copied() == i) return ']';
  return s[i - 1];
}

// Phone numbers also do not start after '-' or '#' (order and ticket numbers: "ORD-0612…").
inline bool phone_start(char b) { return !(glued(b) || b == '-' || b == '#' || b == '+'); }

inline bool at_percent(std::string_view s, std::size_t i, char hi, char lo) {
  return i + 2 < s.size() && s[i] == '%' && s[i + 1] == hi && lower(s[i + 2]) == lower(lo);
}

void scan(std::string_view s, rewriter& out) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  const auto replace = [&](std::size_t begin, std::size_t end, std::string_view with) {
    // A value that already is the placeholder ("pwd=[secret]", "Cookie: [secret]": stored text
    // scrubbed again) is left as it is: replacing it by itself would report a change that is
    // none (the fuzz_scrub finding, tests/fuzz/corpus/fuzz_scrub/placeholder-value).
    if (s.substr(begin, end - begin) != with) out.replace(begin, end, with);
    i = end;
  };
  while (i < n) {
    const char c = s[i];
    if (c == '@') {
      auto [begin, end] = match_email(s, i, 1, out.copied());
      if (begin != npos) {
        replace(begin, end, "[email]");
        continue;
      }
      ++i;
      continue;
    }
    if (c == '%') {
      // Percent-encoded in a URL: "jane%40example.com", "%2B33612345678".
      if (at_percent(s, i, '4', '0')) {
        auto [begin, end] = match_email(s, i, 3, out.copied());
        if (begin != npos) {
          replace(begin, end, "[email]");
          continue;
        }
      } else if (at_percent(s, i, '2', 'B') && phone_start(before(s, i, out))) {
        const std::size_t end = match_phone(s, i + 3, true);
        if (end != npos) {
          replace(i, end, "[phone]");
          continue;
        }
      }
      ++i;
      continue;
    }
    if (c == '=') {
      auto [begin, end] = match_secret_param(s, i, out.copied());
      if (begin != npos) {
        replace(begin, end, "[secret]");
        continue;
      }
      ++i;
      continue;
    }
    const char prev = before(s, i, out);
    const bool token_start = !glued(prev);
    if (c == '+' && phone_start(prev)) {
      const std::size_t end = match_phone(s, i + 1, true);
      if (end != npos) {
        replace(i, end, "[phone]");
        continue;
      }
    }
    if (c == '(' && i + 1 < n && s[i + 1] == '0' && phone_start(prev)) {
      const std::size_t end = match_phone(s, i, false);
      if (end != npos) {
        replace(i, end, "[phone]");
        continue;
      }
    }
    if (token_start && is(c, k_alpha)) {
      const char l = lower(c);
      if (l == 'e') {
        const std::size_t end = match_jwt(s, i);
        if (end != npos) {
          replace(i, end, "[jwt]");
          continue;
        }
      } else if (l == 'a') {
        auto [begin, end] = match_authorization(s, i);
        if (begin != npos) {
          replace(begin, end, "[secret]");
          continue;
        }
      } else if (l == 'b') {
        auto [begin, end] = match_scheme_token(s, i, "bearer");
        if (begin == npos) std::tie(begin, end) = match_scheme_token(s, i, "basic");
        if (begin != npos) {
          replace(begin, end, "[secret]");
          continue;
        }
      } else if (l == 'c') {
        auto [begin, end] = match_cookie(s, i);
        if (begin != npos) {
          replace(begin, end, "[secret]");
          continue;
        }
      }
      if (is_upper(c)) {
        const std::size_t end = match_iban(s, i);
        if (end != npos) {
          replace(i, end, "[iban]");
          continue;
        }
      }
    }
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
          replace(i, end, "[ip]");
          continue;
        }
      }
      if (is_digit(c)) {
        std::size_t end = parse_ipv4(s, i);
        if (end != npos && ends_token(s, end)) {
          replace(i, end, "[ip]");
          continue;
        }
        end = match_card(s, i);
        if (end != npos) {
          replace(i, end, "[card]");
          continue;
        }
        if (c == '0' && phone_start(prev)) {
          end = match_phone(s, i, false);
          if (end != npos) {
            replace(i, end, "[phone]");
            continue;
          }
        }
      }
      if (colon) {
        // A colon-separated run that is no address ("10:02:33", "1::2::3") is skipped, so that
        // no address is found inside it, up to its last ':': what follows a "word:" prefix
        // ("cc:4111…", "ab:10.1.2.3") is still a token of its own.
        const std::size_t run = i;
        std::size_t after_colon = npos;
        while (i < n && (is(s[i], k_hex) || s[i] == ':' || s[i] == '.')) {
          if (s[i] == ':') after_colon = i + 1;
          ++i;
        }
        if (after_colon != npos && after_colon > run && after_colon < i) i = after_colon;
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

// A replacement can complete a match that its original text had prevented (the ']' of a
// placeholder ends a token that a following digit had continued), so the pass is repeated until
// nothing changes: scrubbing the stored text again finds nothing. Two passes in practice.
constexpr int max_passes = 8;

bool scrub_in_place(std::string& text) {
  if (!may_contain_personal_data(text)) return false;
  bool changed = false;
  for (int pass = 0; pass < max_passes; ++pass) {
    rewriter out(text);
    scan(text, out);
    if (!out.changed()) break;
    std::string next = out.finish();
    if (next == text) break;  // defensive: every replacement now changes the text
    text = std::move(next);
    changed = true;
  }
  return changed;
}

std::string scrub(std::string_view text) {
  std::string copy(text);
  scrub_in_place(copy);
  return copy;
}

bool is_secret_field(std::string_view key) { return is_secret_key(key); }

std::string secret_field_value(std::string_view key, std::string_view value) {
  std::string folded;
  for (char c : key) {
    if (c != '_' && c != '-') folded += lower(c);
  }
  if (folded == "authorization" || folded == "proxyauthorization") {
    std::size_t scheme_end = 0;
    while (scheme_end < value.size() && is(value[scheme_end], k_alpha)) ++scheme_end;
    std::size_t rest = scheme_end;
    while (rest < value.size() && is_blank(value[rest])) ++rest;
    if (scheme_end > 0 && rest > scheme_end && rest < value.size()) {
      return std::string(value.substr(0, scheme_end)) + " [secret]";
    }
  }
  return "[secret]";
}

struct scrubber::compiled {
  std::vector<boost::regex> patterns;
};

scrubber::scrubber(privacy_settings settings) : settings_(std::move(settings)) {
  auto c = std::make_shared<compiled>();
  for (const std::string& pattern : settings_.extra_patterns) {
    if (pattern.empty()) throw std::invalid_argument("privacy pattern is empty");
    try {
      c->patterns.emplace_back(pattern, boost::regex::ECMAScript);
    } catch (const boost::regex_error& e) {
      throw std::invalid_argument("privacy pattern \"" + pattern +
                                  "\" is not a valid regex: " + e.what());
    }
  }
  patterns_ = std::move(c);
}

namespace {

// Every match of `re` (or, when it has groups, each matched group) becomes "[redacted]".
bool redact(std::string& text, const boost::regex& re) {
  std::string out;
  std::size_t copied = 0;
  bool changed = false;
  auto begin = text.cbegin();
  const auto end = text.cend();
  boost::smatch m;
  while (begin != end && boost::regex_search(begin, end, m, re)) {
    if (m.length(0) == 0) {  // an empty match replaces nothing; step over one byte
      ++begin;
      continue;
    }
    const auto replace_range = [&](std::size_t from, std::size_t to) {
      if (from < copied || to <= from) return;
      out.append(text, copied, from - copied);
      out.append(redacted);
      copied = to;
      changed = true;
    };
    const auto offset = [&](std::size_t group) {
      return static_cast<std::size_t>(m[group].first - text.cbegin());
    };
    if (m.size() == 1) {
      replace_range(offset(0), offset(0) + static_cast<std::size_t>(m.length(0)));
    } else {
      for (std::size_t g = 1; g < m.size(); ++g) {
        if (m[g].matched)
          replace_range(offset(g), offset(g) + static_cast<std::size_t>(m.length(g)));
      }
    }
    begin = m[0].second;
  }
  if (!changed) return false;
  out.append(text, copied, std::string::npos);
  text = std::move(out);
  return true;
}

}  // namespace

bool scrubber::clean(std::string& text) const {
  bool changed = bot::text::normalize_for_display_in_place(text);
  for (const boost::regex& re : patterns_->patterns) changed = redact(text, re) || changed;
  changed = scrub_in_place(text) || changed;
  return changed;
}

std::string scrubber::cleaned(std::string_view text) const {
  std::string copy(text);
  clean(copy);
  return copy;
}

}  // namespace sessiondx::webhook

#include "bot/issue_key.hpp"

#include "bot/noise.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>

namespace sessiondx::bot {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::uint64_t fnv1a(std::string_view data, std::uint64_t hash = 0xcbf29ce484222325ULL) {
  for (char c : data) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string to_hex16(std::uint64_t v) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = hex[v & 15];
    v >>= 4;
  }
  return out;
}

// Numbers -> N, hex runs of 8+ -> H, quoted values -> "…": the parts of an error message that
// vary between occurrences of the same error.
std::string normalise_message(std::string_view m) {
  std::string out;
  out.reserve(m.size());
  std::size_t i = 0;
  while (i < m.size()) {
    const char c = m[i];
    const bool token_start = i == 0 || !is_alnum(m[i - 1]);
    if ((c == '"' || c == '\'' || c == '`') && token_start) {
      // A quote opens a value only at a token start and closes before a non-word byte, so the
      // apostrophe of "can't" is not mistaken for one.
      std::size_t close = i + 1;
      while (close < m.size() &&
             !(m[close] == c && (close + 1 == m.size() || !is_alnum(m[close + 1])))) {
        ++close;
      }
      if (close < m.size()) {
        out += "\"…\"";
        i = close + 1;
        continue;
      }
    }
    if (is_alnum(c) && token_start) {
      std::size_t end = i;
      bool all_hex = true;
      while (end < m.size() && is_alnum(m[end])) {
        all_hex = all_hex && is_hex(m[end]);
        ++end;
      }
      if (all_hex && end - i >= 8) {
        out += 'H';
        i = end;
        continue;
      }
    }
    if (is_digit(c)) {
      while (i < m.size() && is_digit(m[i])) ++i;
      out += 'N';
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

// A stack line that names a code location: Chrome's "    at fn (url:1:2)", Firefox/Safari's
// "fn@url:1:2", or anything ending in ":line:col".
bool looks_like_frame(std::string_view line) {
  if (line.starts_with("at ")) return true;
  if (line.find('@') != std::string_view::npos) return true;
  std::string_view s = line;
  while (!s.empty() && s.back() == ')') s.remove_suffix(1);
  std::size_t digits = 0;
  while (digits < s.size() && is_digit(s[s.size() - 1 - digits])) ++digits;
  return digits > 0 && digits < s.size() && s[s.size() - 1 - digits] == ':';
}

// The frame without ":line:col", query strings and fragments; "at " dropped.
std::string normalise_frame(std::string_view frame) {
  if (frame.starts_with("at ")) frame.remove_prefix(3);
  std::string out;
  out.reserve(frame.size());
  std::size_t i = 0;
  while (i < frame.size()) {
    const char c = frame[i];
    if (c == '?' || c == '#') {
      // Query or fragment of a URL: up to the location, the closing parenthesis or a space.
      while (i < frame.size() && frame[i] != ')' && !is_space(frame[i]) &&
             !(frame[i] == ':' && i + 1 < frame.size() && is_digit(frame[i + 1]))) {
        ++i;
      }
      continue;
    }
    if (c == ':' && i + 1 < frame.size() && is_digit(frame[i + 1])) {
      std::size_t end = i + 1;
      while (end < frame.size() && is_digit(frame[end])) ++end;
      if (end == frame.size() || frame[end] == ')' || frame[end] == ':' || is_space(frame[end])) {
        i = end;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

std::string_view top_frame(std::string_view stack, std::string_view message) {
  std::string_view fallback;
  std::size_t pos = 0;
  while (pos < stack.size()) {
    std::size_t end = stack.find('\n', pos);
    if (end == std::string_view::npos) end = stack.size();
    std::string_view line = trim(stack.substr(pos, end - pos));
    pos = end + 1;
    if (line.empty()) continue;
    if (looks_like_frame(line)) return line;
    const bool repeats_message =
        !message.empty() && (line.find(message) != std::string_view::npos ||
                             message.find(line) != std::string_view::npos);
    if (fallback.empty() && !repeats_message) fallback = line;
  }
  return fallback;
}

// ---- one wording for the same error in every engine ---------------------------------------
// V8 (Chrome, Edge), SpiderMonkey (Firefox) and JavaScriptCore (Safari) word the same error
// differently; the fingerprint hashes one canonical form, so one bug is one problem whatever the
// browser. The families below are the common ones (MDN "null/undefined has no properties",
// "is not a function", "is not defined"); anything else is hashed as worded.

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i], b = prefix[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

std::string_view strip_prefix(std::string_view m, std::string_view prefix) {
  return starts_with_ci(m, prefix) ? m.substr(prefix.size()) : m;
}

// "null" or "undefined" when `s` (trimmed, unquoted) is one of them, else "".
std::string_view nullish(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front()) {
    s = s.substr(1, s.size() - 2);
  }
  if (s == "undefined" || s == "null") return s;
  return {};
}

// An expression as engines print it: identifiers, member access, calls, brackets, quotes.
bool is_expression(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (is_space(c)) return false;
  }
  return true;
}

// The last identifier of a callee expression: "b[d].push" -> "push", "this.props.onSave" ->
// "onSave", "r" -> "r".
std::string_view last_identifier(std::string_view expr) {
  expr = trim(expr);
  while (!expr.empty() &&
         (expr.back() == ')' || expr.back() == ']' || expr.back() == '\'' || expr.back() == '"')) {
    // A call or an index at the end: the identifier is before it ("a.b()" -> "b").
    const char close = expr.back();
    const char open = close == ')' ? '(' : close == ']' ? '[' : close;
    const auto at = expr.rfind(open, expr.size() - 2);
    if (at == std::string_view::npos) break;
    expr = expr.substr(0, at);
  }
  std::size_t start = expr.size();
  while (start > 0 && (is_alnum(expr[start - 1]) || expr[start - 1] == '$')) --start;
  return expr.substr(start);
}

// The canonical form of a message of a known family, else "".
std::string canonical_message(std::string_view m) {
  m = trim(m);
  m = strip_prefix(m, "Uncaught ");
  m = strip_prefix(m, "TypeError: ");
  m = strip_prefix(m, "ReferenceError: ");
  m = trim(m);

  // Property access on null or undefined.
  //   V8:   Cannot read properties of undefined (reading 'x')  /  Cannot read property 'x' of null
  //   SM:   can't access property "x", y is undefined  /  can't access property "x" of null
  //         y is undefined  /  undefined has no properties
  //   JSC:  undefined is not an object (evaluating 'y.x')
  auto property_of = [](std::string_view which) {
    return "TypeError: property of " + std::string(which);
  };
  if (starts_with_ci(m, "Cannot read properties of ")) {
    std::string_view rest = m.substr(26);
    const auto space = rest.find(' ');
    if (auto n = nullish(rest.substr(0, space)); !n.empty()) return property_of(n);
  }
  if (starts_with_ci(m, "Cannot read property ")) {
    const auto of = m.rfind(" of ");
    if (of != std::string_view::npos) {
      if (auto n = nullish(m.substr(of + 4)); !n.empty()) return property_of(n);
    }
  }
  if (starts_with_ci(m, "can't access property ")) {
    const auto of = m.rfind(" of ");
    if (of != std::string_view::npos) {
      if (auto n = nullish(m.substr(of + 4)); !n.empty()) return property_of(n);
    }
    const auto is = m.rfind(" is ");
    if (is != std::string_view::npos) {
      if (auto n = nullish(m.substr(is + 4)); !n.empty()) return property_of(n);
    }
  }
  for (std::string_view tail : {" has no properties", " is not an object"}) {
    const auto at = m.find(tail);
    if (at != std::string_view::npos && at > 0) {
      if (auto n = nullish(m.substr(0, at)); !n.empty()) return property_of(n);
    }
  }
  if (m.ends_with(" is undefined") || m.ends_with(" is null")) {
    const auto at = m.rfind(" is ");
    if (is_expression(m.substr(0, at))) return property_of(nullish(m.substr(at + 4)));
  }

  // Calling what is not a function.
  //   V8, SM: y.x is not a function
  //   JSC:    y.x is not a function. (In 'y.x()', 'y.x' is undefined)
  //           undefined is not a function (evaluating 'y.x()')
  constexpr std::string_view not_fn = " is not a function";
  if (const auto at = m.find(not_fn); at != std::string_view::npos && at > 0) {
    std::string_view callee = m.substr(0, at);
    const std::string_view after = m.substr(at + not_fn.size());
    if (!nullish(callee).empty()) {
      // JSC's old wording names the call in "(evaluating '...')".
      const auto ev = after.find("(evaluating ");
      if (ev == std::string_view::npos) return {};
      std::string_view call = after.substr(ev + 12);
      if (!call.empty() && (call.front() == '\'' || call.front() == '"')) call.remove_prefix(1);
      callee = call.substr(0, call.find('('));
    }
    const bool plain_tail = after.empty() || after.starts_with(". (In ") || after == ".";
    if (plain_tail || after.starts_with(" (evaluating ")) {
      const std::string_view name = last_identifier(callee);
      if (!name.empty()) return "TypeError: " + std::string(name) + " is not a function";
    }
  }

  // An undeclared variable.
  //   V8, SM: x is not defined     JSC: Can't find variable: x
  if (starts_with_ci(m, "Can't find variable: ")) {
    return "ReferenceError: " + std::string(trim(m.substr(21))) + " is not defined";
  }
  if (m.ends_with(" is not defined") && is_expression(m.substr(0, m.size() - 15))) {
    return "ReferenceError: " + std::string(m.substr(0, m.size() - 15)) + " is not defined";
  }
  return {};
}

// A frame in one form for every engine: "function@file", the function's last name part
// ("HTMLButtonElement.onClick" and "onClick" are one), anonymous and top-level code as "".
//   V8:   at Object.onClick (https://x/app.js:1:2)   at https://x/app.js:1:2   at async f (...)
//   SM:   onClick@https://x/app.js:1:2   onClick/<@...   @https://x/app.js:1:2
//   JSC:  onClick@https://x/app.js:1:2   global code@...   https://x/app.js:1:2
std::string canonical_frame(std::string_view frame) {
  std::string_view fn, loc;
  if (frame.starts_with("at ")) {
    std::string_view rest = trim(frame.substr(3));
    if (rest.ends_with(')')) {
      const auto open = rest.rfind(" (");
      if (open != std::string_view::npos) {
        fn = rest.substr(0, open);
        loc = rest.substr(open + 2, rest.size() - open - 3);
      } else {
        loc = rest;
      }
    } else {
      loc = rest;
    }
  } else if (const auto at = frame.find('@'); at != std::string_view::npos) {
    fn = frame.substr(0, at);
    loc = frame.substr(at + 1);
  } else {
    loc = frame;
  }
  fn = trim(fn);
  for (std::string_view word : {"async ", "new "}) {
    if (fn.starts_with(word)) fn.remove_prefix(word.size());
  }
  if (const auto as = fn.find(" ["); as != std::string_view::npos) fn = fn.substr(0, as);
  // SpiderMonkey's nesting marks: "outer/inner<", "onClick/<", "fn*".
  while (!fn.empty() && (fn.back() == '<' || fn.back() == '/' || fn.back() == '*')) {
    fn.remove_suffix(1);
  }
  if (const auto slash = fn.rfind('/'); slash != std::string_view::npos) fn = fn.substr(slash + 1);
  if (const auto dot = fn.rfind('.'); dot != std::string_view::npos) fn = fn.substr(dot + 1);
  if (fn == "<anonymous>" || fn == "anonymous" || fn == "global code" || fn == "eval code" ||
      fn == "module code" || fn.ends_with(" code")) {
    fn = {};
  }
  return std::string(fn) + "@" + normalise_frame(trim(loc));
}

const std::string* string_attr(const nlohmann::json& attrs, const char* key) {
  if (!attrs.is_object()) return nullptr;
  auto it = attrs.find(key);
  if (it == attrs.end() || !it->is_string()) return nullptr;
  const auto& s = it->get_ref<const std::string&>();
  return s.empty() ? nullptr : &s;
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

// A path segment that is an identifier rather than part of the route.
bool is_id_segment(std::string_view seg) {
  if (seg.empty()) return false;
  bool all_digits = true;
  bool all_hex = true;
  bool any_digit = false;
  for (char c : seg) {
    all_digits = all_digits && is_digit(c);
    all_hex = all_hex && is_hex(c);
    any_digit = any_digit || is_digit(c);
  }
  return all_digits || is_uuid(seg) || (all_hex && any_digit && seg.size() >= 8);
}

// The route-level path of an absolute or relative URL.
std::string url_path(std::string_view url);

// The URL's route-level path, prefixed with its host when that is not the page's host. With
// `keep_unknown`, also when the page's host is unknown (a path): resources on different hosts
// (a CDN, a payment provider, a widget) are different problems.
std::string url_key(std::string_view url, std::string_view page, bool keep_unknown) {
  std::string host = noise::url_host(url);
  const std::string page_host = noise::url_host(page);
  if (host.empty() || host == page_host || (page_host.empty() && !keep_unknown)) {
    return url_path(url);
  }
  return host + url_path(url);
}

std::string url_path(std::string_view url) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
    auto slash = url.find_first_of("/?#");
    url = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
  } else if (url.starts_with("//")) {
    url.remove_prefix(2);
    auto slash = url.find_first_of("/?#");
    url = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
  }
  if (auto q = url.find_first_of("?#"); q != std::string_view::npos) url = url.substr(0, q);
  if (url.empty()) return "/";

  std::string out;
  out.reserve(url.size());
  std::size_t pos = 0;
  while (pos <= url.size()) {
    std::size_t end = url.find('/', pos);
    if (end == std::string_view::npos) end = url.size();
    std::string_view seg = url.substr(pos, end - pos);
    out += is_id_segment(seg) ? std::string_view(":id") : seg;
    if (end < url.size()) out += '/';
    pos = end + 1;
  }
  return out;
}

std::string uppercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return out;
}

// Keys are indexed: keep them short whatever the sender put in a route or service name.
std::string bounded(std::string key) {
  constexpr std::size_t k_max_key = 256;
  if (key.size() > k_max_key) {
    key.resize(k_max_key);
    // Do not leave half a UTF-8 character at the end.
    while (!key.empty() && (static_cast<unsigned char>(key.back()) & 0xC0) == 0x80) key.pop_back();
    if (!key.empty() && static_cast<unsigned char>(key.back()) >= 0xC0) key.pop_back();
  }
  return key;
}

bool http_failed(const nlohmann::json& attrs) {
  if (!attrs.is_object()) return false;
  auto status = attrs.find("status");
  const bool has_status = status != attrs.end() && status->is_number();
  const double code = has_status ? status->get<double>() : -1;
  // A 4xx is an answer, not a failure, even with an error text.
  if (has_status && code >= 400 && code < 500) return false;
  if (auto err = attrs.find("error"); err != attrs.end()) {
    const bool present = !(err->is_null() || (err->is_boolean() && !err->get<bool>()) ||
                           (err->is_string() && err->get_ref<const std::string&>().empty()));
    if (present) return true;
  }
  return has_status && (code >= 500 || code == 0);
}

std::optional<double> number_attr(const nlohmann::json& attrs, const char* key) {
  if (!attrs.is_object()) return std::nullopt;
  auto it = attrs.find(key);
  if (it == attrs.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string_view text_attr(const nlohmann::json& attrs, const char* key) {
  const std::string* s = string_attr(attrs, key);
  return s ? std::string_view(*s) : std::string_view();
}

}  // namespace

std::string js_error_fingerprint(std::string_view message, std::string_view stack) {
  const std::string canonical = canonical_message(message);
  std::string text = canonical.empty() ? normalise_message(trim(message)) : canonical;
  text += '\n';
  const std::string_view frame = top_frame(stack, trim(message));
  text += looks_like_frame(frame) ? canonical_frame(frame) : normalise_frame(frame);
  return to_hex16(fnv1a(text));
}

std::string issue_key(std::string_view type, std::string_view message, const nlohmann::json& attrs,
                      std::string_view page) {
  if (message.empty()) {
    if (auto* m = string_attr(attrs, "message")) message = *m;
  }
  if (type == "js_error") {
    if (noise::js_error_noise(message, text_attr(attrs, "source"), text_attr(attrs, "stack")) !=
        noise::kind::none) {
      return "";
    }
    if (auto* fp = string_attr(attrs, "fingerprint")) return bounded("js:" + *fp);
    const std::string* stack = string_attr(attrs, "stack");
    return "js:" + js_error_fingerprint(message, stack ? std::string_view(*stack) : "");
  }
  if (type == "http_request") {
    if (!http_failed(attrs)) return "";
    if (noise::request_noise(text_attr(attrs, "url"), number_attr(attrs, "status"),
                             text_attr(attrs, "error")) != noise::kind::none) {
      return "";
    }
    const std::string* method = string_attr(attrs, "method");
    std::string key = "route:" + (method ? uppercase(*method) : std::string("GET")) + " ";
    const std::string* url = string_attr(attrs, "url");
    if (auto* route = string_attr(attrs, "route")) {
      // A route on another host than the (absolute) page keeps the host too.
      const std::string page_host = noise::url_host(page);
      if (url != nullptr && !page_host.empty()) {
        const std::string host = noise::url_host(*url);
        if (!host.empty() && host != page_host) key += host;
      }
      key += *route;
    } else if (url != nullptr) {
      key += url_key(*url, page, false);
    } else {
      key += "(unknown)";
    }
    return bounded(std::move(key));
  }
  if (type == "resource_error") {
    const std::string* url = string_attr(attrs, "url");
    if (noise::request_noise(url ? std::string_view(*url) : std::string_view(),
                             number_attr(attrs, "status"),
                             text_attr(attrs, "error")) != noise::kind::none) {
      return "";
    }
    return bounded("resource:" + (url ? url_key(*url, page, true) : std::string("(unknown)")));
  }
  if (type == "backend_error") {
    const std::string* service = string_attr(attrs, "service");
    return bounded("backend:" + (service ? *service : std::string("unknown")) + ":" +
                   js_error_fingerprint(message, ""));
  }
  if (type == "ui_message") {
    // What the user saw on screen: an error message shown to many users is one problem.
    const std::string* level = string_attr(attrs, "level");
    if (level == nullptr || (*level != "error" && *level != "critical")) return "";
    std::string_view text = message;
    if (auto* t = string_attr(attrs, "text"); text.empty() && t != nullptr) text = *t;
    return "ui:" + js_error_fingerprint(text, "");
  }
  return "";
}

bool issue_key_is_third_party(std::string_view key) {
  std::string_view rest;
  if (key.starts_with("resource:")) {
    rest = key.substr(9);
  } else if (key.starts_with("route:")) {
    rest = key.substr(6);
    const auto space = rest.find(' ');
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  } else {
    return false;
  }
  return !rest.empty() && rest.front() != '/' && rest.front() != '(';
}

}  // namespace sessiondx::bot

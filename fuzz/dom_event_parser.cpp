// The event parser as it was before the streaming rewrite (issue 13): a DOM per body. Kept as
// the reference the SAX parser is compared with (fuzz_event_parser, sessiondx-parse-bench);
// never linked into the service. The stored attrs/context/extra of this one have their members
// sorted by name (a DOM's order); compare them as JSON values, not as text.
#include "fuzz/dom_event_parser.hpp"

#include "bot/issue_key.hpp"
#include "connectors/webhook/scrub.hpp"

#include <boost/regex.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>

namespace sessiondx::webhook::dom_reference {

using json = nlohmann::json;

namespace {

/// Deeper bodies are refused before nlohmann sees them: dumping or destroying a deep tree
/// recurses, and no real event needs more than a handful of levels.
constexpr std::size_t k_max_depth = 64;

constexpr std::int64_t k_year_2000_ms = 946'684'800'000;
constexpr std::int64_t k_year_10000_ms = 253'402'300'800'000;

// --- structure pre-scan ----------------------------------------------------------------------

/// A number literal outside the range of a double (such as 1e400): nlohmann refuses the whole
/// text with an exception, so the pre-scan finds them and the event holding one is rejected.
struct out_of_range_number {
  std::size_t offset = 0;
  std::size_t length = 0;
  std::size_t element = 0;  ///< top-level array index (0 for a single object or an NDJSON line)
  std::string field;        ///< the keys leading to it, dot-separated ("attrs.duration")
};

struct shape {
  std::size_t max_depth = 0;
  bool top_array = false;
  /// For a top-level array: the byte size of each element's text (whitespace trimmed).
  std::vector<std::size_t> element_sizes;
  /// The top-level array has more elements than allowed: the scan stopped there.
  bool too_many_elements = false;
  std::vector<out_of_range_number> out_of_range;
};

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

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

// --- RFC 3339 ----------------------------------------------------------------------------------

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr std::array<unsigned, 12> days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// Reads exactly `n` digits at `pos`.
bool read_digits(std::string_view s, std::size_t& pos, std::size_t n, unsigned& value) {
  if (s.size() - pos < n) return false;
  value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

/// YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm); 't', 'z' and a space separator are accepted
/// as RFC 3339 allows. The fraction may have any number of digits and is truncated to
/// milliseconds. A leap second (:60) is accepted and counts as the next second.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view s) {
  std::size_t pos = 0;
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(s, pos, 4, year) || !expect(s, pos, '-') || !read_digits(s, pos, 2, month) ||
      !expect(s, pos, '-') || !read_digits(s, pos, 2, day)) {
    return std::nullopt;
  }
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) return std::nullopt;
  ++pos;
  if (!read_digits(s, pos, 2, hour) || !expect(s, pos, ':') || !read_digits(s, pos, 2, minute) ||
      !expect(s, pos, ':') || !read_digits(s, pos, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t begin = pos;
    std::int64_t scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      millis += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == begin) return std::nullopt;
  }
  std::int64_t offset_minutes = 0;
  if (pos >= s.size()) return std::nullopt;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const bool negative = s[pos] == '-';
    ++pos;
    unsigned oh = 0, om = 0;
    if (!read_digits(s, pos, 2, oh) || !expect(s, pos, ':') || !read_digits(s, pos, 2, om) ||
        oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (negative ? -1 : 1) * static_cast<std::int64_t>(oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const std::int64_t days = days_from_civil(year, month, day);
  const std::int64_t seconds =
      days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

namespace {

// --- one event -------------------------------------------------------------------------------

constexpr std::array<std::string_view, 5> k_severities = {"debug", "info", "warning", "error",
                                                          "critical"};
constexpr std::array<std::string_view, 6> k_context_keys = {"browser",     "os",     "device",
                                                            "app_version", "locale", "region"};

// Normalised and scrubbed, every string; a string member named like a secret as a whole.
void scrub_strings(const scrubber& scrub, json& value) {
  switch (value.type()) {
    case json::value_t::string:
      scrub.clean(value.get_ref<std::string&>());
      break;
    case json::value_t::object:
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (it->is_string() && !it->get_ref<const std::string&>().empty() &&
            is_secret_field(it.key())) {
          *it = secret_field_value(it.key(), it->get_ref<const std::string&>());
        } else {
          scrub_strings(scrub, *it);
        }
      }
      break;
    case json::value_t::array:
      for (auto& child : value) scrub_strings(scrub, child);
      break;
    default:
      break;
  }
}

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool printable_ascii(std::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// The best human-readable text of an event for grouping: message, else attrs.message/text.
std::string_view best_message(const std::string& message, const json& attrs) {
  if (!message.empty() || !attrs.is_object()) return message;
  for (const char* key : {"message", "text"}) {
    auto it = attrs.find(key);
    if (it != attrs.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
      return it->get_ref<const std::string&>();
    }
  }
  return message;
}

}  // namespace

struct dom_event_parser::impl {
  ingest_settings settings;
  boost::regex session_id_re;
  std::string session_id_error;
  scrubber scrub;

  explicit impl(ingest_settings s) : settings(std::move(s)), scrub(settings.privacy) {
    try {
      session_id_re = boost::regex(settings.session_id_pattern, boost::regex::ECMAScript);
    } catch (const boost::regex_error& e) {
      throw std::invalid_argument("session_id pattern \"" + settings.session_id_pattern +
                                  "\" is not a valid regular expression: " + e.what());
    }
    session_id_error = "session_id: does not match " + settings.session_id_pattern;
  }

  std::string too_large_error() const {
    return "event: larger than " + std::to_string(settings.max_event_bytes) + " bytes";
  }

  body_error too_many_error() const {
    return body_error{"body: more than the limit of " +
                      std::to_string(settings.max_events_per_request) + " events per request"};
  }

  static std::string out_of_range_error(const out_of_range_number& n) {
    return (n.field.empty() ? std::string("event") : printable(n.field)) + ": number out of range";
  }

  // Validates and converts one event, taking its strings. Returns the error text on failure.
  std::variant<store::event, std::string> convert(json& value) const {
    if (!value.is_object()) return std::string("event: must be an object");

    json* id = nullptr;
    json* session_id = nullptr;
    json* ts = nullptr;
    json* type = nullptr;
    json* severity = nullptr;
    json* page = nullptr;
    json* message = nullptr;
    json* attrs = nullptr;
    json* context = nullptr;
    std::size_t known = 0;
    for (auto it = value.begin(); it != value.end(); ++it) {
      const std::string& key = it.key();
      json* v = &it.value();
      json** slot = nullptr;
      if (key == "id") {
        slot = &id;
      } else if (key == "session_id") {
        slot = &session_id;
      } else if (key == "ts") {
        slot = &ts;
      } else if (key == "type") {
        slot = &type;
      } else if (key == "severity") {
        slot = &severity;
      } else if (key == "page") {
        slot = &page;
      } else if (key == "message") {
        slot = &message;
      } else if (key == "attrs") {
        slot = &attrs;
      } else if (key == "context") {
        slot = &context;
      }
      if (slot != nullptr) {
        *slot = v;
        ++known;
      }
    }
    // Optional fields given as null count as absent.
    for (json** optional : {&severity, &page, &message, &attrs, &context}) {
      if (*optional != nullptr && (*optional)->is_null()) *optional = nullptr;
    }

    store::event ev;

    if (id == nullptr) return std::string("id: missing");
    if (!id->is_string()) return std::string("id: must be a string");
    {
      const auto& s = id->get_ref<const std::string&>();
      if (s.empty()) return std::string("id: empty");
      if (s.size() > 128) return std::string("id: longer than 128 bytes");
      if (!printable_ascii(s)) return std::string("id: must be printable ASCII without spaces");
    }

    if (session_id == nullptr) return std::string("session_id: missing");
    if (!session_id->is_string()) return std::string("session_id: must be a string");
    if (!boost::regex_match(session_id->get_ref<const std::string&>(), session_id_re)) {
      return session_id_error;
    }

    if (ts == nullptr) return std::string("ts: missing");
    if (ts->is_number_integer()) {
      // Unsigned values above INT64_MAX are far beyond any valid time anyway.
      if (ts->is_number_unsigned() && ts->get<std::uint64_t>() > std::uint64_t(k_year_10000_ms)) {
        return std::string("ts: after the year 9999");
      }
      const auto ms = ts->get<std::int64_t>();
      if (ms >= 946'684'800 && ms < 4'102'444'800) {
        return std::string(
            "ts: looks like seconds, not milliseconds (expected epoch milliseconds)");
      }
      if (ms < k_year_2000_ms) return std::string("ts: before the year 2000");
      if (ms >= k_year_10000_ms) return std::string("ts: after the year 9999");
      ev.ts_ms = ms;
    } else if (ts->is_string()) {
      auto ms = parse_rfc3339_ms(ts->get_ref<const std::string&>());
      if (!ms) return std::string("ts: not RFC 3339 or epoch milliseconds");
      if (*ms < k_year_2000_ms) return std::string("ts: before the year 2000");
      ev.ts_ms = *ms;
    } else {
      return std::string("ts: not RFC 3339 or epoch milliseconds");
    }

    if (type == nullptr) return std::string("type: missing");
    if (!type->is_string()) return std::string("type: must be a string");
    if (type->get_ref<const std::string&>().empty()) return std::string("type: empty");
    if (type->get_ref<const std::string&>().size() > 64) {
      return std::string("type: longer than 64 bytes");
    }

    if (severity != nullptr) {
      bool ok = false;
      if (severity->is_string()) {
        const auto& s = severity->get_ref<const std::string&>();
        for (auto known_severity : k_severities) ok = ok || s == known_severity;
      }
      if (!ok) {
        return std::string("severity: must be one of debug, info, warning, error, critical");
      }
    }
    if (page != nullptr && !page->is_string()) return std::string("page: must be a string");
    if (message != nullptr && !message->is_string()) {
      return std::string("message: must be a string");
    }
    if (attrs != nullptr && !attrs->is_object()) return std::string("attrs: must be an object");
    if (context != nullptr) {
      if (!context->is_object()) return std::string("context: must be an object");
      for (auto key : k_context_keys) {
        auto it = context->find(std::string(key));
        if (it != context->end() && !it->is_string() && !it->is_null()) {
          return "context." + std::string(key) + ": must be a string";
        }
      }
    }

    // Valid: take the strings out of the tree.
    ev.id = std::move(id->get_ref<std::string&>());
    ev.session_id = std::move(session_id->get_ref<std::string&>());
    ev.type = std::move(type->get_ref<std::string&>());
    if (severity != nullptr) ev.severity = std::move(severity->get_ref<std::string&>());
    if (page != nullptr) {
      ev.page = std::move(page->get_ref<std::string&>());
      scrub.clean(ev.page);
    }
    if (message != nullptr) {
      ev.message = std::move(message->get_ref<std::string&>());
      scrub.clean(ev.message);
    }
    static const json empty_object = json::object();
    if (attrs != nullptr) {
      scrub_strings(scrub, *attrs);
      ev.attrs = dump(*attrs);
    }
    if (context != nullptr) {
      // app_version is exempt: a version such as 2.14.0.1 would otherwise read as an IPv4.
      for (auto it = context->begin(); it != context->end(); ++it) {
        if (it.key() == "app_version") {
          if (it->is_string()) ev.app_version = it->get<std::string>();
        } else {
          scrub_strings(scrub, *it);
        }
      }
      ev.context = dump(*context);
    }
    if (value.size() > known) {
      json extra = json::object();
      for (auto it = value.begin(); it != value.end(); ++it) {
        const std::string& key = it.key();
        if (key == "id" || key == "session_id" || key == "ts" || key == "type" ||
            key == "severity" || key == "page" || key == "message" || key == "attrs" ||
            key == "context") {
          continue;
        }
        json& v = it.value();
        scrub_strings(scrub, v);
        extra.emplace(key, std::move(v));
      }
      ev.extra = dump(extra);
    }
    const json& attrs_ref = attrs != nullptr ? *attrs : empty_object;
    ev.issue_key = bot::issue_key(ev.type, best_message(ev.message, attrs_ref), attrs_ref, ev.page);
    return ev;
  }

  void add(parsed_batch& batch, json& value, std::size_t index, std::size_t text_size) const {
    if (text_size > settings.max_event_bytes) {
      batch.rejected.push_back({index, too_large_error()});
      return;
    }
    auto result = convert(value);
    if (auto* ev = std::get_if<store::event>(&result)) {
      batch.events.push_back(std::move(*ev));
      batch.indexes.push_back(index);
    } else {
      batch.rejected.push_back({index, std::move(std::get<std::string>(result))});
    }
  }

  std::variant<parsed_batch, body_error> parse_json(std::string_view body) const {
    std::size_t first = 0;
    while (first < body.size() && is_json_space(body[first])) ++first;
    if (first == body.size()) return body_error{"body: empty"};

    // Depth and element count are refused here, before any DOM is built.
    const shape sh = scan_shape(body, k_max_depth, settings.max_events_per_request);
    if (sh.max_depth > k_max_depth) return body_error{depth_error()};
    if (sh.too_many_elements) return too_many_error();

    // Numbers out of range would make nlohmann throw for the whole body: parse a copy where
    // they are zeroes, and reject the events that held them.
    std::string neutralised;
    std::string_view text = body;
    if (!sh.out_of_range.empty()) {
      neutralised = neutralise_numbers(body, sh.out_of_range);
      text = neutralised;
    }

    json root;
    try {
      root = json::parse(text);
    } catch (const json::parse_error& e) {
      return body_error{"body: not valid JSON (" + parse_error_text(e) + ")"};
    } catch (const json::exception& e) {
      return body_error{"body: not valid JSON (" + printable(e.what()) + ")"};
    }

    parsed_batch batch;
    auto add_checked = [&](json& value, std::size_t index, std::size_t size) {
      for (const auto& n : sh.out_of_range) {
        if (n.element == index) {
          batch.rejected.push_back({index, out_of_range_error(n)});
          return;
        }
      }
      add(batch, value, index, size);
    };
    if (root.is_object()) {
      std::size_t last = body.size();
      while (last > first && is_json_space(body[last - 1])) --last;
      add_checked(root, 0, last - first);
      return batch;
    }
    if (!root.is_array()) {
      return body_error{"body: expected an event object or an array of events"};
    }
    if (root.size() > settings.max_events_per_request) return too_many_error();
    const bool sizes_known = sh.element_sizes.size() == root.size();
    batch.events.reserve(root.size());
    batch.indexes.reserve(root.size());
    for (std::size_t i = 0; i < root.size(); ++i) {
      const std::size_t size = sizes_known ? sh.element_sizes[i] : dump(root[i]).size();
      add_checked(root[i], i, size);
    }
    return batch;
  }

  std::variant<parsed_batch, body_error> parse_ndjson(std::string_view body) const {
    // Split first: the event count limit applies before any parsing work.
    std::vector<std::string_view> lines;
    std::size_t begin = 0;
    while (begin <= body.size()) {
      std::size_t end = body.find('\n', begin);
      if (end == std::string_view::npos) end = body.size();
      std::string_view line = body.substr(begin, end - begin);
      while (!line.empty() && is_json_space(line.front())) line.remove_prefix(1);
      while (!line.empty() && is_json_space(line.back())) line.remove_suffix(1);
      if (!line.empty()) {
        if (lines.size() == settings.max_events_per_request) return too_many_error();
        lines.push_back(line);
      }
      begin = end + 1;
    }
    if (lines.empty()) return body_error{"body: empty"};

    parsed_batch batch;
    batch.events.reserve(lines.size());
    batch.indexes.reserve(lines.size());
    std::size_t parsed = 0;
    std::string first_error;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      std::string_view line = lines[i];
      if (line.size() > settings.max_event_bytes) {
        batch.rejected.push_back({i, too_large_error()});
        continue;
      }
      const shape sh = scan_shape(line, k_max_depth, std::string_view::npos);
      if (sh.max_depth > k_max_depth) return body_error{depth_error()};
      if (!sh.out_of_range.empty()) {
        // Still counted as parsed JSON: the line is JSON, one of its numbers is too large.
        ++parsed;
        batch.rejected.push_back({i, out_of_range_error(sh.out_of_range.front())});
        continue;
      }
      json value;
      try {
        value = json::parse(line);
      } catch (const json::exception& e) {
        const auto* parse_error = dynamic_cast<const json::parse_error*>(&e);
        std::string error = "event: not valid JSON (" +
                            (parse_error ? parse_error_text(*parse_error) : printable(e.what())) +
                            ")";
        if (first_error.empty()) first_error = error;
        batch.rejected.push_back({i, std::move(error)});
        continue;
      }
      ++parsed;
      add(batch, value, i, line.size());
    }
    if (parsed == 0 && !first_error.empty()) {
      return body_error{"body: no line is valid JSON (first error: " +
                        first_error.substr(std::string_view("event: ").size()) + ")"};
    }
    return batch;
  }
};

dom_event_parser::dom_event_parser(ingest_settings settings)
    : impl_(std::make_unique<impl>(std::move(settings))) {}
dom_event_parser::~dom_event_parser() = default;

std::variant<parsed_batch, body_error> dom_event_parser::parse(std::string_view body,
                                                               body_format format) const {
  return format == body_format::ndjson ? impl_->parse_ndjson(body) : impl_->parse_json(body);
}

}  // namespace sessiondx::webhook::dom_reference

#include "connectors/webhook/event_parser.hpp"

#include "bot/issue_key.hpp"
#include "connectors/webhook/body_scan.hpp"
#include "connectors/webhook/scrub.hpp"

#include <boost/regex.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>

namespace sessiondx::webhook {

using json = nlohmann::json;
using namespace body_scan;

namespace {

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

// --- compact JSON text -----------------------------------------------------------------------
// attrs, context and extra are stored as compact JSON text written while the body streams
// through the SAX handler, byte for byte what nlohmann's dump(-1, ' ', false, replace) gives for
// the same values (members in the order sent; no DOM is built).

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// A JSON string literal as nlohmann's serializer writes it without ensure_ascii: quote,
// backslash and the control characters escaped, everything else as is.
void append_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  const std::size_t start = out.size();
  out += '"';
  std::size_t run = 0;  // start of the bytes not yet copied
  bool high = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      high = true;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    out += '\\';
    switch (c) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '\b':
        out += 'b';
        break;
      case '\f':
        out += 'f';
        break;
      case '\n':
        out += 'n';
        break;
      case '\r':
        out += 'r';
        break;
      case '\t':
        out += 't';
        break;
      default:
        out += "u00";
        out += hex[c >> 4];
        out += hex[c & 15];
        break;
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
  // The parser hands out valid UTF-8 and scrubbing keeps it so; should a replacement ever break
  // a character, nlohmann's own replacement rules decide, as they did with the DOM.
  if (high && !valid_utf8(s)) {
    out.resize(start);
    out += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

void append_double(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  std::array<char, 64> buffer{};
  char* end = nlohmann::detail::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), static_cast<std::size_t>(end - buffer.data()));
}

template <class Integer>
void append_integer(std::string& out, Integer value) {
  std::array<char, 24> buffer{};
  const auto written = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), static_cast<std::size_t>(written.ptr - buffer.data()));
}

bool printable_ascii(std::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// --- one event: the fields ---------------------------------------------------------------------

constexpr std::array<std::string_view, 5> k_severities = {"debug", "info", "warning", "error",
                                                          "critical"};
constexpr std::array<std::string_view, 6> k_context_keys = {"browser",     "os",     "device",
                                                            "app_version", "locale", "region"};
constexpr std::size_t k_app_version = 3;  // index in k_context_keys
// The attrs members bot::issue_key reads (and best_message below): the only part of attrs that
// becomes a (tiny) DOM.
constexpr std::array<std::string_view, 12> k_key_attrs = {
    "message", "text", "source", "stack", "fingerprint", "status",
    "error",   "url",  "method", "route", "service",     "level"};

enum class kind : std::uint8_t {
  absent,
  null,
  boolean,
  integer,
  unsigned_integer,
  floating,
  string,
  object,
  array
};

/// A top-level member of the event as the SAX pass saw it (the last one when a key repeats, as
/// with a DOM). attrs and context keep their compact text in `text`.
struct field_value {
  kind type = kind::absent;
  std::string text;
  std::int64_t integer = 0;
  std::uint64_t unsigned_integer = 0;
};

enum class field : std::uint8_t {
  id,
  session_id,
  ts,
  type,
  severity,
  page,
  message,
  attrs,
  context
};
constexpr std::size_t k_field_count = 9;

/// What the checks of one event see: its members, and what the SAX pass noted about context
/// and attrs on the way.
struct event_fields {
  std::array<field_value, k_field_count> values;
  /// Per k_context_keys: the last value of that context member is neither a string nor null.
  std::array<bool, k_context_keys.size()> context_bad{};
  std::optional<std::string> app_version;
  /// The members of attrs listed in k_key_attrs, scrubbed: what bot::issue_key reads.
  nlohmann::json key_attrs = nlohmann::json::object();
  /// Unknown members: name -> compact JSON text, sorted by name as the DOM stored them.
  std::map<std::string, std::string, std::less<>> extra;

  field_value& operator[](field f) { return values[static_cast<std::size_t>(f)]; }

  void reset() {
    for (auto& v : values) {
      v.type = kind::absent;
      v.text.clear();
    }
    context_bad = {};
    app_version.reset();
    key_attrs = nlohmann::json::object();
    extra.clear();
  }
};

/// What a field check needs besides the event.
struct validation {
  const boost::regex& session_id_re;
  const std::string& session_id_error;
  const scrubber& scrub;
};

/// Validates one field and moves it into the event; false with `error` set on rejection.
using field_check = bool (*)(const validation&, field_value&, event_fields&, store::event&,
                             std::string& error);

struct field_rule {
  std::string_view name;
  field slot;
  bool required;  ///< absent: "<name>: missing"; otherwise null counts as absent
  field_check check;
};

bool fail(std::string& error, std::string text) {
  error = std::move(text);
  return false;
}

bool check_id(const validation&, field_value& v, event_fields&, store::event& ev,
              std::string& error) {
  if (v.type != kind::string) return fail(error, "id: must be a string");
  if (v.text.empty()) return fail(error, "id: empty");
  if (v.text.size() > 128) return fail(error, "id: longer than 128 bytes");
  if (!printable_ascii(v.text)) return fail(error, "id: must be printable ASCII without spaces");
  ev.id = std::move(v.text);
  return true;
}

bool check_session_id(const validation& rules, field_value& v, event_fields&, store::event& ev,
                      std::string& error) {
  if (v.type != kind::string) return fail(error, "session_id: must be a string");
  if (!boost::regex_match(v.text, rules.session_id_re)) return fail(error, rules.session_id_error);
  ev.session_id = std::move(v.text);
  return true;
}

bool check_ts(const validation&, field_value& v, event_fields&, store::event& ev,
              std::string& error) {
  std::int64_t ms = 0;
  if (v.type == kind::unsigned_integer || v.type == kind::integer) {
    // Unsigned values above INT64_MAX are far beyond any valid time anyway.
    if (v.type == kind::unsigned_integer && v.unsigned_integer > std::uint64_t(k_year_10000_ms)) {
      return fail(error, "ts: after the year 9999");
    }
    ms = v.type == kind::integer ? v.integer : static_cast<std::int64_t>(v.unsigned_integer);
    if (ms >= 946'684'800 && ms < 4'102'444'800) {
      return fail(error, "ts: looks like seconds, not milliseconds (expected epoch milliseconds)");
    }
    if (ms < k_year_2000_ms) return fail(error, "ts: before the year 2000");
    if (ms >= k_year_10000_ms) return fail(error, "ts: after the year 9999");
  } else if (v.type == kind::string) {
    auto parsed = parse_rfc3339_ms(v.text);
    if (!parsed) return fail(error, "ts: not RFC 3339 or epoch milliseconds");
    if (*parsed < k_year_2000_ms) return fail(error, "ts: before the year 2000");
    ms = *parsed;
  } else {
    return fail(error, "ts: not RFC 3339 or epoch milliseconds");
  }
  ev.ts_ms = ms;
  return true;
}

bool check_type(const validation&, field_value& v, event_fields&, store::event& ev,
                std::string& error) {
  if (v.type != kind::string) return fail(error, "type: must be a string");
  if (v.text.empty()) return fail(error, "type: empty");
  if (v.text.size() > 64) return fail(error, "type: longer than 64 bytes");
  ev.type = std::move(v.text);
  return true;
}

bool check_severity(const validation&, field_value& v, event_fields&, store::event& ev,
                    std::string& error) {
  const bool known = v.type == kind::string && std::find(k_severities.begin(), k_severities.end(),
                                                         v.text) != k_severities.end();
  if (!known) return fail(error, "severity: must be one of debug, info, warning, error, critical");
  ev.severity = std::move(v.text);
  return true;
}

bool check_page(const validation& rules, field_value& v, event_fields&, store::event& ev,
                std::string& error) {
  if (v.type != kind::string) return fail(error, "page: must be a string");
  ev.page = std::move(v.text);
  rules.scrub.clean(ev.page);
  return true;
}

bool check_message(const validation& rules, field_value& v, event_fields&, store::event& ev,
                   std::string& error) {
  if (v.type != kind::string) return fail(error, "message: must be a string");
  ev.message = std::move(v.text);
  rules.scrub.clean(ev.message);
  return true;
}

bool check_attrs(const validation&, field_value& v, event_fields&, store::event& ev,
                 std::string& error) {
  if (v.type != kind::object) return fail(error, "attrs: must be an object");
  ev.attrs = std::move(v.text);
  return true;
}

bool check_context(const validation&, field_value& v, event_fields& fields, store::event& ev,
                   std::string& error) {
  if (v.type != kind::object) return fail(error, "context: must be an object");
  for (std::size_t i = 0; i < k_context_keys.size(); ++i) {
    if (fields.context_bad[i]) {
      return fail(error, "context." + std::string(k_context_keys[i]) + ": must be a string");
    }
  }
  ev.context = std::move(v.text);
  if (fields.app_version) ev.app_version = std::move(*fields.app_version);
  return true;
}

/// The event's own fields, checked in this order (the first failure is the event's error).
/// Anything else is kept, scrubbed, in `extra`.
constexpr std::array<field_rule, k_field_count> k_fields = {{
    {"id", field::id, true, check_id},
    {"session_id", field::session_id, true, check_session_id},
    {"ts", field::ts, true, check_ts},
    {"type", field::type, true, check_type},
    {"severity", field::severity, false, check_severity},
    {"page", field::page, false, check_page},
    {"message", field::message, false, check_message},
    {"attrs", field::attrs, false, check_attrs},
    {"context", field::context, false, check_context},
}};

const field_rule* find_field(std::string_view name) {
  for (const auto& rule : k_fields) {
    if (rule.name == name) return &rule;
  }
  return nullptr;
}

template <std::size_t N>
int index_of(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  return -1;
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

// --- the SAX pass --------------------------------------------------------------------------------

/// What rejects an element of the body before its content is looked at (too large, a number
/// out of range): the error, or "" to read it.
class element_gate {
 public:
  virtual ~element_gate() = default;
  virtual std::string verdict(std::size_t index) const = 0;
};

/// nlohmann SAX handler: reads events one after another, validating and scrubbing on the way,
/// and writes attrs, context and unknown members as compact text, so that no DOM is built.
/// Appends to the batch as each event ends; the caller discards the batch (or the line's part
/// of it) when the text turns out not to be JSON. Values come as the parser decoded them.
class event_reader {
 public:
  event_reader(const validation& rules, parsed_batch& batch) : rules_(rules), batch_(batch) {}

  /// Before each body (or NDJSON line): with `array_is_batch`, a top-level array is a batch;
  /// `index` is the position of a top-level object (NDJSON: its line).
  void start(bool array_is_batch, std::size_t index, const element_gate* gate) {
    array_is_batch_ = array_is_batch;
    index_ = index;
    gate_ = gate;
    depth_ = 0;
    skip_depth_ = k_none;
    top_scalar_ = false;
    top_array_ = false;
    in_event_ = false;
    raw_member_ = false;
    frames_.clear();
    error_.clear();
  }

  /// The top-level value was neither an object nor an array (JSON body only).
  bool top_scalar() const { return top_scalar_; }
  /// The parser's message when sax_parse returned false.
  const std::string& error() const { return error_; }

  // --- nlohmann::json_sax ---
  bool null() {
    if (skipping()) return true;
    if (frames_.empty()) {
      if (field_value* v = member()) return set(*v, kind::null);
      if (!raw_member_) return true;
    }
    raw_value(kind::null);
    out_->append("null");
    return true;
  }
  bool boolean(bool b) {
    if (skipping()) return true;
    if (frames_.empty()) {
      if (field_value* v = member()) return set(*v, kind::boolean);
      if (!raw_member_) return true;
    }
    if (json* note = raw_value(kind::boolean)) *note = b;
    out_->append(b ? "true" : "false");
    return true;
  }
  bool number_integer(std::int64_t n) {
    if (skipping()) return true;
    if (frames_.empty()) {
      if (field_value* v = member()) {
        v->integer = n;
        return set(*v, kind::integer);
      }
      if (!raw_member_) return true;
    }
    if (json* note = raw_value(kind::integer)) *note = n;
    append_integer(*out_, n);
    return true;
  }
  bool number_unsigned(std::uint64_t n) {
    if (skipping()) return true;
    if (frames_.empty()) {
      if (field_value* v = member()) {
        v->unsigned_integer = n;
        return set(*v, kind::unsigned_integer);
      }
      if (!raw_member_) return true;
    }
    if (json* note = raw_value(kind::unsigned_integer)) *note = n;
    append_integer(*out_, n);
    return true;
  }
  bool number_float(double d, const std::string&) {
    if (skipping()) return true;
    if (frames_.empty()) {
      if (field_value* v = member()) return set(*v, kind::floating);
      if (!raw_member_) return true;
    }
    if (json* note = raw_value(kind::floating)) *note = d;
    append_double(*out_, d);
    return true;
  }
  bool string(std::string& s) {
    if (skipping()) return true;
    if (frames_.empty()) {
      if (field_value* v = member()) {
        v->text = std::move(s);
        return set(*v, kind::string);
      }
      if (!raw_member_) return true;
    }
    raw_string(s);
    return true;
  }
  bool binary(json::binary_t&) { return true; }  // not in JSON text

  bool start_object(std::size_t) { return open(kind::object); }
  bool start_array(std::size_t) { return open(kind::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(std::string& k) {
    if (skipping()) return true;
    if (!frames_.empty()) {
      frame& f = frames_.back();
      if (f.count++ > 0) *out_ += ',';
      append_string(*out_, k);
      *out_ += ':';
      f.secret = f.secret_keys && is_secret_field(k);
      if (f.secret) f.key = k;
      if (f.where == role::attrs) f.slot = index_of(k_key_attrs, k);
      if (f.where == role::context) f.slot = index_of(k_context_keys, k);
      return true;
    }
    // A member of the event itself (keys deeper down are inside skipped or captured values).
    member_rule_ = find_field(k);
    if (member_rule_ == nullptr) member_key_ = std::move(k);
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const json::exception& e) {
    const auto* syntax = dynamic_cast<const json::parse_error*>(&e);
    error_ = syntax != nullptr ? parse_error_text(*syntax) : printable(e.what());
    return false;
  }

 private:
  static constexpr std::size_t k_none = std::numeric_limits<std::size_t>::max();

  /// Which captured container a frame is: attrs and context are read as they stream.
  enum class role : std::uint8_t { attrs, context, other };

  struct frame {
    bool object = false;
    bool secret_keys = true;  ///< string members named like a secret are replaced whole
    role where = role::other;
    bool secret = false;  ///< the current member's key is a secret's
    int slot = -1;        ///< the current member's index in k_key_attrs / k_context_keys
    std::size_t count = 0;
    std::string key;  ///< the current member's key, kept only when `secret`
  };

  static frame make_frame(bool object, bool secret_keys = true, role where = role::other) {
    frame f;
    f.object = object;
    f.secret_keys = secret_keys;
    f.where = where;
    return f;
  }

  bool skipping() const { return skip_depth_ != k_none; }
  static bool set(field_value& v, kind type) {
    v.type = type;
    return true;
  }

  void reject(std::size_t index, std::string error) {
    batch_.rejected.push_back({index, std::move(error)});
  }

  std::string verdict(std::size_t index) const {
    return gate_ != nullptr ? gate_->verdict(index) : std::string();
  }

  // A member of the event is given (again): a later one replaces an earlier one, as in a DOM.
  field_value& clear_member(field slot) {
    field_value& v = fields_[slot];
    v.text.clear();
    if (slot == field::attrs) fields_.key_attrs = json::object();
    if (slot == field::context) {
      fields_.context_bad = {};
      fields_.app_version.reset();
    }
    return v;
  }

  // The text an unknown member's value is written to.
  std::string& extra_text() {
    std::string& text = fields_.extra[member_key_];
    text.clear();
    return text;
  }

  /// A scalar outside any captured container. Returns the event member it fills, or nullptr:
  /// with raw_member_ set, it is an unknown member's value for the raw writer; otherwise it
  /// was handled here (a top-level scalar, a scalar element of the batch).
  field_value* member() {
    if (in_event_ && depth_ == event_depth_) {
      if (member_rule_ != nullptr) return &clear_member(member_rule_->slot);
      out_ = &extra_text();
      raw_member_ = true;
      return nullptr;
    }
    if (depth_ == 0) {
      if (array_is_batch_) {
        top_scalar_ = true;  // a body error once the whole text is known to be JSON
      } else {
        reject(index_, "event: must be an object");
      }
    } else if (top_array_ && depth_ == 1) {
      const std::size_t index = element_++;
      std::string why = verdict(index);
      reject(index, why.empty() ? std::string("event: must be an object") : std::move(why));
    }
    return nullptr;
  }

  bool open(kind type) {
    const std::size_t depth = depth_++;
    if (skipping()) return true;
    if (!frames_.empty()) {
      // Inside attrs, context or an unknown member: one level down.
      raw_value(type);
      *out_ += type == kind::object ? '{' : '[';
      frames_.push_back(make_frame(type == kind::object));
      return true;
    }
    if (in_event_ && depth == event_depth_) {
      open_member(type, depth);
      return true;
    }
    if (depth == 0 && type == kind::array && array_is_batch_) {
      top_array_ = true;
      element_ = 0;
      return true;
    }
    if (depth == 0 || (top_array_ && depth == 1)) {
      const std::size_t index = depth == 0 ? index_ : element_++;
      std::string why = verdict(index);
      if (why.empty() && type == kind::object) {
        in_event_ = true;
        event_depth_ = depth_;
        event_index_ = index;
        fields_.reset();
        member_rule_ = nullptr;
      } else {
        reject(index, why.empty() ? std::string("event: must be an object") : std::move(why));
        skip_depth_ = depth;
      }
      return true;
    }
    skip_depth_ = depth;  // not reached: every other place is captured or skipped
    return true;
  }

  // A container as the value of a member of the event.
  void open_member(kind type, std::size_t depth) {
    if (member_rule_ == nullptr) {
      out_ = &extra_text();
      *out_ += type == kind::object ? '{' : '[';
      frames_.push_back(make_frame(type == kind::object));
      return;
    }
    field_value& v = clear_member(member_rule_->slot);
    v.type = type;
    const bool attrs = member_rule_->slot == field::attrs;
    const bool context = member_rule_->slot == field::context;
    if (type != kind::object || (!attrs && !context)) {
      skip_depth_ = depth;  // its check rejects it; nothing to keep
      return;
    }
    out_ = &v.text;
    *out_ += '{';
    // context's own members are scrubbed but not replaced as secrets (deeper objects are).
    frames_.push_back(make_frame(true, attrs, attrs ? role::attrs : role::context));
  }

  bool close() {
    --depth_;
    if (skipping()) {
      if (depth_ == skip_depth_) skip_depth_ = k_none;
      return true;
    }
    if (!frames_.empty()) {
      *out_ += frames_.back().object ? '}' : ']';
      frames_.pop_back();
      return true;
    }
    if (in_event_ && depth_ + 1 == event_depth_) {
      in_event_ = false;
      finish_event();
    }
    return true;
  }

  /// A value starts in the raw writer: its separator, and what the pass notes about a member
  /// of attrs or context. Returns attrs' copy of the value for bot::issue_key when it is one
  /// of k_key_attrs.
  json* raw_value(kind type) {
    if (frames_.empty()) {  // an unknown member's scalar value: the whole text
      raw_member_ = false;
      return nullptr;
    }
    frame& f = frames_.back();
    if (!f.object && f.count++ > 0) *out_ += ',';
    if (!f.object || f.slot < 0) return nullptr;
    const auto slot = static_cast<std::size_t>(f.slot);
    if (f.where == role::context) {
      fields_.context_bad[slot] = type != kind::string && type != kind::null;
      if (slot == k_app_version && type != kind::string) fields_.app_version.reset();
      return nullptr;
    }
    if (f.where != role::attrs) return nullptr;
    json& note = fields_.key_attrs[std::string(k_key_attrs[slot])];
    // A container only counts as present (attrs.error): true stands for it.
    note = type == kind::object || type == kind::array ? json(true) : json(nullptr);
    return &note;
  }

  void raw_string(std::string& s) {
    const frame* f = frames_.empty() ? nullptr : &frames_.back();
    const bool secret = f != nullptr && f->secret && !s.empty();
    const bool app_version =
        f != nullptr && f->where == role::context && f->slot == static_cast<int>(k_app_version);
    json* note = raw_value(kind::string);
    if (secret) {
      s = secret_field_value(f->key, s);
    } else if (app_version) {
      // Exempt from scrubbing: a version such as 2.14.0.1 would otherwise read as an IPv4.
      fields_.app_version = s;
    } else {
      rules_.scrub.clean(s);
    }
    if (note != nullptr) *note = s;
    append_string(*out_, s);
  }

  void finish_event() {
    store::event ev;
    std::string error;
    for (const auto& rule : k_fields) {
      field_value& v = fields_[rule.slot];
      if (v.type == kind::absent || (!rule.required && v.type == kind::null)) {
        if (!rule.required) continue;
        reject(event_index_, std::string(rule.name) + ": missing");
        return;
      }
      if (!rule.check(rules_, v, fields_, ev, error)) {
        reject(event_index_, std::move(error));
        return;
      }
    }
    if (!fields_.extra.empty()) {
      std::string& extra = ev.extra;
      extra += '{';
      for (const auto& [name, text] : fields_.extra) {
        if (extra.size() > 1) extra += ',';
        append_string(extra, name);
        extra += ':';
        extra += text;
      }
      extra += '}';
    }
    const json& attrs = fields_.key_attrs;
    ev.issue_key = bot::issue_key(ev.type, best_message(ev.message, attrs), attrs, ev.page);
    batch_.events.push_back(std::move(ev));
    batch_.indexes.push_back(event_index_);
  }

  const validation& rules_;
  parsed_batch& batch_;
  bool array_is_batch_ = true;
  std::size_t index_ = 0;
  const element_gate* gate_ = nullptr;

  std::size_t depth_ = 0;            ///< containers open
  std::size_t skip_depth_ = k_none;  ///< ignoring everything until the depth is back to this
  bool top_scalar_ = false;
  bool top_array_ = false;
  std::size_t element_ = 0;  ///< index of the next element of the top-level array

  bool in_event_ = false;
  std::size_t event_depth_ = 0;  ///< depth_ inside the event object
  std::size_t event_index_ = 0;
  event_fields fields_;
  const field_rule* member_rule_ = nullptr;  ///< the current member, or nullptr: member_key_
  std::string member_key_;

  std::vector<frame> frames_;  ///< the captured containers open, innermost last
  std::string* out_ = nullptr;
  bool raw_member_ = false;  ///< the next scalar is an unknown member's whole value
  std::string error_;
};

}  // namespace

struct event_parser::impl {
  ingest_settings settings;
  boost::regex session_id_re;
  std::string session_id_error;
  scrubber scrub;
  validation rules{session_id_re, session_id_error, scrub};

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

  /// The pre-scan's findings about each element of a JSON body: a number out of range, then
  /// the size limit.
  class shape_gate final : public element_gate {
   public:
    shape_gate(const impl& parser, const shape& sh, std::size_t single_size)
        : parser_(parser), shape_(sh), single_size_(single_size) {}

    std::string verdict(std::size_t index) const override {
      for (const auto& n : shape_.out_of_range) {
        if (n.element == index) return out_of_range_error(n);
      }
      std::size_t size = single_size_;
      if (shape_.top_array) {
        // The scan is exact for valid JSON; anything else fails to parse anyway.
        size = index < shape_.element_sizes.size() ? shape_.element_sizes[index] : 0;
      }
      if (size > parser_.settings.max_event_bytes) return parser_.too_large_error();
      return {};
    }

   private:
    const impl& parser_;
    const shape& shape_;
    std::size_t single_size_;
  };

  std::variant<parsed_batch, body_error> parse_json(std::string_view body) const {
    std::size_t first = 0;
    while (first < body.size() && is_json_space(body[first])) ++first;
    if (first == body.size()) return body_error{"body: empty"};

    // Depth and element count are refused here, before any event is read.
    const shape sh = scan_shape(body, k_max_depth, settings.max_events_per_request);
    if (sh.max_depth > k_max_depth) return body_error{depth_error()};
    if (sh.too_many_elements) return too_many_error();

    // Numbers out of range would make nlohmann stop at the first: parse a copy where they are
    // zeroes, and reject the events that held them.
    std::string neutralised;
    std::string_view text = body;
    if (!sh.out_of_range.empty()) {
      neutralised = neutralise_numbers(body, sh.out_of_range);
      text = neutralised;
    }

    std::size_t last = body.size();
    while (last > first && is_json_space(body[last - 1])) --last;
    const shape_gate gate(*this, sh, last - first);

    parsed_batch batch;
    batch.events.reserve(sh.element_sizes.size());
    batch.indexes.reserve(sh.element_sizes.size());
    event_reader reader(rules, batch);
    reader.start(true, 0, &gate);
    if (!json::sax_parse(text, &reader)) {
      return body_error{"body: not valid JSON (" + reader.error() + ")"};
    }
    if (reader.top_scalar()) {
      return body_error{"body: expected an event object or an array of events"};
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
    event_reader reader(rules, batch);
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
      const std::size_t events_before = batch.events.size();
      const std::size_t rejected_before = batch.rejected.size();
      reader.start(false, i, nullptr);
      if (!json::sax_parse(line, &reader)) {
        // What the line's value produced before the parser found the error goes.
        batch.events.resize(events_before);
        batch.indexes.resize(events_before);
        batch.rejected.resize(rejected_before);
        std::string error = "event: not valid JSON (" + reader.error() + ")";
        if (first_error.empty()) first_error = error;
        batch.rejected.push_back({i, std::move(error)});
        continue;
      }
      ++parsed;
    }
    if (parsed == 0 && !first_error.empty()) {
      return body_error{"body: no line is valid JSON (first error: " +
                        first_error.substr(std::string_view("event: ").size()) + ")"};
    }
    return batch;
  }
};

event_parser::event_parser(ingest_settings settings)
    : impl_(std::make_unique<impl>(std::move(settings))) {}
event_parser::~event_parser() = default;
event_parser::event_parser(event_parser&&) noexcept = default;
event_parser& event_parser::operator=(event_parser&&) noexcept = default;

std::variant<parsed_batch, body_error> event_parser::parse(std::string_view body,
                                                           body_format format) const {
  return format == body_format::ndjson ? impl_->parse_ndjson(body) : impl_->parse_json(body);
}

const ingest_settings& event_parser::settings() const { return impl_->settings; }

}  // namespace sessiondx::webhook

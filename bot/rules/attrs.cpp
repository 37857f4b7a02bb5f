// Flat attribute parsing: nlohmann's SAX parser keeps the top-level scalars of an event's attrs
// and skips everything nested, without building a DOM.

#include "bot/rules/engine.hpp"

#include <charconv>
#include <cmath>
#include <system_error>

namespace sessiondx::bot::detail {

struct flat_attrs_builder {
  using json = nlohmann::json;
  flat_attrs out;
  int depth = 0;
  bool valid = true;
  std::string current_key;

  bool scalar(attr_value v) {
    if (depth == 0) valid = false;  // a bare scalar is not an attrs object
    if (depth == 1) out.items_.emplace_back(std::move(current_key), std::move(v));
    return valid;
  }
  bool open() {
    if (depth == 1) {
      attr_value v;
      v.type = attr_value::kind::structured;
      out.items_.emplace_back(std::move(current_key), std::move(v));
    }
    ++depth;
    return true;
  }

  bool null() { return scalar({}); }
  bool boolean(bool b) {
    attr_value v;
    v.type = attr_value::kind::boolean;
    v.boolean = b;
    return scalar(std::move(v));
  }
  bool number(double d) {
    attr_value v;
    v.type = std::isfinite(d) ? attr_value::kind::number : attr_value::kind::null;
    v.number = d;
    return scalar(std::move(v));
  }
  bool number_integer(json::number_integer_t n) { return number(static_cast<double>(n)); }
  bool number_unsigned(json::number_unsigned_t n) { return number(static_cast<double>(n)); }
  bool number_float(json::number_float_t d, const json::string_t&) { return number(d); }
  bool string(json::string_t& s) {
    attr_value v;
    v.type = attr_value::kind::string;
    v.text = std::move(s);
    return scalar(std::move(v));
  }
  bool binary(json::binary_t&) { return scalar({}); }
  bool start_object(std::size_t) { return open(); }
  bool end_object() {
    --depth;
    return true;
  }
  bool start_array(std::size_t) {
    if (depth == 0) valid = false;
    return valid && open();
  }
  bool end_array() {
    --depth;
    return true;
  }
  bool key(json::string_t& k) {
    if (depth == 1) current_key = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    valid = false;
    return false;
  }
};

namespace {

// The fast path of flat_attrs::parse: a byte scanner for the attrs events carry (ASCII strings
// without escapes, numbers, literals, nested values skipped but checked). It gives up (nullopt)
// on anything it does not fully handle — an escape, a non-ASCII byte, a number from_chars
// rejects, bad JSON, deep nesting — and the caller then takes nlohmann's SAX parser, so the
// result is always what that parser gives.
class flat_scanner {
 public:
  explicit flat_scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool object(std::vector<std::pair<std::string, attr_value>>& out) {
    ws();
    if (!eat('{')) return false;
    out.reserve(6);  // events carry a handful of attributes: one allocation, not three
    ws();
    if (eat('}')) return rest_is_space();
    for (;;) {
      ws();
      std::string_view key;
      if (!string(key)) return false;
      ws();
      if (!eat(':')) return false;
      ws();
      attr_value v;
      if (!value(v, 1)) return false;
      out.emplace_back(std::string(key), std::move(v));
      ws();
      if (eat(',')) continue;
      if (eat('}')) return rest_is_space();
      return false;
    }
  }

 private:
  void ws() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool eat(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool rest_is_space() {
    ws();
    return p_ == end_;
  }
  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word)
      return false;
    p_ += word.size();
    return true;
  }
  // Printable ASCII without escapes only.
  bool string(std::string_view& out) {
    if (!eat('"')) return false;
    const char* start = p_;
    for (; p_ != end_; ++p_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;
    }
    return false;
  }
  bool number(double& out) {
    // The JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    const char* start = p_;
    eat('-');
    if (p_ == end_) return false;
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    } else {
      return false;
    }
    bool integer = true;
    if (p_ != end_ && *p_ == '.') {
      integer = false;
      ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    const auto [at, ec] = std::from_chars(start, p_, out);
    if (ec != std::errc{} || at != p_ || !std::isfinite(out)) return false;
    // nlohmann reads "-0" as the integer 0.
    if (integer && out == 0) out = 0;
    return true;
  }
  bool value(attr_value& v, int depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '"': {
        std::string_view text;
        if (!string(text)) return false;
        v.type = attr_value::kind::string;
        v.text = std::string(text);
        return true;
      }
      case '{':
      case '[':
        v.type = attr_value::kind::structured;
        return skip(depth);
      case 't':
        v.type = attr_value::kind::boolean;
        v.boolean = true;
        return literal("true");
      case 'f':
        v.type = attr_value::kind::boolean;
        return literal("false");
      case 'n':
        return literal("null");
      default:
        v.type = attr_value::kind::number;
        return number(v.number);
    }
  }
  // A nested object or array, checked and dropped.
  bool skip(int depth) {
    if (depth > 32) return false;
    const char close = *p_ == '{' ? '}' : ']';
    ++p_;
    ws();
    if (eat(close)) return true;
    for (;;) {
      ws();
      if (close == '}') {
        std::string_view key;
        if (!string(key)) return false;
        ws();
        if (!eat(':')) return false;
        ws();
      }
      attr_value ignored;
      if (!value(ignored, depth + 1)) return false;
      ws();
      if (eat(',')) continue;
      return eat(close);
    }
  }

  const char* p_;
  const char* end_;
};

}  // namespace

flat_attrs flat_attrs::parse(std::string_view text) {
  if (text.empty()) return {};
  {
    flat_attrs fast;
    if (flat_scanner(text).object(fast.items_)) return fast;
  }
  flat_attrs_builder b;
  try {
    const bool ok = nlohmann::json::sax_parse(text, &b);
    if (!ok || !b.valid) return {};
  } catch (const std::exception&) {
    return {};
  }
  return std::move(b.out);
}

const attr_value* flat_attrs::find(std::string_view key) const {
  for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

nlohmann::json flat_attrs::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : items_) {
    switch (v.type) {
      case attr_value::kind::boolean:
        j[k] = v.boolean;
        break;
      case attr_value::kind::number:
        j[k] = v.number;
        break;
      case attr_value::kind::string:
        j[k] = v.text;
        break;
      case attr_value::kind::null:
      case attr_value::kind::structured:
        j[k] = nullptr;
        break;
    }
  }
  return j;
}

bool lazy_attrs::may_hold(std::string_view key) const {
  if (parsed_) return attrs_.find(key) != nullptr;
  // A key is a JSON string: "key" verbatim, unless it is written with escapes.
  for (std::size_t at = text_.find(key); at != std::string_view::npos;
       at = text_.find(key, at + 1)) {
    if (at > 0 && text_[at - 1] == '"' && at + key.size() < text_.size() &&
        text_[at + key.size()] == '"')
      return true;
  }
  return text_.find('\\') != std::string_view::npos;
}

std::string_view str_attr(const flat_attrs& attrs, const char* key) {
  const attr_value* v = attrs.find(key);
  return v && v->type == attr_value::kind::string ? std::string_view(v->text) : std::string_view();
}

std::optional<double> num_attr(const flat_attrs& attrs, const char* key) {
  const attr_value* v = attrs.find(key);
  if (v && v->type == attr_value::kind::number) return v->number;
  return std::nullopt;
}

}  // namespace sessiondx::bot::detail

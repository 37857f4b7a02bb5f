// Flat attribute parsing: nlohmann's SAX parser keeps the top-level scalars of an event's attrs
// and skips everything nested, without building a DOM.

#include "bot/rules/engine.hpp"

#include <cmath>

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

flat_attrs flat_attrs::parse(std::string_view text) {
  if (text.empty()) return {};
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

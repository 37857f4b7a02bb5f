// The event parser as it was before the streaming rewrite (issue 13): a DOM per body. Kept as
// the reference the SAX parser is compared with (fuzz_event_parser, sessiondx-parse-bench);
// never linked into the service. The stored attrs/context/extra of this one have their members
// sorted by name (a DOM's order); compare them as JSON values, not as text.
#include "fuzz/dom_event_parser.hpp"

#include "bot/issue_key.hpp"
#include "connectors/webhook/body_scan.hpp"
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
using namespace body_scan;

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

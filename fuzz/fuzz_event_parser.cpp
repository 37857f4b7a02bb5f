// The body parser and validator: any bytes, as a JSON body and as NDJSON. Checks the contract:
// no crash, every position accounted for exactly once (accepted or rejected); and that the
// streaming parser agrees with the DOM parser it replaced (fuzz/dom_event_parser.cpp): the same
// body errors, rejections and events, attrs/context/extra equal as JSON values (the DOM sorted
// members by name; the streaming parser keeps them in the order sent).
#include "connectors/webhook/event_parser.hpp"
#include "fuzz/dom_event_parser.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

using namespace sessiondx::webhook;

namespace {
ingest_settings fuzz_settings() {
  ingest_settings s;
  s.max_events_per_request = 64;
  s.max_event_bytes = 4096;
  return s;
}

const event_parser& parser() {
  static const event_parser p{fuzz_settings()};
  return p;
}

const dom_reference::dom_event_parser& reference() {
  static const dom_reference::dom_event_parser p{fuzz_settings()};
  return p;
}

void check(const std::variant<parsed_batch, body_error>& result) {
  const auto* batch = std::get_if<parsed_batch>(&result);
  if (batch == nullptr) return;
  if (batch->events.size() != batch->indexes.size()) std::abort();
  std::set<std::size_t> seen(batch->indexes.begin(), batch->indexes.end());
  for (const auto& r : batch->rejected)
    if (!seen.insert(r.index).second || r.error.find(": ") == std::string::npos) std::abort();
  if (seen.size() != batch->events.size() + batch->rejected.size()) std::abort();
  if (batch->events.size() + batch->rejected.size() > 64) std::abort();
}

bool same_json_text(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return a == b;
  return nlohmann::json::parse(a) == nlohmann::json::parse(b);
}

void compare(const std::variant<parsed_batch, body_error>& got,
             const std::variant<parsed_batch, body_error>& want) {
  if (got.index() != want.index()) std::abort();
  if (const auto* e = std::get_if<body_error>(&got)) {
    if (e->message != std::get<body_error>(want).message) std::abort();
    return;
  }
  const auto& a = std::get<parsed_batch>(got);
  const auto& b = std::get<parsed_batch>(want);
  if (a.indexes != b.indexes || a.rejected.size() != b.rejected.size()) std::abort();
  for (std::size_t i = 0; i < a.rejected.size(); ++i) {
    if (a.rejected[i].index != b.rejected[i].index || a.rejected[i].error != b.rejected[i].error)
      std::abort();
  }
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    const auto& x = a.events[i];
    const auto& y = b.events[i];
    if (x.id != y.id || x.session_id != y.session_id || x.ts_ms != y.ts_ms || x.type != y.type ||
        x.severity != y.severity || x.page != y.page || x.message != y.message ||
        x.issue_key != y.issue_key || x.app_version != y.app_version ||
        !same_json_text(x.attrs, y.attrs) || !same_json_text(x.context, y.context) ||
        !same_json_text(x.extra, y.extra)) {
      std::abort();
    }
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (auto format : {body_format::json, body_format::ndjson}) {
    auto result = parser().parse(body, format);
    check(result);
    compare(result, reference().parse(body, format));
  }
  return 0;
}

// The body parser and validator: any bytes, as a JSON body and as NDJSON. Checks the contract:
// no crash, every position accounted for exactly once (accepted or rejected).
#include "connectors/webhook/event_parser.hpp"

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

using namespace sessiondx::webhook;

namespace {
const event_parser& parser() {
  static const event_parser p = [] {
    ingest_settings s;
    s.max_events_per_request = 64;
    s.max_event_bytes = 4096;
    return event_parser(s);
  }();
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
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  check(parser().parse(body, body_format::json));
  check(parser().parse(body, body_format::ndjson));
  return 0;
}

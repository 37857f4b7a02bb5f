#pragma once

// Turns a webhook body into validated, scrubbed events ready for the store. Pure: no I/O, no
// clock, no Beast. Every rejection names the field and the reason.

#include "connectors/webhook/scrub.hpp"
#include "store/event.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sessiondx::webhook {

struct ingest_settings {
  /// ECMAScript regex a session_id must match in full.
  std::string session_id_pattern = "^[A-Za-z0-9_-]{8,64}$";
  /// Largest accepted event, measured as its JSON text.
  std::size_t max_event_bytes = 256 * 1024;
  /// Most events accepted in one request.
  std::size_t max_events_per_request = 10'000;
  /// Extra scrubbing patterns (`privacy.*`); a bad pattern makes the constructor throw.
  privacy_settings privacy;
};

enum class body_format { json, ndjson };

struct rejected_event {
  /// Position in the request, 0-based: the array index, or for NDJSON the position among the
  /// non-empty lines (blank lines are not counted).
  std::size_t index = 0;
  std::string error;  ///< "<field>: <reason>"
};

struct parsed_batch {
  std::vector<store::event> events;  ///< valid events, scrubbed and normalised
  std::vector<std::size_t> indexes;  ///< request position of each valid event
  std::vector<rejected_event> rejected;
};

/// The body as a whole is unusable (not JSON, empty, too many events): answered with 400.
struct body_error {
  std::string message;
};

/// Parses an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)) into Unix epoch
/// milliseconds, truncating the fraction; nullopt when malformed or out of range. Pure.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);

class event_parser {
 public:
  /// Throws std::invalid_argument when session_id_pattern or a privacy pattern is not a valid
  /// regex.
  explicit event_parser(ingest_settings settings);
  ~event_parser();
  event_parser(event_parser&&) noexcept;
  event_parser& operator=(event_parser&&) noexcept;

  /// Parses one event object, a JSON array of events, or NDJSON (one event per non-empty line).
  /// A body that is not JSON at all (for NDJSON: no line is JSON) is a body_error; individual
  /// events that fail validation are listed in parsed_batch::rejected and do not affect the rest.
  /// Thread-safe (const).
  std::variant<parsed_batch, body_error> parse(std::string_view body, body_format format) const;

  const ingest_settings& settings() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sessiondx::webhook

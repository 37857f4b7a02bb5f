#pragma once

// One technical event of a customer's session, as stored. Produced by the ingest path (already
// validated and scrubbed), read back by the diagnosis. Plain data: no SQLite, no JSON library.

#include <cstdint>
#include <optional>
#include <string>

namespace sessiondx::store {

struct event {
  std::string id;          ///< The sender's event id: the idempotency key within a session.
  std::string session_id;  ///< The customer's session id as shown in the website footer.
  std::int64_t ts_ms = 0;  ///< Event time, Unix epoch milliseconds (UTC).
  std::string type;        ///< page_view, http_request, js_error, ... or any sender-defined type.
  std::string severity;    ///< debug|info|warning|error|critical, or empty when not given.
  std::string page;        ///< Page (path or URL) the event happened on; may be empty.
  std::string message;     ///< Human-readable message; may be empty.
  std::string attrs;       ///< Type-specific attributes as compact JSON object text; "" if none.
  std::string context;  ///< browser/os/device/app_version/locale/region as JSON object; "" if none.
  std::string extra;    ///< Unknown top-level fields, kept as a JSON object text; "" if none.
  /// Key shared by events of the same problem across sessions ("js:<fingerprint>",
  /// "route:POST /api/pay"), empty when the event is not a problem. Indexed for blast radius.
  std::string issue_key;
  /// The context's app_version, copied out for the "newer version seen" check; may be empty.
  std::string app_version;
  /// The ts as sent, when the store clamped ts into its bounds around the receipt time
  /// (store_settings::max_ts_ahead / max_ts_behind); nullopt when ts was kept.
  std::optional<std::int64_t> sent_ts_ms;
};

}  // namespace sessiondx::store

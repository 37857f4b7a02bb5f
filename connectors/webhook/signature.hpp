#pragma once

// Standard Webhooks signatures (v1, HMAC-SHA256). Pure functions: no clock reads, no I/O.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sessiondx::webhook {

/// A signing secret: the raw HMAC key bytes decoded from its `whsec_<base64>` form.
class webhook_secret {
 public:
  /// Parses `whsec_<base64>` (the prefix is optional, as in the reference libraries). Returns
  /// nullopt when the base64 is malformed or the key is shorter than 16 bytes.
  static std::optional<webhook_secret> parse(std::string_view text);
  const std::string& key() const { return key_; }

 private:
  explicit webhook_secret(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

/// `v1,<base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))>`
std::string sign(const webhook_secret& secret, std::string_view id, std::string_view timestamp,
                 std::string_view body);

enum class signature_status {
  valid,
  missing_headers,    ///< webhook-id, webhook-timestamp or webhook-signature absent
  bad_timestamp,      ///< not an integer of Unix seconds
  timestamp_too_old,  ///< older than the tolerance
  timestamp_too_new,  ///< further in the future than the tolerance
  no_matching_signature,
};

/// Human-readable reason for a status, for the 401 body.
std::string_view describe(signature_status s);

/// Verifies the three Standard Webhooks headers against `body`. `signatures` is the
/// space-separated header value; any `v1,` entry that matches accepts the request (key
/// rotation); other schemes are ignored. Comparison is constant-time.
signature_status verify(const webhook_secret& secret, std::string_view id,
                        std::string_view timestamp, std::string_view signatures,
                        std::string_view body, std::int64_t now_unix_s,
                        std::chrono::seconds tolerance = std::chrono::minutes(5));

}  // namespace sessiondx::webhook

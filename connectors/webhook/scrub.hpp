#pragma once

// Removes personal data from customer-provided text before it is stored. Pure and thread-safe.
// What is scrubbed, exactly, is documented in docs/events.md ("Privacy").

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sessiondx::webhook {

/// The built-in rules, on `text` as it is (no display normalisation; ingest uses `scrubber`).
/// E-mail addresses (also with a percent-encoded @ in URLs) -> "[email]"; IPv4/IPv6 addresses ->
/// "[ip]"; card-number-like digit runs passing the Luhn check -> "[card]"; phone numbers
/// (E.164 and national formats) -> "[phone]"; IBANs passing the mod-97 check -> "[iban]"; JWTs
/// -> "[jwt]"; Bearer and Basic credentials, Authorization and Cookie header values and the
/// values of password=/token=/apiKey=-like parameters -> "[secret]". Text without any of them is
/// returned unchanged (no allocation when nothing matches).
std::string scrub(std::string_view text);

/// In-place variant; returns true when something was replaced.
bool scrub_in_place(std::string& text);

/// True when a JSON object member called `key` is a secret as a whole (password, token,
/// accessToken, api_key, authorization, cookie, ...): its string value is replaced entirely.
bool is_secret_field(std::string_view key);

/// The stored value of a secret field (is_secret_field): "[secret]", or for an Authorization
/// member whose value starts with a scheme word ("Bearer abc") the scheme and "[secret]".
std::string secret_field_value(std::string_view key, std::string_view value);

struct privacy_settings {
  /// Site-specific identifiers (ECMAScript regexes, Boost.Regex): each match is replaced by
  /// "[redacted]", or, when the pattern has capture groups, each captured part is. Applied after
  /// the display normalisation and before the built-in rules. Key `privacy.extra_patterns`.
  std::vector<std::string> extra_patterns;
};

/// What ingest applies to every stored string: bot::text::normalize_for_display (so that the
/// text scrubbed is the text every display shows), the extra patterns, then the built-in rules.
/// Copyable; thread-safe to share const.
class scrubber {
 public:
  /// Throws std::invalid_argument naming the first pattern that does not compile.
  explicit scrubber(privacy_settings settings = {});

  /// Returns true when `text` changed (normalised or scrubbed).
  bool clean(std::string& text) const;
  std::string cleaned(std::string_view text) const;

  const privacy_settings& settings() const { return settings_; }

 private:
  privacy_settings settings_;
  struct compiled;  // the regexes, kept out of this header
  std::shared_ptr<const compiled> patterns_;
};

/// The placeholder of the extra patterns.
inline constexpr std::string_view redacted = "[redacted]";

}  // namespace sessiondx::webhook

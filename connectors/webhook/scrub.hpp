#pragma once

// Removes personal data from customer-provided text before it is stored. Pure and thread-safe.
// What is scrubbed, exactly, is documented in docs/events.md ("Privacy").

#include <string>
#include <string_view>

namespace sessiondx::webhook {

/// Returns `text` with e-mail addresses -> "[email]", IPv4/IPv6 addresses -> "[ip]",
/// card-number-like digit runs passing the Luhn check -> "[card]", bearer tokens and the values
/// of password=/token=/key=-like query or form parameters -> "[secret]". Text without any of
/// them is returned unchanged (fast path without allocation when nothing matches is preferred).
std::string scrub(std::string_view text);

/// In-place variant; returns true when something was replaced.
bool scrub_in_place(std::string& text);

}  // namespace sessiondx::webhook

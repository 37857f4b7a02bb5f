#pragma once

// How events of the same problem are recognised across sessions. Pure functions used at ingest
// (to fill the indexed issue_key column) and by the diagnosis (blast radius).

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

namespace sessiondx::bot {

/// Fingerprint of a JavaScript error when the sender gave none: a short stable hash of the
/// message (with numbers, hex ids and quoted values normalised away) and the top stack frame
/// (file and function, without line/column). Same error, same fingerprint.
std::string js_error_fingerprint(std::string_view message, std::string_view stack);

/// The issue key of an event, or "" when the event is not a problem:
///  - js_error:      "js:<fingerprint>" (attrs.fingerprint, else js_error_fingerprint)
///  - http_request that failed (status >= 500, status 0, or an `error` attribute such as
///    network error or timeout): "route:<METHOD> <route>" (attrs.route, else the URL's path)
///  - resource_error: "resource:<url path>"
///  - backend_error:  "backend:<service>:<fingerprint of message>"
///  - ui_message with attrs.level "error" or "critical": "ui:<fingerprint of message or text>"
/// `message` may be empty; attrs.message is used then. URL paths have numeric, UUID and long hex
/// segments replaced by ":id"; keys are at most 256 bytes.
std::string issue_key(std::string_view type, std::string_view message, const nlohmann::json& attrs);

}  // namespace sessiondx::bot

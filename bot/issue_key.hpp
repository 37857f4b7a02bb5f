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
/// segments replaced by ":id"; keys are at most 256 bytes. An absolute URL on another host than
/// `page` (the event's page, a path or URL; "" when unknown) keeps its host
/// ("resource:js.stripe.com/v3/", "route:GET api.other.example/v1/x").
/// Noise gets no key (see bot/noise.hpp): requests and resources blocked by the client, failures
/// on built-in tracker hosts, requests aborted by the page, 404 on favicon / touch icons /
/// robots.txt / source maps, extension errors, "Script error." without detail, ResizeObserver
/// loop notifications. A 4xx is not a failure (401/403/402/422/429 are read by the diagnosis).
std::string issue_key(std::string_view type, std::string_view message, const nlohmann::json& attrs,
                      std::string_view page = {});

/// A key of a resource or request on another host than the site (the key kept the URL's host):
/// digests and alerts skip those, whose owner is someone else.
bool issue_key_is_third_party(std::string_view key);

}  // namespace sessiondx::bot

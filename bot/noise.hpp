#pragma once

// Noise classes: events that look like problems but are not ours to fix (an ad blocker, a
// request the page cancelled, a missing favicon, an error thrown by a browser extension). Pure
// functions shared by the ingest (such events get no issue key, so they never reach blast radius,
// digests or alerts) and by the diagnosis (which lists them in `checked`). Sources of every
// wording: docs/diagnosis.md, "Noise".

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sessiondx::bot::noise {

enum class kind : std::uint8_t {
  none,
  blocked_by_client,        ///< ERR_BLOCKED_BY_CLIENT, Firefox tracking protection, Safari content
                            ///< blocker
  tracker,                  ///< a failure on a tracker / analytics / ads host
  aborted,                  ///< cancelled by the page (abort, navigation, session end)
  benign_missing,           ///< 404 on /favicon.ico, /apple-touch-icon*, /robots.txt, *.map
  extension_error,          ///< a JavaScript error thrown by a browser extension
  opaque_script_error,      ///< "Script error." with no detail (cross-origin script)
  resize_observer,          ///< "ResizeObserver loop ..." (benign browser notification)
  third_party_unreachable,  ///< status 0 with no detail on a non-critical third-party host
};

/// The host of an absolute (`https://h/…`) or protocol-relative (`//h/…`) URL, lower case and
/// without port or credentials; "" for a relative URL.
std::string url_host(std::string_view url);

/// `host` is `domain` or one of its subdomains ("www.googletagmanager.com" matches
/// "googletagmanager.com"). Both lower case.
bool host_in(std::string_view host, std::string_view domain);

/// A host of the built-in tracker / analytics / ads list, or of `extra` (rule settings).
bool is_tracker_host(std::string_view host, std::span<const std::string> extra = {});

/// The browser's wording for a request or resource its user (ad blocker, tracking protection,
/// content blocker) blocked. Case-insensitive.
bool blocked_by_client(std::string_view error);

/// The wording of a request the page itself aborted or cancelled. Case-insensitive.
bool aborted_by_page(std::string_view error);

/// /favicon.ico, /apple-touch-icon*.png, /robots.txt or a source map (*.map), by the URL's path.
bool benign_missing_path(std::string_view url);

/// What ingest can judge from a failed request or resource alone (no session, no settings but the
/// built-in tracker list): blocked, tracker, aborted with an error wording, benign 404.
kind request_noise(std::string_view url, std::optional<double> status, std::string_view error,
                   std::span<const std::string> extra_trackers = {});

/// Extension errors, "Script error." without detail, ResizeObserver loop notifications.
kind js_error_noise(std::string_view message, std::string_view source, std::string_view stack);

/// "blocked by the browser (ad blocker)", "cancelled by the page", ... for `checked`.
std::string_view describe(kind k);

}  // namespace sessiondx::bot::noise

#include "bot/noise.hpp"

#include <array>

namespace sessiondx::bot::noise {
namespace {

char lower_char(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Case-insensitive substring search; `needle` is lower case.
bool contains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && lower_char(hay[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Tracker, analytics and ads hosts that ad blockers and tracking protection block for about a
// third of visitors (EasyPrivacy / Disconnect lists, the most common entries). Subdomains match.
constexpr std::array<std::string_view, 34> k_trackers = {
    "googletagmanager.com",
    "google-analytics.com",
    "analytics.google.com",
    "doubleclick.net",
    "googleadservices.com",
    "googlesyndication.com",
    "adservice.google.com",
    "connect.facebook.net",
    "hotjar.com",
    "hotjar.io",
    "clarity.ms",
    "bat.bing.com",
    "cdn.segment.com",
    "api.segment.io",
    "mixpanel.com",
    "mxpnl.com",
    "api.amplitude.com",
    "plausible.io",
    "static.ads-twitter.com",
    "analytics.twitter.com",
    "analytics.tiktok.com",
    "snap.licdn.com",
    "px.ads.linkedin.com",
    "criteo.com",
    "criteo.net",
    "taboola.com",
    "outbrain.com",
    "heapanalytics.com",
    "fullstory.com",
    "mouseflow.com",
    "matomo.cloud",
    "quantserve.com",
    "scorecardresearch.com",
    "adsrvr.org",
};

// Chromium net::ERR_BLOCKED_BY_CLIENT (extensions, ad blockers); Firefox's URL-classifier errors
// when Enhanced Tracking Protection blocks a load (NS_ERROR_TRACKING_URI and its siblings for
// fingerprinters, cryptominers and social trackers; NS_ERROR_CONTENT_BLOCKED); WebKit's console
// wording for Safari content blockers ("Content blocker prevented frame displaying ...").
constexpr std::array<std::string_view, 10> k_blocked = {
    "err_blocked_by_client",     "ns_error_tracking_uri",       "ns_error_fingerprinting_uri",
    "ns_error_cryptomining_uri", "ns_error_socialtracking_uri", "ns_error_content_blocked",
    "content blocker",           "blocked by client",           "blocked by an extension",
    "blocked by extension",
};

// fetch's AbortError ("The user aborted a request.", "signal is aborted without reason"),
// XMLHttpRequest abort, Chromium net::ERR_ABORTED, Firefox NS_BINDING_ABORTED, Safari/axios
// "cancelled"/"canceled".
constexpr std::array<std::string_view, 6> k_aborted = {
    "abort", "cancelled", "canceled", "ns_binding_aborted", "err_aborted", "navigation",
};

constexpr std::array<std::string_view, 5> k_extension_schemes = {
    "chrome-extension://",     "moz-extension://",        "safari-extension://",
    "safari-web-extension://", "ms-browser-extension://",
};

std::string_view path_of(std::string_view url) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
    auto slash = url.find('/');
    url = slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
  } else if (url.starts_with("//")) {
    url.remove_prefix(2);
    auto slash = url.find('/');
    url = slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
  }
  if (auto q = url.find_first_of("?#"); q != std::string_view::npos) url = url.substr(0, q);
  return url;
}

}  // namespace

std::string url_host(std::string_view url) {
  std::size_t start = 0;
  if (auto scheme = url.find("://");
      scheme != std::string_view::npos &&
      url.substr(0, scheme).find_first_of("/?#") == std::string_view::npos) {
    start = scheme + 3;
  } else if (url.starts_with("//")) {
    start = 2;
  } else {
    return {};
  }
  std::string_view rest = url.substr(start);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (!rest.starts_with('[')) rest = rest.substr(0, rest.find(':'));
  std::string host(rest);
  for (char& c : host) c = lower_char(c);
  while (!host.empty() && host.back() == '.') host.pop_back();
  return host;
}

bool host_in(std::string_view host, std::string_view domain) {
  if (host.empty() || domain.empty() || host.size() < domain.size()) return false;
  if (!host.ends_with(domain)) return false;
  return host.size() == domain.size() || host[host.size() - domain.size() - 1] == '.';
}

bool is_tracker_host(std::string_view host, std::span<const std::string> extra) {
  if (host.empty()) return false;
  for (std::string_view t : k_trackers) {
    if (host_in(host, t)) return true;
  }
  for (const std::string& t : extra) {
    if (host_in(host, t)) return true;
  }
  return false;
}

bool blocked_by_client(std::string_view error) {
  if (error.empty()) return false;
  for (std::string_view w : k_blocked) {
    if (contains(error, w)) return true;
  }
  return false;
}

bool aborted_by_page(std::string_view error) {
  if (error.empty()) return false;
  for (std::string_view w : k_aborted) {
    if (contains(error, w)) return true;
  }
  return false;
}

bool benign_missing_path(std::string_view url) {
  std::string_view path = path_of(url);
  const auto slash = path.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::string name(last);
  for (char& c : name) c = lower_char(c);
  return name == "favicon.ico" || name.starts_with("apple-touch-icon") ||
         (name == "robots.txt" && slash == 0) || (name.size() > 4 && name.ends_with(".map"));
}

kind request_noise(std::string_view url, std::optional<double> status, std::string_view error,
                   std::span<const std::string> extra_trackers) {
  if (blocked_by_client(error)) return kind::blocked_by_client;
  const bool no_response = !status || *status == 0;
  if (no_response && aborted_by_page(error)) return kind::aborted;
  if (is_tracker_host(url_host(url), extra_trackers)) return kind::tracker;
  const bool missing = !status || *status == 404 || *status == 410 || *status == 0;
  if (missing && benign_missing_path(url)) return kind::benign_missing;
  return kind::none;
}

kind js_error_noise(std::string_view message, std::string_view source, std::string_view stack) {
  for (std::string_view scheme : k_extension_schemes) {
    if (contains(source, scheme) || contains(stack, scheme)) return kind::extension_error;
  }
  if (contains(message, "resizeobserver loop")) return kind::resize_observer;
  const std::string_view m = trim(message);
  if ((m == "Script error." || m == "Script error") && trim(stack).empty() &&
      (trim(source).empty())) {
    return kind::opaque_script_error;
  }
  return kind::none;
}

std::string_view describe(kind k) {
  switch (k) {
    case kind::none:
      return "";
    case kind::blocked_by_client:
      return "blocked by the browser (ad blocker or tracking protection)";
    case kind::tracker:
      return "on a tracker or analytics host";
    case kind::aborted:
      return "cancelled by the page (abort or navigation)";
    case kind::benign_missing:
      return "missing favicon, touch icon, robots.txt or source map";
    case kind::extension_error:
      return "thrown by a browser extension";
    case kind::opaque_script_error:
      return "\"Script error.\" without detail (a cross-origin script)";
    case kind::resize_observer:
      return "ResizeObserver loop notification (harmless)";
    case kind::third_party_unreachable:
      return "third-party host unreachable (status 0, no detail; may be blocked)";
  }
  return "";
}

}  // namespace sessiondx::bot::noise

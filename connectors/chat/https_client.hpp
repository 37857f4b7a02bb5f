#pragma once

// An HTTP/1.1 client for chat REST APIs: verified https (http:// only when allowed), keep-alive
// connections reused per origin, a timeout on every step. Beast stays in the .cpp.

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sessiondx::chat {

struct http_settings {
  bool allow_plaintext = false;  ///< accept http:// URLs (tests, local installs)
  /// Connect, TLS handshake, and each request with its response.
  std::chrono::milliseconds timeout{15'000};
  std::size_t max_response_bytes = 8 * 1024 * 1024;
  std::size_t max_idle_per_origin = 4;  ///< kept-alive connections waiting for reuse
  std::string user_agent = "sessiondx";
};

struct http_response {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;  ///< the Retry-After header, "" when absent
  /// Every response header, names as the server sent them.
  std::vector<std::pair<std::string, std::string>> headers;

  /// The first header named `name` (case-insensitive), "" when absent.
  std::string header(std::string_view name) const;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

/// @par Thread safety
/// Every call must come from coroutines on one executor (a strand or a single-threaded
/// io_context); several requests may be in flight at once, each on its own connection.
class https_client {
 public:
  explicit https_client(http_settings settings);
  ~https_client();
  https_client(const https_client&) = delete;
  https_client& operator=(const https_client&) = delete;

  /// POSTs `body` to the absolute `url` with `headers` (Content-Type among them) and returns the
  /// answer whatever its status. Reuses an idle connection to the same origin; when a reused
  /// connection turns out to be closed, retries once on a new one. Throws
  /// boost::system::system_error (errc::bad_url, errc::plaintext_refused, DNS, connect, TLS
  /// verification, timeouts, errc::response_too_large).
  boost::asio::awaitable<http_response> post(std::string url, header_list headers,
                                             std::string body);

  /// Like post() with any method ("GET", "PUT", "PATCH", "DELETE"); an empty body is sent
  /// without Content-Length for GET. Throws as post() does, and std::invalid_argument for an
  /// unknown method.
  boost::asio::awaitable<http_response> request(std::string method, std::string url,
                                                header_list headers, std::string body);

  /// Closes the idle connections (shutdown). Call on the same executor.
  void close_idle();

  struct impl;  ///< defined in https_client.cpp

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace sessiondx::chat

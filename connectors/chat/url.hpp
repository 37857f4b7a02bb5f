#pragma once

// Where a connector connects: a parsed ws/wss/http/https URL. Pure; no Asio.

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <string>

namespace sessiondx::chat {

struct endpoint {
  bool tls = true;
  bool websocket = false;
  std::string host;    ///< without brackets for IPv6 literals
  std::string port;    ///< always set: the scheme's default when the URL has none
  std::string target;  ///< path and query, at least "/"

  /// The Host header value: host, plus ":port" when the port is not the scheme's default.
  std::string host_header() const;
  /// scheme://host:port, used to pool connections by origin.
  std::string origin() const;
};

/// Parses `url`. ws:// and http:// are refused (errc::plaintext_refused) unless
/// `allow_plaintext`; anything else that is not ws/wss/http/https with a host is errc::bad_url.
/// Never throws.
endpoint parse_endpoint(const std::string& url, bool allow_plaintext,
                        boost::system::error_code& ec);

/// `base` with `method` appended, adding a '/' between them when `base` lacks one:
/// join_url("https://slack.com/api/", "chat.postMessage").
std::string join_url(const std::string& base, const std::string& method);

}  // namespace sessiondx::chat

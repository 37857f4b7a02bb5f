#include "connectors/chat/url.hpp"

#include "connectors/chat/errc.hpp"

#include <boost/url/parse.hpp>

namespace sessiondx::chat {

std::string endpoint::host_header() const {
  const bool default_port = port == (tls ? "443" : "80");
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return default_port ? h : h + ":" + port;
}

std::string endpoint::origin() const {
  const char* scheme = websocket ? (tls ? "wss" : "ws") : (tls ? "https" : "http");
  return std::string(scheme) + "://" + host + ":" + port;
}

endpoint parse_endpoint(const std::string& url, bool allow_plaintext,
                        boost::system::error_code& ec) {
  ec = {};
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    ec = errc::bad_url;
    return {};
  }
  const auto& u = *parsed;
  endpoint e;
  const std::string scheme = u.scheme();
  if (scheme == "wss" || scheme == "https") {
    e.tls = true;
  } else if (scheme == "ws" || scheme == "http") {
    e.tls = false;
  } else {
    ec = errc::bad_url;
    return {};
  }
  e.websocket = scheme == "ws" || scheme == "wss";
  if (!e.tls && !allow_plaintext) {
    ec = errc::plaintext_refused;
    return {};
  }
  if (u.host_type() == boost::urls::host_type::ipv6) {
    e.host = u.host_ipv6_address().to_string();
  } else {
    e.host = u.encoded_host().decode();
  }
  if (e.host.empty()) {
    ec = errc::bad_url;
    return {};
  }
  e.port = u.has_port() ? std::string(u.port()) : (e.tls ? "443" : "80");
  e.target = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  if (u.has_query()) e.target += "?" + std::string(u.encoded_query());
  return e;
}

std::string join_url(const std::string& base, const std::string& method) {
  if (!base.empty() && base.back() == '/') return base + method;
  return base + "/" + method;
}

}  // namespace sessiondx::chat

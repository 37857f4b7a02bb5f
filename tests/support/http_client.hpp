#pragma once

// A small blocking HTTP/1.1 client for tests: one keep-alive connection to a loopback server.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sessiondx::test {

struct http_reply {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  ///< lower-case names
  bool keep_alive = true;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

class http_client {
 public:
  /// Connects at once; throws boost::system::system_error when it cannot.
  http_client(const std::string& host, std::uint16_t port,
              std::chrono::seconds timeout = std::chrono::seconds(10));
  ~http_client();
  http_client(http_client&&) noexcept;

  /// Sends one request and reads the reply. Throws on I/O errors (including the server closing
  /// the connection before replying).
  http_reply request(const std::string& method, const std::string& target, const std::string& body,
                     const header_list& headers = {});
  http_reply post(const std::string& target, const std::string& body, const header_list& headers) {
    return request("POST", target, body, headers);
  }
  http_reply get(const std::string& target) { return request("GET", target, "", {}); }

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sessiondx::test

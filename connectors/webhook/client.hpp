#pragma once

// A small blocking client for our own webhook: signs and posts event batches. Used by
// `sessiondx demo-data`; plain http:// only (it talks to a receiver on this machine or a LAN).

#include "connectors/webhook/signature.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace sessiondx::webhook {

struct post_result {
  unsigned status = 0;
  std::string body;
};

class webhook_client {
 public:
  /// `url` is the receiver's base, e.g. "http://127.0.0.1:8080". Throws std::invalid_argument
  /// for an unusable URL. Connects lazily and keeps the connection alive between posts.
  webhook_client(const std::string& url, std::optional<webhook_secret> secret,
                 std::chrono::seconds timeout = std::chrono::seconds(15));
  ~webhook_client();

  /// POSTs a JSON body to /v1/events, signed when a secret was given. Throws
  /// boost::system::system_error on connection failures (after one reconnect attempt).
  post_result post_events(const std::string& json_body);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sessiondx::webhook

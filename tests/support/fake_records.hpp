#pragma once

// What the fake chat servers of tests/ record (tests/support/fake_server.hpp), Beast-free so
// that the fakes' public headers and the tests stay light.

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

namespace sessiondx::test {

/// One HTTP request a fake answered, as the tests inspect it.
struct recorded_request {
  std::string method;  ///< "POST", "PATCH", …
  std::string target;  ///< with the query
  std::string path;    ///< without the query
  std::string
      api_method;  ///< the fake's name for the call, where it has one (Slack: "chat.postMessage")
  std::string authorization, user_agent, content_type;
  nlohmann::json body;  ///< parsed JSON body (null when empty or not JSON)
  unsigned status = 0;  ///< what the fake answered
  std::chrono::steady_clock::time_point at;
};

/// One text frame a fake received on a websocket.
struct received_frame {
  int socket = 0;  ///< index of the websocket, in accept order from 0
  std::string text;
  std::chrono::steady_clock::time_point at;
};

}  // namespace sessiondx::test

#pragma once

// The webhook receiver: POST /v1/events (signed, durable before 2xx), GET /healthz, GET /readyz,
// GET /metrics.
// Beast stays inside server.cpp; this header only needs Asio's io_context.

#include "connectors/webhook/event_parser.hpp"
#include "connectors/webhook/signature.hpp"
#include "store/event_store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace sessiondx::webhook {

struct server_settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  ///< 0 picks an ephemeral port (tests)
  /// Largest request body, applied both on the wire and after gzip decompression.
  std::size_t max_body_bytes = 5 * 1024 * 1024;
  std::chrono::seconds timestamp_tolerance{300};
  /// A keep-alive connection idle this long (no byte of a next request) is closed.
  std::chrono::seconds idle_timeout{60};
  /// From the first byte of a request to the end of its header; slower senders get 408.
  std::chrono::seconds header_timeout{10};
  /// After a grace of header_timeout, a body must keep arriving at this average rate (bytes/s)
  /// or the request is cut with 408. 0 disables the check (header_timeout still bounds stalls).
  std::size_t min_body_bytes_per_s = 1024;
  /// Largest request line + header; over it: 431.
  std::size_t max_header_bytes = 16 * 1024;
  /// Open connections at most; beyond it new ones are accepted and closed at once.
  std::size_t max_connections = 10'000;
  /// POST requests between their header and their answer at most; beyond it: 503.
  std::size_t max_inflight_requests = 256;
  /// Bytes of request bodies held in memory at once, summed over all connections (being received
  /// or being parsed); a request that would pass it gets 503 before its body is read.
  std::size_t max_body_buffer_bytes = 64 * 1024 * 1024;
  /// Estimated bytes of events handed to the writer and not yet committed; beyond it: 503.
  std::size_t max_queued_bytes = 64 * 1024 * 1024;
  /// Retry-After sent with 503 when the writer is saturated.
  std::chrono::seconds retry_after{1};
  /// nullopt: no signature check (allowed only on a loopback address; the caller enforces it).
  std::optional<webhook_secret> secret;
  /// Unix seconds now; empty means the system clock. Injected by tests.
  std::function<std::int64_t()> now_unix_s;
  /// GET /readyz: "" when ready, else why not (503 with that reason). Empty: ready while
  /// serving. Called on an I/O thread: cheap and thread-safe (app/readiness.hpp).
  std::function<std::string()> not_ready_reason;
  /// GET /metrics: more metric families in the exposition format (HELP, TYPE, samples), appended
  /// after the receiver's own. Called on an I/O thread: cheap and thread-safe.
  std::function<std::string()> extra_metrics;
};

/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);

class webhook_server {
 public:
  /// The parser and the store must outlive the server. Nothing runs until start().
  webhook_server(boost::asio::io_context& ioc, server_settings settings, const event_parser& parser,
                 store::event_store& store);
  ~webhook_server();
  webhook_server(const webhook_server&) = delete;
  webhook_server& operator=(const webhook_server&) = delete;

  /// Binds and starts accepting; returns the bound endpoint. Throws boost::system::system_error
  /// when the address cannot be bound. Call from any thread before running the io_context.
  boost::asio::ip::tcp::endpoint start();

  /// Stops accepting and closes idle connections; requests in flight still get their answer.
  /// The io_context's run() returns once every connection has finished. Thread-safe, idempotent.
  void stop();

  struct impl;  ///< Implementation detail, defined in server.cpp.

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace sessiondx::webhook

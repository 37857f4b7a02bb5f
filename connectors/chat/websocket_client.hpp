#pragma once

// A client websocket for chat connectors: ws:// or verified wss://, one reader loop, one writer
// draining a bounded FIFO outbox, keepalive pings and an idle timeout. Beast stays in the .cpp.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sessiondx::chat {

struct websocket_settings {
  /// Accept ws:// (tests, local installs). wss:// is always verified against the system CAs.
  bool allow_plaintext = false;
  /// Resolve + TCP + TLS + websocket handshake, and the closing handshake.
  std::chrono::milliseconds handshake_timeout{10'000};
  /// No frame (data, ping or pong) for this long closes the connection; a ping goes out at half.
  std::chrono::milliseconds idle_timeout{30'000};
  /// Frames waiting for the writer; send() refuses more.
  std::size_t outbox_capacity = 256;
  std::size_t max_message_bytes = 4 * 1024 * 1024;
  std::string user_agent = "sessiondx";
  /// Extra headers on the upgrade request (Mattermost: Authorization: Bearer …).
  std::vector<std::pair<std::string, std::string>> headers;
};

/// One open websocket. Everything runs on the executor of the coroutine that opened it (a strand
/// or a single-threaded io_context): call send(), close() and abort() only from there.
class websocket_connection : public std::enable_shared_from_this<websocket_connection> {
 public:
  using message_handler = std::function<void(std::string)>;

  /// Resolves, connects and, for wss, does a verified TLS handshake (SNI, peer and host name
  /// checked), then the websocket handshake. Throws boost::system::system_error: errc::bad_url,
  /// errc::plaintext_refused, resolve/connect/TLS/handshake errors, timeouts.
  static boost::asio::awaitable<std::shared_ptr<websocket_connection>> open(
      std::string url, websocket_settings settings);

  virtual ~websocket_connection() = default;

  /// Reads until the connection ends, calling `on_message` with each text frame, on the
  /// connection's executor; the writer runs beside it. Returns an empty error code after a
  /// clean close (either side), otherwise why the connection was lost. Call once. Does not throw
  /// for network errors; `on_message` must not throw.
  virtual boost::asio::awaitable<boost::system::error_code> run(message_handler on_message) = 0;

  /// Queues a text frame behind the ones already queued. False (nothing queued) when the outbox
  /// is full or the connection is closing.
  virtual bool send(std::string text) = 0;

  /// Sends the queued frames, then a close frame with `code`; run() returns when the peer
  /// answers (or the handshake timeout passes). Idempotent.
  virtual void close(std::uint16_t code = 1000) = 0;

  /// The code of the close frame the peer sent (0: none, or not closed by the peer yet).
  virtual std::uint16_t peer_close_code() const = 0;

  /// Drops the connection at once, without a closing handshake. Idempotent.
  virtual void abort() = 0;

  /// A short label for logs: "wss://host/path".
  virtual const std::string& label() const = 0;
};

/// How a connector opens its websockets. Empty (the default): websocket_connection::open, over
/// the network. Protocol tests give one that hands out websockets over beast::test::stream
/// (connectors/chat/websocket_session.hpp, make_websocket_connection).
using websocket_opener =
    std::function<boost::asio::awaitable<std::shared_ptr<websocket_connection>>(
        std::string url, websocket_settings settings)>;

/// `opener(url, settings)` when set, else websocket_connection::open(url, settings). Throws as
/// they do.
boost::asio::awaitable<std::shared_ptr<websocket_connection>> open_websocket(
    websocket_opener opener, std::string url, websocket_settings settings);

}  // namespace sessiondx::chat

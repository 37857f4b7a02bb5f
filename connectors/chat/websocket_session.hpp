#pragma once

// The websocket_connection of websocket_client.hpp as a template on the stream type, so that
// TCP, TLS and boost::beast::test::stream share one implementation: one reader loop, one writer
// draining a bounded FIFO outbox, the closing handshake, abort. websocket_client.cpp
// instantiates it for ws:// and wss:// after its own connect and handshakes; protocol tests wrap
// a websocket over beast::test::stream with make_websocket_connection() and drive a connector's
// session without sockets. Includes Beast: only for .cpp files that already pay for it.

#include "connectors/chat/websocket_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <spdlog/spdlog.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace sessiondx::chat {

/// The settings' websocket options on `ws`: timeouts (handshake, idle with keep-alive pings),
/// the User-Agent and extra headers of the upgrade, the message size limit. Call before the
/// websocket handshake.
template <class NextLayer>
void apply_websocket_settings(boost::beast::websocket::stream<NextLayer>& ws,
                              const websocket_settings& settings) {
  namespace websocket = boost::beast::websocket;
  namespace http = boost::beast::http;
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = settings.handshake_timeout;
  timeouts.idle_timeout = settings.idle_timeout;
  timeouts.keep_alive_pings = true;
  ws.set_option(timeouts);
  ws.set_option(websocket::stream_base::decorator(
      [ua = settings.user_agent, extra = settings.headers](websocket::request_type& req) {
        req.set(http::field::user_agent, ua);
        for (const auto& [name, value] : extra) req.set(name, value);
      }));
  ws.read_message_max(settings.max_message_bytes);
}

/// One open websocket over `WsStream` (a boost::beast::websocket::stream<…> whose handshake is
/// done). `Keep` is whatever must outlive the stream (the TLS context); void-free: use
/// std::shared_ptr<void>.
template <class WsStream>
class websocket_session final : public websocket_connection {
 public:
  websocket_session(WsStream ws, websocket_settings settings, std::string label,
                    std::shared_ptr<void> keep = nullptr)
      : keep_(std::move(keep)),
        settings_(std::move(settings)),
        label_(std::move(label)),
        ws_(std::move(ws)),
        outbox_(ws_.get_executor(), settings_.outbox_capacity) {}

  boost::asio::awaitable<boost::system::error_code> run(message_handler on_message) override {
    namespace net = boost::asio;
    namespace beast = boost::beast;
    namespace websocket = beast::websocket;
    constexpr auto nothrow = net::as_tuple(net::use_awaitable);
    auto self = std::static_pointer_cast<websocket_session>(shared_from_this());
    net::co_spawn(ws_.get_executor(), write_loop(self), [label = label_](std::exception_ptr e) {
      // write_loop handles its errors; this only reports a bug escaping it.
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("{}: websocket writer failed: {}", label, ex.what());
      }
    });

    boost::system::error_code result;
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, n] = co_await ws_.async_read(buffer, nothrow);
      if (ec == websocket::error::closed) {  // a clean close, from either side
        peer_close_code_ = static_cast<std::uint16_t>(ws_.reason().code);
        break;
      }
      if (ec) {
        result = ec;
        break;
      }
      on_message(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
    }
    closing_ = true;
    outbox_.close();  // stops the writer if it waits for frames
    co_return result;
  }

  bool send(std::string text) override {
    if (closing_ || aborted_) return false;
    return outbox_.try_send(boost::system::error_code{},
                            std::optional<std::string>(std::move(text)));
  }

  void close(std::uint16_t code) override {
    if (closing_ || aborted_) return;
    closing_ = true;
    close_code_ = code;
    // Behind the queued frames when there is room; otherwise the writer closes at once.
    if (!outbox_.try_send(boost::system::error_code{}, std::optional<std::string>()))
      outbox_.close();
  }

  void abort() override {
    if (aborted_) return;
    aborted_ = true;
    closing_ = true;
    outbox_.close();
    boost::beast::get_lowest_layer(ws_).close();
  }

  std::uint16_t peer_close_code() const override { return peer_close_code_; }

  const std::string& label() const override { return label_; }

 private:
  /// Frames for the writer; an empty optional asks it to close after what is queued before it.
  using outbox = boost::asio::experimental::channel<void(boost::system::error_code,
                                                         std::optional<std::string>)>;

  static boost::asio::awaitable<void> write_loop(std::shared_ptr<websocket_session> self) {
    namespace net = boost::asio;
    namespace websocket = boost::beast::websocket;
    constexpr auto nothrow = net::as_tuple(net::use_awaitable);
    for (;;) {
      auto [ec, frame] = co_await self->outbox_.async_receive(nothrow);
      if (ec || !frame) break;  // close requested (or the reader ended)
      auto [wec, n] = co_await self->ws_.async_write(net::buffer(*frame), nothrow);
      if (wec) co_return;  // the reader sees the same failure and reports it
    }
    if (!self->aborted_ && self->ws_.is_open()) {
      // The reader stays pending and returns once the peer answers the close frame.
      const websocket::close_reason reason(self->close_code_);
      auto [cec] = co_await self->ws_.async_close(reason, nothrow);
      (void)cec;
    }
  }

  std::shared_ptr<void> keep_;  // before ws_: the TLS stream refers to the context
  websocket_settings settings_;
  std::string label_;
  WsStream ws_;
  outbox outbox_;
  bool closing_ = false;
  bool aborted_ = false;
  std::uint16_t close_code_ = 1000;
  std::uint16_t peer_close_code_ = 0;
};

/// Wraps an open websocket (handshake done) of any stream type in a websocket_connection.
template <class WsStream>
std::shared_ptr<websocket_connection> make_websocket_connection(
    WsStream ws, websocket_settings settings, std::string label,
    std::shared_ptr<void> keep = nullptr) {
  return std::make_shared<websocket_session<WsStream>>(std::move(ws), std::move(settings),
                                                       std::move(label), std::move(keep));
}

}  // namespace sessiondx::chat

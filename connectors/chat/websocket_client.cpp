#include "connectors/chat/websocket_client.hpp"

#include "connectors/chat/errc.hpp"
#include "connectors/chat/url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <spdlog/spdlog.h>

#include <optional>

namespace sessiondx::chat {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

constexpr auto nothrow = net::as_tuple(net::use_awaitable);

using plain_ws = websocket::stream<beast::tcp_stream>;
using tls_ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
/// Frames for the writer; an empty optional asks it to close after what is queued before it.
using outbox =
    net::experimental::channel<void(boost::system::error_code, std::optional<std::string>)>;

std::shared_ptr<ssl::context> make_verifying_context() {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_verify_mode(ssl::verify_peer);
  ctx->set_default_verify_paths();
  return ctx;
}

template <class Stream>
class connection final : public websocket_connection {
 public:
  static constexpr bool is_tls = std::is_same_v<Stream, tls_ws>;

  connection(net::any_io_executor ex, std::shared_ptr<ssl::context> ctx, websocket_settings s,
             std::string label)
      : ctx_(std::move(ctx)),
        settings_(std::move(s)),
        label_(std::move(label)),
        outbox_(ex, settings_.outbox_capacity) {
    if constexpr (is_tls) {
      ws_.emplace(ex, *ctx_);
    } else {
      ws_.emplace(ex);
    }
  }

  net::awaitable<void> handshake(endpoint ep) {
    auto& tcp = beast::get_lowest_layer(*ws_);
    net::ip::tcp::resolver resolver(ws_->get_executor());
    const auto results = co_await resolver.async_resolve(ep.host, ep.port, net::use_awaitable);
    tcp.expires_after(settings_.handshake_timeout);
    co_await tcp.async_connect(results, net::use_awaitable);
    tcp.socket().set_option(net::ip::tcp::no_delay(true));

    if constexpr (is_tls) {
      auto& tls = ws_->next_layer();
      // SNI: without it many hosts (Slack's among them) present the wrong certificate.
      if (!SSL_set_tlsext_host_name(tls.native_handle(), ep.host.c_str())) {
        throw boost::system::system_error(
            boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                      net::error::get_ssl_category()),
            "TLS SNI");
      }
      tls.set_verify_callback(ssl::host_name_verification(ep.host));
      tcp.expires_after(settings_.handshake_timeout);
      co_await tls.async_handshake(ssl::stream_base::client, net::use_awaitable);
    }

    // From here the websocket's own timeouts apply; the TCP deadline would cut a quiet socket.
    tcp.expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = settings_.handshake_timeout;
    timeouts.idle_timeout = settings_.idle_timeout;
    timeouts.keep_alive_pings = true;
    ws_->set_option(timeouts);
    ws_->set_option(websocket::stream_base::decorator(
        [ua = settings_.user_agent, extra = settings_.headers](websocket::request_type& req) {
          req.set(http::field::user_agent, ua);
          for (const auto& [name, value] : extra) req.set(name, value);
        }));
    ws_->read_message_max(settings_.max_message_bytes);
    const std::string host = ep.host_header();
    co_await ws_->async_handshake(host, ep.target, net::use_awaitable);
  }

  net::awaitable<boost::system::error_code> run(message_handler on_message) override {
    auto self = std::static_pointer_cast<connection>(shared_from_this());
    net::co_spawn(ws_->get_executor(), write_loop(self), [label = label_](std::exception_ptr e) {
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
      auto [ec, n] = co_await ws_->async_read(buffer, nothrow);
      if (ec == websocket::error::closed) {  // a clean close, from either side
        peer_close_code_ = static_cast<std::uint16_t>(ws_->reason().code);
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
    beast::get_lowest_layer(*ws_).close();
  }

  std::uint16_t peer_close_code() const override { return peer_close_code_; }

  const std::string& label() const override { return label_; }

 private:
  static net::awaitable<void> write_loop(std::shared_ptr<connection> self) {
    for (;;) {
      auto [ec, frame] = co_await self->outbox_.async_receive(nothrow);
      if (ec || !frame) break;  // close requested (or the reader ended)
      auto [wec, n] = co_await self->ws_->async_write(net::buffer(*frame), nothrow);
      if (wec) co_return;  // the reader sees the same failure and reports it
    }
    if (!self->aborted_ && self->ws_->is_open()) {
      // The reader stays pending and returns once the peer answers the close frame.
      const websocket::close_reason reason(self->close_code_);
      auto [cec] = co_await self->ws_->async_close(reason, nothrow);
      (void)cec;
    }
  }

  std::shared_ptr<ssl::context> ctx_;  // before ws_: the TLS stream refers to it
  websocket_settings settings_;
  std::string label_;
  std::optional<Stream> ws_;
  outbox outbox_;
  bool closing_ = false;
  bool aborted_ = false;
  std::uint16_t close_code_ = 1000;
  std::uint16_t peer_close_code_ = 0;
};

}  // namespace

net::awaitable<std::shared_ptr<websocket_connection>> websocket_connection::open(
    std::string url, websocket_settings settings) {
  boost::system::error_code ec;
  const endpoint ep = parse_endpoint(url, settings.allow_plaintext, ec);
  if (!ec && !ep.websocket) ec = errc::bad_url;
  if (ec) throw boost::system::system_error(ec, "websocket URL");

  // The label leaves out the query: Slack puts a connection ticket there.
  const std::string label =
      (ep.tls ? "wss://" : "ws://") + ep.host_header() + ep.target.substr(0, ep.target.find('?'));
  auto ex = co_await net::this_coro::executor;
  if (ep.tls) {
    auto c = std::make_shared<connection<tls_ws>>(ex, make_verifying_context(), std::move(settings),
                                                  label);
    co_await c->handshake(ep);
    co_return c;
  }
  auto c = std::make_shared<connection<plain_ws>>(ex, nullptr, std::move(settings), label);
  co_await c->handshake(ep);
  co_return c;
}

}  // namespace sessiondx::chat

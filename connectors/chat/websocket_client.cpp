#include "connectors/chat/websocket_client.hpp"

#include "connectors/chat/errc.hpp"
#include "connectors/chat/url.hpp"
#include "connectors/chat/websocket_session.hpp"

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

using plain_ws = websocket::stream<beast::tcp_stream>;
using tls_ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

std::shared_ptr<ssl::context> make_verifying_context() {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_verify_mode(ssl::verify_peer);
  ctx->set_default_verify_paths();
  return ctx;
}

/// TCP connect, for wss a verified TLS handshake (SNI, peer and host name checked), then the
/// websocket handshake, on `ws`.
template <class WsStream>
net::awaitable<void> handshake(WsStream& ws, endpoint ep, websocket_settings s) {
  constexpr bool is_tls = std::is_same_v<WsStream, tls_ws>;
  auto& tcp = beast::get_lowest_layer(ws);
  net::ip::tcp::resolver resolver(ws.get_executor());
  const auto results = co_await resolver.async_resolve(ep.host, ep.port, net::use_awaitable);
  tcp.expires_after(s.handshake_timeout);
  co_await tcp.async_connect(results, net::use_awaitable);
  tcp.socket().set_option(net::ip::tcp::no_delay(true));

  if constexpr (is_tls) {
    auto& tls = ws.next_layer();
    // SNI: without it many hosts (Slack's among them) present the wrong certificate.
    if (!SSL_set_tlsext_host_name(tls.native_handle(), ep.host.c_str())) {
      throw boost::system::system_error(
          boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                    net::error::get_ssl_category()),
          "TLS SNI");
    }
    tls.set_verify_callback(ssl::host_name_verification(ep.host));
    tcp.expires_after(s.handshake_timeout);
    co_await tls.async_handshake(ssl::stream_base::client, net::use_awaitable);
  }

  // From here the websocket's own timeouts apply; the TCP deadline would cut a quiet socket.
  tcp.expires_never();
  apply_websocket_settings(ws, s);
  const std::string host = ep.host_header();
  co_await ws.async_handshake(host, ep.target, net::use_awaitable);
}

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
    auto ctx = make_verifying_context();
    tls_ws ws(ex, *ctx);
    co_await handshake(ws, ep, settings);
    co_return make_websocket_connection(std::move(ws), std::move(settings), label, ctx);
  }
  plain_ws ws(ex);
  co_await handshake(ws, ep, settings);
  co_return make_websocket_connection(std::move(ws), std::move(settings), label);
}

net::awaitable<std::shared_ptr<websocket_connection>> open_websocket(websocket_opener opener,
                                                                     std::string url,
                                                                     websocket_settings settings) {
  if (opener) co_return co_await opener(url, settings);
  co_return co_await websocket_connection::open(url, settings);
}

}  // namespace sessiondx::chat

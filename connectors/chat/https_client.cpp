#include "connectors/chat/https_client.hpp"

#include "connectors/chat/errc.hpp"
#include "connectors/chat/url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <map>
#include <optional>
#include <stdexcept>
#include <tuple>

namespace sessiondx::chat {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto nothrow = net::as_tuple(net::use_awaitable);

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

/// One kept-alive connection: plain or TLS, with the buffer that may hold bytes read ahead.
struct http_connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

template <class Stream>
net::awaitable<std::tuple<boost::system::error_code, response>> exchange(
    Stream& stream, beast::tcp_stream& lowest, beast::flat_buffer& buffer, const request& req,
    std::chrono::milliseconds timeout, std::size_t max_bytes) {
  lowest.expires_after(timeout);
  auto [wec, wn] = co_await http::async_write(stream, req, nothrow);
  if (wec) {
    std::tuple<boost::system::error_code, response> failed;
    std::get<0>(failed) = wec;
    co_return failed;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_bytes);
  lowest.expires_after(timeout);
  auto [rec, rn] = co_await http::async_read(stream, buffer, parser, nothrow);
  lowest.expires_never();
  if (rec == http::error::body_limit) rec = errc::response_too_large;
  std::tuple<boost::system::error_code, response> out;
  std::get<0>(out) = rec;
  if (!rec) std::get<1>(out) = parser.release();
  co_return out;
}

}  // namespace

struct https_client::impl {
  explicit impl(http_settings s) : settings(std::move(s)), tls_context(ssl::context::tls_client) {
    tls_context.set_verify_mode(ssl::verify_peer);
    tls_context.set_default_verify_paths();
  }

  http_settings settings;
  ssl::context tls_context;
  std::multimap<std::string, std::unique_ptr<http_connection>> idle;

  std::unique_ptr<http_connection> take_idle(const std::string& origin) {
    auto it = idle.find(origin);
    if (it == idle.end()) return nullptr;
    auto conn = std::move(it->second);
    idle.erase(it);
    return conn;
  }

  void give_back(const std::string& origin, std::unique_ptr<http_connection> conn) {
    if (idle.count(origin) >= settings.max_idle_per_origin) return;
    idle.emplace(origin, std::move(conn));
  }
};

namespace {

net::awaitable<std::unique_ptr<http_connection>> connect(std::shared_ptr<https_client::impl> self,
                                                         endpoint ep) {
  auto ex = co_await net::this_coro::executor;
  auto conn = std::make_unique<http_connection>();
  if (ep.tls) {
    conn->tls.emplace(ex, self->tls_context);
  } else {
    conn->plain.emplace(ex);
  }
  auto& tcp = conn->lowest();
  net::ip::tcp::resolver resolver(ex);
  const auto results = co_await resolver.async_resolve(ep.host, ep.port, net::use_awaitable);
  tcp.expires_after(self->settings.timeout);
  co_await tcp.async_connect(results, net::use_awaitable);
  tcp.socket().set_option(net::ip::tcp::no_delay(true));
  if (conn->tls) {
    // SNI, then certificate and host name verification against the system CA store.
    if (!SSL_set_tlsext_host_name(conn->tls->native_handle(), ep.host.c_str())) {
      throw boost::system::system_error(
          boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                    net::error::get_ssl_category()),
          "TLS SNI");
    }
    conn->tls->set_verify_callback(ssl::host_name_verification(ep.host));
    tcp.expires_after(self->settings.timeout);
    co_await conn->tls->async_handshake(ssl::stream_base::client, net::use_awaitable);
  }
  tcp.expires_never();
  co_return conn;
}

net::awaitable<http_response> do_request(std::shared_ptr<https_client::impl> self,
                                         http::verb method, std::string url, header_list headers,
                                         std::string body) {
  boost::system::error_code ec;
  const endpoint ep = parse_endpoint(url, self->settings.allow_plaintext, ec);
  if (!ec && ep.websocket) ec = errc::bad_url;
  if (ec) throw boost::system::system_error(ec, "HTTP URL");

  request req{method, ep.target, 11};
  req.set(http::field::host, ep.host_header());
  req.set(http::field::user_agent, self->settings.user_agent);
  for (auto& [name, value] : headers) req.set(name, value);
  req.body() = std::move(body);
  req.keep_alive(true);
  if (method != http::verb::get || !req.body().empty()) req.prepare_payload();

  const std::string origin = ep.origin();
  for (int attempt = 0;; ++attempt) {
    auto conn = self->take_idle(origin);
    const bool reused = conn != nullptr;
    if (!conn) {
      conn = co_await connect(self, ep);
    }

    // Plain statements, not `c ? co_await a : co_await b`: GCC 12 double-frees the temporaries.
    std::tuple<boost::system::error_code, response> result;
    if (conn->tls) {
      result = co_await exchange(*conn->tls, conn->lowest(), conn->buffer, req,
                                 self->settings.timeout, self->settings.max_response_bytes);
    } else {
      result = co_await exchange(*conn->plain, conn->lowest(), conn->buffer, req,
                                 self->settings.timeout, self->settings.max_response_bytes);
    }
    auto& [xec, res] = result;
    if (xec) {
      // A kept-alive connection the server has closed meanwhile fails at once: try a fresh one.
      if (reused && attempt == 0 && xec != errc::response_too_large) continue;
      throw boost::system::system_error(xec, "HTTP " + ep.host_header());
    }
    http_response out;
    out.status = res.result_int();
    out.content_type = std::string(res[http::field::content_type]);
    out.retry_after = std::string(res[http::field::retry_after]);
    for (const auto& field : res)
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    out.body = std::move(res.body());
    if (res.keep_alive()) self->give_back(origin, std::move(conn));
    co_return out;
  }
}

}  // namespace

https_client::https_client(http_settings settings)
    : impl_(std::make_shared<impl>(std::move(settings))) {}

https_client::~https_client() = default;

net::awaitable<http_response> https_client::post(std::string url, header_list headers,
                                                 std::string body) {
  return do_request(impl_, http::verb::post, std::move(url), std::move(headers), std::move(body));
}

net::awaitable<http_response> https_client::request(std::string method, std::string url,
                                                    header_list headers, std::string body) {
  const auto verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) throw std::invalid_argument("HTTP method " + method);
  return do_request(impl_, verb, std::move(url), std::move(headers), std::move(body));
}

std::string http_response::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (beast::iequals(n, name)) return v;
  return {};
}

void https_client::close_idle() { impl_->idle.clear(); }

}  // namespace sessiondx::chat

#include "tests/support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>
#include <optional>

namespace sessiondx::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct http_client::impl {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  std::chrono::seconds timeout;
};

http_client::http_client(const std::string& host, std::uint16_t port, std::chrono::seconds timeout)
    : impl_(std::make_unique<impl>()) {
  impl_->timeout = timeout;
  impl_->stream.connect(net::ip::tcp::endpoint(net::ip::make_address(host), port));
  impl_->stream.socket().set_option(net::ip::tcp::no_delay(true));
}

http_client::~http_client() = default;
http_client::http_client(http_client&&) noexcept = default;

http_reply http_client::request(const std::string& method, const std::string& target,
                                const std::string& body, const header_list& headers) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.insert(name, value);
  req.body() = body;
  req.prepare_payload();

  // Beast's synchronous calls ignore tcp_stream timeouts, so run them as async ops with one.
  auto& s = *impl_;
  beast::error_code ec;
  s.stream.expires_after(s.timeout);
  http::async_write(s.stream, req, [&ec](beast::error_code e, std::size_t) { ec = e; });
  s.ioc.restart();
  s.ioc.run();
  if (ec) throw boost::system::system_error(ec, "http write");

  // Interim 1xx answers (100 Continue) come before the real one: skip them.
  std::optional<http::response_parser<http::string_body>> parser;
  for (;;) {
    parser.emplace();
    parser->body_limit(64 * 1024 * 1024);
    s.stream.expires_after(s.timeout);
    http::async_read(s.stream, s.buffer, *parser,
                     [&ec](beast::error_code e, std::size_t) { ec = e; });
    s.ioc.restart();
    s.ioc.run();
    if (ec) throw boost::system::system_error(ec, "http read");
    if (parser->get().result_int() >= 200) break;
  }
  auto res = parser->release();
  http_reply reply;
  reply.status = res.result_int();
  reply.body = std::move(res.body());
  reply.keep_alive = res.keep_alive();
  for (const auto& field : res) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    reply.headers[name] = std::string(field.value());
  }
  return reply;
}

}  // namespace sessiondx::test

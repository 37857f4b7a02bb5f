#include "connectors/webhook/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <atomic>
#include <stdexcept>
#include <unistd.h>

namespace sessiondx::webhook {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct webhook_client::impl {
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::string host, port, target;
  std::optional<webhook_secret> secret;
  std::chrono::seconds timeout{15};
  std::uint64_t sequence = 0;

  void connect() {
    net::ip::tcp::resolver resolver(ioc);
    stream.emplace(ioc);
    stream->expires_after(timeout);
    stream->connect(resolver.resolve(host, port));
    buffer.clear();
  }

  /// Runs one asynchronous operation to completion with the stream's timeout applied.
  template <typename Start>
  void run(Start start) {
    beast::error_code ec;
    start([&ec](beast::error_code e, std::size_t) { ec = e; });
    ioc.restart();
    ioc.run();
    if (ec) throw boost::system::system_error(ec);
  }

  post_result exchange(const http::request<http::string_body>& req) {
    stream->expires_after(timeout);
    run([&](auto handler) { http::async_write(*stream, req, handler); });
    http::response<http::string_body> res;
    stream->expires_after(timeout);
    run([&](auto handler) { http::async_read(*stream, buffer, res, handler); });
    if (!res.keep_alive()) stream.reset();
    return {res.result_int(), std::move(res.body())};
  }
};

webhook_client::webhook_client(const std::string& url, std::optional<webhook_secret> secret,
                               std::chrono::seconds timeout)
    : impl_(std::make_unique<impl>()) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "http" || parsed->host().empty())
    throw std::invalid_argument("url: expected http://HOST:PORT, got \"" + url + "\"");
  impl_->host = parsed->host();
  impl_->port = parsed->has_port() ? std::string(parsed->port()) : "80";
  std::string base = parsed->path();
  while (!base.empty() && base.back() == '/') base.pop_back();
  impl_->target = base + "/v1/events";
  impl_->secret = std::move(secret);
  impl_->timeout = timeout;
}

webhook_client::~webhook_client() = default;

post_result webhook_client::post_events(const std::string& json_body) {
  auto& s = *impl_;
  http::request<http::string_body> req{http::verb::post, s.target, 11};
  req.set(http::field::host, s.host);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::user_agent, "sessiondx-client");
  if (s.secret) {
    const std::string id = "msg_" + std::to_string(::getpid()) + "_" + std::to_string(++s.sequence);
    const std::string ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
    req.set("webhook-id", id);
    req.set("webhook-timestamp", ts);
    req.set("webhook-signature", sign(*s.secret, id, ts, json_body));
  }
  req.body() = json_body;
  req.prepare_payload();

  // A kept-alive connection may have been closed by the server in the meantime: retry once on a
  // fresh one. The request is idempotent (event ids).
  if (s.stream) {
    try {
      return s.exchange(req);
    } catch (const boost::system::system_error&) {
      s.stream.reset();
    }
  }
  s.connect();
  return s.exchange(req);
}

}  // namespace sessiondx::webhook

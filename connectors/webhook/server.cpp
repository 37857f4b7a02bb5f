#include "connectors/webhook/server.hpp"

#include "connectors/webhook/gzip.hpp"
#include "connectors/webhook/metrics.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <mutex>
#include <unordered_map>

namespace sessiondx::webhook {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

namespace {

constexpr auto nothrow = net::as_tuple(net::use_awaitable);

/// Adapts store::event_store::append (a callback on the writer thread) to Asio: the completion
/// runs on the handler's executor, so a coroutine resumes where it was. An exception thrown by
/// append() itself is delivered to the awaiting coroutine (rethrown there), not lost.
template <typename Token>
auto async_append(store::event_store& store, std::vector<store::event> batch, Token&& token) {
  return net::async_initiate<Token, void(std::exception_ptr, store::append_result)>(
      [&store](auto handler, std::vector<store::event> events) {
        auto ex = net::get_associated_executor(handler);
        auto work = net::make_work_guard(ex);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto finish = [shared, work](std::exception_ptr e, store::append_result result) mutable {
          auto target = work.get_executor();
          net::post(target, [shared, e, result = std::move(result)]() mutable {
            (*shared)(e, std::move(result));
          });
          work.reset();
        };
        try {
          store.append(std::move(events), [finish](store::append_result result) mutable {
            finish(nullptr, std::move(result));
          });
        } catch (...) {
          finish(std::current_exception(), {});
        }
      },
      token, std::move(batch));
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// The media type of a Content-Type value, without parameters, lower-cased.
std::string media_type(std::string_view content_type) {
  return lower(trim(content_type.substr(0, content_type.find(';'))));
}

std::optional<body_format> format_of(std::string_view content_type) {
  const std::string type = media_type(content_type);
  if (type == "application/json") return body_format::json;
  if (type == "application/x-ndjson" || type == "application/ndjson") return body_format::ndjson;
  return std::nullopt;
}

response make_response(http::status status, unsigned version, bool keep_alive, std::string body,
                       std::string_view content_type = "application/json") {
  response res{status, version};
  res.set(http::field::server, "sessiondx");
  res.set(http::field::content_type, content_type);
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

response error_response(http::status status, const request& req, std::string_view message) {
  return make_response(
      status, req.version(), req.keep_alive(),
      nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                              nlohmann::json::error_handler_t::replace));
}

/// Every `webhook-signature` header line, joined: each is a space-separated list, and a sender
/// (or a proxy) may split the list over several lines.
std::string signature_header(const request& req) {
  std::string all;
  auto [begin, end] = req.equal_range("webhook-signature");
  for (auto it = begin; it != end; ++it) {
    if (!all.empty()) all += ' ';
    all.append(it->value().data(), it->value().size());
  }
  return all;
}

/// Frees a string's memory now, not when its owner goes away.
void release(std::string& s) { std::string().swap(s); }

}  // namespace

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

struct webhook_server::impl : std::enable_shared_from_this<webhook_server::impl> {
  impl(net::io_context& ioc, server_settings s, const event_parser& p, store::event_store& st)
      : ioc_(ioc),
        settings_(std::move(s)),
        parser_(p),
        store_(st),
        acceptor_(net::make_strand(ioc)) {}

  net::io_context& ioc_;
  server_settings settings_;
  const event_parser& parser_;
  store::event_store& store_;
  tcp::acceptor acceptor_;
  ingest_metrics metrics_;

  std::atomic<bool> stopping_{false};
  std::mutex connections_mutex_;
  std::uint64_t next_connection_id_ = 0;
  /// Open connections, so that stop() can wake the ones waiting idle in a read.
  std::unordered_map<std::uint64_t, beast::tcp_stream*> connections_;

  std::int64_t now_unix_s() const {
    if (settings_.now_unix_s) return settings_.now_unix_s();
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  /// Everything about POST /v1/events that does not wait: returns a finished response for bad
  /// requests, or the batch to store.
  std::variant<response, parsed_batch> prepare_ingest(request& req) {
    // Authenticate first, over the body exactly as sent (Standard Webhooks): nothing is
    // decompressed or parsed for a sender that does not hold the secret.
    if (settings_.secret) {
      const auto auth = verify(*settings_.secret, req["webhook-id"], req["webhook-timestamp"],
                               signature_header(req), req.body(), now_unix_s(),
                               settings_.timestamp_tolerance);
      if (auth != signature_status::valid)
        return error_response(http::status::unauthorized, req, describe(auth));
    }

    const auto format = format_of(req[http::field::content_type]);
    if (!format)
      return error_response(http::status::unsupported_media_type, req,
                            "content-type: expected application/json or application/x-ndjson");

    const std::string encoding = lower(trim(req[http::field::content_encoding]));
    const bool gzipped = encoding == "gzip" || encoding == "x-gzip";
    if (!gzipped && !encoding.empty() && encoding != "identity")
      return error_response(http::status::unsupported_media_type, req,
                            "content-encoding: expected gzip or none");

    std::string inflated;
    if (gzipped) {
      auto result = gunzip(req.body(), settings_.max_body_bytes);
      if (result.status == gunzip_status::too_large)
        return error_response(http::status::payload_too_large, req,
                              "body: larger than " + std::to_string(settings_.max_body_bytes) +
                                  " bytes after decompression");
      if (result.status == gunzip_status::corrupt)
        return error_response(http::status::bad_request, req,
                              "body: invalid gzip (" + result.error + ")");
      inflated = std::move(result.data);
      release(req.body());  // only the inflated copy is needed from here on
    }

    auto parsed = parser_.parse(gzipped ? std::string_view(inflated) : req.body(), *format);
    if (auto* bad = std::get_if<body_error>(&parsed))
      return error_response(http::status::bad_request, req, bad->message);
    return std::move(std::get<parsed_batch>(parsed));
  }

  response ingest_reply(const request& req, const parsed_batch& batch,
                        const std::vector<store::append_outcome>& outcomes) {
    std::size_t duplicates = 0;
    for (auto o : outcomes) duplicates += o == store::append_outcome::duplicate ? 1 : 0;
    const std::size_t accepted = outcomes.size() - duplicates;
    metrics_.events_accepted += accepted;
    metrics_.events_duplicate += duplicates;
    metrics_.events_rejected += batch.rejected.size();

    nlohmann::json rejected = nlohmann::json::array();
    for (const auto& r : batch.rejected)
      rejected.push_back({{"index", r.index}, {"error", r.error}});
    nlohmann::json body{{"accepted", accepted}, {"duplicates", duplicates}, {"rejected", rejected}};
    return make_response(http::status::ok, req.version(), req.keep_alive(), body.dump());
  }

  response health_reply(const request& req) {
    const bool ok = !stopping_.load();
    return make_response(ok ? http::status::ok : http::status::service_unavailable, req.version(),
                         req.keep_alive(),
                         nlohmann::json{{"status", ok ? "ok" : "stopping"}}.dump());
  }

  response metrics_reply(const request& req) {
    return make_response(http::status::ok, req.version(), req.keep_alive(),
                         metrics_.prometheus(store_.stats()), "text/plain; version=0.0.4");
  }

  response route_other(const request& req) {
    const auto target = req.target();
    const auto path = target.substr(0, target.find('?'));
    if (path == "/healthz" || path == "/metrics") {
      if (req.method() != http::verb::get && req.method() != http::verb::head) {
        auto res = error_response(http::status::method_not_allowed, req, "method: use GET");
        res.set(http::field::allow, "GET, HEAD");
        return res;
      }
      return path == "/healthz" ? health_reply(req) : metrics_reply(req);
    }
    if (path == "/v1/events") {
      auto res = error_response(http::status::method_not_allowed, req, "method: use POST");
      res.set(http::field::allow, "POST");
      return res;
    }
    return error_response(http::status::not_found, req, "path: no such endpoint");
  }
};

namespace {

using server_impl = std::shared_ptr<webhook_server::impl>;

bool is_ingest(const request& req) {
  const auto target = req.target();
  return req.method() == http::verb::post && target.substr(0, target.find('?')) == "/v1/events";
}

net::awaitable<response> handle_request(server_impl self, request req) {
  if (!is_ingest(req)) co_return self->route_other(req);

  auto prepared = self->prepare_ingest(req);
  // The events own their strings now: free the body before waiting on the writer, so that a slow
  // writer holds only the queued events, not every request's body as well.
  release(req.body());
  if (auto* done = std::get_if<response>(&prepared)) co_return std::move(*done);
  auto& batch = std::get<parsed_batch>(prepared);
  if (batch.events.empty()) co_return self->ingest_reply(req, batch, {});

  // The answer waits for the commit: no 2xx before the events are durable.
  const auto result =
      co_await async_append(self->store_, std::move(batch.events), net::use_awaitable);
  if (result.error) {
    auto res = error_response(http::status::service_unavailable, req,
                              "store: " + result.error.message() + "; retry later");
    res.set(http::field::retry_after, std::to_string(self->settings_.retry_after.count()));
    co_return res;
  }
  co_return self->ingest_reply(req, batch, result.outcomes);
}

/// Every request gets an answer: an exception escaping the handler (a bug, a store that throws,
/// memory exhaustion) becomes a 500 naming the cause instead of a silently closed connection.
net::awaitable<response> answer_request(server_impl self, request req) {
  const unsigned version = req.version();
  const bool keep_alive = req.keep_alive();
  std::string failure;
  try {
    co_return co_await handle_request(self, std::move(req));
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  spdlog::error("webhook: request failed: {}", failure);
  co_return make_response(http::status::internal_server_error, version, keep_alive,
                          nlohmann::json{{"error", "internal: " + failure}}.dump(
                              -1, ' ', false, nlohmann::json::error_handler_t::replace));
}

/// After refusing a request whose body was not read, closing at once could make the kernel reset
/// the connection and destroy the answer before the client reads it. Shut down our side, then
/// read and discard what the client still sends, for a bounded time and amount.
net::awaitable<void> linger_close(beast::tcp_stream& stream) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::array<char, 16 * 1024> sink{};
  std::size_t drained = 0;
  stream.expires_after(std::chrono::seconds(2));
  while (drained < 64 * 1024 * 1024) {
    auto [rec, n] = co_await stream.async_read_some(net::buffer(sink), nothrow);
    if (rec) break;
    drained += n;
  }
}

/// Reads only the header first, so that oversized or unwanted bodies are refused before they are
/// read, and `Expect: 100-continue` senders (curl) get their go-ahead.
net::awaitable<void> run_connection(server_impl self, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  std::uint64_t id = 0;
  {
    std::lock_guard lock(self->connections_mutex_);
    id = self->next_connection_id_++;
    self->connections_.emplace(id, &stream);
  }
  struct unregister {
    webhook_server::impl& s;
    std::uint64_t id;
    ~unregister() {
      std::lock_guard lock(s.connections_mutex_);
      s.connections_.erase(id);
    }
  } guard{*self, id};

  beast::flat_buffer buffer;
  const auto limit = self->settings_.max_body_bytes;
  while (!self->stopping_.load()) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(limit);
    stream.expires_after(self->settings_.idle_timeout);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, nothrow);
    // Beast checks a declared Content-Length against the body limit while reading the header.
    const bool declared_too_large = ec == http::error::body_limit;
    if (ec && !declared_too_large) break;  // peer closed, idle timeout, malformed header

    const auto& header = parser.get();
    response early;
    bool refuse = false;
    if (declared_too_large) {
      early = error_response(http::status::payload_too_large, parser.get(),
                             "body: larger than " + std::to_string(limit) + " bytes");
      refuse = true;
    } else if (beast::iequals(header[http::field::expect], "100-continue")) {
      http::response<http::empty_body> go_ahead{http::status::continue_, header.version()};
      auto [wec, wn] = co_await http::async_write(stream, go_ahead, nothrow);
      if (wec) break;
    }

    if (!refuse) {
      auto [rec, rn] = co_await http::async_read(stream, buffer, parser, nothrow);
      if (rec == http::error::body_limit) {
        early = error_response(http::status::payload_too_large, parser.get(),
                               "body: larger than " + std::to_string(limit) + " bytes");
        refuse = true;
      } else if (rec) {
        break;
      }
    }

    const auto started = std::chrono::steady_clock::now();
    response res;
    if (refuse) {
      // The rest of the body is unread, so this connection cannot carry another request.
      res = std::move(early);
      res.keep_alive(false);
    } else {
      stream.expires_never();
      res = co_await answer_request(self, parser.release());
    }
    self->metrics_.observe(static_cast<unsigned>(res.result_int()),
                           std::chrono::steady_clock::now() - started);
    if (self->stopping_.load()) res.keep_alive(false);

    stream.expires_after(self->settings_.idle_timeout);
    auto [wec, wn] = co_await http::async_write(stream, res, nothrow);
    if (wec) break;
    if (refuse) {
      co_await linger_close(stream);
      co_return;
    }
    if (!res.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

net::awaitable<void> run_acceptor(server_impl self) {
  for (;;) {
    auto [ec, socket] =
        co_await self->acceptor_.async_accept(net::make_strand(self->ioc_), nothrow);
    if (ec == net::error::operation_aborted || self->stopping_.load()) co_return;
    if (ec) {
      spdlog::warn("webhook: accept failed: {}", ec.message());
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    net::co_spawn(executor, run_connection(self, std::move(socket)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("webhook: connection failed: {}", ex.what());
      }
    });
  }
}

}  // namespace

webhook_server::webhook_server(net::io_context& ioc, server_settings settings,
                               const event_parser& parser, store::event_store& store)
    : impl_(std::make_shared<impl>(ioc, std::move(settings), parser, store)) {}

webhook_server::~webhook_server() { stop(); }

tcp::endpoint webhook_server::start() {
  const auto address = impl_->settings_.host == "localhost"
                           ? net::ip::make_address("127.0.0.1")
                           : net::ip::make_address(impl_->settings_.host);
  const tcp::endpoint endpoint{address, impl_->settings_.port};
  auto& acceptor = impl_->acceptor_;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(net::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(net::socket_base::max_listen_connections);
  net::co_spawn(acceptor.get_executor(), run_acceptor(impl_), net::detached);
  return acceptor.local_endpoint();
}

void webhook_server::stop() {
  if (impl_->stopping_.exchange(true)) return;
  net::post(impl_->acceptor_.get_executor(), [self = impl_] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
  });
  // Wake connections blocked in a read; the ones busy with a request finish it first.
  std::lock_guard lock(impl_->connections_mutex_);
  for (auto& [id, stream] : impl_->connections_)
    net::post(stream->get_executor(), [self = impl_, id = id] {
      std::lock_guard inner(self->connections_mutex_);
      if (auto it = self->connections_.find(id); it != self->connections_.end())
        it->second->socket().cancel();
    });
}

}  // namespace sessiondx::webhook

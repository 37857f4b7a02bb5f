#include "connectors/webhook/server.hpp"

#include "connectors/webhook/gzip.hpp"
#include "connectors/webhook/limits.hpp"
#include "connectors/webhook/metrics.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <mutex>
#include <optional>
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
  return make_response(status, req.version(), req.keep_alive(),
                       nlohmann::json{{"error", message}}.dump(
                           -1, ' ', false, nlohmann::json::error_handler_t::replace));
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
        acceptor_(net::make_strand(ioc)),
        body_buffer_(settings_.max_body_buffer_bytes),
        queued_bytes_(settings_.max_queued_bytes) {}

  net::io_context& ioc_;
  server_settings settings_;
  const event_parser& parser_;
  store::event_store& store_;
  tcp::acceptor acceptor_;
  ingest_metrics metrics_;
  budget body_buffer_;   ///< bytes of request bodies held (server.max_body_buffer_bytes)
  budget queued_bytes_;  ///< estimated bytes of events at the writer (server.max_queued_bytes)
  std::atomic<std::size_t> open_connections_{0};
  std::atomic<std::size_t> inflight_requests_{0};
  log_gate accept_log_{10'000};
  log_gate refused_log_{10'000};

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
      const auto auth =
          verify(*settings_.secret, req["webhook-id"], req["webhook-timestamp"],
                 signature_header(req), req.body(), now_unix_s(), settings_.timestamp_tolerance);
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
    metrics_.observe_batch(outcomes.size() + batch.rejected.size());  // events were moved out
    for (const auto& r : batch.rejected) metrics_.observe_rejection(r.error);

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

  // Ready: serving, and the service's checks (store, chat connectors) pass.
  response ready_reply(const request& req) {
    std::string reason = stopping_.load() ? "stopping" : "";
    if (reason.empty() && settings_.not_ready_reason) reason = settings_.not_ready_reason();
    const bool ok = reason.empty();
    nlohmann::json body{{"status", ok ? "ready" : "not ready"}};
    if (!ok) body["reason"] = reason;
    return make_response(ok ? http::status::ok : http::status::service_unavailable, req.version(),
                         req.keep_alive(), body.dump());
  }

  response metrics_reply(const request& req) {
    std::string text = metrics_.prometheus(store_.stats(), gauges());
    if (settings_.extra_metrics) text += settings_.extra_metrics();
    return make_response(http::status::ok, req.version(), req.keep_alive(), std::move(text),
                         "text/plain; version=0.0.4");
  }

  receiver_gauges gauges() const {
    return {open_connections_.load(), inflight_requests_.load(), body_buffer_.used(),
            queued_bytes_.used()};
  }

  response route_other(const request& req) {
    const auto target = req.target();
    const auto path = target.substr(0, target.find('?'));
    if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
      if (req.method() != http::verb::get && req.method() != http::verb::head) {
        auto res = error_response(http::status::method_not_allowed, req, "method: use GET");
        res.set(http::field::allow, "GET, HEAD");
        return res;
      }
      if (path == "/readyz") return ready_reply(req);
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

/// Rough memory of an event while it waits for the writer: its strings plus the object.
std::size_t event_bytes(const store::event& e) {
  return sizeof(store::event) + e.id.size() + e.session_id.size() + e.type.size() +
         e.severity.size() + e.page.size() + e.message.size() + e.attrs.size() + e.context.size() +
         e.extra.size() + e.app_version.size() + e.issue_key.size();
}

response overloaded(const webhook_server::impl& self, const request& req,
                    std::string_view message) {
  auto res = error_response(http::status::service_unavailable, req, message);
  res.set(http::field::retry_after, std::to_string(self.settings_.retry_after.count()));
  return res;
}

/// `body` holds the request body's share of the body buffer budget; it is given back once the
/// body is parsed, before the wait for the writer.
net::awaitable<response> handle_request(server_impl self, request req, lease body) {
  if (!is_ingest(req)) co_return self->route_other(req);

  auto prepared = self->prepare_ingest(req);
  // The events own their strings now: free the body before waiting on the writer, so that a slow
  // writer holds only the queued events, not every request's body as well.
  release(req.body());
  body.release();
  if (auto* done = std::get_if<response>(&prepared)) co_return std::move(*done);
  auto& batch = std::get<parsed_batch>(prepared);
  if (batch.events.empty()) co_return self->ingest_reply(req, batch, {});

  std::size_t bytes = 0;
  for (const auto& e : batch.events) bytes += event_bytes(e);
  lease queued(self->queued_bytes_);
  if (!queued.grow_to(bytes)) {
    self->metrics_.refused(refusal::queued_bytes);
    co_return overloaded(*self, req,
                         "server: write queue full (server.max_queued_bytes); retry later");
  }

  // The answer waits for the commit: no 2xx before the events are durable.
  const auto result =
      co_await async_append(self->store_, std::move(batch.events), net::use_awaitable);
  queued.release();
  if (result.error) co_return overloaded(*self, req, "store: " + result.error.message());
  co_return self->ingest_reply(req, batch, result.outcomes);
}

/// Every request gets an answer: an exception escaping the handler (a bug, a store that throws,
/// memory exhaustion) becomes a 500 naming the cause instead of a silently closed connection.
net::awaitable<response> answer_request(server_impl self, request req, lease body) {
  const unsigned version = req.version();
  const bool keep_alive = req.keep_alive();
  std::string failure;
  try {
    co_return co_await handle_request(self, std::move(req), std::move(body));
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

/// The codings of every Transfer-Encoding line, in order, lower-cased (RFC 9112 section 6.1).
std::vector<std::string> transfer_codings(const http::request_header<>& header) {
  std::vector<std::string> codings;
  auto [begin, end] = header.equal_range(http::field::transfer_encoding);
  for (auto it = begin; it != end; ++it) {
    std::string_view value(it->value().data(), it->value().size());
    while (!value.empty()) {
      const auto comma = value.find(',');
      std::string_view item = value.substr(0, comma);
      item = trim(item.substr(0, item.find(';')));  // drop transfer-parameters
      if (!item.empty()) codings.push_back(lower(item));
      value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    }
  }
  return codings;
}

/// A request that cannot be read further: its answer, and it closes the connection.
response fatal_response(http::status status, std::string_view message) {
  auto res = make_response(status, 11, false,
                           nlohmann::json{{"error", message}}.dump(
                               -1, ' ', false, nlohmann::json::error_handler_t::replace));
  return res;
}

/// Errors that mean the peer sent something that is not HTTP (answered with 400), as opposed
/// to the peer going away or a timeout (closed without an answer).
bool is_malformed(const beast::error_code& ec) {
  if (ec.category() != http::make_error_code(http::error::bad_method).category()) return false;
  return ec != http::error::end_of_stream && ec != http::error::partial_message &&
         ec != http::error::need_more && ec != http::error::need_buffer;
}

/// Decrements a counter when the scope ends, however it ends.
struct count_guard {
  std::atomic<std::size_t>& counter;
  explicit count_guard(std::atomic<std::size_t>& c) : counter(c) { counter.fetch_add(1); }
  ~count_guard() { counter.fetch_sub(1); }
  count_guard(const count_guard&) = delete;
  count_guard& operator=(const count_guard&) = delete;
};

/// Reads only the header first, so that oversized or unwanted bodies are refused before they are
/// read, and `Expect: 100-continue` senders (curl) get their go-ahead. The deadlines: idle_timeout
/// for the first byte of a request, header_timeout from there to the end of the header, then a
/// minimum average body rate after a grace of header_timeout.
net::awaitable<void> run_connection(server_impl self, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  const auto& settings = self->settings_;
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
      s.open_connections_.fetch_sub(1);
    }
  } guard{*self, id};

  beast::flat_buffer buffer;
  const auto limit = settings.max_body_bytes;
  std::uint64_t request_number = 0;
  while (!self->stopping_.load()) {
    // Idle: wait for the next request's first bytes holding only a small buffer, so that
    // thousands of idle keep-alive connections cost little memory.
    if (buffer.size() == 0) {
      if (buffer.capacity() > 4096) buffer.shrink_to_fit();
      stream.expires_after(settings.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(1024), nothrow);
      if (ec) break;  // peer closed, idle timeout, stop()
      buffer.commit(n);
    }
    const std::string request_id = fmt::format("c{}-{}", id, ++request_number);

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(settings.max_header_bytes));
    parser.body_limit(limit);
    stream.expires_after(settings.header_timeout);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, nothrow);
    // Beast checks a declared Content-Length against the body limit while reading the header.
    const bool declared_too_large = ec == http::error::body_limit;

    std::optional<response> early;  // an answer without reading the body; closes the connection
    if (ec && !declared_too_large) {
      if (ec == http::error::header_limit) {
        self->metrics_.refused(refusal::malformed);
        early = fatal_response(
            http::status::request_header_fields_too_large,
            "header: larger than " + std::to_string(settings.max_header_bytes) + " bytes");
      } else if (is_malformed(ec)) {
        self->metrics_.refused(refusal::malformed);
        early =
            fatal_response(http::status::bad_request, "request: malformed (" + ec.message() + ")");
      } else if (ec == beast::error::timeout) {
        // Beast has closed the socket already: a slow sender is cut without an answer.
        self->metrics_.refused(refusal::header_slow);
        break;
      } else {
        break;  // peer closed or stop()
      }
    }

    const auto& header = parser.get();
    const std::string method(header.method_string());
    const std::string target(header.target().substr(0, header.target().find('?')));
    const bool head = !early && header.method() == http::verb::head;
    const bool ingest = !early && is_ingest(header);
    std::optional<count_guard> inflight;
    lease body(self->body_buffer_);
    if (!early && declared_too_large) {
      early = error_response(http::status::payload_too_large, header,
                             "body: larger than " + std::to_string(limit) + " bytes");
    }
    if (!early && header.count(http::field::transfer_encoding) > 0) {
      // RFC 9112 6.3: a request whose final coding is not chunked has no determinable length:
      // 400 and close. Other codings before chunked are not supported: 501.
      const auto codings = transfer_codings(header);
      if (codings.empty() || codings.back() != "chunked" || header.version() < 11)
        early = fatal_response(http::status::bad_request,
                               "transfer-encoding: chunked must be the final coding");
      else if (codings.size() > 1)
        early = fatal_response(http::status::not_implemented,
                               "transfer-encoding: only chunked is supported");
    }
    if (!early && ingest) {
      if (self->inflight_requests_.load() >= settings.max_inflight_requests) {
        self->metrics_.refused(refusal::inflight);
        early = overloaded(*self, header,
                           "server: too many requests in flight (server.max_inflight_requests); "
                           "retry later");
      } else {
        inflight.emplace(self->inflight_requests_);
      }
    }
    // Take the declared body's share of the memory budget before Beast allocates it.
    if (!early && !body.grow_to(parser.content_length().value_or(0))) {
      self->metrics_.refused(refusal::body_buffer);
      early = overloaded(*self, header,
                         "server: too many request bodies in memory "
                         "(server.max_body_buffer_bytes); retry later");
    }
    if (!early && beast::iequals(header[http::field::expect], "100-continue")) {
      http::response<http::empty_body> go_ahead{http::status::continue_, header.version()};
      stream.expires_after(settings.header_timeout);
      auto [wec, wn] = co_await http::async_write(stream, go_ahead, nothrow);
      if (wec) break;
    }

    // The body, with a deadline that moves with the bytes received: grace + received / rate.
    const auto body_start = std::chrono::steady_clock::now();
    std::size_t received = 0;
    while (!early && !parser.is_done()) {
      auto allowed =
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(settings.header_timeout);
      if (settings.min_body_bytes_per_s > 0)
        allowed += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(static_cast<double>(received) /
                                          static_cast<double>(settings.min_body_bytes_per_s)));
      else
        allowed =
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(settings.idle_timeout);
      stream.expires_at(body_start + allowed);
      auto [rec, rn] = co_await http::async_read_some(stream, buffer, parser, nothrow);
      received += rn;
      if (rec == http::error::body_limit) {
        early = error_response(http::status::payload_too_large, header,
                               "body: larger than " + std::to_string(limit) + " bytes");
      } else if (rec == beast::error::timeout) {
        self->metrics_.refused(refusal::body_slow);  // the socket is closed: cut, no answer
        break;
      } else if (rec && is_malformed(rec)) {
        self->metrics_.refused(refusal::malformed);
        early =
            fatal_response(http::status::bad_request, "request: malformed (" + rec.message() + ")");
      } else if (rec) {
        break;
      } else if (!body.grow_to(parser.get().body().capacity())) {
        // A chunked body has no declared size: its share grows as it arrives.
        self->metrics_.refused(refusal::body_buffer);
        early = overloaded(*self, header,
                           "server: too many request bodies in memory "
                           "(server.max_body_buffer_bytes); retry later");
      }
    }
    if (!early && !parser.is_done()) break;  // peer went away mid-body

    const auto started = std::chrono::steady_clock::now();
    response res;
    const bool refuse = early.has_value();
    if (refuse) {
      // The rest of the body is unread, so this connection cannot carry another request.
      res = std::move(*early);
      res.keep_alive(false);
    } else {
      stream.expires_never();
      res = co_await answer_request(self, parser.release(), std::move(body));
    }
    body.release();
    inflight.reset();
    const auto elapsed = std::chrono::steady_clock::now() - started;
    self->metrics_.observe(static_cast<unsigned>(res.result_int()), elapsed);
    if (res.result_int() >= 500)
      spdlog::warn("webhook: [{}] {} {}: {} {}", request_id, method, target, res.result_int(),
                   res.body());
    else
      spdlog::debug("webhook: [{}] {} {}: {} in {} us", request_id, method, target,
                    res.result_int(),
                    std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    res.set("x-request-id", request_id);
    if (self->stopping_.load()) res.keep_alive(false);
    // HEAD: the same header (Content-Length included), no body.
    if (head) res.body().clear();

    stream.expires_after(settings.header_timeout);
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

bool is_resource_exhaustion(const beast::error_code& ec) {
  return ec == net::error::no_descriptors || ec == std::errc::too_many_files_open_in_system ||
         ec == net::error::no_buffer_space || ec == net::error::no_memory;
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

net::awaitable<void> run_acceptor(server_impl self) {
  net::steady_timer backoff_timer(self->acceptor_.get_executor());
  auto backoff = std::chrono::milliseconds(0);
  for (;;) {
    auto [ec, socket] =
        co_await self->acceptor_.async_accept(net::make_strand(self->ioc_), nothrow);
    if (ec == net::error::operation_aborted || self->stopping_.load()) co_return;
    if (ec) {
      // Out of descriptors or memory, the pending connection stays queued and accept fails again
      // at once: wait, doubling up to 1 s, and log one line per 10 s instead of one per failure.
      self->metrics_.accept_errors.fetch_add(1);
      backoff =
          std::clamp(backoff * 2, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
      std::uint64_t suppressed = 0;
      if (self->accept_log_.allow(steady_ms(), suppressed))
        spdlog::warn(
            "webhook: accept failed: {} ({} more since the last report); retrying in "
            "{} ms{}",
            ec.message(), suppressed, backoff.count(),
            is_resource_exhaustion(ec) ? "; raise the file descriptor limit or lower "
                                         "server.max_connections"
                                       : "");
      backoff_timer.expires_after(backoff);
      co_await backoff_timer.async_wait(nothrow);  // an error only means stop()
      if (self->stopping_.load()) co_return;
      continue;
    }
    backoff = std::chrono::milliseconds(0);
    if (self->open_connections_.load() >= self->settings_.max_connections) {
      // Over the limit: close at once, before reading anything; costs one accept and one close.
      self->metrics_.refused(refusal::connections);
      std::uint64_t suppressed = 0;
      if (self->refused_log_.allow(steady_ms(), suppressed))
        spdlog::warn(
            "webhook: {} connections open (server.max_connections); refusing new ones "
            "({} more refused since the last report)",
            self->settings_.max_connections, suppressed);
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    self->open_connections_.fetch_add(1);
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

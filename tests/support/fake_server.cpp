#include "tests/support/fake_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace sessiondx::test::fake {

namespace {
constexpr auto nothrow = net::as_tuple(net::use_awaitable);
using json = nlohmann::json;
}  // namespace

response answer(const request& req, http::status status, std::string body,
                std::string_view content_type) {
  response res{status, req.version()};
  if (!body.empty() || !content_type.empty()) res.set(http::field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::string query_value(const std::string& target, const std::string& key) {
  const auto q = target.find('?');
  if (q == std::string::npos) return {};
  const std::string rest = target.substr(q + 1);
  std::size_t i = 0;
  while (i <= rest.size()) {
    auto amp = rest.find('&', i);
    if (amp == std::string::npos) amp = rest.size();
    const std::string pair = rest.substr(i, amp - i);
    const auto eq = pair.find('=');
    if (eq != std::string::npos && pair.substr(0, eq) == key) return pair.substr(eq + 1);
    i = amp + 1;
  }
  return {};
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    auto j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

// ---- socket ----

socket::socket(beast::tcp_stream stream, int index, std::size_t outbox_capacity)
    : ws_(std::move(stream)), out_(ws_.get_executor(), outbox_capacity), index_(index) {}

void socket::send(std::string text) {
  out_.try_send(boost::system::error_code{}, out_frame{std::move(text), 0});
}

void socket::close(std::uint16_t code) {
  out_.try_send(boost::system::error_code{}, out_frame{{}, code});
}

void socket::drop() { beast::get_lowest_layer(ws_).close(); }

// ---- server ----

server::~server() { stop(); }

void server::start() {
  acceptor_ = std::make_unique<net::ip::tcp::acceptor>(
      *ioc_, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  port_ = acceptor_->local_endpoint().port();
  net::co_spawn(*ioc_, accept_loop(), net::detached);
  thread_ = std::thread([this] { ioc_->run(); });
}

void server::stop() {
  if (stopped_ || !ioc_) return;
  stopped_ = true;
  ioc_->stop();
  if (thread_.joinable()) thread_.join();
  // Coroutine frames still suspended are destroyed with the io_context, while it exists.
  sockets_.clear();
  acceptor_.reset();
  ioc_.reset();
}

std::string server::base_url(std::string_view scheme) const {
  return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_);
}

void server::on_server(std::function<void()> fn) { net::post(*ioc_, std::move(fn)); }

response server::route(const request& req, recorded_request&) {
  return answer(req, http::status::not_found, "");
}

std::optional<response> server::check_upgrade(const request&) { return std::nullopt; }
void server::on_open(socket&, const request&) {}
void server::on_message(socket&, const std::string&) {}
void server::on_end(socket&, boost::system::error_code) {}

std::shared_ptr<socket> server::at(int index) {
  if (index < 0 || index >= static_cast<int>(sockets_.size())) return nullptr;
  return sockets_[static_cast<std::size_t>(index)];
}

std::vector<recorded_request> server::requests_where(
    const std::function<bool(const recorded_request&)>& pred) const {
  std::lock_guard lock(mutex);
  std::vector<recorded_request> out;
  for (const auto& r : requests)
    if (pred(r)) out.push_back(r);
  return out;
}

bool server::wait_for_requests(const std::function<bool(const recorded_request&)>& pred,
                               std::size_t n, std::chrono::milliseconds timeout) {
  return wait(
      [&] {
        std::size_t k = 0;
        for (const auto& r : requests)
          if (pred(r)) ++k;
        return k >= n;
      },
      timeout);
}

bool server::wait_ended(int index, std::chrono::milliseconds timeout) {
  return wait([&] { return ended.count(index) != 0; }, timeout);
}

net::awaitable<void> server::accept_loop() {
  for (;;) {
    auto [ec, s] = co_await acceptor_->async_accept(nothrow);
    if (ec) co_return;
    // As the real servers do (Go's net package sets TCP_NODELAY by default): without it two
    // small frames written back to back wait ~40 ms for the peer's delayed ACK (Nagle).
    boost::system::error_code ignored;
    s.set_option(net::ip::tcp::no_delay(true), ignored);
    net::co_spawn(acceptor_->get_executor(), serve(std::move(s)), net::detached);
  }
}

net::awaitable<void> server::serve(net::ip::tcp::socket s) {
  beast::tcp_stream stream(std::move(s));
  beast::flat_buffer buffer;
  for (;;) {
    request req;
    auto [ec, n] = co_await http::async_read(stream, buffer, req, nothrow);
    if (ec) co_return;
    if (websocket::is_upgrade(req)) {
      co_await run_socket(std::move(stream), std::move(req));
      co_return;
    }
    recorded_request record;
    const std::string target(req.target());
    record.method = std::string(req.method_string());
    record.target = target;
    record.path = target.substr(0, target.find('?'));
    record.authorization = std::string(req[http::field::authorization]);
    record.user_agent = std::string(req[http::field::user_agent]);
    record.content_type = std::string(req[http::field::content_type]);
    record.body = req.body().empty() ? json() : json::parse(req.body(), nullptr, false);
    if (record.body.is_discarded()) record.body = json();
    record.at = std::chrono::steady_clock::now();
    auto res = route(req, record);
    record.status = res.result_int();
    {
      std::lock_guard lock(mutex);
      requests.push_back(std::move(record));
    }
    notify();
    auto [wec, wn] = co_await http::async_write(stream, res, nothrow);
    if (wec || !res.keep_alive()) co_return;
  }
}

net::awaitable<void> server::write_frames(std::shared_ptr<socket> s) {
  for (;;) {
    auto [ec, frame] = co_await s->out_.async_receive(nothrow);
    if (ec) co_return;
    if (frame.close_code != 0) {
      auto [cec] = co_await s->ws_.async_close(websocket::close_reason(frame.close_code), nothrow);
      (void)cec;
      co_return;
    }
    auto [wec, n] = co_await s->ws_.async_write(net::buffer(frame.text), nothrow);
    if (wec) co_return;
  }
}

net::awaitable<void> server::run_socket(beast::tcp_stream stream, request req) {
  if (auto refusal = check_upgrade(req)) {
    refusal->keep_alive(false);
    co_await http::async_write(stream, *refusal, nothrow);
    co_return;
  }
  auto s = std::make_shared<socket>(std::move(stream), static_cast<int>(sockets_.size()),
                                    outbox_capacity);
  beast::get_lowest_layer(s->ws_).expires_never();
  auto [aec] = co_await s->ws_.async_accept(req, nothrow);
  if (aec) co_return;
  sockets_.push_back(s);
  net::co_spawn(s->ws_.get_executor(), write_frames(s), net::detached);
  {
    std::lock_guard lock(mutex);
    ++accepted;
  }
  on_open(*s, req);
  notify();
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await s->ws_.async_read(buffer, nothrow);
    if (ec) {
      {
        std::lock_guard lock(mutex);
        if (ec == websocket::error::closed)
          client_close[s->index()] = static_cast<std::uint16_t>(s->ws_.reason().code);
        ended.insert(s->index());
      }
      on_end(*s, ec);
      notify();
      break;
    }
    std::string text = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    {
      std::lock_guard lock(mutex);
      frames.push_back({s->index(), text, std::chrono::steady_clock::now()});
    }
    notify();
    on_message(*s, text);
  }
  s->out_.close();
}

}  // namespace sessiondx::test::fake

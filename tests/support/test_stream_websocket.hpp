#pragma once

// Websockets over boost::beast::test::stream for protocol tests without sockets: a
// chat::websocket_opener whose every open() makes an in-memory pipe, accepts the upgrade on the
// server end and runs the test's script there (a coroutine, on the connector's executor), while
// the connector gets a real chat::websocket_connection (the same websocket_session template as
// TCP and TLS) on the client end. The script reads and writes frames as the platform would; what
// it saw is recorded for the test thread. Beast's own websocket tests are the model
// (test/beast/websocket/*.cpp at boost-1.81.0).

#include "connectors/chat/websocket_client.hpp"
#include "connectors/chat/websocket_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sessiondx::test {

/// The platform's end of one in-memory websocket, for a script.
struct server_end {
  explicit server_end(boost::asio::any_io_executor ex) : ws(ex) {}

  boost::beast::websocket::stream<boost::beast::test::stream> ws;
  boost::beast::http::request<boost::beast::http::string_body> upgrade;  ///< as the client sent it
  std::string url;  ///< what the connector asked to open
  int index = 0;    ///< 0 for the first connection

  /// The next text frame; "" when the connection ended (closed or dropped).
  boost::asio::awaitable<std::string> read() {
    namespace net = boost::asio;
    boost::beast::flat_buffer buffer;
    auto [ec, n] = co_await ws.async_read(buffer, net::as_tuple(net::use_awaitable));
    if (ec) co_return std::string();
    co_return boost::beast::buffers_to_string(buffer.data());
  }
  /// The next frame as JSON (null when the connection ended or it is not JSON).
  boost::asio::awaitable<nlohmann::json> read_json() {
    const std::string text = co_await read();
    auto j = nlohmann::json::parse(text, nullptr, false);
    co_return j.is_discarded() ? nlohmann::json() : j;
  }
  boost::asio::awaitable<void> write(std::string text) {
    namespace net = boost::asio;
    auto [ec, n] = co_await ws.async_write(net::buffer(text), net::as_tuple(net::use_awaitable));
    (void)ec;
  }
  boost::asio::awaitable<void> close(std::uint16_t code) {
    namespace net = boost::asio;
    auto [ec] = co_await ws.async_close(boost::beast::websocket::close_reason(code),
                                        net::as_tuple(net::use_awaitable));
    (void)ec;
  }
};

/// What scripts write down and the test thread waits on (a mutex, a condition variable, notes).
struct script_log {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> notes;

  void note(std::string text) {
    {
      std::lock_guard lock(mutex);
      notes.push_back(std::move(text));
    }
    changed.notify_all();
  }
  /// Waits until `text` has been noted; false on timeout.
  bool wait_for(const std::string& text,
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] {
      for (const auto& n : notes)
        if (n == text) return true;
      return false;
    });
  }
  std::vector<std::string> all() {
    std::lock_guard lock(mutex);
    return notes;
  }
};

/// A script: the platform's side of connection `end->index`.
using websocket_script = std::function<boost::asio::awaitable<void>(std::shared_ptr<server_end>)>;

namespace detail {

inline boost::asio::awaitable<void> accept_and_run(std::shared_ptr<server_end> end,
                                                   websocket_script script) {
  namespace net = boost::asio;
  namespace http = boost::beast::http;
  boost::beast::flat_buffer buffer;
  auto [ec, n] = co_await http::async_read(end->ws.next_layer(), buffer, end->upgrade,
                                           net::as_tuple(net::use_awaitable));
  if (ec) co_return;
  auto [aec] = co_await end->ws.async_accept(end->upgrade, net::as_tuple(net::use_awaitable));
  if (aec) co_return;
  co_await script(end);
}

inline boost::asio::awaitable<std::shared_ptr<chat::websocket_connection>> open_in_memory(
    std::string url, chat::websocket_settings settings, websocket_script script,
    std::shared_ptr<int> opened) {
  namespace net = boost::asio;
  auto ex = co_await net::this_coro::executor;
  auto end = std::make_shared<server_end>(ex);
  end->url = url;
  end->index = (*opened)++;
  boost::beast::websocket::stream<boost::beast::test::stream> ws(ex);
  ws.next_layer().connect(end->ws.next_layer());
  chat::apply_websocket_settings(ws, settings);
  net::co_spawn(ex, accept_and_run(end, script), net::detached);
  // The target as the URL has it ("/api/v4/websocket?connection_id=…"), the host "test".
  const auto scheme_end = url.find("://");
  const auto path_at = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  const std::string target = path_at == std::string::npos ? "/" : url.substr(path_at);
  const std::string host = "test";  // named: GCC 12 mishandles literals in a co_await
  co_await ws.async_handshake(host, target, net::use_awaitable);
  co_return chat::make_websocket_connection(std::move(ws), settings, "test://" + target);
}

}  // namespace detail

/// An opener handing out in-memory websockets, each served by `script`. Runs on the
/// connector's executor (no other thread touches the streams).
inline chat::websocket_opener in_memory_websockets(websocket_script script) {
  auto opened = std::make_shared<int>(0);
  return [script, opened](std::string url, chat::websocket_settings settings) {
    return detail::open_in_memory(std::move(url), std::move(settings), script, opened);
  };
}

}  // namespace sessiondx::test

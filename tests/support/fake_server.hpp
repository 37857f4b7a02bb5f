#pragma once

// The scaffolding every fake chat server of tests/ shares (fake Slack, Discord, Mattermost):
// one io_context on its own thread, a listener on 127.0.0.1 at an ephemeral port (plain TCP,
// TCP_NODELAY as the real servers' Go and Node stacks set it), HTTP/1.1 keep-alive request
// routing, websocket upgrades with one reader and one writer per socket, the requests and frames
// received (recorded under one mutex), and waiting on them with a deadline. A fake derives from
// fake_server and keeps only its platform's documented protocol: route() for REST, the
// websocket hooks for its gateway. Test code only; included by the fakes' .cpp files (Beast).

#include "tests/support/fake_records.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sessiondx::test {

namespace fake {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

/// A response to `req` (same version and keep-alive) with `body` of `content_type`; no
/// Content-Type when the body is empty and `content_type` is too.
response answer(const request& req, http::status status, std::string body,
                std::string_view content_type = "application/json");

/// The value of `key` in the query of `target` ("" when absent). No percent-decoding.
std::string query_value(const std::string& target, const std::string& key);

/// The non-empty segments of a path: "/api/v10/x" -> {"api", "v10", "x"}.
std::vector<std::string> split_path(const std::string& path);

/// The server end of one websocket. Use on the server thread only.
class socket {
 public:
  socket(beast::tcp_stream stream, int index, std::size_t outbox_capacity);

  int index() const { return index_; }
  /// Queues a text frame behind the ones already queued.
  void send(std::string text);
  void send(const nlohmann::json& j) { send(j.dump()); }
  /// Queues a close frame with `code` behind the queued frames.
  void close(std::uint16_t code);
  /// Closes the TCP connection at once: no close frame.
  void drop();

  /// The platform's session (or connection) this socket belongs to, for the fake's use.
  std::string session;

 private:
  friend class server;
  struct out_frame {
    std::string text;
    std::uint16_t close_code = 0;  ///< not 0: a close frame
  };
  websocket::stream<beast::tcp_stream> ws_;
  net::experimental::channel<void(boost::system::error_code, out_frame)> out_;
  int index_ = 0;
};

/// @par Thread safety
/// The hooks run on the server thread. The recording members (mutex, requests, frames, wait)
/// may be used from any thread; sockets() only on the server thread (via on_server()).
class server {
 public:
  server() = default;
  virtual ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Listens and serves on the server thread. Call once, from the derived constructor's caller
  /// (after the object is fully constructed: the hooks are virtual).
  void start();
  /// Stops the thread and destroys the suspended coroutines. Call before the derived object's
  /// members go away; idempotent.
  void stop();

  std::uint16_t port() const { return port_; }
  std::string base_url(std::string_view scheme = "http") const;

  /// Runs `fn` on the server thread.
  void on_server(std::function<void()> fn);

  // ---- the platform's protocol ----
  /// Answers one HTTP request. `record` is filled from the request (status after); set
  /// record.api_method where the platform names its calls. The default answers 404.
  virtual response route(const request& req, recorded_request& record);
  /// A websocket upgrade: a response refuses it (sent, then the connection closed); nullopt
  /// accepts it. The default accepts every upgrade.
  virtual std::optional<response> check_upgrade(const request& req);
  /// The websocket is open (the reader starts after this returns).
  virtual void on_open(socket& s, const request& upgrade);
  /// A text frame, already recorded in frames.
  virtual void on_message(socket& s, const std::string& text);
  /// The websocket ended: `ec` from the read (websocket::error::closed after a close frame).
  virtual void on_end(socket& s, boost::system::error_code ec);

  // ---- records (guarded by mutex) ----
  mutable std::mutex mutex;
  std::condition_variable changed;
  std::vector<recorded_request> requests;
  std::vector<received_frame> frames;
  std::map<int, std::uint16_t> client_close;  ///< close codes the clients sent, by socket
  std::set<int> ended;                        ///< sockets whose connection ended
  int accepted = 0;                           ///< websockets accepted

  /// Waits until `pred` (called with mutex held) is true; false on timeout.
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, pred);
  }
  void notify() { changed.notify_all(); }

  /// Requests for which `pred` holds (locks).
  std::vector<recorded_request> requests_where(
      const std::function<bool(const recorded_request&)>& pred) const;
  /// Waits until `n` requests satisfy `pred`.
  bool wait_for_requests(const std::function<bool(const recorded_request&)>& pred, std::size_t n,
                         std::chrono::milliseconds timeout);
  bool wait_ended(int index, std::chrono::milliseconds timeout);

  // ---- sockets (server thread only) ----
  std::vector<std::shared_ptr<socket>>& sockets() { return sockets_; }
  std::shared_ptr<socket> newest() { return sockets_.empty() ? nullptr : sockets_.back(); }
  std::shared_ptr<socket> at(int index);

  std::size_t outbox_capacity = 256;

 private:
  net::awaitable<void> accept_loop();
  net::awaitable<void> serve(net::ip::tcp::socket s);
  net::awaitable<void> run_socket(beast::tcp_stream stream, request req);
  static net::awaitable<void> write_frames(std::shared_ptr<socket> s);

  std::unique_ptr<net::io_context> ioc_ = std::make_unique<net::io_context>(1);
  std::unique_ptr<net::ip::tcp::acceptor> acceptor_;
  std::vector<std::shared_ptr<socket>> sockets_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
};

}  // namespace fake
}  // namespace sessiondx::test

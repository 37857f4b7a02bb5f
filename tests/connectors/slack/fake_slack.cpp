#include "tests/connectors/slack/fake_slack.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace sessiondx::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using clock = std::chrono::steady_clock;

namespace {
constexpr auto nothrow = net::as_tuple(net::use_awaitable);
using outbox = net::experimental::channel<void(boost::system::error_code, std::string)>;

struct fake_socket {
  fake_socket(beast::tcp_stream stream, net::any_io_executor ex)
      : ws(std::move(stream)), out(ex, 64) {}
  websocket::stream<beast::tcp_stream> ws;
  outbox out;
};
}  // namespace

struct fake_slack::state {
  mutable std::mutex mutex;
  std::condition_variable changed;
  // Guarded by mutex:
  std::vector<api_call> calls;
  std::vector<socket_frame> frames;
  std::map<std::string, clock::time_point> sent_envelopes;
  std::set<int> unused_tickets;
  int next_ticket = 0;
  int hello_sent = 0;
  int bad_tickets = 0;
  std::set<int> closed_by_client, ended;
  std::string connections_open_error, post_error;
  int rate_limited = 0, retry_after_s = 1;
  bool send_hello = true;
  int next_ts = 0;
  std::uint16_t port = 0;

  // Only on the server thread:
  std::vector<std::shared_ptr<fake_socket>> sockets;

  std::unique_ptr<net::io_context> ioc = std::make_unique<net::io_context>(1);
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;

  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, pred);
  }
  void notify() { changed.notify_all(); }
};

namespace {

using state = fake_slack::state;

http::response<http::string_body> answer(const http::request<http::string_body>& req,
                                         http::status status, const std::string& body,
                                         const char* type = "application/json; charset=utf-8") {
  http::response<http::string_body> res{status, req.version()};
  res.set(http::field::content_type, type);
  res.keep_alive(req.keep_alive());
  res.body() = body;
  res.prepare_payload();
  return res;
}

http::response<http::string_body> route(state* st, const http::request<http::string_body>& req) {
  const std::string target(req.target());
  api_call call;
  call.authorization = std::string(req[http::field::authorization]);
  call.content_type = std::string(req[http::field::content_type]);
  call.body = json::parse(req.body(), nullptr, false);
  if (call.body.is_discarded()) call.body = json();
  call.at = clock::now();

  auto record = [&](http::response<http::string_body> res) {
    call.status = res.result_int();
    {
      std::lock_guard lock(st->mutex);
      st->calls.push_back(call);
    }
    st->notify();
    return res;
  };

  if (target.rfind("/response/", 0) == 0) {
    call.method = "response_url";
    return record(answer(req, http::status::ok, "ok", "text/plain"));
  }
  if (target.rfind("/api/", 0) != 0 || req.method() != http::verb::post) {
    call.method = target;
    return record(answer(req, http::status::not_found, R"({"ok":false,"error":"unknown_method"})"));
  }
  call.method = target.substr(
      5, target.find('?') == std::string::npos ? std::string::npos : target.find('?') - 5);
  std::unique_lock lock(st->mutex);
  if (call.method == "apps.connections.open") {
    if (call.authorization.rfind("Bearer ", 0) != 0) {
      lock.unlock();
      return record(answer(req, http::status::ok, R"({"ok":false,"error":"not_authed"})"));
    }
    if (call.authorization.rfind("Bearer xapp-", 0) != 0) {
      lock.unlock();
      return record(
          answer(req, http::status::ok, R"({"ok":false,"error":"not_allowed_token_type"})"));
    }
    if (!st->connections_open_error.empty()) {
      const auto error = st->connections_open_error;
      lock.unlock();
      return record(answer(req, http::status::ok, json{{"ok", false}, {"error", error}}.dump()));
    }
    const int ticket = ++st->next_ticket;
    st->unused_tickets.insert(ticket);
    const std::string url = "ws://127.0.0.1:" + std::to_string(st->port) +
                            "/link/?ticket=" + std::to_string(ticket) + "&app_id=A111";
    lock.unlock();
    return record(answer(req, http::status::ok, json{{"ok", true}, {"url", url}}.dump()));
  }
  if (call.method == "chat.postMessage" || call.method == "chat.postEphemeral") {
    if (st->rate_limited > 0) {
      --st->rate_limited;
      auto res =
          answer(req, http::status::too_many_requests, R"({"ok":false,"error":"ratelimited"})");
      res.set(http::field::retry_after, std::to_string(st->retry_after_s));
      lock.unlock();
      return record(std::move(res));
    }
    std::string error;
    if (call.authorization.rfind("Bearer xoxb-", 0) != 0)
      error = "invalid_auth";
    else if (call.content_type.rfind("application/json", 0) != 0 || !call.body.is_object())
      error = "invalid_arguments";
    else if (!call.body.contains("channel"))
      error = "channel_not_found";
    else if (!call.body.contains("text") && !call.body.contains("blocks"))
      error = "no_text";
    else if (call.method == "chat.postEphemeral" && !call.body.contains("user"))
      error = "user_not_in_channel";
    else if (call.method == "chat.postMessage" && !st->post_error.empty())
      error = st->post_error;
    json body;
    if (error.empty()) {
      const std::string ts = "1700000000." + std::to_string(100000 + ++st->next_ts);
      body = call.method == "chat.postMessage"
                 ? json{{"ok", true},
                        {"channel", call.body["channel"]},
                        {"ts", ts},
                        {"message", {{"text", call.body.value("text", "")}}}}
                 : json{{"ok", true}, {"message_ts", ts}};
    } else {
      body = json{{"ok", false}, {"error", error}};
    }
    lock.unlock();
    return record(answer(req, http::status::ok, body.dump()));
  }
  lock.unlock();
  return record(answer(req, http::status::ok, R"({"ok":false,"error":"unknown_method"})"));
}

net::awaitable<void> write_frames(state* st, std::shared_ptr<fake_socket> s) {
  (void)st;
  for (;;) {
    auto [ec, text] = co_await s->out.async_receive(nothrow);
    if (ec) co_return;
    auto [wec, n] = co_await s->ws.async_write(net::buffer(text), nothrow);
    if (wec) co_return;
  }
}

net::awaitable<void> run_socket(state* st, beast::tcp_stream stream,
                                http::request<http::string_body> req) {
  // Tickets are single use, as Slack's are.
  const std::string target(req.target());
  int ticket = -1;
  if (auto pos = target.find("ticket="); pos != std::string::npos)
    ticket = std::atoi(target.c_str() + pos + 7);
  bool valid = false;
  {
    std::lock_guard lock(st->mutex);
    valid = target.rfind("/link", 0) == 0 && st->unused_tickets.erase(ticket) != 0;
    if (!valid) ++st->bad_tickets;
  }
  if (!valid) {
    st->notify();
    auto res = answer(req, http::status::unauthorized, R"({"ok":false,"error":"invalid_ticket"})");
    res.keep_alive(false);
    co_await http::async_write(stream, res, nothrow);
    co_return;
  }
  auto ex = stream.get_executor();
  auto s = std::make_shared<fake_socket>(std::move(stream), ex);
  beast::get_lowest_layer(s->ws).expires_never();
  auto [aec] = co_await s->ws.async_accept(req, nothrow);
  if (aec) co_return;
  const int index = static_cast<int>(st->sockets.size());
  st->sockets.push_back(s);
  bool hello = false;
  {
    std::lock_guard lock(st->mutex);
    hello = st->send_hello;
  }
  if (hello) {
    const json frame{
        {"type", "hello"},
        {"num_connections", 1},
        {"debug_info",
         {{"host", "applink-fake"}, {"build_number", 10}, {"approximate_connection_time", 18060}}},
        {"connection_info", {{"app_id", "A111"}}}};
    s->out.try_send(boost::system::error_code{}, frame.dump());
  }
  net::co_spawn(ex, write_frames(st, s), net::detached);
  if (hello) {
    std::lock_guard lock(st->mutex);
    ++st->hello_sent;
    st->notify();
  }
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await s->ws.async_read(buffer, nothrow);
    if (ec) {
      std::lock_guard lock(st->mutex);
      if (ec == websocket::error::closed) st->closed_by_client.insert(index);
      st->ended.insert(index);
      st->notify();
      break;
    }
    {
      std::lock_guard lock(st->mutex);
      st->frames.push_back({index, beast::buffers_to_string(buffer.data()), clock::now()});
      st->notify();
    }
    buffer.consume(buffer.size());
  }
  s->out.close();
}

net::awaitable<void> serve(state* st, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(stream, buffer, req, nothrow);
    if (ec) co_return;
    if (websocket::is_upgrade(req)) {
      co_await run_socket(st, std::move(stream), std::move(req));
      co_return;
    }
    auto res = route(st, req);
    auto [wec, wn] = co_await http::async_write(stream, res, nothrow);
    if (wec || !res.keep_alive()) co_return;
  }
}

net::awaitable<void> accept_loop(state* st) {
  for (;;) {
    auto [ec, socket] = co_await st->acceptor->async_accept(nothrow);
    if (ec) co_return;
    net::co_spawn(st->acceptor->get_executor(), serve(st, std::move(socket)), net::detached);
  }
}

}  // namespace

fake_slack::fake_slack() : state_(std::make_shared<state>()) {
  auto* st = state_.get();
  st->acceptor = std::make_unique<tcp::acceptor>(
      *st->ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  st->port = st->acceptor->local_endpoint().port();
  net::co_spawn(*st->ioc, accept_loop(st), net::detached);
  st->thread = std::thread([st] { st->ioc->run(); });
}

fake_slack::~fake_slack() {
  auto* st = state_.get();
  st->ioc->stop();
  st->thread.join();
  // Coroutine frames still suspended are destroyed with the io_context, while it exists.
  st->sockets.clear();
  st->acceptor.reset();
  st->ioc.reset();
}

std::string fake_slack::api_url() const {
  return "http://127.0.0.1:" + std::to_string(state_->port) + "/api/";
}

std::string fake_slack::response_url() const {
  return "http://127.0.0.1:" + std::to_string(state_->port) + "/response/T111/1/xyz";
}

void fake_slack::fail_connections_open(std::string error) {
  std::lock_guard lock(state_->mutex);
  state_->connections_open_error = std::move(error);
}

void fake_slack::rate_limit_posts(int count, int retry_after_s) {
  std::lock_guard lock(state_->mutex);
  state_->rate_limited = count;
  state_->retry_after_s = retry_after_s;
}

void fake_slack::fail_post_message(std::string error) {
  std::lock_guard lock(state_->mutex);
  state_->post_error = std::move(error);
}

void fake_slack::send_hello(bool yes) {
  std::lock_guard lock(state_->mutex);
  state_->send_hello = yes;
}

void fake_slack::send(int socket, const json& frame) {
  if (frame.contains("envelope_id")) {
    std::lock_guard lock(state_->mutex);
    state_->sent_envelopes[frame["envelope_id"].get<std::string>()] = clock::now();
  }
  send_text(socket, frame.dump());
}

void fake_slack::send_text(int socket, std::string text) {
  auto* st = state_.get();
  net::post(*st->ioc, [st, socket, text = std::move(text)]() mutable {
    if (socket < 0 || socket >= static_cast<int>(st->sockets.size())) return;
    st->sockets[static_cast<std::size_t>(socket)]->out.try_send(boost::system::error_code{},
                                                                std::move(text));
  });
}

void fake_slack::drop(int socket) {
  auto* st = state_.get();
  net::post(*st->ioc, [st, socket] {
    if (socket < 0 || socket >= static_cast<int>(st->sockets.size())) return;
    beast::get_lowest_layer(st->sockets[static_cast<std::size_t>(socket)]->ws).close();
  });
}

bool fake_slack::wait_for_sockets(int n, ms timeout) {
  return state_->wait([&] { return state_->hello_sent >= n; }, timeout);
}

bool fake_slack::wait_for_ack(const std::string& envelope_id, ms timeout) {
  const std::string ack = json{{"envelope_id", envelope_id}}.dump();
  return state_->wait(
      [&] {
        for (const auto& f : state_->frames) {
          auto j = json::parse(f.text, nullptr, false);
          if (j.is_object() && j.value("envelope_id", "") == envelope_id) return true;
        }
        return false;
      },
      timeout);
}

bool fake_slack::wait_for_posts(std::size_t n, ms timeout) {
  return state_->wait(
      [&] {
        std::size_t ok = 0;
        for (const auto& c : state_->calls)
          if ((c.method == "chat.postMessage" || c.method == "chat.postEphemeral") &&
              c.status == 200)
            ++ok;
        return ok >= n;
      },
      timeout);
}

bool fake_slack::wait_for_calls(const std::string& method, std::size_t n, ms timeout) {
  return state_->wait(
      [&] {
        std::size_t count = 0;
        for (const auto& c : state_->calls)
          if (c.method == method) ++count;
        return count >= n;
      },
      timeout);
}

bool fake_slack::wait_closed(int socket, ms timeout) {
  return state_->wait([&] { return state_->ended.count(socket) != 0; }, timeout);
}

std::vector<api_call> fake_slack::calls(const std::string& method) const {
  std::lock_guard lock(state_->mutex);
  std::vector<api_call> out;
  for (const auto& c : state_->calls)
    if (method.empty() || c.method == method) out.push_back(c);
  return out;
}

std::vector<api_call> fake_slack::posts() const {
  std::lock_guard lock(state_->mutex);
  std::vector<api_call> out;
  for (const auto& c : state_->calls)
    if ((c.method == "chat.postMessage" || c.method == "chat.postEphemeral") && c.status == 200 &&
        c.body.is_object())
      out.push_back(c);
  return out;
}

std::vector<socket_frame> fake_slack::frames(int socket) const {
  std::lock_guard lock(state_->mutex);
  std::vector<socket_frame> out;
  for (const auto& f : state_->frames)
    if (socket < 0 || f.socket == socket) out.push_back(f);
  return out;
}

fake_slack::ms fake_slack::ack_delay(const std::string& envelope_id) const {
  std::lock_guard lock(state_->mutex);
  const auto sent = state_->sent_envelopes.find(envelope_id);
  if (sent == state_->sent_envelopes.end()) return ms::max();
  for (const auto& f : state_->frames) {
    auto j = json::parse(f.text, nullptr, false);
    if (j.is_object() && j.value("envelope_id", "") == envelope_id)
      return std::chrono::duration_cast<ms>(f.at - sent->second);
  }
  return ms::max();
}

int fake_slack::sockets() const {
  std::lock_guard lock(state_->mutex);
  return state_->hello_sent;
}

int fake_slack::bad_tickets() const {
  std::lock_guard lock(state_->mutex);
  return state_->bad_tickets;
}

bool fake_slack::closed_by_client(int socket) const {
  std::lock_guard lock(state_->mutex);
  return state_->closed_by_client.count(socket) != 0;
}

namespace slack_frames {

json slash_command(const std::string& envelope_id, const std::string& command,
                   const std::string& text, const std::string& channel, const std::string& user,
                   const std::string& response_url) {
  return {{"envelope_id", envelope_id},
          {"type", "slash_commands"},
          {"accepts_response_payload", true},
          {"payload",
           {{"token", "verification-token"},
            {"team_id", "T111"},
            {"team_domain", "acme"},
            {"channel_id", channel},
            {"channel_name", "support"},
            {"user_id", user},
            {"user_name", "agent"},
            {"command", command},
            {"text", text},
            {"api_app_id", "A111"},
            {"is_enterprise_install", "false"},
            {"response_url", response_url},
            {"trigger_id", "111.222.xxx"}}}};
}

namespace {
json event_envelope(const std::string& envelope_id, const std::string& event_id, json event,
                    int retry_attempt) {
  json e{{"envelope_id", envelope_id},
         {"type", "events_api"},
         {"accepts_response_payload", false},
         {"retry_attempt", retry_attempt},
         {"retry_reason", retry_attempt > 0 ? "timeout" : ""},
         {"payload",
          {{"token", "verification-token"},
           {"team_id", "T111"},
           {"api_app_id", "A111"},
           {"event", std::move(event)},
           {"type", "event_callback"},
           {"event_id", event_id},
           {"event_time", 1700000000},
           {"authorizations", json::array({{{"enterprise_id", nullptr},
                                            {"team_id", "T111"},
                                            {"user_id", bot_user},
                                            {"is_bot", true},
                                            {"is_enterprise_install", false}}})},
           {"is_ext_shared_channel", false},
           {"event_context", "4-eyJldCI6ImFwcF9tZW50aW9uIn0"}}}};
  return e;
}
}  // namespace

json app_mention(const std::string& envelope_id, const std::string& event_id,
                 const std::string& text, const std::string& channel, const std::string& user,
                 const std::string& thread_ts, int retry_attempt) {
  json ev{{"type", "app_mention"}, {"user", user},
          {"text", text},          {"ts", "1700000001.000100"},
          {"channel", channel},    {"event_ts", "1700000001.000100"},
          {"team", "T111"}};
  if (!thread_ts.empty()) ev["thread_ts"] = thread_ts;
  return event_envelope(envelope_id, event_id, std::move(ev), retry_attempt);
}

json direct_message(const std::string& envelope_id, const std::string& event_id,
                    const std::string& text, const std::string& user, bool from_bot) {
  json ev{{"type", "message"},
          {"channel", "D0DM0001"},
          {"user", user},
          {"text", text},
          {"ts", "1700000002.000200"},
          {"event_ts", "1700000002.000200"},
          {"channel_type", "im"},
          {"team", "T111"}};
  if (from_bot) {
    ev["bot_id"] = "B0BOT001";
    ev["subtype"] = "bot_message";
  }
  return event_envelope(envelope_id, event_id, std::move(ev), 0);
}

json share_click(const std::string& envelope_id, const std::string& value,
                 const std::string& channel, const std::string& user) {
  return {
      {"envelope_id", envelope_id},
      {"type", "interactive"},
      {"accepts_response_payload", false},
      {"payload",
       {{"type", "block_actions"},
        {"user", {{"id", user}, {"username", "agent"}, {"team_id", "T111"}}},
        {"api_app_id", "A111"},
        {"token", "verification-token"},
        {"container",
         {{"type", "message"},
          {"message_ts", "1700000003.000300"},
          {"channel_id", channel},
          {"is_ephemeral", true}}},
        {"trigger_id", "111.222.yyy"},
        {"team", {{"id", "T111"}, {"domain", "acme"}}},
        {"channel", {{"id", channel}, {"name", "support"}}},
        {"response_url", "https://hooks.slack.com/actions/T111/1/zzz"},
        {"actions", json::array({{{"action_id", "share_in_channel"},
                                  {"block_id", "b1"},
                                  {"text", {{"type", "plain_text"}, {"text", "Share in channel"}}},
                                  {"value", value},
                                  {"type", "button"},
                                  {"action_ts", "1700000004.000400"}}})}}}};
}

json disconnect(const std::string& reason) {
  return {
      {"type", "disconnect"}, {"reason", reason}, {"debug_info", {{"host", "wss-111.slack.com"}}}};
}

}  // namespace slack_frames

}  // namespace sessiondx::test

#include "tests/connectors/mattermost/fake_mattermost.hpp"

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
#include <functional>
#include <map>
#include <mutex>
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
      : ws(std::move(stream)), out(ex, 256) {}
  websocket::stream<beast::tcp_stream> ws;
  outbox out;
  std::string connection;
};

/// One logical connection: its events, numbered from 0 (hello).
struct connection_log {
  std::int64_t next_seq = 0;
  std::vector<std::pair<std::int64_t, std::string>> events;
};

std::string query_value(const std::string& target, const std::string& key) {
  const auto q = target.find('?');
  if (q == std::string::npos) return {};
  std::string rest = target.substr(q + 1);
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
}  // namespace

struct fake_mattermost::state {
  mutable std::mutex mutex;
  std::condition_variable changed;
  std::vector<mm_call> calls;
  std::vector<std::string> targets, auths;
  std::map<std::string, connection_log> connections;
  std::map<std::string, std::vector<json>> channel_posts;  ///< oldest first
  bool hold = false;
  int rate_limited = 0, retry_after = 1;
  int hellos = 0, accepted = 0, next_id = 0;
  std::int64_t clock_ms = 1'700'000'000'000;
  std::uint16_t port = 0;

  std::vector<std::shared_ptr<fake_socket>> sockets;  // server thread only
  std::unique_ptr<net::io_context> ioc = std::make_unique<net::io_context>(1);
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;

  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, pred);
  }
  void notify() { changed.notify_all(); }

  std::string new_id(const char* prefix) {
    // 26 characters like Mattermost's ids, the number right-aligned ("p0…010"), so that no two
    // ids are the same (padding on the right made p1 and p10 one id).
    const std::string n = std::to_string(++next_id);
    std::string id = prefix;
    id.append(26 - id.size() - n.size(), '0');
    return id + n;
  }

  /// Creates a post (locked by the caller) and returns it.
  json make_post(const std::string& user, const std::string& channel, const std::string& message,
                 const std::string& root_id, bool from_bot) {
    json p{{"id", new_id("p")},
           {"create_at", ++clock_ms},
           {"update_at", clock_ms},
           {"edit_at", 0},
           {"delete_at", 0},
           {"is_pinned", false},
           {"user_id", user},
           {"channel_id", channel},
           {"root_id", root_id},
           {"original_id", ""},
           {"message", message},
           {"type", ""},
           {"props", json::object()},
           {"hashtags", ""},
           {"pending_post_id", ""},
           {"reply_count", 0},
           {"last_reply_at", 0},
           {"participants", nullptr},
           {"metadata", json::object()}};
    if (from_bot) p["props"]["from_bot"] = "true";
    channel_posts[channel].push_back(p);
    return p;
  }

  /// Broadcasts a `posted` event to every connection (server thread, unlocked).
  void broadcast(const json& post, const std::string& channel_type,
                 const std::vector<std::string>& mentions) {
    std::vector<std::pair<std::shared_ptr<fake_socket>, std::string>> sends;
    {
      std::lock_guard lock(mutex);
      for (auto& [id, log] : connections) {
        json data{{"channel_display_name", "Support"},
                  {"channel_name", "support"},
                  {"channel_type", channel_type},
                  {"post", post.dump()},
                  {"sender_name", "@agent"},
                  {"set_online", true},
                  {"team_id", channel_type == "D" ? "" : "team1"}};
        if (!mentions.empty()) data["mentions"] = json(mentions).dump();
        const json ev{{"event", "posted"},
                      {"data", data},
                      {"broadcast",
                       {{"omit_users", nullptr},
                        {"user_id", ""},
                        {"channel_id", post["channel_id"]},
                        {"team_id", ""},
                        {"connection_id", ""},
                        {"omit_connection_id", ""}}},
                      {"seq", log.next_seq}};
        log.events.emplace_back(log.next_seq++, ev.dump());
        if (hold) continue;
        for (auto& s : sockets)
          if (s->connection == id) sends.emplace_back(s, ev.dump());
      }
    }
    for (auto& [s, text] : sends) s->out.try_send(boost::system::error_code{}, text);
  }
};

namespace {

using state = fake_mattermost::state;

http::response<http::string_body> answer(const http::request<http::string_body>& req,
                                         http::status status, const std::string& body,
                                         const char* type = "application/json") {
  http::response<http::string_body> res{status, req.version()};
  res.set(http::field::content_type, type);
  res.keep_alive(req.keep_alive());
  res.body() = body;
  res.prepare_payload();
  return res;
}

json error(const std::string& id, const std::string& message, int status) {
  return {{"id", id},
          {"message", message},
          {"detailed_error", ""},
          {"request_id", "req1"},
          {"status_code", status}};
}

http::response<http::string_body> route(state* st, const http::request<http::string_body>& req) {
  mm_call call;
  call.method = std::string(req.method_string());
  call.target = std::string(req.target());
  call.authorization = std::string(req[http::field::authorization]);
  call.body = req.body().empty() ? json() : json::parse(req.body(), nullptr, false);
  call.at = clock::now();
  std::vector<std::function<void()>> after;
  auto record = [&](http::response<http::string_body> res) {
    call.status = res.result_int();
    {
      std::lock_guard lock(st->mutex);
      st->calls.push_back(call);
    }
    st->notify();
    for (auto& f : after) f();
    return res;
  };
  if (call.authorization != std::string("Bearer ") + fake_mattermost::token)
    return record(answer(
        req, http::status::unauthorized,
        error("api.context.session_expired.app_error", "Invalid or expired session", 401).dump()));
  const std::string path = call.target.substr(0, call.target.find('?'));
  if (path == "/api/v4/users/me" && req.method() == http::verb::get)
    return record(answer(req, http::status::ok,
                         json{{"id", fake_mattermost::bot_id},
                              {"username", fake_mattermost::bot_name},
                              {"is_bot", true}}
                             .dump()));
  if (path == "/api/v4/posts" && req.method() == http::verb::post) {
    std::unique_lock lock(st->mutex);
    if (st->rate_limited > 0) {
      --st->rate_limited;
      auto res = answer(req, http::status::too_many_requests, "limit exceeded\n",
                        "text/plain; charset=utf-8");
      res.set(http::field::retry_after, std::to_string(st->retry_after));
      res.set("X-Ratelimit-Limit", "10");
      res.set("X-Ratelimit-Remaining", "0");
      res.set("X-Ratelimit-Reset", std::to_string(st->retry_after));
      lock.unlock();
      return record(std::move(res));
    }
    const auto& b = call.body;
    if (!b.is_object() || !b.contains("channel_id") || !b.contains("message")) {
      lock.unlock();
      return record(
          answer(req, http::status::bad_request,
                 error("api.context.invalid_body_param.app_error", "Invalid post", 400).dump()));
    }
    const std::string root = b.value("root_id", "");
    if (!root.empty()) {
      bool root_ok = false;
      for (const auto& p : st->channel_posts[b["channel_id"].get<std::string>()])
        if (p["id"] == root && p["root_id"] == "") root_ok = true;
      if (!root_ok) {
        lock.unlock();
        return record(
            answer(req, http::status::bad_request,
                   error("api.post.create_post.root_id.app_error", "Invalid RootId parameter", 400)
                       .dump()));
      }
    }
    const std::string msg = b["message"].get<std::string>();
    if (msg.size() > 16383 * 4) {
      lock.unlock();
      return record(
          answer(req, http::status::bad_request,
                 error("model.post.is_valid.msg.app_error", "Invalid message", 400).dump()));
    }
    json p = st->make_post(fake_mattermost::bot_id, b["channel_id"], msg, root, true);
    lock.unlock();
    // The bot's own post comes back to it over the websocket, as on a real server.
    after.push_back([st, p] { net::post(*st->ioc, [st, p] { st->broadcast(p, "O", {}); }); });
    return record(answer(req, http::status::created, p.dump()));
  }
  if (path.rfind("/api/v4/channels/", 0) == 0 && req.method() == http::verb::get) {
    const std::string rest = path.substr(17);
    const std::string channel = rest.substr(0, rest.find('/'));
    const std::string since_text = query_value(call.target, "since");
    const std::int64_t since = since_text.empty() ? 0 : std::stoll(since_text);
    json order = json::array(), posts = json::object();
    {
      std::lock_guard lock(st->mutex);
      const auto& all = st->channel_posts[channel];
      for (auto it = all.rbegin(); it != all.rend(); ++it)
        if ((*it)["create_at"].get<std::int64_t>() > since) {
          order.push_back((*it)["id"]);
          posts[(*it)["id"].get<std::string>()] = *it;
        }
    }
    return record(
        answer(req, http::status::ok,
               json{{"order", order}, {"posts", posts}, {"next_post_id", ""}, {"prev_post_id", ""}}
                   .dump()));
  }
  return record(
      answer(req, http::status::not_found,
             error("api.context.404.app_error", "Sorry, we could not find the page.", 404).dump()));
}

net::awaitable<void> write_frames(std::shared_ptr<fake_socket> s) {
  for (;;) {
    auto [ec, text] = co_await s->out.async_receive(nothrow);
    if (ec) co_return;
    auto [wec, n] = co_await s->ws.async_write(net::buffer(text), nothrow);
    if (wec) co_return;
  }
}

net::awaitable<void> run_socket(state* st, beast::tcp_stream stream,
                                http::request<http::string_body> req) {
  const std::string target(req.target());
  const std::string auth(req[http::field::authorization]);
  auto ex = stream.get_executor();
  auto s = std::make_shared<fake_socket>(std::move(stream), ex);
  beast::get_lowest_layer(s->ws).expires_never();
  auto [aec] = co_await s->ws.async_accept(req, nothrow);
  if (aec) co_return;
  st->sockets.push_back(s);
  net::co_spawn(ex, write_frames(s), net::detached);
  const bool authed = auth == std::string("Bearer ") + fake_mattermost::token;
  std::vector<std::string> replay;
  bool hello = false;
  {
    std::lock_guard lock(st->mutex);
    ++st->accepted;
    st->targets.push_back(target);
    st->auths.push_back(auth);
    if (!authed) {
      // No challenge in this fake: a socket without the header is closed, as a bad token is.
    } else {
      const std::string cid = query_value(target, "connection_id");
      const std::string seq_text = query_value(target, "sequence_number");
      auto it = st->connections.find(cid);
      if (!cid.empty() && it != st->connections.end() && !seq_text.empty()) {
        const std::int64_t from = std::stoll(seq_text);
        s->connection = cid;
        for (const auto& [n, text] : it->second.events)
          if (n >= from) replay.push_back(text);
      } else {
        const std::string id = st->new_id("conn");
        s->connection = id;
        auto& log = st->connections[id];
        const json h{{"event", "hello"},
                     {"data",
                      {{"connection_id", id},
                       {"server_version", "9.11.0.9.11.0.fake.true"},
                       {"server_hostname", "mm-fake-0"}}},
                     {"broadcast",
                      {{"omit_users", nullptr},
                       {"user_id", fake_mattermost::bot_id},
                       {"channel_id", ""},
                       {"team_id", ""},
                       {"connection_id", ""},
                       {"omit_connection_id", ""}}},
                     {"seq", log.next_seq}};
        log.events.emplace_back(log.next_seq++, h.dump());
        replay.push_back(h.dump());
        hello = true;
        ++st->hellos;
      }
      st->hold = false;
    }
  }
  st->notify();
  if (!authed) {
    beast::get_lowest_layer(s->ws).close();
    co_return;
  }
  (void)hello;
  for (auto& text : replay) s->out.try_send(boost::system::error_code{}, text);
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await s->ws.async_read(buffer, nothrow);
    if (ec) break;
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
    // As the real servers do (Go's net package sets TCP_NODELAY by default): without it two
    // small frames written back to back wait ~40 ms for the peer's delayed ACK (Nagle).
    boost::system::error_code ignored;
    socket.set_option(net::ip::tcp::no_delay(true), ignored);
    net::co_spawn(st->acceptor->get_executor(), serve(st, std::move(socket)), net::detached);
  }
}

}  // namespace

fake_mattermost::fake_mattermost() : state_(std::make_shared<state>()) {
  auto* st = state_.get();
  st->acceptor = std::make_unique<tcp::acceptor>(
      *st->ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  st->port = st->acceptor->local_endpoint().port();
  net::co_spawn(*st->ioc, accept_loop(st), net::detached);
  st->thread = std::thread([st] { st->ioc->run(); });
}

fake_mattermost::~fake_mattermost() {
  auto* st = state_.get();
  st->ioc->stop();
  st->thread.join();
  st->sockets.clear();
  st->acceptor.reset();
  st->ioc.reset();
}

std::string fake_mattermost::url() const {
  return "http://127.0.0.1:" + std::to_string(state_->port);
}

std::string fake_mattermost::user_posts(const std::string& message, const std::string& channel,
                                        const std::string& channel_type,
                                        const std::string& root_id) {
  auto* st = state_.get();
  json p;
  {
    std::lock_guard lock(st->mutex);
    p = st->make_post("useragent000000000000000001", channel, message, root_id, false);
  }
  std::vector<std::string> mentions;
  if (message.find(std::string("@") + bot_name) != std::string::npos) mentions.push_back(bot_id);
  net::post(*st->ioc,
            [st, p, channel_type, mentions] { st->broadcast(p, channel_type, mentions); });
  return p["id"].get<std::string>();
}

void fake_mattermost::hold_events(bool yes) {
  std::lock_guard lock(state_->mutex);
  state_->hold = yes;
}

void fake_mattermost::drop_socket() {
  auto* st = state_.get();
  net::post(*st->ioc, [st] {
    if (!st->sockets.empty()) beast::get_lowest_layer(st->sockets.back()->ws).close();
  });
}

void fake_mattermost::forget_connections() {
  std::lock_guard lock(state_->mutex);
  state_->connections.clear();
}

void fake_mattermost::rate_limit_posts(int count, int seconds) {
  std::lock_guard lock(state_->mutex);
  state_->rate_limited = count;
  state_->retry_after = seconds;
}

void fake_mattermost::send_raw(std::string text) {
  auto* st = state_.get();
  net::post(*st->ioc, [st, text = std::move(text)] {
    if (!st->sockets.empty()) st->sockets.back()->out.try_send(boost::system::error_code{}, text);
  });
}

bool fake_mattermost::wait_for_hellos(int n, ms timeout) {
  return state_->wait([&] { return state_->hellos >= n; }, timeout);
}

bool fake_mattermost::wait_for_sockets(int n, ms timeout) {
  return state_->wait([&] { return state_->accepted >= n; }, timeout);
}

namespace {
bool is_reply(const mm_call& c) {
  return c.method == "POST" && c.target == "/api/v4/posts" && c.status == 201;
}
}  // namespace

bool fake_mattermost::wait_for_replies(std::size_t n, ms timeout) {
  return state_->wait(
      [&] {
        std::size_t k = 0;
        for (const auto& c : state_->calls)
          if (is_reply(c)) ++k;
        return k >= n;
      },
      timeout);
}

std::vector<mm_call> fake_mattermost::calls(const std::string& part) const {
  std::lock_guard lock(state_->mutex);
  std::vector<mm_call> out;
  for (const auto& c : state_->calls)
    if (part.empty() || c.target.find(part) != std::string::npos) out.push_back(c);
  return out;
}

std::vector<mm_call> fake_mattermost::replies() const {
  std::lock_guard lock(state_->mutex);
  std::vector<mm_call> out;
  for (const auto& c : state_->calls)
    if (is_reply(c)) out.push_back(c);
  return out;
}

std::vector<std::string> fake_mattermost::upgrade_targets() const {
  std::lock_guard lock(state_->mutex);
  return state_->targets;
}

std::vector<std::string> fake_mattermost::upgrade_authorizations() const {
  std::lock_guard lock(state_->mutex);
  return state_->auths;
}

int fake_mattermost::hellos() const {
  std::lock_guard lock(state_->mutex);
  return state_->hellos;
}

}  // namespace sessiondx::test
